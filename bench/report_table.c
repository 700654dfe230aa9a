/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The stdout report: one aligned table of medians and the ratios the issue
 * asks for (report_targets.c judges the targets).
 */
#include "config.h"
#include "harness.h"
#include "report.h"

#include <math.h>
#include <string.h>

void cell_label(const struct cell_spec *s, char *buf, size_t len)
{
	switch (s->wl) {
	case WL_SPARSE:
		snprintf(buf, len, "sparse 1/%u", s->sparse_n);
		break;
	case WL_RANDOM:
		snprintf(buf, len, "random %g%%", s->fraction * 100);
		break;
	case WL_GC_CYCLE:
		snprintf(buf, len, "gc-cycle %ux%g%%", s->gc_rounds, s->fraction * 100);
		break;
	case WL_HUGE_RESERVE:
		snprintf(buf, len, "huge-reserve %g%%", s->fraction * 100);
		break;
	case WL_THREADS:
		snprintf(buf, len, "threads %uw", s->threads);
		break;
	case WL_GC_SECTIONS:	/* cycles x share of sections written */
		snprintf(buf, len, "gc-sections %ux%g%%", s->gc_rounds, s->fraction * 100);
		break;
	case WL_CLR:		/* background GCs x share of pages written */
		snprintf(buf, len, "clr %ux%g%%", s->gc_rounds, s->fraction * 100);
		break;
	case WL_CAPTURE:
		snprintf(buf, len, "capture %u frames", s->gc_rounds);
		break;
	default:
		snprintf(buf, len, "%s", workload_names[s->wl]);
	}
}

void size_label(const struct cell_spec *s, char *buf, size_t len)
{
	char a[16], c[16];

	fmt_size(a, sizeof(a), s->region_bytes);
	if (s->commit_bytes != s->region_bytes) {
		fmt_size(c, sizeof(c), s->commit_bytes);
		snprintf(buf, len, "%s/%s", a, c);
	} else {
		snprintf(buf, len, "%s", a);
	}
}

static void med_range(const struct result *r, int m, char *buf, size_t len)
{
	double med, lo, hi;
	char a[16], b[16], c[16];

	if (result_stat(r, m, &med, &lo, &hi)) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_time(a, sizeof(a), med);
	fmt_time(b, sizeof(b), lo);
	fmt_time(c, sizeof(c), hi);
	snprintf(buf, len, "%s [%s-%s]", a, b, c);
}

static void med_time(const struct result *r, int m, char *buf, size_t len)
{
	fmt_time(buf, len, result_median(r, m));
}

static void med_count(const struct result *r, int m, char *buf, size_t len)
{
	double v = result_median(r, m);

	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%+.0f", v);
}

void check_label(const struct result *r, char *buf, size_t len)
{
	switch (r->status) {
	case ST_OK:
		if (!r->checks || r->row == ROW_NONE || r->row == ROW_NONE_FRESH)
			snprintf(buf, len, "n/a");
		else if (r->over)
			snprintf(buf, len, "ok (+%llu over)", (unsigned long long)r->over);
		else
			snprintf(buf, len, "ok %llu/%llu", (unsigned long long)r->reported,
				 (unsigned long long)r->written);
		break;
	case ST_FAIL:
		snprintf(buf, len, "FAIL: %llu lost", (unsigned long long)r->lost);
		break;
	case ST_DNF:
		snprintf(buf, len, "DID NOT FINISH (%s > %.0fs)",
			 r->phase[0] ? r->phase : "start-up", r->timeout_s);
		break;
	case ST_ERROR:
		snprintf(buf, len, "ERROR: %s", r->msg);
		break;
	case ST_SKIPPED:
		snprintf(buf, len, "skipped: %s", r->msg);
		break;
	}
}

void report_table(const struct bench *b, FILE *f)
{
	const struct cell_spec *prev = NULL;

	fprintf(f, "ww-bench: %s\n  machine: %s\n  kernel:  %s\n  load average at start: %s\n\n",
		b->opt.quick ? "quick set" : "full set", b->machine, b->kernel, b->load_start);
	fprintf(f, "%-19s %-8s %7s  %-12s %8s  %-24s %8s  %-24s %9s %9s %7s %6s  %s\n",
		"workload", "size", "dirty", "backend", "setup", "write/page [min-max]",
		"get/page", "get+reset/page [min-max]", "g+r total", "g+r/GiB", "dPTE KiB",
		"dVMA", "check");
	for (int i = 0; i < b->nresults; i++) {
		const struct result *r = &b->results[i];
		char wl[40], sz[40], setup[16], wr[64], get[16], gr[64], tot[16], gib[16], pte[16],
			vma[16], chk[300];

		if (!prev || !same_cell(prev, &r->spec))
			fprintf(f, "\n");
		prev = &r->spec;
		cell_label(&r->spec, wl, sizeof(wl));
		size_label(&r->spec, sz, sizeof(sz));
		med_time(r, M_SETUP_TOTAL, setup, sizeof(setup));
		med_range(r, M_WRITE_PER_PAGE, wr, sizeof(wr));
		med_time(r, M_GET_PER_PAGE, get, sizeof(get));
		med_range(r, M_GET_RESET_PER_PAGE, gr, sizeof(gr));
		med_time(r, M_GET_RESET_TOTAL, tot, sizeof(tot));
		med_time(r, M_GET_RESET_PER_GIB, gib, sizeof(gib));
		med_count(r, M_VMPTE_DELTA_KIB, pte, sizeof(pte));
		med_count(r, M_VMA_DELTA, vma, sizeof(vma));
		check_label(r, chk, sizeof(chk));
		fprintf(f, "%-19s %-8s %7llu  %-12s %8s  %-24s %8s  %-24s %9s %9s %7s %6s  %s\n", wl,
			sz, (unsigned long long)expected_dirty(&r->spec), row_names[r->row], setup,
			wr, get, gr, tot, gib, pte, vma, chk);
	}
	fprintf(f, "\n");
	for (int row = 0; row < ROW_COUNT; row++)
		if ((b->opt.rows & (1u << row)) && b->unavailable[row])
			fprintf(f, "unavailable: %-12s %s\n", row_names[row], b->unavailable[row]);
	for (int i = 0; i < b->nnotes; i++)
		fprintf(f, "note: %s\n", b->notes[i]);
	fprintf(f, "\nsetup = watch (ww_watch / register+WP / VirtualAlloc) of populated memory;"
		   " huge-reserve: reserve + commit.\n"
		   "write/page = one store to a clean page of a watched region; none-fresh ="
		   " the same store on never-touched memory (a minor fault).\n"
		   "dPTE/dVMA = VmPTE and /proc/self/maps growth from before setup to after the"
		   " writes.  Times are medians of %d repetitions.\n",
		   b->nresults ? b->results[0].spec.reps : 0);
}

