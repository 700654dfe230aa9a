/*
 * kernelbase-writewatch: the library's messages on Wine's debug channel
 * (unix-log.c).  Unix side only.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __WINE_KERNELBASE_WRITEWATCH_UNIX_LOG_H
#define __WINE_KERNELBASE_WRITEWATCH_UNIX_LOG_H

/* Before the library's first use: its messages go to the writewatch
 * channel, its threshold is what WINEDEBUG enables there. */
void ww_unix_log_init( void );

#endif
