/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Native targets: the library's backends, the floors, soft-dirty. */
#ifndef BENCH_TARGETS_H
#define BENCH_TARGETS_H

#include "cell.h"

/* Rows of the table, in display order.  The wine rows run win/ww-bench-win.exe. */
enum row {
	ROW_NONE,		/* floor: same writes, no tracking, populated memory */
	ROW_NONE_FRESH,		/* floor: same writes to fresh memory = a plain minor fault */
	ROW_RAW_SCAN,		/* floor: bare PAGEMAP_SCAN get-and-clear, own uffd */
	ROW_UFFD,		/* library, WW_BACKEND_UFFD */
	ROW_UFFD_EXT,		/* the same, called as ww-wine's unix side calls it */
	ROW_UFFD_SYNC,		/* library, WW_BACKEND_UFFD_SYNC */
	ROW_MPROTECT,		/* library, WW_BACKEND_MPROTECT */
	ROW_SOFT_DIRTY,		/* clear_refs + pagemap bit 55 */
	ROW_WINE_BUILTIN,	/* Wine 8.0's own GetWriteWatch */
	ROW_WINE_SHIM,		/* the same program through ww-wine */
	ROW_COUNT
};

extern const char *const row_names[ROW_COUNT];
int row_from_name(const char *name);
/* A row's name in an older run's --json file under its name today. */
const char *row_name_current(const char *name);
static inline int row_is_wine(int row)
{
	return row == ROW_WINE_BUILTIN || row == ROW_WINE_SHIM;
}

/* For native rows: the target, after any per-process selection (call in the
 * cell's child process).  NULL with *why set when it cannot run here. */
const struct target *target_for_row(int row, const char **why);

/* Shared by the native targets: map [size] private anonymous, THP off, and
 * populate it (MADV_POPULATE_WRITE) unless fresh. */
int map_area(struct area *a, int populate);
/* huge-reserve: reserve a->size PROT_NONE and commit a->commit read-write. */
int map_reserve_commit(struct area *a);

extern const struct target target_none, target_none_fresh, target_raw_scan, target_soft_dirty;
const char *raw_scan_unavailable(void);
const char *soft_dirty_unavailable(void);
const struct target *lib_target(int row, const char **why);

#endif
