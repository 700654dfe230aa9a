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

/* The thunk's head, the whole instructions the patch replaces: x86_64
 * "mov %rcx,%r10; mov $N,%eax", i386 "mov $N,%eax".  patch.c stores 8
 * bytes either way (one aligned atomic store). */
#define WW_THUNK_HEAD_X86_64 8
#define WW_THUNK_HEAD_I386   5
#define WW_PATCH_LEN         8

/* The x86 instruction bytes the decoders read and patch.c writes. */
#define X86_REX_WR          0x4c  /* 4c 8b d1: mov %rcx,%r10 (REX.W + REX.R, mov r/m -> reg) */
#define X86_MOV_RM_TO_REG   0x8b
#define X86_MODRM_RCX_R10   0xd1
#define X86_MOV_EAX_IMM32   0xb8  /* b8 imm32: mov $imm32,%eax */
#define X86_MOV_EDX_IMM32   0xba  /* ba imm32: mov $imm32,%edx */
#define X86_TESTB_IMM8      0xf6  /* f6 04 25 abs32 imm8: testb $imm8,abs32 */
#define X86_MODRM_SIB       0x04  /* the operand is described by a SIB byte */
#define X86_SIB_ABS32       0x25  /* SIB: no base, no index, an absolute disp32 */
#define X86_JE_REL8         0x74
#define X86_JNE_REL8        0x75
#define X86_JMP_REL8        0xeb
#define X86_JMP_REL32       0xe9
#define X86_TWO_BYTE        0x0f  /* 0f 05: syscall */
#define X86_SYSCALL         0x05
#define X86_INT_IMM8        0xcd  /* cd 2e: int $0x2e, Windows' system call gate */
#define X86_INT_SYSCALL     0x2e
#define X86_GROUP5          0xff  /* ff + ModRM: indirect call or jmp, by the ModRM byte */
#define X86_MODRM_CALL_SIB  0x14  /* ff 14 25 abs32: call *abs32 */
#define X86_MODRM_CALL_EDX  0xd2  /* ff d2: call *%edx */
#define X86_MODRM_CALL_PEDX 0x12  /* ff 12: call *(%edx) */
#define X86_MODRM_JMP_RIP   0x25  /* ff 25 disp32: jmp *disp32(%rip) (x86_64) */
#define X86_OPSIZE          0x66  /* 66 90: xchg %ax,%ax, a two-byte nop */
#define X86_NOP             0x90
#define X86_RET             0xc3
#define X86_RET_IMM16       0xc2  /* c2 imm16: ret $imm16 (stdcall) */
#define X86_REL8_FORWARD    0x80  /* a rel8 below this jumps forward */

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
