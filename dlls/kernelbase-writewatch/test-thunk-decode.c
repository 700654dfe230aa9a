/*
 * Native test of thunk-decode.c on the real thunks of Wine 8.0 and 10.0
 * (dumped from their ntdll.dll: NtGetWriteWatch of Debian 12's 8.0~repack-4,
 * NtAllocateVirtualMemory of Debian 13's 10.0~repack-6; i386: the
 * i386-windows/ntdll.dll of Debian 12's wine32 8.0~repack-4 and Debian 13's
 * 10.0~repack-6) and on forms that must be left alone.
 * Both decoders are plain byte readers: each runs here whatever the host.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "thunk-decode.h"

static int passed, failed;

typedef unsigned int (*decoder)( const unsigned char *entry );

static void expect_with( decoder decode, const char *name, const unsigned char *code, size_t len,
                         unsigned int want )
{
    unsigned char buf[WW_THUNK_MAX + 16];
    unsigned int got;

    memset( buf, 0xcc, sizeof(buf) );  /* int3 after the thunk, as padding */
    memcpy( buf, code, len );
    got = decode( buf );
    if (got == want) { passed++; printf( "PASS %s: %u\n", name, got ); }
    else { failed++; printf( "FAIL %s: length %u, want %u\n", name, got, want ); }
}

static void expect( const char *name, const unsigned char *code, size_t len, unsigned int want )
{
    expect_with( ww_syscall_thunk_length_x86_64, name, code, len, want );
}

static void expect_i386( const char *name, const unsigned char *code, size_t len, unsigned int want )
{
    expect_with( ww_syscall_thunk_length_i386, name, code, len, want );
}

#define HEAD(n) 0x4c, 0x8b, 0xd1, 0xb8, n, 0, 0, 0
#define TEST_FLAG 0xf6, 0x04, 0x25, 0x08, 0x03, 0xfe, 0x7f, 0x01

