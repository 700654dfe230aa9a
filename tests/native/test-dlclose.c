/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dlopen the library, use the mprotect backend (which installs a SIGSEGV
 * handler), dlclose it: the next genuine fault must still reach the
 * program's own handler, not jump into unmapped code.  The library is
 * linked -z nodelete, so dlclose leaves it (and its handler) in place.
 *
 * Not a cmocka program: it must not link the library's objects itself.
 */
#include "config.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "writewatch.h"

#define HANDLER_EXIT 42

static void program_handler(int sig, siginfo_t *si, void *uc)
{
	_exit(HANDLER_EXIT);
}

/* In a child: returns (as exit status) what went wrong, or faults. */
static int child(void)
{
	int (*set_backend)(enum ww_backend), (*alloc)(void **, size_t *, unsigned, int);
	int (*free_region)(void *);
	size_t size = (size_t)sysconf(_SC_PAGESIZE);
	struct sigaction sa;
	void *lib, *addr = NULL;
	volatile char *ro;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = program_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);

	lib = dlopen(WW_SHLIB, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "dlopen %s: %s\n", WW_SHLIB, dlerror());
		return 2;
	}
	set_backend = (int (*)(enum ww_backend))dlsym(lib, "ww_set_backend");
	alloc = (int (*)(void **, size_t *, unsigned, int))dlsym(lib, "ww_alloc");
	free_region = (int (*)(void *))dlsym(lib, "ww_free");
	if (!set_backend || !alloc || !free_region)
		return 3;
	if (set_backend(WW_BACKEND_MPROTECT) || alloc(&addr, &size, WW_ALLOC_COMMIT,
						      PROT_READ | PROT_WRITE))
		return 4;
	((volatile char *)addr)[0] = 1;	/* through the library's handler */
	if (free_region(addr))
		return 5;
	dlclose(lib);

	ro = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		return 6;
	ro[0] = 1;	/* genuine fault: the program's handler exits */
	return 7;
}

/* One TAP test point (it links nothing of ours, harness included). */
int main(void)
{
	const char *name = "mprotect/dlclose_keeps_program_handler";
	int status;
	pid_t pid;

	printf("1..1\n");
	if (access(WW_SHLIB, R_OK)) {
		printf("ok 1 - %s # SKIP no shared library %s (configured --disable-shared?)\n",
		       name, WW_SHLIB);
		return 0;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 99;
	if (pid == 0)
		_exit(child());
	if (waitpid(pid, &status, 0) != pid)
		return 99;
	if (WIFSIGNALED(status))
		printf("# after dlclose, a genuine fault killed the process (signal %d) "
		       "instead of reaching the program's handler\n", WTERMSIG(status));
	else if (WEXITSTATUS(status) != HANDLER_EXIT)
		printf("# child step %d failed\n", WEXITSTATUS(status));
	else
		printf("# the program's handler got the fault after dlclose\n");
	printf("%s 1 - %s\n", WIFEXITED(status) && WEXITSTATUS(status) == HANDLER_EXIT ? "ok" : "not ok",
	       name);
	return 0;
}
