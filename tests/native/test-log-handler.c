/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ww_set_log_handler: the host's sink gets every message within the
 * threshold with its level and without the stderr prefix; the threshold
 * (ww_set_log_level, WRITEWATCH_DEBUG) still filters; NULL restores
 * "writewatch: LEVEL: message" on stderr; a handler and its argument are
 * never seen torn while another thread changes them.
 */
#include "config.h"

#include <errno.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "internal.h"	/* ww_log, ww_fault_inject */

#define MAX_SEEN 16

struct seen {
	int n;
	int level[MAX_SEEN];
	char msg[MAX_SEEN][128];
};

static void record(int level, const char *msg, void *arg)
{
	struct seen *s = arg;

	if (s->n < MAX_SEEN) {
		s->level[s->n] = level;
		snprintf(s->msg[s->n], sizeof(s->msg[0]), "%s", msg);
	}
	s->n++;
}

/* Each body starts and ends with the defaults. */
static void defaults(void)
{
	ww_set_log_handler(NULL, NULL);
	ww_set_log_level(WW_LOG_WARNING);
}

static void handler_gets_each_level(void)
{
	struct seen s = { 0 };

	ww_set_log_level(WW_LOG_DEBUG);
	ww_set_log_handler(record, &s);
	ww_log(WW_LOG_WARNING, "a warning %d", 1);
	ww_log(WW_LOG_INFO, "some info %s", "here");
	ww_log(WW_LOG_DEBUG, "a debug line");
	defaults();
	assert_int_equal(s.n, 3);
	assert_int_equal(s.level[0], WW_LOG_WARNING);
	assert_string_equal(s.msg[0], "a warning 1");	/* no prefix, no newline */
	assert_int_equal(s.level[1], WW_LOG_INFO);
	assert_string_equal(s.msg[1], "some info here");
	assert_int_equal(s.level[2], WW_LOG_DEBUG);
	assert_string_equal(s.msg[2], "a debug line");
}

static void level_still_filters(void)
{
	struct seen s = { 0 };

	ww_set_log_handler(record, &s);
	ww_set_log_level(WW_LOG_WARNING);
	ww_log(WW_LOG_INFO, "dropped info");
	ww_log(WW_LOG_DEBUG, "dropped debug");
	ww_log(WW_LOG_WARNING, "kept warning");
	ww_set_log_level(0);
	ww_log(WW_LOG_WARNING, "dropped warning");
	defaults();
	assert_int_equal(s.n, 1);
	assert_string_equal(s.msg[0], "kept warning");
}

/* A long message is cut, never overflows the handler's line. */
static void long_message_is_truncated(void)
{
	struct seen s = { 0 };
	char big[2048];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ww_set_log_handler(record, &s);
	ww_log(WW_LOG_WARNING, "%s", big);
	defaults();
	assert_int_equal(s.n, 1);
	assert_int_equal(strspn(s.msg[0], "x"), strlen(s.msg[0]));
	assert_true(strlen(s.msg[0]) > 100);
}

/* A real warning of the library (an unregister that fails when a region
 * is freed), not one made by the test: it reaches the handler. */
static void library_warning_reaches_handler(void)
{
	struct seen s = { 0 };
	char *base = t_alloc(4, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE);

	ww_set_log_handler(record, &s);
	ww_fault_inject(WW_SYS_IOCTL, UFFDIO_UNREGISTER, ENOMEM, 1);
	t_free(base);
	ww_fault_inject_clear();
	defaults();
	assert_int_equal(s.n, 1);
	assert_int_equal(s.level[0], WW_LOG_WARNING);
	assert_non_null(strstr(s.msg[0], "UFFDIO_UNREGISTER"));
	assert_non_null(strstr(s.msg[0], strerror(ENOMEM)));
}

/* Runs fn with fd 2 sent to a file; returns what was written there. */
static void capture_stderr(void (*fn)(void), char *out, size_t len)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fileno(f), out, len - 1, 0);
	fclose(f);
	assert_true(n >= 0);
	out[n] = 0;
}

static struct seen replaced;

static void log_after_null(void)
{
	ww_set_log_handler(record, &replaced);
	ww_set_log_handler(NULL, NULL);
	ww_log(WW_LOG_WARNING, "back on stderr %d", 7);
}

