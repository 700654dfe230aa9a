/*
 * kernelbase-writewatch: recognise ntdll's x86_64 syscall thunks by their
 * structure, not by one Wine version's bytes.
 *
 * A thunk that can be patched starts with "mov %rcx,%r10; mov $N,%eax"
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
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include "thunk-decode.h"

unsigned int ww_syscall_thunk_length( const unsigned char *entry )
{
    unsigned int pc = 8, reach = 8;

    if (entry[0] != 0x4c || entry[1] != 0x8b || entry[2] != 0xd1 || entry[3] != 0xb8) return 0;
    while (pc < WW_THUNK_MAX)
    {
        const unsigned char *op = entry + pc;

        if (op[0] == 0xf6 && op[1] == 0x04 && op[2] == 0x25) pc += 8;
        else if ((op[0] == 0x75 || op[0] == 0x74 || op[0] == 0xeb) && op[1] < 0x80)
        {
            pc += 2;
            if (pc + op[1] > reach) reach = pc + op[1];
        }
        else if ((op[0] == 0x0f && op[1] == 0x05) || (op[0] == 0xcd && op[1] == 0x2e)) pc += 2;
        else if (op[0] == 0xff && op[1] == 0x14 && op[2] == 0x25) pc += 7;
        else if (op[0] == 0x90) pc += 1;
        else if (op[0] == 0xc3)
        {
            if (++pc > reach) return pc;
        }
        else return 0;
    }
    return 0;
}
