/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's messages, filtered by level (WRITEWATCH_DEBUG or
 * ww_set_log_level), to the sink the host set with ww_set_log_handler, or
 * by default to stderr as "writewatch: LEVEL: message".
 *
 * Logging never takes a lock and never waits for another thread: it runs in
 * the child of _Fork() or of a raw fork (where the library rebuilds its
 * state and may log), in which a thread that does not exist any more may
 * hold any lock.  So stderr gets one write(2) per line, no stdio (a line is
 * never interleaved with another thread's and cannot hang on stdio's lock),
 * and the handler and its argument are read as a pair under a sequence
 * counter that only ww_set_log_handler changes.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"
#include "writewatch.h"

int ww_log_level = WW_LOG_WARNING;

/* The handler and its argument.  seq is odd while a ww_set_log_handler
 * changes them; a reader that sees it change reads again.  Writers take
 * sink_lock, readers nothing. */
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int sink_seq;
static ww_log_fn sink_fn;
static void *sink_arg;

/* A reader gives up on a pair that keeps changing (or that a writer left
 * half changed: a fork child of a writer) and logs to stderr. */
#define SINK_READ_TRIES 64

void ww_set_log_level(int level)
{
	__atomic_store_n(&ww_log_level, level, __ATOMIC_RELAXED);
}

void ww_set_log_handler(ww_log_fn fn, void *arg)
{
	unsigned int seq;

	pthread_mutex_lock(&sink_lock);
	seq = __atomic_load_n(&sink_seq, __ATOMIC_RELAXED);
	__atomic_store_n(&sink_seq, seq + 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sink_fn, fn, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sink_arg, arg, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sink_seq, seq + 2, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&sink_lock);
}

/* The handler and its argument as one ww_set_log_handler set them;
 * NULL: stderr. */
static ww_log_fn read_sink(void **arg)
{
	for (int i = 0; i < SINK_READ_TRIES; i++) {
		unsigned int seq = __atomic_load_n(&sink_seq, __ATOMIC_SEQ_CST);
		ww_log_fn fn;

		if (seq & 1)
			continue;
		fn = __atomic_load_n(&sink_fn, __ATOMIC_SEQ_CST);
		*arg = __atomic_load_n(&sink_arg, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sink_seq, __ATOMIC_SEQ_CST) == seq)
			return fn;
	}
	return NULL;
}

void ww_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "", "warning", "info", "debug" };
	char line[512];
	int prefix, n, m;
	ww_log_fn fn;
	va_list ap;
	void *arg;

	if (level > __atomic_load_n(&ww_log_level, __ATOMIC_RELAXED))
		return;
	/* The prefix, then the message: the handler gets the message alone,
	 * stderr the whole line. */
	prefix = snprintf(line, sizeof(line) - 1, "writewatch: %s: ", names[level < 4 ? level : 3]);
	va_start(ap, fmt);
	m = vsnprintf(line + prefix, sizeof(line) - 1 - (size_t)prefix, fmt, ap);
	va_end(ap);
	n = m < 0 ? prefix : prefix + m > (int)sizeof(line) - 2 ? (int)sizeof(line) - 2 : prefix + m;
	line[n] = 0;
	fn = read_sink(&arg);
	if (fn) {
		fn(level, line + prefix, arg);
		return;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;	/* nowhere left to report it */
}
