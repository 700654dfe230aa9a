/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The caller workloads per call: every row's get, empty get, reset and alloc
 * per call beside the raw-scan floor (the bare ioctls on the same ranges),
 * and where a wine-shim call's time goes: the bare ioctls (raw-scan), the
 * library on top of them as ww-wine's unix side calls it (uffd-ext minus
 * raw-scan), and the rest (wine-shim minus uffd-ext: the PE side, the unix
 * call, Wine's own work); beside it the public ww_get, whose checks (two
 * system calls: target_lib.c) ww-wine does not need.  The parts are
 * differences of medians of separate rows of the same run, not a trace of
 * one call.
 */
#include "config.h"
#include "harness.h"
#include "report.h"

#include <math.h>
#include <string.h>

/* "1.20us 1.00x" or "-" */
static void time_and_ratio(char *buf, size_t len, const struct result *r,
			   const struct result *floor, int m)
{
	double v = result_median(r, m);
	char t[16], x[16];

	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_time(t, sizeof(t), v);
	fmt_ratio(x, sizeof(x), r == floor ? NAN : ratio(v, result_median(floor, m)));
	snprintf(buf, len, "%s %s", t, r == floor || !strcmp(x, "-") ? "" : x);
}

static void count(char *buf, size_t len, const struct result *r, int m)
{
	double v = result_median(r, m);

	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f", v);
}

static void empty_share(char *buf, size_t len, const struct result *r)
{
	double calls = result_median(r, M_GET_CALLS), empty = result_median(r, M_EMPTY_CALLS);

	if (isnan(calls) || isnan(empty) || calls <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f%%", 100 * empty / calls);
}

/* "where a wine-shim call goes" for metric m of one cell */
static void breakdown(const struct bench *b, const struct cell_spec *s, int m, const char *what,
		      FILE *f)
{
	double vs = result_median(find_result(b, ROW_WINE_SHIM, s), m);
	double ve = result_median(find_result(b, ROW_UFFD_EXT, s), m);
	double vl = result_median(find_result(b, ROW_UFFD, s), m);
	double vr = result_median(find_result(b, ROW_RAW_SCAN, s), m);
	double vw = result_median(find_result(b, ROW_WINE_BUILTIN, s), m);
	char ts[16], tr[16], dl[16], ds[16], tl[16], dc[16], tw[16], xw[16];

	if (isnan(vs) && isnan(vw))
		return;
	fmt_time(ts, sizeof(ts), vs);
	fmt_time(tr, sizeof(tr), vr);
	fmt_time(dl, sizeof(dl), ve - vr);
	fmt_time(ds, sizeof(ds), vs - ve);
	fmt_time(tl, sizeof(tl), vl);
	fmt_time(dc, sizeof(dc), vl - ve);
	fmt_time(tw, sizeof(tw), vw);
	fmt_ratio(xw, sizeof(xw), ratio(vw, vs));
	fprintf(f, "    %-12s wine-shim %s = ioctls %s + library %s + PE side, unix call, Wine %s;"
		   "  native ww_get %s (its checks %s);  wine-builtin %s (%s wine-shim)\n",
		what, ts, tr, dl, ds, tl, dc, tw, xw);
}

void report_calls(const struct bench *b, FILE *f)
{
	const struct cell_spec *prev = NULL;
	int any = 0;

	for (int i = 0; i < b->nresults; i++) {
		const struct result *r = &b->results[i], *raw;
		char wl[40], sz[40], calls[16], empty[16], get[32], eget[32], reset[32], alloc[32],
			gr[32];

		if (!workload_is_caller(r->spec.wl) || r->status != ST_OK)
			continue;
		if (!any++)
			fprintf(f, "\nPer call: caller workloads (medians; Nx = ratio to raw-scan, the bare"
				   " ioctls on the same ranges;\nalloc: raw-scan = mmap + register +"
				   " write-protect, none-fresh = the mmap alone)\n"
				   "%-19s %-6s %-12s %6s %5s  %-15s %-15s %-15s %-15s %-15s\n",
				"workload", "size", "backend", "calls", "empty", "get/call",
				"empty get/call", "reset/call", "alloc/call", "get+reset/page");
		if (prev && !same_cell(prev, &r->spec)) {
			breakdown(b, prev, M_GET_PER_CALL, "per call:", f);
			breakdown(b, prev, M_EMPTY_GET_PER_CALL, "empty call:", f);
			fprintf(f, "\n");
		}
		prev = &r->spec;
		raw = find_result(b, ROW_RAW_SCAN, &r->spec);
		cell_label(&r->spec, wl, sizeof(wl));
		size_label(&r->spec, sz, sizeof(sz));
		count(calls, sizeof(calls), r, M_GET_CALLS);
		empty_share(empty, sizeof(empty), r);
		time_and_ratio(get, sizeof(get), r, raw, M_GET_PER_CALL);
		time_and_ratio(eget, sizeof(eget), r, raw, M_EMPTY_GET_PER_CALL);
		time_and_ratio(reset, sizeof(reset), r, raw, M_RESET_PER_CALL);
		time_and_ratio(alloc, sizeof(alloc), r, raw, M_ALLOC_PER_CALL);
		time_and_ratio(gr, sizeof(gr), r, raw, M_GET_RESET_PER_PAGE);
		fprintf(f, "%-19s %-6s %-12s %6s %5s  %-15s %-15s %-15s %-15s %-15s\n", wl, sz,
			row_names[r->row], calls, empty, get, eget, reset, alloc, gr);
	}
	if (prev) {
		breakdown(b, prev, M_GET_PER_CALL, "per call:", f);
		breakdown(b, prev, M_EMPTY_GET_PER_CALL, "empty call:", f);
	}
	if (any)
		fprintf(f, "The parts are differences of medians of rows of this run: ioctls ="
			   " raw-scan, library = uffd-ext - raw-scan,\nPE side, unix call, Wine ="
			   " wine-shim - uffd-ext, ww_get's checks (buffer probe, mapping check) ="
			   " uffd - uffd-ext;\na part within the run-to-run spread can come out"
			   " negative.\n");
}
