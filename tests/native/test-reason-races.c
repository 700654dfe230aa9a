/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ww_backend_reason and ww_backend_unavailable_reason from several threads
 * while another switches the backend (ww_set_backend): every string read is
 * one of the complete reasons, and a string a call returned keeps its text
 * after later calls (writewatch.h: static for the life of the process).
 *
 * uffd is made unavailable at the process's one probe (PAGEMAP_SCAN fails
 * ENOTTY, as before Linux 6.7, through the system-call seam), so that both
 * kinds of reason are formatted ones: uffd's own and auto's fallback.
 *
 * The interleavings are forced with barriers rather than hoped for: a
 * reader holds a returned string across a writer's call and compares its
 * text after it; it also reads it during that call, and two threads ask for
 * uffd's reason at once.  Nothing in the library orders those accesses, so
 * a buffer the library rewrites is reported by ThreadSanitizer on every run
 * (tools/check-all runs this program under TSan), and a changed text fails
 * here without it.  No hook in shim/sys.c: a rewrite of a reason has no
 * system call in it to stop at.  The last body loops, for interleavings the
 * barriers do not pick.  Worker threads do not call cmocka: they count
 * failures, the main thread checks.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "internal.h"	/* ww_fault_inject, ww_log_level */
#include "ww-compat.h"	/* PAGEMAP_SCAN */

#define SET_REASON "requested by ww_set_backend"
#define SWITCHES 1000	/* the looping body's pairs of backend switches, at least */
#define MIN_READS 1000	/* and of each reader's loops, at least */
#define READERS 2

static char uffd_why[160];	/* ww_backend_unavailable_reason(WW_BACKEND_UFFD) */
static char auto_reason[200];	/* ww_backend_reason() after ww_set_backend(AUTO) */

static _Atomic unsigned fallback_warnings;

/* The auto fallbacks' warnings are counted, not printed (thousands). */
static void count_fallbacks(int level, const char *msg, void *arg)
{
	(void)arg;
	if (level == WW_LOG_WARNING && strstr(msg, "falling back to the mprotect backend"))
		atomic_fetch_add(&fallback_warnings, 1);
	else
		fprintf(stderr, "writewatch: %d: %s\n", level, msg);
}

/*
 * Every body: uffd unavailable, the reasons it implies, and mprotect as the
 * backend.  The first call of the process probes, with the injection armed.
 */
static void uffd_made_unavailable(void)
{
	static bool probed;
	struct ww_probe p = { 0 };
	const char *why;

	if (!probed) {
		ww_fault_inject(WW_SYS_IOCTL, PAGEMAP_SCAN, ENOTTY, -1);
		ww_backend_unavailable_reason(WW_BACKEND_UFFD);	/* the probe */
		ww_fault_inject_clear();
		probed = true;
	}
	why = ww_backend_unavailable_reason(WW_BACKEND_UFFD);
	if (!why || !*why)
		fail_msg("uffd available despite the injected ENOTTY: probed before it?");
	assert_int_equal(ww_probe(&p, sizeof(p)), 0);
	/* A kernel lacking the userfaultfd part has its own reason, found first. */
	if (!p.uffd_errno && p.has_wp_async && p.has_wp_unpopulated) {
		assert_int_equal(p.pagemap_scan_errno, ENOTTY);
		snprintf(uffd_why, sizeof(uffd_why), "PAGEMAP_SCAN: %s", strerror(ENOTTY));
		assert_string_equal(why, uffd_why);
	} else {
		snprintf(uffd_why, sizeof(uffd_why), "%s", why);
	}
	snprintf(auto_reason, sizeof(auto_reason), "auto: uffd unavailable (%s)", uffd_why);
	assert_int_equal(ww_set_backend(WW_BACKEND_MPROTECT), 0);
	assert_string_equal(ww_backend_reason(), SET_REASON);
	if (ww_log_level < WW_LOG_WARNING)	/* WRITEWATCH_DEBUG=0: the fallbacks are counted */
		ww_set_log_level(WW_LOG_WARNING);
	ww_set_log_handler(count_fallbacks, NULL);
	atomic_store(&fallback_warnings, 0);
}

static void restore_log(void)
{
	ww_set_log_handler(NULL, NULL);
}

/* NULL, or what went wrong with a string read from the library. */
static const char *bad_reason(const char *got)
{
	if (!got)
		return "NULL";
	if (!*got)
		return "empty";
	if (strcmp(got, SET_REASON) && strcmp(got, auto_reason))
		return "neither reason (torn?)";
	return NULL;
}

static const char *bad_uffd_why(const char *got)
{
	if (!got)
		return "NULL";
	if (strcmp(got, uffd_why))
		return "not uffd's reason (torn?)";
	return NULL;
}

/* ---- a held ww_backend_reason() across a switch */

static pthread_barrier_t start, done;

struct switcher {
	enum ww_backend to;
	int ret;
};

static void *switch_backend(void *arg)
{
	struct switcher *s = arg;

	pthread_barrier_wait(&start);
	s->ret = ww_set_backend(s->to);
	pthread_barrier_wait(&done);
	return NULL;
}

/* Holds the reason of backend `from` while another thread switches to
 * `to`: read during the switch, compared after it. */
