/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ww-bench compare: two --json files, cell by cell. */
#ifndef BENCH_COMPARE_H
#define BENCH_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CMP_MAX_SAMPLES 64

/* One "results" entry of a --json file. */
struct bench_entry {
	char backend[32], workload[32], metric[40];
	uint64_t region_bytes, dirty_pages;
	double median, min, max;	/* NAN for a cell that did not finish */
	int reps;			/* 0: unknown (a file without "reps"/"samples") */
	double samples[CMP_MAX_SAMPLES];
	int nsamples;
};

struct bench_file {
	char machine[256];
	struct bench_entry *entries;
	size_t n, cap;
};

/* json_read.c: 0, or -1 with err filled ("file: why at byte N"). */
int bench_file_read(const char *path, struct bench_file *out, char *err, size_t errlen);
void bench_file_free(struct bench_file *f);

/* compare.c: `ww-bench compare OLD.json NEW.json`; argv[0] is "compare". */
int compare_main(int argc, char **argv);

#endif /* BENCH_COMPARE_H */
