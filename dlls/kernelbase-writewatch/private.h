/*
 * kernelbase-writewatch: internal declarations of the PE side.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __WINE_KERNELBASE_WRITEWATCH_PRIVATE_H
#define __WINE_KERNELBASE_WRITEWATCH_PRIVATE_H

enum hook_kind
{
    HOOK_HOTPATCH,      /* Wine export with the 8-byte hotpatch prologue */
    HOOK_SYSCALL,       /* ntdll syscall thunk, called through a copy */
};

struct hook
{
    const char    *name;   /* export */
    enum hook_kind kind;
    void          *hook;   /* our implementation */
    void         **orig;   /* out: callable original, NULL when not hooked */
};

extern unsigned int install_hooks( HMODULE module, struct hook *hooks, unsigned int count );

#endif /* __WINE_KERNELBASE_WRITEWATCH_PRIVATE_H */
