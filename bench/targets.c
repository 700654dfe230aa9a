/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"
#include "targets.h"

#include <string.h>

const char *const row_names[ROW_COUNT] = {
	"none", "none-fresh", "raw-scan", "uffd", "uffd-ext", "uffd-sync", "mprotect",
	"soft-dirty", "wine-builtin", "wine-shim",
};

/* Rows renamed since older --json files were written: ww-bench compare reads
 * those under today's name, so an old run still pairs cell by cell with a
 * new one. */
static const struct {
	const char *old, *now;
} renamed_rows[] = {
	{ "uffd-async", "uffd" },	/* it always was the backend WW_BACKEND_UFFD */
};

const char *row_name_current(const char *name)
{
	for (size_t i = 0; i < sizeof(renamed_rows) / sizeof(renamed_rows[0]); i++)
		if (!strcmp(name, renamed_rows[i].old))
			return renamed_rows[i].now;
	return name;
}

int row_from_name(const char *name)
{
	for (int i = 0; i < ROW_COUNT; i++)
		if (!strcmp(name, row_names[i]))
			return i;
	return -1;
}

const struct target *target_for_row(int row, const char **why)
{
	*why = NULL;
	switch (row) {
	case ROW_NONE:
		return &target_none;
	case ROW_NONE_FRESH:
		return &target_none_fresh;
	case ROW_RAW_SCAN:
		*why = raw_scan_unavailable();
		return *why ? NULL : &target_raw_scan;
	case ROW_SOFT_DIRTY:
		*why = soft_dirty_unavailable();
		return *why ? NULL : &target_soft_dirty;
	case ROW_UFFD:
	case ROW_UFFD_EXT:
	case ROW_UFFD_SYNC:
	case ROW_MPROTECT:
		return lib_target(row, why);
	default:
		*why = "runs under Wine, not natively";
		return NULL;
	}
}
