/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ww-bench: every backend, the floors and Wine on the same workloads, one
 * table.  The driver never calls the library itself: each native cell runs
 * in a forked child (run_native.c), each Wine cell in a Wine process
 * (run_wine.c); cells of one workload and size run back to back, their
 * repetitions interleaved, so the rows of a group are measured under the
 * same conditions.
 */
#include "config.h"
#include "compare.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static const char *status_word(const struct result *r)
{
	switch (r->status) {
	case ST_OK: return r->checks && r->over ? "ok (over-reported)" : "ok";
	case ST_FAIL: return "FAIL (lost writes)";
	case ST_DNF: return "did not finish";
	case ST_ERROR: return "error";
	default: return "skipped";
	}
}

static double cell_timeout(const struct options *o, const struct cell_spec *s, int wine)
{
	double gib = (double)s->commit_bytes / GIB;

	if (wine)
		return o->wine_timeout > 0 ? o->wine_timeout
		       : o->quick ? WINE_LIMIT_QUICK_S
		       : WINE_LIMIT_FULL_S + WINE_LIMIT_FULL_PER_GIB_S * gib;
	return o->timeout > 0 ? o->timeout
	       : o->quick ? LIMIT_QUICK_S : LIMIT_FULL_S + LIMIT_FULL_PER_GIB_S * gib;
}

/*
 * The quick set measures the 1 GiB sparse cell only on the rows its targets
 * need: uffd (the reference), mprotect (must complete) and
 * wine-builtin (livelocks).  Every fresh 1 GiB region costs
 * about a second to populate here, and through Wine's fault path ~6 s, so
 * the other rows would break the three-minute budget.  The full set runs all.
 */
static int quick_skip(struct bench *b, int row, const struct cell_spec *s)
{
	static int noted;

	if (!b->opt.quick || b->opt.nsizes || s->wl != WL_SPARSE || s->commit_bytes < GIB)
		return 0;
	if (row == ROW_UFFD || row == ROW_MPROTECT || row == ROW_WINE_BUILTIN)
		return 0;
	if (!noted++)
		bench_note(b, "--quick: sparse 1G runs uffd, mprotect and wine-builtin"
			      " only (each fresh 1 GiB region costs ~1 s to populate, ~6 s under Wine);"
			      " make bench runs every row");
	return 1;
}

static const char *rep_mark(const struct result *r)
{
	switch (r->status) {
	case ST_OK: return "";
	case ST_FAIL: return "=FAIL";
	case ST_DNF: return "=DNF";
	default: return "=ERROR";
	}
}

/*
 * Run one group (the rows of one workload and size); returns its FAILs.
 * Repetition-major: repetition i of every row, native and Wine, before
 * repetition i+1 (rows forward, then backward), so a drift of the shared
 * machine hits every row alike and
 * cannot move the ratios the targets judge (wine-shim / wine-builtin / uffd
 * / raw-scan on the same cells).  A native repetition is a fresh child; a
 * Wine row's process lasts the group and runs each repetition when told
 * (run_wine_rep), so no Wine start-up falls between repetitions.
 */
static int run_group(struct bench *b, struct result *group, int ng, const char *label)
{
	const struct cell_spec *s = &group[0].spec;
	double native_limit, wine_limit;
	int fails = 0;

	if (!ng)
		return 0;
	native_limit = cell_timeout(&b->opt, s, 0);
	wine_limit = cell_timeout(&b->opt, s, 1);
	for (int rep = 0; rep < s->reps; rep++) {
		fprintf(stderr, "%s rep %d/%d:", label, rep + 1, s->reps);
		for (int k = 0; k < ng; k++) {
			/* odd repetitions in reverse order: a drift within a
			 * repetition does not favour the rows that run first */
			struct result *r = &group[rep % 2 ? ng - 1 - k : k];

			if (r->status == ST_ERROR || r->status == ST_DNF)
				continue;
			if (row_is_wine(r->row))
				run_wine_rep(b, r, wine_limit);
			else
				run_native_rep(r, native_limit);
			fprintf(stderr, " %s%s", row_names[r->row], rep_mark(r));
		}
		fprintf(stderr, "\n");
	}
	wine_group_end(wine_limit);
	for (int g = 0; g < ng; g++) {
		struct result *r = &group[g];

		if (row_is_wine(r->row))
			fprintf(stderr, "%s %s (%d reps, %.0f s limit per step): %s%s%s (%.1f s)\n",
				label, row_names[r->row], s->reps, wine_limit, status_word(r),
				r->msg[0] ? ": " : "", r->msg, r->elapsed_s);
		else if (r->status == ST_ERROR || r->status == ST_DNF)
			fprintf(stderr, "        %s: %s\n", row_names[r->row], r->msg);
		if (r->status == ST_FAIL)
			fails++;
	}
	return fails;
}

