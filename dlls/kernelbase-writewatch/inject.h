/*
 * kernelbase-writewatch: load the DLL into a new process before its entry
 * point.  Shared by ww-launch.exe (the first process of a tree) and the DLL
 * itself (every process the tree starts).  See README.md, "Process trees".
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __WINE_KERNELBASE_WRITEWATCH_INJECT_H
#define __WINE_KERNELBASE_WRITEWATCH_INJECT_H

/* Name of the directory of one architecture's files under the install
 * directory (Wine's own names), and of the files in it. */
#define WW_DLL_NAME      L"kernelbase-writewatch.dll"
#define WW_LAUNCHER_NAME L"ww-launch.exe"

/* Queue the load of kernelbase-writewatch.dll on the initial thread of a
 * process created suspended; it runs when the thread finishes the
 * process's initialisation, before the entry point.  own_dir is the
 * directory of this architecture's files (ending in a backslash).  A child
 * of the other size is handed to that size's ww-launch.exe --inject.
 * Returns FALSE with *why set (static text) when the process will run
 * without the DLL (also a 32-bit process without WRITEWATCH_I386=1); the
 * thread's suspend count is never changed. */
BOOL ww_inject( HANDLE process, HANDLE thread, const WCHAR *own_dir, const char **why );

/* The same-size part, for ww-launch --inject: process and thread of this
 * architecture. */
BOOL ww_inject_same_arch( HANDLE process, HANDLE thread, const WCHAR *own_dir, const char **why );

/* Nonzero while this thread starts the other size's helper (the DLL's
 * process hook must not inject into it). */
extern volatile DWORD ww_inject_helper_thread;

#endif /* __WINE_KERNELBASE_WRITEWATCH_INJECT_H */