static void hold_reason_across_switch(enum ww_backend from, const char *from_reason,
				      enum ww_backend to, const char *to_reason)
{
	struct switcher s = { .to = to, .ret = -1 };
	const char *held, *during;
	pthread_t th;

	assert_int_equal(ww_set_backend(from), 0);
	held = ww_backend_reason();
	assert_string_equal(held, from_reason);
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	assert_int_equal(pthread_barrier_init(&done, NULL, 2), 0);
	assert_int_equal(pthread_create(&th, NULL, switch_backend, &s), 0);
	pthread_barrier_wait(&start);
	during = bad_reason(held);	/* while the other thread switches */
	pthread_barrier_wait(&done);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&done);
	assert_int_equal(s.ret, 0);
	if (during)
		fail_msg("held reason read during the switch: %s", during);
	assert_string_equal(held, from_reason);	/* the held string kept its text */
	assert_string_equal(ww_backend_reason(), to_reason);
}

static void held_reason_survives_switch(void)
{
	uffd_made_unavailable();
	hold_reason_across_switch(WW_BACKEND_MPROTECT, SET_REASON, WW_BACKEND_AUTO, auto_reason);
	hold_reason_across_switch(WW_BACKEND_AUTO, auto_reason, WW_BACKEND_MPROTECT, SET_REASON);
	assert_int_equal(atomic_load(&fallback_warnings), 2);
	assert_int_equal(ww_current_backend(), WW_BACKEND_MPROTECT);
}

/* ---- uffd's reason asked for by two threads at once */

static void *ask_uffd_why(void *arg)
{
	const char **got = arg;

	pthread_barrier_wait(&start);
	*got = ww_backend_unavailable_reason(WW_BACKEND_UFFD);
	return NULL;
}

static void unavailable_reason_from_two_threads(void)
{
	const char *got[2] = { NULL, NULL };
	pthread_t th[2];

	uffd_made_unavailable();
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, ask_uffd_why, &got[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < 2; i++)
		if (bad_uffd_why(got[i]))
			fail_msg("thread %d got uffd's reason %s", i, bad_uffd_why(got[i]));
	/* and they still read so after a third call */
	ww_backend_unavailable_reason(WW_BACKEND_UFFD);
	assert_string_equal(got[0], uffd_why);
	assert_string_equal(got[1], uffd_why);
	assert_null(ww_backend_unavailable_reason(WW_BACKEND_MPROTECT));
	assert_null(ww_backend_unavailable_reason(WW_BACKEND_AUTO));
}

/* ---- readers looping while a writer switches back and forth */

static atomic_bool stop;
static _Atomic unsigned bad_reads;
static const char *first_bad;	/* the first bad read's description */

static void note_bad(const char *what)
{
	if (atomic_fetch_add(&bad_reads, 1) == 0)
		first_bad = what;
}

static void *reader(void *arg)
{
	_Atomic unsigned long *reads = arg;

	pthread_barrier_wait(&start);
	while (!atomic_load(&stop)) {
		const char *reason = ww_backend_reason(), *bad;
		char text[sizeof(auto_reason)];

		atomic_fetch_add(reads, 1);
		if ((bad = bad_reason(reason))) {
			note_bad(bad);
			continue;
		}
		snprintf(text, sizeof(text), "%s", reason);
		if ((bad = bad_uffd_why(ww_backend_unavailable_reason(WW_BACKEND_UFFD))))
			note_bad(bad);
		if (ww_backend_unavailable_reason(WW_BACKEND_MPROTECT))
			note_bad("mprotect said unavailable");
		/* the reason read first, after the other calls and the writer's */
		if (strcmp(reason, text))
			note_bad("a returned reason changed its text");
	}
	return NULL;
}

/* Whether every reader has looped MIN_READS times. */
static bool enough_reads(_Atomic unsigned long *reads)
{
	for (int i = 0; i < READERS; i++)
		if (atomic_load(&reads[i]) < MIN_READS)
			return false;
	return true;
}

static void readers_while_switching(void)
{
	_Atomic unsigned long reads[READERS] = { 0 };
	pthread_t th[READERS];
	unsigned pairs = 0;
	int ret = 0;

	uffd_made_unavailable();
	atomic_store(&stop, false);
	atomic_store(&bad_reads, 0);
	assert_int_equal(pthread_barrier_init(&start, NULL, READERS + 1), 0);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, &reads[i]), 0);
	pthread_barrier_wait(&start);
	/* Until the readers have had their turns too: the writer may run alone first. */
	while (!ret && (pairs < SWITCHES || !enough_reads(reads))) {
		ret = ww_set_backend(WW_BACKEND_AUTO);
		if (!ret)
			ret = ww_set_backend(WW_BACKEND_MPROTECT);
		pairs++;
	}
	atomic_store(&stop, true);
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(ret, 0);
	if (atomic_load(&bad_reads))
		fail_msg("%u bad reads, the first: %s", atomic_load(&bad_reads), first_bad);
	assert_int_equal(atomic_load(&fallback_warnings), pairs);
	assert_string_equal(ww_backend_reason(), SET_REASON);
}

static const struct ww_test tests[] = {
	WW_TEST_ONCE(held_reason_survives_switch),
	WW_TEST_ONCE(unavailable_reason_from_two_threads),
	WW_TEST_ONCE(readers_while_switching),
};

T_MAIN(tests, restore_log)