/* ---------------------------------------------------------------------- */

double per_page_cost(const struct result *r)
{
	return result_median(r, M_WRITE_PER_PAGE) + result_median(r, M_GET_RESET_PER_PAGE);
}

/* Fastest repetition: least disturbed by other load on the machine.  Shown
 * beside the median ratios, never instead of them. */
double result_min(const struct result *r, int m)
{
	double med, lo, hi;

	if (!r || result_stat(r, m, &med, &lo, &hi))
		return NAN;
	return lo;
}

double per_page_cost_min(const struct result *r)
{
	return result_min(r, M_WRITE_PER_PAGE) + result_min(r, M_GET_RESET_PER_PAGE);
}

double ratio(double a, double b)
{
	return (isnan(a) || isnan(b) || b <= 0) ? NAN : a / b;
}

void fmt_ratio(char *buf, size_t len, double r)
{
	if (isnan(r))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2fx", r);
}

/* The largest cell of workload wl where uffd and row ref both
 * finished (most dirty pages on a tie); NULL if none. */
const struct result *largest_pair(const struct bench *b, int wl, int ref,
					 const struct result **refp)
{
	const struct result *best = NULL;

	for (int i = 0; i < b->nresults; i++) {
		const struct result *r = &b->results[i], *p;

		if (r->row != ROW_UFFD || r->status != ST_OK || (int)r->spec.wl != wl)
			continue;
		p = find_result(b, ref, &r->spec);
		if (!p || p->status != ST_OK)
			continue;
		if (!best || r->spec.region_bytes > best->spec.region_bytes ||
		    (r->spec.region_bytes == best->spec.region_bytes &&
		     expected_dirty(&r->spec) > expected_dirty(&best->spec))) {
			best = r;
			*refp = p;
		}
	}
	return best;
}

void report_ratios(const struct bench *b, FILE *f)
{
	const struct cell_spec *prev = NULL;

	fprintf(f, "\nRatios (median / median; above 1 = slower than the reference)\n");
	fprintf(f, "%-19s %-8s %-12s %16s %14s %14s %16s\n", "workload", "size", "backend",
		"write/none-fresh", "write/raw-scan", "g+r/raw-scan", "cost/uffd");
	for (int i = 0; i < b->nresults; i++) {
		const struct result *r = &b->results[i];
		const struct result *fresh, *raw, *uffd;
		char wl[40], sz[40], c1[16], c2[16], c3[16], c4[16];

		if (r->row == ROW_NONE || r->row == ROW_NONE_FRESH || r->status != ST_OK)
			continue;
		fresh = find_result(b, ROW_NONE_FRESH, &r->spec);
		raw = find_result(b, ROW_RAW_SCAN, &r->spec);
		uffd = find_result(b, ROW_UFFD, &r->spec);
		if (prev && !same_cell(prev, &r->spec))
			fprintf(f, "\n");
		prev = &r->spec;
		cell_label(&r->spec, wl, sizeof(wl));
		size_label(&r->spec, sz, sizeof(sz));
		/* sections are populated before the cycles: none-fresh's stores
		 * there are plain stores, not minor faults */
		fmt_ratio(c1, sizeof(c1), r->spec.wl == WL_GC_SECTIONS || r->spec.wl == WL_CAPTURE ? NAN :
			  ratio(result_median(r, M_WRITE_PER_PAGE), result_median(fresh, M_WRITE_PER_PAGE)));
		fmt_ratio(c2, sizeof(c2), r->row == ROW_RAW_SCAN ? NAN :
			  ratio(result_median(r, M_WRITE_PER_PAGE), result_median(raw, M_WRITE_PER_PAGE)));
		fmt_ratio(c3, sizeof(c3), r->row == ROW_RAW_SCAN ? NAN :
			  ratio(result_median(r, M_GET_RESET_PER_PAGE),
				result_median(raw, M_GET_RESET_PER_PAGE)));
		fmt_ratio(c4, sizeof(c4), r->row == ROW_UFFD || !uffd ? NAN :
			  ratio(per_page_cost(r), per_page_cost(uffd)));
		fprintf(f, "%-19s %-8s %-12s %16s %14s %14s %16s\n", wl, sz, row_names[r->row], c1,
			c2, c3, c4);
	}
	fprintf(f, "cost = write/page + get+reset/page, per dirty page.\n");
}