int main( void )
{
    static const unsigned char wine80[] =   /* NtGetWriteWatch, Wine 8.0 */
        { HEAD(0x4a), TEST_FLAG, 0x75, 0x03, 0x0f, 0x05, 0xc3, 0xeb, 0x01, 0xc3,
          0xff, 0x14, 0x25, 0x00, 0x10, 0xfe, 0x7f, 0xc3 };
    static const unsigned char wine100[] =  /* NtAllocateVirtualMemory, Wine 10.0 */
        { HEAD(0x0c), TEST_FLAG, 0x75, 0x03, 0x0f, 0x05, 0xc3, 0xeb, 0x01, 0xc3,
          0xff, 0x14, 0x25, 0x00, 0x10, 0xfe, 0x7f, 0xc3 };
    static const unsigned char int2e[] =    /* Windows' own form, int $0x2e fallback */
        { HEAD(0x18), TEST_FLAG, 0x75, 0x03, 0x0f, 0x05, 0xc3, 0xcd, 0x2e, 0xc3 };
    static const unsigned char riprel[] =   /* dispatcher called through a rip-relative slot */
        { HEAD(0x18), TEST_FLAG, 0x75, 0x03, 0x0f, 0x05, 0xc3, 0xeb, 0x02, 0xc3, 0x90,
          0xff, 0x15, 0x10, 0x20, 0x30, 0x00, 0xc3 };
    static const unsigned char hotpatch[] = /* a hot-patchable function, not a thunk */
        { 0x48, 0x8d, 0xa4, 0x24, 0, 0, 0, 0, 0x55, 0x48, 0x89, 0xe5, 0xc3 };
    static const unsigned char patched[] =  /* already redirected: jmp *slot(%rip) */
        { 0xff, 0x25, 0x10, 0x20, 0x30, 0x00, 0x66, 0x90, TEST_FLAG, 0xc3 };
    static const unsigned char backward[] = /* a loop: not position-independent by our rule */
        { HEAD(1), 0x90, 0x75, 0xfd, 0xc3 };
    static const unsigned char past_ret[] = /* the first ret is not the end: a jump goes past it */
        { HEAD(1), 0x75, 0x01, 0xc3, 0x0f, 0x05, 0xc3 };

    /* i386: mov $N,%eax; mov $dispatcher,%edx; call *%edx; ret $args; nop */
    static const unsigned char i386_wine80_gww[] =   /* NtGetWriteWatch, Wine 8.0 i386 */
        { 0xb8, 0x4a, 0x00, 0x00, 0x00, 0xba, 0x20, 0xc6, 0xc0, 0x7b, 0xff, 0xd2, 0xc2, 0x1c, 0x00, 0x90 };
    static const unsigned char i386_wine80_alloc[] = /* NtAllocateVirtualMemory, Wine 8.0 i386 */
        { 0xb8, 0x0b, 0x00, 0x00, 0x00, 0xba, 0x20, 0xc6, 0xc0, 0x7b, 0xff, 0xd2, 0xc2, 0x18, 0x00, 0x90 };
    static const unsigned char i386_wine100_gww[] =  /* NtGetWriteWatch, Wine 10.0 i386 */
        { 0xb8, 0x51, 0x00, 0x00, 0x00, 0xba, 0x50, 0xcd, 0xc0, 0x7b, 0xff, 0xd2, 0xc2, 0x1c, 0x00, 0x90 };
    static const unsigned char i386_fastcall[] =     /* Windows' form: call *(%edx) */
        { 0xb8, 0x4a, 0x00, 0x00, 0x00, 0xba, 0x00, 0x03, 0xfe, 0x7f, 0xff, 0x12, 0xc2, 0x1c, 0x00 };
    static const unsigned char i386_relcall[] =      /* call rel32: a copy would call elsewhere */
        { 0xb8, 0x4a, 0x00, 0x00, 0x00, 0xe8, 0x10, 0x00, 0x00, 0x00, 0xc2, 0x1c, 0x00 };
    static const unsigned char i386_patched[] =      /* already redirected: jmp rel32 */
        { 0xe9, 0x10, 0x20, 0x30, 0x40, 0xba, 0x20, 0xc6, 0xc0, 0x7b, 0xff, 0xd2, 0xc2, 0x1c, 0x00 };
    static const unsigned char i386_constant[] =     /* mov $N,%eax; ret: no call, not a thunk */
        { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3 };
    static const unsigned char i386_prologue[] =     /* an ordinary function */
        { 0x55, 0x89, 0xe5, 0x8b, 0x45, 0x08, 0x5d, 0xc3 };

    expect( "wine-8.0-thunk", wine80, sizeof(wine80), 32 );
    expect( "wine-10.0-thunk", wine100, sizeof(wine100), 32 );
    expect( "int-2e-form", int2e, sizeof(int2e), 24 );
    expect( "jump-past-first-ret", past_ret, sizeof(past_ret), 14 );
    expect( "rip-relative-call-refused", riprel, sizeof(riprel), 0 );
    expect( "hotpatch-prologue-refused", hotpatch, sizeof(hotpatch), 0 );
    expect( "already-patched-refused", patched, sizeof(patched), 0 );
    expect( "backward-jump-refused", backward, sizeof(backward), 0 );
    expect( "i386-thunk-refused-by-x86_64-decoder", i386_wine80_gww, sizeof(i386_wine80_gww), 0 );

    expect_i386( "i386-wine-8.0-NtGetWriteWatch", i386_wine80_gww, sizeof(i386_wine80_gww), 15 );
    expect_i386( "i386-wine-8.0-NtAllocateVirtualMemory", i386_wine80_alloc, sizeof(i386_wine80_alloc), 15 );
    expect_i386( "i386-wine-10.0-NtGetWriteWatch", i386_wine100_gww, sizeof(i386_wine100_gww), 15 );
    expect_i386( "i386-call-through-pointer-form", i386_fastcall, sizeof(i386_fastcall), 15 );
    expect_i386( "i386-rel32-call-refused", i386_relcall, sizeof(i386_relcall), 0 );
    expect_i386( "i386-already-patched-refused", i386_patched, sizeof(i386_patched), 0 );
    expect_i386( "i386-no-call-refused", i386_constant, sizeof(i386_constant), 0 );
    expect_i386( "i386-prologue-refused", i386_prologue, sizeof(i386_prologue), 0 );
    expect_i386( "x86_64-thunk-refused-by-i386-decoder", wine80, sizeof(wine80), 0 );
    printf( "%d passed, %d failed\n", passed, failed );
    return failed ? 1 : 0;
}
