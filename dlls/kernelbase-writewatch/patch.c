/*
 * kernelbase-writewatch: redirect kernelbase exports to our implementations.
 *
 * Wine builds its exports with DECLSPEC_HOTPATCH, which on x86_64 starts each
 * function with an 8-byte no-op, "lea 0x0(%rsp),%rsp".  Those 8 bytes are
 * replaced by "jmp *slot(%rip); xchg %ax,%ax", the slot holding our function;
 * entry + 8 is then still the untouched original, callable as is.  A function
 * without that prologue is left alone (and so stays Wine's).
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

WINE_DEFAULT_DEBUG_CHANNEL(writewatch);

/* Wine 8.0 x86_64 syscall thunk; bytes 4-7 are the syscall number. */
#define THUNK_SIZE 32
static const BYTE syscall_thunk[THUNK_SIZE] =
{
    0x4c, 0x8b, 0xd1,                                 /* mov %rcx,%r10 */
    0xb8, 0, 0, 0, 0,                                 /* mov $N,%eax */
    0xf6, 0x04, 0x25, 0x08, 0x03, 0xfe, 0x7f, 0x01,   /* testb $1,0x7ffe0308 */
    0x75, 0x03,                                       /* jne 1f */
    0x0f, 0x05,                                       /* syscall */
    0xc3,                                             /* ret */
    0xeb, 0x01,                                       /* 1: jmp 2f */
    0xc3,                                             /* ret */
    0xff, 0x14, 0x25, 0x00, 0x10, 0xfe, 0x7f,         /* 2: call *0x7ffe1000 */
    0xc3,                                             /* ret */
};

static BOOL is_syscall_thunk( const BYTE *entry )
{
    return !memcmp( entry, syscall_thunk, 4 ) && !memcmp( entry + 8, syscall_thunk + 8, THUNK_SIZE - 8 );
}

/* The slot page: jump slots in the first half, thunk copies in the second. */
#define MAX_HOOKS 64

#define SLOT_RANGE 0x70000000  /* well inside the +-2GiB of a rel32 */

/* A page for the jump slots and thunk copies within rel32 reach of target
 * (executable from the start: a hook may run before the page is sealed). */
static void **alloc_slots_near( BYTE *target )
{
    MEMORY_BASIC_INFORMATION mbi;
    ULONG_PTR t = (ULONG_PTR)target & ~(ULONG_PTR)0xffff, p, lo, hi;
    void *ret;

    lo = t > SLOT_RANGE + 0x10000 ? t - SLOT_RANGE : 0x10000;
    hi = t + SLOT_RANGE;
    for (p = t - 0x10000; p >= lo; p -= 0x10000)
    {
        if (!VirtualQuery( (void *)p, &mbi, sizeof(mbi) )) break;
        if (mbi.State == MEM_FREE &&
            (ret = VirtualAlloc( (void *)p, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE )))
            return ret;
        if ((ULONG_PTR)mbi.AllocationBase && (ULONG_PTR)mbi.AllocationBase < p)
            p = (ULONG_PTR)mbi.AllocationBase & ~(ULONG_PTR)0xffff;
    }
    for (p = t + 0x10000; p < hi; p += 0x10000)
    {
        if (!VirtualQuery( (void *)p, &mbi, sizeof(mbi) )) break;
        if (mbi.State == MEM_FREE &&
            (ret = VirtualAlloc( (void *)p, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE )))
            return ret;
        p = (((ULONG_PTR)mbi.BaseAddress + mbi.RegionSize + 0xffff) & ~(ULONG_PTR)0xffff) - 0x10000;
    }
    return NULL;
}

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
        LONG64 disp;
        BYTE code[8];

        *hooks[i].orig = NULL;
        if (!entry)
        {
            TRACE( "%s: not exported, left alone\n", hooks[i].name );
            continue;
        }
        if (!is_syscall_thunk( entry ))
        {
            WARN( "%s at %p is not in the expected form, left to Wine\n", hooks[i].name, entry );
            continue;
        }
        if (!slots && !(slots = alloc_slots_near( entry )))
        {
            ERR( "no memory near %p for the jump slots\n", entry );
            return done;
        }
        disp = (BYTE *)&slots[i] - (entry + 6);
        if (disp != (LONG)disp)
        {
            WARN( "%s at %p is out of reach of the slots at %p\n", hooks[i].name, entry, slots );
            continue;
        }
        slots[i] = hooks[i].hook;
        code[0] = 0xff; code[1] = 0x25;           /* jmp *disp32(%rip) */
        memcpy( code + 2, &disp, 4 );
        code[6] = 0x66; code[7] = 0x90;           /* xchg %ax,%ax */
        memcpy( (BYTE *)slots + 0x800 + i * THUNK_SIZE, entry, THUNK_SIZE );
        *hooks[i].orig = (BYTE *)slots + 0x800 + i * THUNK_SIZE;
        if (!VirtualProtect( entry, sizeof(code), PAGE_EXECUTE_READWRITE, &old ))
        {
            *hooks[i].orig = NULL;
            continue;
        }
        /* Thunks are 16-byte aligned: one atomic store, no torn instruction. */
        __atomic_store_n( (LONG64 *)entry, *(LONG64 *)code, __ATOMIC_SEQ_CST );
        VirtualProtect( entry, sizeof(code), old, &old );
        FlushInstructionCache( GetCurrentProcess(), entry, sizeof(code) );
        TRACE( "%s at %p -> %p\n", hooks[i].name, entry, hooks[i].hook );
        done++;
    }
    /* Readable slots, executable thunk copies; never writable again. */
    if (slots) VirtualProtect( slots, 0x1000, PAGE_EXECUTE_READ, &old );
    return done;
}
