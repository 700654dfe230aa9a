/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The structs the library fills grow by appending fields (writewatch.h,
 * docs/architecture.md "ABI"): a caller built against the first version
 * gets exactly its part, a caller built against a later header gets zeroes
 * where this library knows no field, a size below the first version is
 * -EINVAL with the struct untouched, and nothing is written past size.
 * Backend-independent: run once, on mprotect (always available).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"

#define EXTRA 64	/* bytes a "later header" adds */
#define FILL 0xa5

union probe_buf {
	struct ww_probe p;
	unsigned char b[sizeof(struct ww_probe) + EXTRA];
};

union stats_buf {
	struct ww_stats s;
	unsigned char b[sizeof(struct ww_stats) + EXTRA];
};

/* Bytes [from, to) of b all equal v. */
static void expect_bytes(const unsigned char *b, size_t from, size_t to, unsigned char v)
{
	for (size_t i = from; i < to; i++)
		if (b[i] != v)
			fail_msg("byte %zu is %#x, want %#x", i, b[i], v);
}

static void full_probe(struct ww_probe *p)
{
	assert_int_equal(ww_probe(p, sizeof(*p)), 0);
	assert_int_equal(p->size, sizeof(*p));
}

static void probe_first_version_size(void)
{
	union probe_buf u;
	struct ww_probe full;

	full_probe(&full);
	memset(&u, FILL, sizeof(u));
	assert_int_equal(ww_probe(&u.p, WW_PROBE_SIZE_VER0), 0);
	assert_int_equal(u.p.size, WW_PROBE_SIZE_VER0);
	assert_string_equal(u.p.kernel_release, full.kernel_release);
	assert_int_equal(u.p.uffd_errno, full.uffd_errno);
	assert_int_equal(u.p.pagemap_scan_errno, full.pagemap_scan_errno);
	assert_int_equal(u.p.page_size, (long)P);
	assert_int_equal(u.p.max_map_count, full.max_map_count);
	expect_bytes(u.b, WW_PROBE_SIZE_VER0, sizeof(u), FILL);	/* nothing past size */
}

static void probe_bigger_caller(void)
{
	union probe_buf u;

	memset(&u, FILL, sizeof(u));
	assert_int_equal(ww_probe(&u.p, sizeof(u)), 0);
	assert_int_equal(u.p.size, sizeof(struct ww_probe));	/* what the library knew */
	assert_int_equal(u.p.page_size, (long)P);
	expect_bytes(u.b, sizeof(struct ww_probe), sizeof(u), 0);	/* unknown tail zeroed */
}

static void probe_too_small(void)
{
	union probe_buf u;

	memset(&u, FILL, sizeof(u));
	assert_int_equal(ww_probe(&u.p, WW_PROBE_SIZE_VER0 - 1), -EINVAL);
	assert_int_equal(ww_probe(&u.p, sizeof(uint32_t)), -EINVAL);
	assert_int_equal(ww_probe(&u.p, 0), -EINVAL);
	expect_bytes(u.b, 0, sizeof(u), FILL);
	assert_int_equal(ww_probe(NULL, 0), 0);		/* probe only */
}

static void stats_first_version_size(void)
{
	union stats_buf u;
	struct ww_stats full;
	void *r = t_alloc(2, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE);

	memset(&u, FILL, sizeof(u));
	assert_int_equal(ww_get_stats(&u.s, WW_STATS_SIZE_VER0), 0);
	assert_int_equal(ww_get_stats(&full, sizeof(full)), 0);
	assert_int_equal(full.size, sizeof(full));
	assert_int_equal(u.s.size, WW_STATS_SIZE_VER0);
	assert_true(u.s.regions_live >= 1);
	assert_int_equal(u.s.regions_live, full.regions_live);
	assert_int_equal(u.s.fallbacks, full.fallbacks);
	expect_bytes(u.b, WW_STATS_SIZE_VER0, sizeof(u), FILL);
	t_free(r);
}

static void stats_bigger_caller(void)
{
	union stats_buf u;

	memset(&u, FILL, sizeof(u));
	assert_int_equal(ww_get_stats(&u.s, sizeof(u)), 0);
	assert_int_equal(u.s.size, sizeof(struct ww_stats));
	expect_bytes(u.b, sizeof(struct ww_stats), sizeof(u), 0);
}

static void stats_too_small(void)
{
	union stats_buf u;

	memset(&u, FILL, sizeof(u));
	assert_int_equal(ww_get_stats(&u.s, WW_STATS_SIZE_VER0 - 1), -EINVAL);
	assert_int_equal(ww_get_stats(&u.s, 0), -EINVAL);
	expect_bytes(u.b, 0, sizeof(u), FILL);
	assert_int_equal(ww_get_stats(NULL, sizeof(u.s)), -EFAULT);
}

/* Once: nothing here depends on the backend. */
#define ONCE(f) WW_TEST_ONLY(f, B(WW_BACKEND_MPROTECT))

static const struct ww_test tests[] = {
	ONCE(probe_first_version_size), ONCE(probe_bigger_caller), ONCE(probe_too_small),
	ONCE(stats_first_version_size), ONCE(stats_bigger_caller), ONCE(stats_too_small),
};

WW_MAIN(tests)
