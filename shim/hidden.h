/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Symbols shared between the library's files but not exported: the
 * installed library exports the public API only (libwritewatch.map). */
#ifndef WW_HIDDEN_H
#define WW_HIDDEN_H

#define WW_HIDDEN __attribute__((visibility("hidden")))

#endif /* WW_HIDDEN_H */
