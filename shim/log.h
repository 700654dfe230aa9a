/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging (log.c): "writewatch: LEVEL: message" on stderr. */
#ifndef WW_LOG_H
#define WW_LOG_H

#include "hidden.h"

WW_HIDDEN extern int ww_log_level;
WW_HIDDEN void ww_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* WARN: what the caller cannot see otherwise (a fallback, lost tracking, an
 * over-report).  A failure the call returns as an error is DEBUG. */
#define WW_WARN(...) ww_log(1, __VA_ARGS__)
#define WW_INFO(...) ww_log(2, __VA_ARGS__)
#define WW_DEBUG(...) ww_log(3, __VA_ARGS__)

#endif /* WW_LOG_H */
