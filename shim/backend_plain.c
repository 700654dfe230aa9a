/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backend "none": the regions ww_alloc makes with WW_ALLOC_NO_WATCH, which
 * the Win32 layer uses for VirtualAlloc without MEM_WRITE_WATCH, so that
 * VirtualFree, VirtualProtect and MEM_COMMIT work on every allocation.  No
 * tracking: ww_get and ww_reset refuse these regions before reaching a
 * backend (api_native.c), so .get and .reset stay NULL.
 */
#include "config.h"

#include <stddef.h>

#include "backend.h"
#include "region.h"

static const char *plain_unavailable(void)
{
	return NULL;
}

static int plain_attach(struct ww_region *r)
{
	return 0;
}

static void plain_detach(struct ww_region *r)
{
}

static void plain_fork_child(void)
{
}

const struct ww_backend_ops ww_backend_plain = {
	.kind = WW_BACKEND_NONE,
	.name = "none",
	.unavailable = plain_unavailable,
	.attach = plain_attach,
	.detach = plain_detach,
	.commit = ww_region_mprotect,
	.decommit = ww_region_decommit,
	.protect = ww_region_mprotect,
	.fork_child = plain_fork_child,
};
