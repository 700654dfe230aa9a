/*
 * kernelbase-writewatch: redirect ntdll's syscall thunks to our functions.
 *
 * Wine's x86_64 ntdll exports each Nt* system call as a small thunk that
 * starts with "mov %rcx,%r10; mov $N,%eax" (8 bytes, two whole instructions,
 * as on Windows), then reaches Wine's dispatcher through absolute addresses
 * only (Wine 8.0 to 10.x: test the SystemCall flag at 0x7ffe0308, "syscall"
 * or "call *0x7ffe1000").  Those first 8 bytes are replaced by
 * "jmp *slot(%rip); xchg %ax,%ax", the slot holding our function, and a
 * verbatim copy of the whole thunk is the callable original.
 *
 * Wine's i386 ntdll (wine32) exports each one as "mov $N,%eax;
 * mov $dispatcher,%edx; call *%edx; ret $args" (Wine 8.0 and 10.0, 16-byte
 * aligned): the 5-byte "mov $N,%eax" is replaced by "jmp rel32" straight to our
 * function (any address is in reach in 32 bits), bytes 5..7 written back
 * unchanged in the same 8-byte store; a verbatim copy is again the
 * original, since the thunk uses absolute addresses only.
 *
 * The thunk is recognised by structure, not by one version's bytes
 * (thunk-decode.c); anything else is left alone, with a WARN showing its
 * bytes.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <stdarg.h>
#include <string.h>
#include "windef.h"
#include "winbase.h"
#include "winternl.h"
#include "wine/debug.h"
#include "private.h"
#include "thunk-decode.h"

WINE_DEFAULT_DEBUG_CHANNEL(writewatch);

/* The first bytes at p, for the WARN of a thunk in an unknown form. */
static const char *dump_bytes( const BYTE *p )
{
    return wine_dbg_sprintf( "%02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x",
                             p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
                             p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15] );
}

/* The slot page: jump slots in the first half, thunk copies in the second. */
#define COPIES_OFFSET  (WW_PAGE_SIZE / 2)
#define MAX_HOOKS      (COPIES_OFFSET / WW_THUNK_MAX)

#ifdef __x86_64__

#define SLOT_RANGE  0x70000000  /* well inside the +-2GiB of a rel32 */
#define ALLOC_GRAIN 0x10000     /* Windows' allocation granularity: where a VirtualAlloc may start */

/* A page for the jump slots and thunk copies within rel32 reach of target
 * (executable from the start: a hook may run before the page is sealed). */
static void **alloc_slots_near( BYTE *target )
{
    MEMORY_BASIC_INFORMATION mbi;
    const ULONG_PTR grain_mask = ALLOC_GRAIN - 1;
    ULONG_PTR t = (ULONG_PTR)target & ~grain_mask, p, lo, hi;
    void *ret;

    lo = t > SLOT_RANGE + ALLOC_GRAIN ? t - SLOT_RANGE : ALLOC_GRAIN;
    hi = t + SLOT_RANGE;
    for (p = t - ALLOC_GRAIN; p >= lo; p -= ALLOC_GRAIN)
    {
        if (!VirtualQuery( (void *)p, &mbi, sizeof(mbi) )) break;
        if (mbi.State == MEM_FREE &&
            (ret = VirtualAlloc( (void *)p, WW_PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE )))
            return ret;
        if ((ULONG_PTR)mbi.AllocationBase && (ULONG_PTR)mbi.AllocationBase < p)
            p = (ULONG_PTR)mbi.AllocationBase & ~grain_mask;
    }
    for (p = t + ALLOC_GRAIN; p < hi; p += ALLOC_GRAIN)
    {
        if (!VirtualQuery( (void *)p, &mbi, sizeof(mbi) )) break;
        if (mbi.State == MEM_FREE &&
            (ret = VirtualAlloc( (void *)p, WW_PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE )))
            return ret;
        p = (((ULONG_PTR)mbi.BaseAddress + mbi.RegionSize + grain_mask) & ~grain_mask) - ALLOC_GRAIN;
    }
    return NULL;
}

/* The 8 bytes that replace the thunk's head: jmp *slot(%rip); xchg %ax,%ax.
 * FALSE when the slot is out of rel32 reach. */
