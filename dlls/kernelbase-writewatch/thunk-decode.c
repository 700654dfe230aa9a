/*
 * kernelbase-writewatch: recognise ntdll's syscall thunks by their
 * structure, not by one Wine version's bytes.
 *
 * x86_64: a thunk that can be patched starts with "mov %rcx,%r10; mov $N,%eax"
 * (8 bytes, two whole instructions: the bytes the jump replaces), and has
 * only instructions that mean the same at any address after them (no
 * rip-relative operand, jumps that stay inside it), so that a verbatim copy
 * of it is the callable original.  Known instructions after the head:
 *   f6 04 25 abs32 imm8   testb $imm8,abs32
 *   75/74 rel8, eb rel8   jne/je/jmp forward, inside the thunk
 *   0f 05                 syscall
 *   cd 2e                 int $0x2e
 *   ff 14 25 abs32        call *abs32
 *   90                    nop
 *   c3                    ret (the thunk ends at a ret no jump goes past)
 *
 * i386: a thunk that can be patched starts with "mov $N,%eax" (5 bytes, one
 * whole instruction: the bytes the rel32 jump replaces) and then reaches
 * the dispatcher through an absolute address, straight-line (Wine 8.0:
 * "mov $__wine_syscall_dispatcher,%edx; call *%edx; ret $args").  Known
 * instructions after the head:
 *   ba imm32              mov $imm32,%edx
 *   ff d2                 call *%edx
 *   ff 12                 call *(%edx)   (Windows' KiFastSystemCall pointer)
 *   90                    nop
 *   c2 imm16, c3          ret $imm16, ret (the end, after at least one call)
 * A call rel32 (e8), which a copy would break, or anything else: refused.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include "thunk-decode.h"

unsigned int ww_syscall_thunk_length_x86_64( const unsigned char *entry )
{
    unsigned int pc = WW_THUNK_HEAD_X86_64, reach = WW_THUNK_HEAD_X86_64;

    if (entry[0] != X86_REX_WR || entry[1] != X86_MOV_RM_TO_REG || entry[2] != X86_MODRM_RCX_R10 ||
        entry[3] != X86_MOV_EAX_IMM32) return 0;
    while (pc < WW_THUNK_MAX)
    {
        const unsigned char *op = entry + pc;

        if (op[0] == X86_TESTB_IMM8 && op[1] == X86_MODRM_SIB && op[2] == X86_SIB_ABS32) pc += 8;
        else if ((op[0] == X86_JNE_REL8 || op[0] == X86_JE_REL8 || op[0] == X86_JMP_REL8) &&
                 op[1] < X86_REL8_FORWARD)
        {
            pc += 2;
            if (pc + op[1] > reach) reach = pc + op[1];
        }
        else if ((op[0] == X86_TWO_BYTE && op[1] == X86_SYSCALL) ||
                 (op[0] == X86_INT_IMM8 && op[1] == X86_INT_SYSCALL)) pc += 2;
        else if (op[0] == X86_GROUP5 && op[1] == X86_MODRM_CALL_SIB && op[2] == X86_SIB_ABS32) pc += 7;
        else if (op[0] == X86_NOP) pc += 1;
        else if (op[0] == X86_RET)
        {
            if (++pc > reach) return pc;
        }
        else return 0;
    }
    return 0;
}

unsigned int ww_syscall_thunk_length_i386( const unsigned char *entry )
{
    unsigned int pc = WW_THUNK_HEAD_I386, calls = 0;

    if (entry[0] != X86_MOV_EAX_IMM32) return 0;
    while (pc < WW_THUNK_MAX)
    {
        const unsigned char *op = entry + pc;

        if (op[0] == X86_MOV_EDX_IMM32) pc += 5;
        else if (op[0] == X86_GROUP5 && (op[1] == X86_MODRM_CALL_EDX || op[1] == X86_MODRM_CALL_PEDX))
        {
            pc += 2;
            calls++;
        }
        else if (op[0] == X86_NOP) pc += 1;
        /* A ret before any call: a function returning a constant, not a thunk. */
        else if (op[0] == X86_RET_IMM16) return calls ? pc + 3 : 0;
        else if (op[0] == X86_RET) return calls ? pc + 1 : 0;
        else return 0;
    }
    return 0;
}
