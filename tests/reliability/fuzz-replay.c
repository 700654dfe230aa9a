/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Corpus regression without libFuzzer: feed every file of the given files or
 * directories (default: $srcdir/corpus) to the fuzz target once.  Built with
 * the project's compiler, so it runs wherever make check runs.  Reports TAP,
 * like the other programs here.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	static uint8_t buf[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

static int run_path(const char *path, int *count)
{
	struct stat st;
	struct dirent **list;
	int n, err = 0;

	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	n = scandir(path, &list, NULL, alphasort);	/* sorted: reproducible order */
	for (int i = 0; i < n; i++) {
		char child[4096];

		if (list[i]->d_name[0] != '.') {
			snprintf(child, sizeof(child), "%s/%s", path, list[i]->d_name);
			err |= run_path(child, count);
		}
		free(list[i]);
	}
	free(list);
	return err;
}

/* One TAP test point: the whole corpus (a finding aborts). */
int main(int argc, char **argv)
{
	const char *srcdir = getenv("srcdir");
	char def[4096];
	int count = 0, err = 0;

	if (argc < 2) {
		snprintf(def, sizeof(def), "%s/corpus", srcdir ? srcdir : ".");
		err = run_path(def, &count);
	}
	for (int i = 1; i < argc; i++)
		err |= run_path(argv[i], &count);
	if (!count && !err) {
		printf("1..0 # SKIP no corpus input found\n");
		return 0;
	}
	printf("1..1\n%s 1 - corpus: %d inputs replayed on every available backend%s\n",
	       err ? "not ok" : "ok", count, err ? ", some unreadable (above)" : ", no finding");
	return 0;
}
