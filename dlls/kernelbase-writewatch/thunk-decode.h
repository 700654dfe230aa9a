/*
 * kernelbase-writewatch: recognise ntdll's syscall thunks (x86_64 and i386)
 * by their structure (thunk-decode.c).  Plain C: used by the PE side
 * (patch.c) and by a native test, which checks both decoders whatever the
 * host.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __WINE_KERNELBASE_WRITEWATCH_THUNK_DECODE_H
#define __WINE_KERNELBASE_WRITEWATCH_THUNK_DECODE_H

#define WW_THUNK_MAX 64   /* longest thunk copied; Wine's are 32 (x86_64) and 16 (i386) bytes */

/* Length of the position-independent syscall thunk at entry, or 0 when it
 * is not one (then it must be left alone). */
unsigned int ww_syscall_thunk_length_x86_64( const unsigned char *entry );
unsigned int ww_syscall_thunk_length_i386( const unsigned char *entry );

/* The decoder of the architecture this is built for. */
#ifdef __i386__
#define ww_syscall_thunk_length ww_syscall_thunk_length_i386
#else
#define ww_syscall_thunk_length ww_syscall_thunk_length_x86_64
#endif

#endif