static void null_restores_stderr(void)
{
	char out[256];

	memset(&replaced, 0, sizeof(replaced));
	capture_stderr(log_after_null, out, sizeof(out));
	defaults();
	assert_int_equal(replaced.n, 0);
	assert_string_equal(out, "writewatch: warning: back on stderr 7\n");
}

/* Two handlers, each with its own argument, swapped while other threads
 * log: every call must get the argument set with its handler.  A check of
 * consistency, not of timing (TSan sees the accesses in its build). */
#define LOGGERS 3
#define SWAPS 20000

static int arg_a, arg_b;
static _Atomic int torn, calls;
static _Atomic int stop;

static void handler_a(int level, const char *msg, void *arg)
{
	(void)level; (void)msg;
	calls++;
	if (arg != &arg_a)
		torn++;
}

static void handler_b(int level, const char *msg, void *arg)
{
	(void)level; (void)msg;
	calls++;
	if (arg != &arg_b)
		torn++;
}

static void *logger(void *unused)
{
	(void)unused;
	while (!stop)
		ww_log(WW_LOG_WARNING, "from a logger");
	return NULL;
}

static void swap_while_logging(void)
{
	pthread_t t[LOGGERS];

	torn = calls = stop = 0;
	ww_set_log_handler(handler_a, &arg_a);
	int before;

	for (int i = 0; i < LOGGERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, logger, NULL), 0);
	/* The swaps must overlap the logging: wait until a logger runs, and
	 * go on swapping until loggers have logged meanwhile (on a loaded
	 * machine the threads may not run at all during SWAPS swaps). */
	while (calls == 0)
		sched_yield();
	before = calls;
	for (int i = 0; i < SWAPS || calls - before < SWAPS / 10; i++) {
		if (i & 1)
			ww_set_log_handler(handler_a, &arg_a);
		else
			ww_set_log_handler(handler_b, &arg_b);
		if (i >= SWAPS)
			sched_yield();
	}
	stop = 1;
	for (int i = 0; i < LOGGERS; i++)
		pthread_join(t[i], NULL);
	defaults();
	assert_true(calls - before >= SWAPS / 10);
	assert_int_equal(torn, 0);
}

/* WRITEWATCH_DEBUG is read at the library's first use, so each value runs
 * in a fresh copy of this program (--env-child) that reports what reached
 * its handler: bit 0 a warning, bit 1 an info line, bit 2 a debug line. */
static int env_child(void)
{
	struct seen s = { 0 };
	int got = 0;

	ww_set_log_handler(record, &s);
	ww_current_backend();	/* the first use: WRITEWATCH_DEBUG is read */
	s.n = 0;
	ww_log(WW_LOG_WARNING, "child warning");
	ww_log(WW_LOG_INFO, "child info");
	ww_log(WW_LOG_DEBUG, "child debug");
	for (int i = 0; i < s.n && i < MAX_SEEN; i++)
		got |= 1 << (s.level[i] - 1);
	return got;
}

static int run_env_child(const char *value)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("WRITEWATCH_DEBUG", value, 1);
		execl("/proc/self/exe", "test-log-handler", "--env-child", (char *)NULL);
		_exit(127);
	}
	return t_wait_child(pid);
}

static void writewatch_debug_sets_threshold(void)
{
	assert_int_equal(run_env_child("0"), 0);
	assert_int_equal(run_env_child("1"), 1);
	assert_int_equal(run_env_child("2"), 3);
	assert_int_equal(run_env_child("3"), 7);
}

#define ONE B(WW_BACKEND_MPROTECT)	/* backend-independent: run once */

static const struct ww_test tests[] = {
	WW_TEST_ONLY(handler_gets_each_level, ONE),
	WW_TEST_ONLY(level_still_filters, ONE),
	WW_TEST_ONLY(long_message_is_truncated, ONE),
	WW_TEST_ONLY(library_warning_reaches_handler, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(null_restores_stderr, ONE),
	WW_TEST_ONLY(swap_while_logging, ONE),
	WW_TEST_ONLY(writewatch_debug_sets_threshold, ONE),
};

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--env-child"))
		return env_child();
	return ww_run(tests, sizeof(tests) / sizeof(tests[0]), t_free_tracked);
}
