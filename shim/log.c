/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Messages on stderr, filtered by level (WRITEWATCH_DEBUG or ww_set_log_level). */
#include <stdarg.h>
#include <stdio.h>

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
	int n;

	if (level > ww_log_level)
		return;
	n = snprintf(line, sizeof(line), "writewatch: %s: ", names[level < 4 ? level : 3]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* One fputs per line so messages of concurrent threads do not interleave. */
	fprintf(stderr, "%s\n", line);
}
