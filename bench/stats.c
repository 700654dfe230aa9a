/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Median/min/max over repetitions, and lookups of one cell's result. */
#include "config.h"
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int result_stat(const struct result *r, int m, double *med, double *min, double *max)
{
	double v[MAX_REPS];
	int n = r->n[m];

	if (n <= 0 || r->status != ST_OK)
		return -1;
	memcpy(v, r->samples[m], (size_t)n * sizeof(double));
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	*min = v[0];
	*max = v[n - 1];
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return 0;
}

double result_median(const struct result *r, int m)
{
	double med, lo, hi;

	if (!r || result_stat(r, m, &med, &lo, &hi))
		return NAN;
	return med;
}

int result_correct(const struct result *r)
{
	return r->status == ST_OK && r->checks > 0 && r->lost == 0;
}

int same_cell(const struct cell_spec *a, const struct cell_spec *b)
{
	return a->wl == b->wl && a->region_bytes == b->region_bytes &&
	       a->commit_bytes == b->commit_bytes && a->fraction == b->fraction &&
	       a->sparse_n == b->sparse_n && a->gc_rounds == b->gc_rounds &&
	       a->threads == b->threads && a->gc_buffer == b->gc_buffer &&
	       a->chunk_bytes == b->chunk_bytes;
}

const struct result *find_result(const struct bench *b, int row, const struct cell_spec *s)
{
	for (int i = 0; i < b->nresults; i++)
		if (b->results[i].row == row && same_cell(&b->results[i].spec, s))
			return &b->results[i];
	return NULL;
}

/* Fold one repetition's result into the cell's: samples append, the worst
 * status (and its message) wins. */
/* A cleared result for one more repetition of r's cell, run in a process of
 * its own and then merged into r.  One at a time: a single static slot. */
struct result *result_next_rep(const struct result *r)
{
	static struct result one;

	memset(&one, 0, sizeof(one));
	one.row = r->row;
	one.spec = r->spec;
	one.spec.reps = 1;
	return &one;
}

void result_merge(struct result *dst, const struct result *src)
{
	static const int rank[] = { [ST_OK] = 0, [ST_FAIL] = 1, [ST_ERROR] = 2, [ST_DNF] = 3,
				    [ST_SKIPPED] = 0 };

	for (int m = 0; m < M_COUNT; m++)
		for (int i = 0; i < src->n[m] && dst->n[m] < MAX_REPS; i++)
			dst->samples[m][dst->n[m]++] = src->samples[m][i];
	dst->checks += src->checks;
	dst->written += src->written;
	dst->reported += src->reported;
	dst->lost += src->lost;
	dst->over += src->over;
	dst->elapsed_s += src->elapsed_s;
	dst->timeout_s = src->timeout_s;
	if (rank[src->status] > rank[dst->status]) {
		dst->status = src->status;
		memcpy(dst->msg, src->msg, sizeof(dst->msg));
		memcpy(dst->phase, src->phase, sizeof(dst->phase));
		if (dst->status == ST_DNF)	/* count every repetition, not src's */
			result_dnf_msg(dst);
	}
}
