/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ww-bench compare OLD.json NEW.json: NEW/OLD for every cell and metric,
 * flagged where the change is beyond the run-to-run spread.
 *
 * Beyond the spread = the repetitions do not overlap: every NEW repetition
 * above every OLD one, or every one below.  For n1 and n2 repetitions of one
 * unchanged distribution that happens by chance with probability
 * 2 / C(n1+n2, n1) (the extreme of the Mann-Whitney U test): 0.8 % for 5
 * against 5.  A pair is judged only where that chance is at most 5 % (4
 * against 4, 3 against 5, ...); with fewer repetitions the ratio is printed
 * and left unjudged.  Exit status 0 whatever changed; 2 for bad input.
 */
#include "config.h"
#include "compare.h"
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum verdict { V_WITHIN, V_HIGHER, V_LOWER, V_UNJUDGED, V_ONLY_NEW, V_ONLY_OLD, V_COUNT };

static int same_key(const struct bench_entry *a, const struct bench_entry *b)
{
	return !strcmp(a->backend, b->backend) && !strcmp(a->workload, b->workload) &&
	       !strcmp(a->metric, b->metric) && a->region_bytes == b->region_bytes &&
	       a->dirty_pages == b->dirty_pages;
}

static const struct bench_entry *lookup(const struct bench_file *f, const struct bench_entry *e)
{
	for (size_t i = 0; i < f->n; i++)
		if (same_key(&f->entries[i], e))
			return &f->entries[i];
	return NULL;
}

/* Chance that two samples of one distribution do not overlap at all. */
static double disjoint_chance(int n1, int n2)
{
	double c = 1;	/* C(n1+n2, n1), exactly enough for n <= 64 */

	for (int i = 1; i <= n1; i++)
		c = c * (n2 + i) / i;
	return 2 / c;
}

static void spread(const struct bench_entry *e, double *lo, double *hi)
{
	*lo = e->min;
	*hi = e->max;
	for (int i = 0; i < e->nsamples; i++) {
		if (i == 0 || e->samples[i] < *lo)
			*lo = e->samples[i];
		if (i == 0 || e->samples[i] > *hi)
			*hi = e->samples[i];
	}
}

static enum verdict judge(const struct bench_entry *o, const struct bench_entry *n)
{
	double olo, ohi, nlo, nhi;

	if (isnan(o->median) || isnan(n->median) || o->reps < 1 || n->reps < 1 ||
	    disjoint_chance(o->reps, n->reps) > 0.05)
		return V_UNJUDGED;
	spread(o, &olo, &ohi);
	spread(n, &nlo, &nhi);
	if (nlo > ohi)
		return V_HIGHER;
	if (nhi < olo)
		return V_LOWER;
	return V_WITHIN;
}

static int is_count(const char *metric)
{
	return !strcmp(metric, "vmpte_delta_kib") || !strcmp(metric, "vma_delta") ||
	       !strcmp(metric, "get_calls") || !strcmp(metric, "empty_calls");
}

static void value(char *buf, size_t len, const struct bench_entry *e)
{
	if (!e)
		snprintf(buf, len, "-");
	else if (isnan(e->median))
		snprintf(buf, len, "%s", e->metric);	/* did_not_finish, error */
	else if (is_count(e->metric))
		snprintf(buf, len, "%.0f", e->median);
	else
		fmt_time(buf, len, e->median);
}

static void line(const struct bench_entry *key, const struct bench_entry *o,
		 const struct bench_entry *n, enum verdict v)
{
	static const char *const time_words[] = { "", "SLOWER beyond the spread",
		"faster beyond the spread", "not judged: too few repetitions", "only in NEW",
		"only in OLD" };
	static const char *const count_words[] = { "", "HIGHER beyond the spread",
		"lower beyond the spread", "not judged: too few repetitions", "only in NEW",
		"only in OLD" };
	char sz[24], ov[48], nv[48], x[16];

	fmt_size(sz, sizeof(sz), key->region_bytes);
	value(ov, sizeof(ov), o);
	value(nv, sizeof(nv), n);
	if (o && n && !isnan(o->median) && !isnan(n->median) && o->median != 0)
		snprintf(x, sizeof(x), "%.2fx", n->median / o->median);
	else
		snprintf(x, sizeof(x), "-");
	printf("%-12s %-13s %6s %7llu  %-19s %10s %10s %8s  %s\n", key->backend, key->workload,
	       sz, (unsigned long long)key->dirty_pages, key->metric, ov, nv, x,
	       (is_count(key->metric) ? count_words : time_words)[v]);
}

int compare_main(int argc, char **argv)
{
	struct bench_file of, nf;
	char err[512];
	int tally[V_COUNT] = { 0 };

	int help = argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));

	if (argc != 3 || help) {
		fprintf(help ? stdout : stderr,
			"Usage: ww-bench compare OLD.json NEW.json\n"
			"NEW/OLD per cell and metric of two ww-bench --json files, flagged where\n"
			"every NEW repetition lies above (or below) every OLD one and that has at\n"
			"most a 5%% chance for unchanged code (4+ repetitions each side).\n");
		return help ? 0 : 2;
	}
	if (bench_file_read(argv[1], &of, err, sizeof(err))) {
		fprintf(stderr, "ww-bench compare: %s\n", err);
		return 2;
	}
	if (bench_file_read(argv[2], &nf, err, sizeof(err))) {
		fprintf(stderr, "ww-bench compare: %s\n", err);
		bench_file_free(&of);
		return 2;
	}
	printf("ww-bench compare\n  OLD %s: %s\n  NEW %s: %s\n\n", argv[1],
	       of.machine[0] ? of.machine : "?", argv[2], nf.machine[0] ? nf.machine : "?");
	printf("%-12s %-13s %6s %7s  %-19s %10s %10s %8s  %s\n", "backend", "workload", "size",
	       "dirty", "metric", "OLD", "NEW", "NEW/OLD", "");
	for (size_t i = 0; i < nf.n; i++) {
		const struct bench_entry *n = &nf.entries[i], *o = lookup(&of, n);
		enum verdict v = o ? judge(o, n) : V_ONLY_NEW;

		tally[v]++;
		line(n, o, n, v);
	}
	for (size_t i = 0; i < of.n; i++)
		if (!lookup(&nf, &of.entries[i])) {
			tally[V_ONLY_OLD]++;
			line(&of.entries[i], &of.entries[i], NULL, V_ONLY_OLD);
		}
	printf("\nSummary: %d compared; %d higher (slower) and %d lower (faster) beyond the"
	       " run-to-run spread, %d within it, %d not judged (too few repetitions or did not"
	       " finish); %d only in OLD, %d only in NEW.\n",
	       tally[V_WITHIN] + tally[V_HIGHER] + tally[V_LOWER] + tally[V_UNJUDGED],
	       tally[V_HIGHER], tally[V_LOWER], tally[V_WITHIN], tally[V_UNJUDGED],
	       tally[V_ONLY_OLD], tally[V_ONLY_NEW]);
	bench_file_free(&of);
	bench_file_free(&nf);
	return 0;
}
