/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes made by the kernel (read(2), recv(2), readv(2)) into watched memory.
 * Expected, per backend (documented in the backends' sources):
 *  - uffd: the kernel resolves the write itself: the call succeeds and the
 *    pages it wrote are reported (only those: unlike Windows' ReadFile, the
 *    untouched rest of the buffer is not marked).
 *  - mprotect: a clean page is read-only, the kernel does not raise SIGSEGV:
 *    the call fails with EFAULT.  A page already written (dirty) works.
 *  - uffd-sync: with a userfaultfd from /dev/userfaultfd the handler thread
 *    resolves kernel faults: like uffd.  With a user-mode-only one: like
 *    mprotect (EFAULT).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"
#include "internal.h"

#define RW (PROT_READ | PROT_WRITE)

static bool kernel_writes_work(void)
{
	switch (t_backend) {
	case WW_BACKEND_UFFD: return true;
	case WW_BACKEND_UFFD_SYNC: return ww_uffd_sync_handles_kernel_faults();
	default: return false;
	}
}

/* A pipe holding len bytes of pattern c. */
static void pipe_with(int fds[2], size_t len, char c)
{
	char buf[256];

	assert_int_equal(pipe(fds), 0);
	memset(buf, c, sizeof(buf));
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		assert_int_equal(write(fds[1], buf, n), (ssize_t)n);
		len -= n;
	}
}

static void close_pair(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

/* read(2) into a clean page. */
static void read_into_clean_page(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
	int fds[2];
	ssize_t n;

	pipe_with(fds, 100, 'r');
	errno = 0;
	n = read(fds[0], base + 2 * P + 10, 100);
	print_message("%s: read into a clean page: %zd (%s)\n", ww_backend_name(t_backend), n,
		      n < 0 ? strerror(errno) : "ok");
	if (kernel_writes_work()) {
		assert_int_equal(n, 100);
		assert_int_equal(base[2 * P + 10], 'r');
		assert_int_equal(base[2 * P + 109], 'r');
		T_EXPECT(base, 8, 2);
	} else {
		assert_int_equal(n, -1);
		assert_int_equal(errno, EFAULT);
		T_EXPECT_NONE(base, 8);
		assert_int_equal(base[2 * P + 10], 0);
	}
	close_pair(fds);
}

/* read(2) into a page already written by the program: works everywhere. */
static void read_into_dirty_page(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
	int fds[2];

	t_touch(base, 3);
	pipe_with(fds, 64, 'd');
	assert_int_equal(read(fds[0], base + 3 * P + 100, 64), 64);
	assert_int_equal(base[3 * P + 100], 'd');
	T_EXPECT(base, 8, 3);
	/* After get-and-reset the page is clean again: the next kernel write
	 * behaves as on a clean page. */
	{
		void *pages[8];

		assert_int_equal(t_get(base, 8 * P, WW_GET_RESET, pages, 8), 1);
	}
	close_pair(fds);
	pipe_with(fds, 64, 'e');
	if (kernel_writes_work()) {
		assert_int_equal(read(fds[0], base + 3 * P + 200, 64), 64);
		T_EXPECT(base, 8, 3);
	} else {
		assert_int_equal(read(fds[0], base + 3 * P + 200, 64), -1);
		assert_int_equal(errno, EFAULT);
		T_EXPECT_NONE(base, 8);
	}
	close_pair(fds);
}

/* A read crossing a page boundary marks both pages; a short read marks only
 * the pages it wrote. */
static void read_straddling_and_short(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
	int fds[2];

	if (!kernel_writes_work())
		T_SKIP("kernel writes into clean pages fail with EFAULT here (read_into_clean_page)");
	pipe_with(fds, 200, 's');
	assert_int_equal(read(fds[0], base + 2 * P - 100, 200), 200);
	T_EXPECT(base, 8, 1, 2);
	close_pair(fds);
	assert_int_equal(ww_reset(base, 8 * P), 0);
	pipe_with(fds, 10, 't');
	assert_int_equal(read(fds[0], base + 4 * P, 3 * P), 10);	/* buffer 4..6, 10 bytes */
	T_EXPECT(base, 8, 4);
	close_pair(fds);
}

/* recv(2) and readv(2) behave like read(2). */
static void recv_and_readv(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
	int sv[2], fds[2];
	struct iovec iov[2] = {
		{ base + 5 * P, 16 }, { base + 7 * P + 8, 16 },
	};
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(send(sv[1], "0123456789abcdef", 16, 0), 16);
	n = recv(sv[0], base + P, 16, 0);
	pipe_with(fds, 32, 'v');
	if (kernel_writes_work()) {
		assert_int_equal(n, 16);
		assert_memory_equal(base + P, "0123456789abcdef", 16);
		assert_int_equal(readv(fds[0], iov, 2), 32);
		T_EXPECT(base, 8, 1, 5, 7);
	} else {
		assert_int_equal(n, -1);
		assert_int_equal(errno, EFAULT);
		assert_int_equal(readv(fds[0], iov, 2), -1);
		assert_int_equal(errno, EFAULT);
		T_EXPECT_NONE(base, 8);
	}
	close_pair(sv);
	close_pair(fds);
}

/* A read that fails before writing (bad descriptor) marks nothing. */
static void failed_read_marks_nothing(void)
{
	char *base = t_alloc(4, WW_ALLOC_COMMIT, RW);

	assert_int_equal(read(-1, base, 4 * P), -1);
	assert_int_equal(errno, EBADF);
	T_EXPECT_NONE(base, 4);
}

/* The kernel reading from watched memory (write(2) from it) marks nothing. */
static void write_from_watched_marks_nothing(void)
{
	char *base = t_alloc(4, WW_ALLOC_COMMIT, RW);
	char buf[64];
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	t_touch(base, 1);
	assert_int_equal(ww_reset(base, 4 * P), 0);
	assert_int_equal(write(fds[1], base + P, 64), 64);
	assert_int_equal(read(fds[0], buf, 64), 64);
	assert_int_equal(buf[7], 2);
	T_EXPECT_NONE(base, 4);
	close_pair(fds);
}

static const struct ww_test tests[] = {
	WW_TEST(read_into_clean_page),
	WW_TEST(read_into_dirty_page),
	WW_TEST(read_straddling_and_short),
	WW_TEST(recv_and_readv),
	WW_TEST(failed_read_marks_nothing),
	WW_TEST(write_from_watched_marks_nothing),
};
WW_MAIN(tests)
