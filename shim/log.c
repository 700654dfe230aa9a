/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Messages on stderr, filtered by level (WRITEWATCH_DEBUG or ww_set_log_level).
 * One write(2) per line, no stdio: a line is never interleaved with another
 * thread's, and logging cannot hang on stderr's stdio lock, which a thread
 * that does not exist any more may hold (the child of _Fork() or of a raw
 * fork, where the library rebuilds its state and may log).
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

int ww_log_level = 1;

void ww_set_log_level(int level)
{
	ww_log_level = level;
}

void ww_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "", "warning", "info", "debug" };
	char line[512];
	va_list ap;
	int n, m;

	if (level > ww_log_level)
		return;
	n = snprintf(line, sizeof(line) - 1, "writewatch: %s: ", names[level < 4 ? level : 3]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - 1 - (size_t)n, fmt, ap);
	va_end(ap);
	n = m < 0 ? n : n + m > (int)sizeof(line) - 2 ? (int)sizeof(line) - 2 : n + m;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;	/* nowhere left to report it */
}
