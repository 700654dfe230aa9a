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

struct hook
{
    const char *name;   /* ntdll export (a syscall thunk) */
    void       *hook;   /* our implementation */
    void      **orig;   /* out: callable original (a copy of the thunk), NULL when not hooked */
};

extern unsigned int install_hooks( HMODULE module, struct hook *hooks, unsigned int count );

#endif /* __WINE_KERNELBASE_WRITEWATCH_PRIVATE_H */
