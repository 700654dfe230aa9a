/*
 * kernelbase-writewatch: recognise ntdll's x86_64 syscall thunks by their
 * structure (thunk-decode.c).  Plain C: used by the PE side (patch.c) and
 * by a native test.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __WINE_KERNELBASE_WRITEWATCH_THUNK_DECODE_H
#define __WINE_KERNELBASE_WRITEWATCH_THUNK_DECODE_H

#define WW_THUNK_MAX 64   /* longest thunk copied; Wine's are 32 bytes */

/* Length of the position-independent syscall thunk at entry, or 0 when it
 * is not one (then it must be left alone). */
unsigned int ww_syscall_thunk_length( const unsigned char *entry );

#endif
