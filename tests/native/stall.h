/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Forcing interleavings on the mprotect fault path: a fault handler running
 * in a thread marked with stall_me() stops at an armed stall point
 * (ww_test_hook, shim/region.h) until the test releases it.  Each armed
 * point stops one handler once; a handler never released (a failed test
 * that must not let it go on) stays stopped.  Also: a write probe that survives a
 * genuine fault in any thread, and the protection of a page as the kernel
 * has it.  Helper threads never call cmocka.
 */
#ifndef WW_TEST_STALL_H
#define WW_TEST_STALL_H

#include <pthread.h>
#include <stdbool.h>

#include "internal.h"

/* Arm point p: the next handler of a stall_me() thread that reaches it
 * stops there. */
void stall_arm(enum ww_test_point p);
/* Wait until a handler stopped at p (true), or give up after ms (false). */
bool stall_reached(enum ww_test_point p, int ms);
void stall_release(enum ww_test_point p);
/* Release everything and remove the hook. */
void stall_reset(void);
/* Mark the calling thread: its handlers stop at armed points. */
void stall_me(void);

/* Wait until *flag is non-zero, at most ms; returns whether it is. */
bool wait_flag(_Atomic int *flag, int ms);

/* Store v at p.  False if the store raised a genuine SIGSEGV (reached the
 * program's handler, installed by probe_install() before the library's). */
bool probe_write(volatile char *p, char v);
void probe_install(void);
extern _Atomic int probe_deliveries;	/* SIGSEGVs the program's handler got */

/* "rwxp"-style permissions of the mapping holding addr ("" if none). */
void page_perms(const void *addr, char perms[5]);

/* A thread that writes v at p through probe_write, after stall_me(). */
struct writer_thread {
	pthread_t th;
	volatile char *p;
	char v;
	_Atomic int done;
	bool faulted;
};
void writer_start(struct writer_thread *w, volatile char *p, char v);
void writer_join(struct writer_thread *w);

#endif
