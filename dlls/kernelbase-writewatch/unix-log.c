/*
 * kernelbase-writewatch: unix side, the library's messages on Wine's
 * "writewatch" debug channel, so that WINEDEBUG decides what is shown, as
 * for the PE side's own lines (the library's default, stderr, would show
 * its warnings whatever WINEDEBUG says).
 *
 * Wine's unix libraries log through wine/debug.h, whose functions ntdll.so
 * exports (Wine 8.0 to 10.x); the .so links against ntdll.so as theirs do.
 * Levels: the library's warnings are warn, its info and debug lines trace
 * (Wine has nothing between: fixme means "not implemented").  The
 * library's threshold follows the channel, so that nothing is formatted
 * that Wine would drop; WRITEWATCH_DEBUG, when set, still sets it.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include "windef.h"
#include "winbase.h"
#include "wine/debug.h"

#include "writewatch.h"
#include "unix-log.h"

WINE_DECLARE_DEBUG_CHANNEL(writewatch);

static void to_wine_channel( int level, const char *msg, void *arg )
{
    enum __wine_debug_class cls = level <= WW_LOG_WARNING ? __WINE_DBCL_WARN : __WINE_DBCL_TRACE;

    /* "libwritewatch" where Wine's own lines name their function. */
    wine_dbg_log( cls, &__wine_dbch_writewatch, "libwritewatch", "%s\n", msg );
}

void ww_unix_log_init( void )
{
    int level = WINE_TRACE_ON(writewatch) ? WW_LOG_DEBUG : WINE_WARN_ON(writewatch) ? WW_LOG_WARNING : 0;

    ww_set_log_handler( to_wine_channel, NULL );
    ww_set_log_level( level );
}