static BOOL make_jump( const BYTE *entry, void **slot, void *hook, BYTE code[WW_PATCH_LEN] )
{
    LONG64 disp = (BYTE *)slot - (entry + 6);  /* from the end of the 6-byte jmp */
    LONG disp32 = disp;

    if (disp != disp32) return FALSE;
    *slot = hook;
    code[0] = X86_GROUP5; code[1] = X86_MODRM_JMP_RIP;   /* jmp *disp32(%rip) */
    memcpy( code + 2, &disp32, sizeof(disp32) );
    code[6] = X86_OPSIZE; code[7] = X86_NOP;            /* xchg %ax,%ax */
    return TRUE;
}

#elif defined(__i386__)

/* No reach limit in 32 bits: the page only holds the thunk copies. */
static void **alloc_slots_near( BYTE *target )
{
    return VirtualAlloc( NULL, WW_PAGE_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE );
}

/* The 8 bytes that replace the thunk's head: jmp rel32 to the hook over
 * "mov $N,%eax", then bytes 5..7 as they are (the start of the next
 * instruction, never run again from here, but other threads may be in it). */
static BOOL make_jump( const BYTE *entry, void **slot, void *hook, BYTE code[WW_PATCH_LEN] )
{
    LONG rel = (BYTE *)hook - (entry + WW_THUNK_HEAD_I386);  /* from the end of the 5-byte jmp */

    code[0] = X86_JMP_REL32;                  /* jmp rel32 */
    memcpy( code + 1, &rel, sizeof(rel) );
    memcpy( code + WW_THUNK_HEAD_I386, entry + WW_THUNK_HEAD_I386, WW_PATCH_LEN - WW_THUNK_HEAD_I386 );
    return TRUE;
}

#else
#error "syscall thunk patching: x86_64 and i386 only"
#endif

/* Patch every hook whose target is a syscall thunk; returns how many.
 * A hook not installed keeps *orig NULL. */
unsigned int install_hooks( HMODULE module, struct hook *hooks, unsigned int count )
{
    void **slots = NULL;
    unsigned int i, done = 0;
    DWORD old;

    if (count > MAX_HOOKS) count = MAX_HOOKS;
    for (i = 0; i < count; i++)
    {
        BYTE *entry = (BYTE *)GetProcAddress( module, hooks[i].name );
        unsigned int len;
        BYTE code[WW_PATCH_LEN];

        *hooks[i].orig = NULL;
        if (!entry)
        {
            TRACE( "%s: not exported, left alone\n", hooks[i].name );
            continue;
        }
        if (!(len = ww_syscall_thunk_length( entry )))
        {
            WARN( "%s at %p is not a syscall thunk in a known form (%s...), left to Wine\n",
                  hooks[i].name, entry, dump_bytes( entry ) );
            continue;
        }
        if ((ULONG_PTR)entry & (WW_PATCH_LEN - 1))
        {
            WARN( "%s at %p is not 8-byte aligned: cannot patch it atomically, left to Wine\n",
                  hooks[i].name, entry );
            continue;
        }
        if (!slots && !(slots = alloc_slots_near( entry )))
        {
            ERR( "no memory near %p for the jump slots\n", entry );
            return done;
        }
        if (!make_jump( entry, &slots[i], hooks[i].hook, code ))
        {
            WARN( "%s at %p is out of reach of the slots at %p\n", hooks[i].name, entry, slots );
            continue;
        }
        memcpy( (BYTE *)slots + COPIES_OFFSET + i * WW_THUNK_MAX, entry, len );
        *hooks[i].orig = (BYTE *)slots + COPIES_OFFSET + i * WW_THUNK_MAX;
        if (!VirtualProtect( entry, sizeof(code), PAGE_EXECUTE_READWRITE, &old ))
        {
            *hooks[i].orig = NULL;
            continue;
        }
        /* One aligned atomic store: no thread ever runs a torn instruction. */
        __atomic_store_n( (LONG64 *)entry, *(LONG64 *)code, __ATOMIC_SEQ_CST );
        VirtualProtect( entry, sizeof(code), old, &old );
        FlushInstructionCache( GetCurrentProcess(), entry, sizeof(code) );
        TRACE( "%s at %p -> %p\n", hooks[i].name, entry, hooks[i].hook );
        done++;
    }
    /* Readable slots, executable thunk copies; never writable again. */
    if (slots) VirtualProtect( slots, WW_PAGE_SIZE, PAGE_EXECUTE_READ, &old );
    return done;
}
