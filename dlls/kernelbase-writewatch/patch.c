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
#include "wine/debug.h"
#include "private.h"

WINE_DEFAULT_DEBUG_CHANNEL(writewatch);

static const BYTE hotpatch_prologue[8] = { 0x48, 0x8d, 0xa4, 0x24, 0x00, 0x00, 0x00, 0x00 };

#define SLOT_RANGE 0x70000000  /* well inside the +-2GiB of a rel32 */

/* A page for the jump slots within rel32 reach of target. */
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
            (ret = VirtualAlloc( (void *)p, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE )))
            return ret;
        if ((ULONG_PTR)mbi.AllocationBase && (ULONG_PTR)mbi.AllocationBase < p)
            p = (ULONG_PTR)mbi.AllocationBase & ~(ULONG_PTR)0xffff;
    }
    for (p = t + 0x10000; p < hi; p += 0x10000)
    {
        if (!VirtualQuery( (void *)p, &mbi, sizeof(mbi) )) break;
        if (mbi.State == MEM_FREE &&
            (ret = VirtualAlloc( (void *)p, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE )))
            return ret;
        p = (((ULONG_PTR)mbi.BaseAddress + mbi.RegionSize + 0xffff) & ~(ULONG_PTR)0xffff) - 0x10000;
    }
    return NULL;
}

/* Patch every hook whose target has the hotpatch prologue; returns how many.
 * A hook not installed keeps *orig NULL. */
unsigned int install_hooks( HMODULE module, struct hook *hooks, unsigned int count )
{
    void **slots = NULL;
    unsigned int i, done = 0;
    DWORD old;

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
        if (memcmp( entry, hotpatch_prologue, sizeof(hotpatch_prologue) ))
        {
            WARN( "%s at %p has no hotpatch prologue, left to Wine\n", hooks[i].name, entry );
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
        *hooks[i].orig = entry + sizeof(hotpatch_prologue);
        if (!VirtualProtect( entry, sizeof(code), PAGE_EXECUTE_READWRITE, &old ))
        {
            *hooks[i].orig = NULL;
            continue;
        }
        /* Exports are 16-byte aligned: one atomic store, no torn instruction. */
        __atomic_store_n( (LONG64 *)entry, *(LONG64 *)code, __ATOMIC_SEQ_CST );
        VirtualProtect( entry, sizeof(code), old, &old );
        FlushInstructionCache( GetCurrentProcess(), entry, sizeof(code) );
        TRACE( "%s at %p -> %p\n", hooks[i].name, entry, hooks[i].hook );
        done++;
    }
    if (slots) VirtualProtect( slots, 0x1000, PAGE_READONLY, &old );
    return done;
}
