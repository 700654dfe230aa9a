/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UFFDIO_MOVE (Linux 6.8, first proposed as UFFDIO_REMAP): pages that arrive in
 * a watched region by UFFDIO_MOVE are reported as written.
 *
 * Kernel rules that shape the test (mm/userfaultfd.c, 6.18):
 *  - the destination VMA must be registered with THE uffd that issues the
 *    move (validate_move_areas: dst_vma->vm_userfaultfd_ctx.ctx == ctx), and
 *    a VMA has one uffd: a second uffd cannot register a range the library
 *    watches through its own (EBUSY).  So on the uffd backend only the
 *    library's uffd can move into a watched range;
 *  - the destination pte must be none (move_pages_pte: -EEXIST otherwise).
 *    A clean watched page carries a uffd-wp marker (WP_UNPOPULATED) or a
 *    write-protected pte: the move is refused.  A none pte in a watched
 *    private range is a page dropped by MADV_DONTNEED, which already reads
 *    written (docs/kernel-notes.md pitfall 7);
 *  - source and destination VMAs need the same protection (-EINVAL):
 *    on the mprotect backend a clean page (read-only VMA) refuses the move.
 * Hence: a move can only land where the page is reported anyway, and the
 * moved page must stay reported and be tracked again after a reset.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "ww-compat.h"
#include "rel-common.h"

#define NPAGES 8

static char *source_pages(void)
{
	char *src = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(src != MAP_FAILED);
	madvise(src, NPAGES * P, MADV_NOHUGEPAGE);
	memset(src, 0x5a, NPAGES * P);
	return src;
}

static int move_page(int uffd, void *dst, void *src)
{
	struct uffdio_move mv = {
		.dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = P,
	};

	return ioctl(uffd, UFFDIO_MOVE, &mv) < 0 ? -errno : 0;
}

static bool have_move(void)
{
	struct ww_probe p;

	return ww_probe(&p, sizeof(p)) == 0 && p.has_uffdio_move;
}

/* uffd backend: the library's own uffd is the only one that can move. */
static void move_uffd_backend(void)
{
	void *pages[NPAGES];
	char *base, *src;
	size_t size = NPAGES * P;
	int fds[4], n, ret, other;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	if (t_backend != WW_BACKEND_UFFD)
		T_SKIP("this case needs the uffd backend's uffd");
	if (!have_move())
		T_SKIP("kernel has no UFFDIO_MOVE (Linux 6.8+)");
	base = NULL;
	assert_int_equal(ww_alloc((void **)&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE), 0);
	n = rel_uffd_fds(fds, 4);
	if (n != 1)
		T_SKIP("cannot tell the library's userfaultfd apart (%d found)", n);
	src = source_pages();

	/* a second uffd cannot take over the watched range */
	other = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (other >= 0) {
		assert_int_equal(ioctl(other, UFFDIO_API, &api), 0);
		reg.range.start = (uintptr_t)base;
		reg.range.len = size;
		assert_int_equal(ioctl(other, UFFDIO_REGISTER, &reg), -1);
		assert_int_equal(errno, EBUSY);
		close(other);
	}

	/* clean page (never touched, marker): refused, nothing arrives */
	ret = move_page(fds[0], base + 2 * P, src + 2 * P);
	print_message("UFFDIO_MOVE into a clean watched page: %s\n", ret ? strerror(-ret) : "moved");
	if (ret) {
		assert_int_equal(ret, -EEXIST);
		T_EXPECT_NONE(base, NPAGES);
		assert_int_equal(base[2 * P], 0);
	} else {
		T_EXPECT(base, NPAGES, 2);	/* arrived: must be reported */
		assert_int_equal(t_get(base, size, WW_GET_RESET, pages, NPAGES), 1);
	}

	/* written, read-protected again by a reset, then populated: refused */
	t_touch(base, 3);
	assert_int_equal(t_get(base, size, WW_GET_RESET, pages, NPAGES), 1);
	assert_int_equal(move_page(fds[0], base + 3 * P, src + 3 * P), -EEXIST);

	/* dropped by MADV_DONTNEED (none pte): the move lands and the page
	 * is reported, with the moved data */
	t_touch(base, 5);
	assert_int_equal(t_get(base, size, WW_GET_RESET, pages, NPAGES), 1);
	assert_int_equal(madvise(base + 5 * P, P, MADV_DONTNEED), 0);
	ret = move_page(fds[0], base + 5 * P, src + 5 * P);
	assert_int_equal(ret, 0);
	assert_int_equal((unsigned char)base[5 * P + 100], 0x5a);
	T_EXPECT(base, NPAGES, 5);
	/* and the moved page is tracked like any other after a reset */
	assert_int_equal(t_get(base, size, WW_GET_RESET, pages, NPAGES), 1);
	T_EXPECT_NONE(base, NPAGES);
	t_touch(base, 5);
	T_EXPECT(base, NPAGES, 5);

	munmap(src, NPAGES * P);
	assert_int_equal(ww_free(base), 0);
}

/* mprotect backend: the range has no uffd of the library's, so a uffd of
 * the program's own may register it (MISSING mode) and move into it. */
static void move_mprotect_backend(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	void *pages[NPAGES];
	char *base = NULL, *src;
	size_t size = NPAGES * P;
	int uffd, ret;

	if (t_backend != WW_BACKEND_MPROTECT)
		T_SKIP("this case is the mprotect backend's");
	if (!have_move())
		T_SKIP("kernel has no UFFDIO_MOVE (Linux 6.8+)");
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (uffd < 0)
		T_SKIP("userfaultfd: %s", strerror(errno));
	assert_int_equal(ioctl(uffd, UFFDIO_API, &api), 0);
	assert_int_equal(ww_alloc((void **)&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE), 0);
	/* Before registering in MISSING mode: touching a none pte afterwards
	 * would block forever (no one serves the fault). */
	t_touch(base, 4);
	reg.range.start = (uintptr_t)base;
	reg.range.len = size;
	assert_int_equal(ioctl(uffd, UFFDIO_REGISTER, &reg), 0);
	src = source_pages();

	/* clean page: read-only VMA, so the move is refused */
	ret = move_page(uffd, base + 2 * P, src + 2 * P);
	print_message("UFFDIO_MOVE into a clean watched page: %s\n", ret ? strerror(-ret) : "moved");
	if (ret) {
		T_EXPECT(base, NPAGES, 4);	/* the page written before */
	} else {
		T_EXPECT(base, NPAGES, 2, 4);	/* arrived: must be reported */
		assert_int_equal(t_get(base, size, WW_GET_RESET, pages, NPAGES), 2);
		t_touch(base, 4);
	}

	/* a written page, dropped: the move lands, the page is reported */
	assert_int_equal(madvise(base + 4 * P, P, MADV_DONTNEED), 0);
	assert_int_equal(move_page(uffd, base + 4 * P, src + 4 * P), 0);
	assert_int_equal((unsigned char)base[4 * P + 100], 0x5a);
	T_EXPECT(base, NPAGES, 4);
	assert_int_equal(t_get(base, size, WW_GET_RESET, pages, NPAGES), 1);
	t_touch(base, 4);	/* re-armed: a later write is seen */
	T_EXPECT(base, NPAGES, 4);

	close(uffd);	/* unregisters */
	munmap(src, NPAGES * P);
	assert_int_equal(ww_free(base), 0);
}

static const struct ww_test tests[] = {
	WW_TEST_ONLY(move_uffd_backend, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(move_mprotect_backend, B(WW_BACKEND_MPROTECT)),
};

REL_MAIN(tests, NULL)