int main(int argc, char **argv)
{
	static struct cell_spec specs[MAX_CELLS];
	struct bench b;
	int nspecs, total = 0, fails = 0, pr;
	uint64_t t_group, t_start = plat_now_ns();

	if (argc > 1 && !strcmp(argv[1], "compare"))
		return compare_main(argc - 1, argv + 1);
	memset(&b, 0, sizeof(b));
	if (options_parse(&b.opt, argc, argv))
		return 2;
	sysinfo_fill(&b);
	probe_rows(&b);
	wine_setup(&b);
	nspecs = plan_cells(&b.opt, specs, MAX_CELLS);
	b.results = calloc((size_t)nspecs * ROW_COUNT, sizeof(*b.results));
	if (!b.results)
		return 2;

	for (int i = 0; i < nspecs; i++)
		for (int row = 0; row < ROW_COUNT; row++)
			total += (b.opt.rows & (1u << row)) && !b.unavailable[row] &&
				 row_applies(row, &specs[i]) && !quick_skip(&b, row, &specs[i]);
	fprintf(stderr, "ww-bench: %d workload/size groups, %d cells, %d repetitions each%s\n",
		nspecs, total, nspecs ? specs[0].reps : 0, b.opt.quick ? " (quick set)" : "");

	for (int i = 0; i < nspecs; i++) {
		struct result *group = &b.results[b.nresults];
		int ng = 0;
		char sz[24], label[64];

		for (int row = 0; row < ROW_COUNT; row++) {
			if (!(b.opt.rows & (1u << row)) || b.unavailable[row] ||
			    !row_applies(row, &specs[i]))
				continue;
			if (quick_skip(&b, row, &specs[i]))
				continue;
			group[ng].row = row;
			group[ng].spec = specs[i];
			group[ng].status = ST_OK;
			ng++;
		}
		b.nresults += ng;
		fmt_size(sz, sizeof(sz), specs[i].region_bytes);
		t_group = plat_now_ns();

		snprintf(label, sizeof(label), "[%2d/%d] %-12s %-5s", i + 1, nspecs,
			 workload_names[specs[i].wl], sz);
		fails += run_group(&b, group, ng, label);
		fprintf(stderr, "[%2d/%d] %-12s %-5s group done in %.1f s\n", i + 1, nspecs,
			workload_names[specs[i].wl], sz, (double)(plat_now_ns() - t_group) / 1e9);
	}
	wine_shutdown(&b);

	report_table(&b, stdout);
	report_ratios(&b, stdout);
	report_calls(&b, stdout);
	report_targets(&b, stdout);
	fflush(stdout);
	if (b.opt.json && report_json(&b, b.opt.json))
		fprintf(stderr, "ww-bench: cannot write %s\n", b.opt.json);
	if (b.opt.csv && report_csv(&b, b.opt.csv))
		fprintf(stderr, "ww-bench: cannot write %s\n", b.opt.csv);
	if (b.opt.plot_dir && !b.opt.no_plot) {
		if (!b.opt.gnuplot || !b.opt.gnuplot[0])
			fprintf(stderr, "ww-bench: gnuplot not found at configure time: plots skipped"
					" (apt-get install gnuplot-nox)\n");
		else if ((pr = report_plots(&b, b.opt.plot_dir)) == -2)
			fprintf(stderr, "ww-bench: cannot write into %s: plots skipped\n",
				b.opt.plot_dir);
		else if (pr)
			fprintf(stderr, "ww-bench: gnuplot (%s) failed or is missing: plots skipped"
					" (apt-get install gnuplot-nox)\n", b.opt.gnuplot);
		else
			fprintf(stderr, "ww-bench: plots in %s\n", b.opt.plot_dir);
	}
	if (fails)
		fprintf(stderr, "ww-bench: %d cell(s) lost writes (FAIL)\n", fails);
	fprintf(stderr, "ww-bench: finished in %.0f s\n", (double)(plat_now_ns() - t_start) / 1e9);
	free(b.results);
	return fails ? 1 : 0;
}
