/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef REL_SECCOMP_H
#define REL_SECCOMP_H

/*
 * Deny userfaultfd the way container runtimes do: a seccomp filter makes the
 * userfaultfd(2) syscall fail with EPERM (Docker's default profile,
 * Flatpak), and the USERFAULTFD_IOC_NEW ioctl too (a container has no usable
 * /dev/userfaultfd).  Sets no_new_privs.  Irreversible for the calling
 * process and its children, kept across execve.  Returns 0 or -errno.
 */
int rel_deny_userfaultfd(void);

#endif
