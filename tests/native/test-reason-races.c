/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ww_backend_unavailable_reason from two threads at once: each gets the
 * complete reason, and a string a call returned keeps its text after later
 * calls (writewatch.h: static storage, the same text for the life of the
 * process).
 *
 * uffd is made unavailable at the process's one probe (PAGEMAP_SCAN fails
 * ENOTTY, as before Linux 6.7, through the system-call seam), so that its
 * reason is a formatted one.
 *
 * The interleaving is forced with a barrier rather than hoped for: the two
 * threads ask for uffd's reason at once.  Nothing in the library orders
 * those accesses, so a buffer the library rewrites is reported by
 * ThreadSanitizer on every run (tools/check-all runs this program under
 * TSan).  No hook in shim/sys.c: a rewrite of a reason has no system call
 * in it to stop at.  Worker threads do not call cmocka: the main thread
 * checks what they got.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "internal.h"	/* ww_fault_inject */
#include "ww-compat.h"	/* PAGEMAP_SCAN */

static char uffd_why[160];	/* ww_backend_unavailable_reason(WW_BACKEND_UFFD) */

/*
 * Every body: uffd unavailable, and its reason.  The first call of the
 * process probes, with the injection armed.
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
}

static const char *bad_uffd_why(const char *got)
{
	if (!got)
		return "NULL";
	if (strcmp(got, uffd_why))
		return "not uffd's reason (torn?)";
	return NULL;
}

/* ---- uffd's reason asked for by two threads at once */

static pthread_barrier_t start;

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

static const struct ww_test tests[] = {
	WW_TEST_ONCE(unavailable_reason_from_two_threads),
};

T_MAIN(tests, NULL)
