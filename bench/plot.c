/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PNG plots through gnuplot: a .dat and a .gp are written to the plot
 * directory and gnuplot is run on the .gp, so a plot can be re-styled by hand.
 *   ww-bench-size.png      sparse: get-and-reset total and cost per dirty page
 *                          versus region size, one line per backend
 *   ww-bench-fraction.png  cost per dirty page versus dirty fraction at the
 *                          random workload's region size (dense and sparse
 *                          of that size included)
 *   ww-bench-bars.png      cost per dirty page by backend, one panel per
 *                          headline workload (plot_bars.c)
 * The floors that do not track (none, none-fresh) are reference lines, not
 * series, and the cost axis spans the tracking rows only: a plain store
 * (none, ~10 ns) would otherwise stretch it over five decades.
 */
#include "config.h"
#include "harness.h"
#include "report.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

double plot_cost_us(const struct result *r)
{
	double w = result_median(r, M_WRITE_PER_PAGE), g = result_median(r, M_GET_RESET_PER_PAGE);

	if (isnan(w))
		return NAN;
	return (w + (isnan(g) ? 0 : g)) / 1000.0;
}

/* The series and reference lines of one plot, and the cost axis range. */
struct blocks {
	int n, refs;		/* series blocks, then reference blocks */
	char names[512];	/* series names, space separated */
	char ref_titles[2][160];
	double lo, hi;		/* cost per dirty page over the series, us */
};

static int is_floor_row(int row)
{
	return row == ROW_NONE || row == ROW_NONE_FRESH;
}

/* One gnuplot data block per tracking backend, then one per floor (none,
 * none-fresh) as reference lines; fills bl. */
static void write_blocks(const struct bench *b, FILE *f, int size_plot, uint64_t at_size,
			 struct blocks *bl)
{
	static const int order[ROW_COUNT] = {
		ROW_RAW_SCAN, ROW_UFFD, ROW_UFFD_EXT, ROW_UFFD_SYNC, ROW_MPROTECT, ROW_SOFT_DIRTY,
		ROW_WINE_BUILTIN, ROW_WINE_SHIM, ROW_NONE_FRESH, ROW_NONE,
	};
	int blocks = 0;

	memset(bl, 0, sizeof(*bl));
	bl->lo = INFINITY;
	bl->hi = -INFINITY;
	for (int oi = 0; oi < ROW_COUNT; oi++) {
		int row = order[oi];
		double xs[64], y1[64], y2[64];
		int n = 0;

		for (int i = 0; i < b->nresults && n < 64; i++) {
			const struct result *r = &b->results[i];
			double x;

			if (r->row != row || r->status != ST_OK || isnan(plot_cost_us(r)))
				continue;
			if (size_plot && r->spec.wl != WL_SPARSE)
				continue;
			if (!size_plot && (r->spec.region_bytes != at_size ||
					   (r->spec.wl != WL_RANDOM && r->spec.wl != WL_DENSE &&
					    r->spec.wl != WL_SPARSE)))
				continue;
			x = size_plot ? (double)r->spec.region_bytes / MIB
				      : (double)expected_dirty(&r->spec) /
					(double)(r->spec.commit_bytes / BENCH_PAGE);
			/* insertion sort by x */
			int j = n++;

			while (j > 0 && xs[j - 1] > x) {
				xs[j] = xs[j - 1];
				y1[j] = y1[j - 1];
				y2[j] = y2[j - 1];
				j--;
			}
			xs[j] = x;
			y1[j] = result_median(r, M_GET_RESET_TOTAL) / 1e6;
			y2[j] = plot_cost_us(r);
		}
		if (!n)
			continue;
		if (blocks)
			fprintf(f, "\n\n");
		fprintf(f, "# %s\n", row_names[row]);
		for (int i = 0; i < n; i++)
			fprintf(f, "%g %g %g\n", xs[i], isnan(y1[i]) ? 0.0 / 0.0 : y1[i], y2[i]);
		blocks++;
		if (is_floor_row(row)) {
			char t[16];

			fmt_time(t, sizeof(t), y2[n - 1] * 1000);
			snprintf(bl->ref_titles[bl->refs++], sizeof(bl->ref_titles[0]), "%s: %s %s%s",
				 row_names[row], row == ROW_NONE ? "plain store" : "minor fault", t,
				 row == ROW_NONE && y2[n - 1] < bl->lo / 2 ? ", below axis" : "");
			continue;
		}
		snprintf(bl->names + strlen(bl->names), sizeof(bl->names) - strlen(bl->names), "%s%s",
			 bl->n ? " " : "", row_names[row]);
		bl->n++;
		for (int i = 0; i < n; i++) {
			if (y2[i] < bl->lo)
				bl->lo = y2[i];
			if (y2[i] > bl->hi)
				bl->hi = y2[i];
		}
	}
	if (!bl->n) {
		bl->lo = 0.001;
		bl->hi = 1000;
	}
}

/* A log cost axis from lo to hi: 1-2-5 ticks, since a range of a decade or
 * two would otherwise carry one labelled tick. */
static void cost_axis(FILE *f, double lo, double hi)
{
	const char *sep = "";

	fprintf(f, "set yrange [%g:%g]\nset ytics (", lo, hi);
	for (double d = pow(10, floor(log10(lo))); d <= hi; d *= 10)
		for (int i = 0; i < 3; i++) {
			double t = d * (i == 0 ? 1 : i == 1 ? 2 : 5);

			if (t >= lo && t <= hi) {
				fprintf(f, "%s%g", sep, t);
				sep = ", ";
			}
		}
	fprintf(f, ")\n");
}

/* gnuplot lines for the reference blocks (after the n series) */
static void plot_refs(FILE *f, const struct blocks *bl, const char *dat, int col)
{
	for (int i = 0; i < bl->refs; i++)
		fprintf(f, ", '%s' index %d using 1:%d with lines dt 2 lw 2 lc rgb '%s' title '%s'", dat,
			bl->n + i, col, i ? "#999999" : "#555555", bl->ref_titles[i]);
	fprintf(f, "\n");
}

int plot_run_gnuplot(const char *gnuplot, const char *dir, const char *script)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (chdir(dir))
			_exit(126);
		execlp(gnuplot, gnuplot, script, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* 0, -1 when gnuplot failed, -2 when the files could not be written. */
int report_plots(const struct bench *b, const char *dir)
{
	char path[4096];
	struct blocks bl;
	uint64_t rnd = 0;
	FILE *f;

	for (int i = 0; i < b->nresults; i++)
		if (b->results[i].spec.wl == WL_RANDOM)
			rnd = b->results[i].spec.region_bytes;

	snprintf(path, sizeof(path), "%s/ww-bench-size.dat", dir);
	if (!(f = fopen(path, "w")))
		return -2;
	write_blocks(b, f, 1, 0, &bl);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ww-bench-size.gp", dir);
	if (!(f = fopen(path, "w")))
		return -2;
	fprintf(f, "# generated by ww-bench; gnuplot ww-bench-size.gp\n"
		   "set terminal pngcairo size 1200,700 font ',10'\n"
		   "set output 'ww-bench-size.png'\n"
		   "set termoption noenhanced\n"
		   "set multiplot layout 1,2 title 'ww-bench: sparse (every 7th page) vs region size  [%s]'\n"
		   "set logscale xy\nset grid\nset key below horizontal maxcols 2\nset bmargin 12\n"
		   "set xlabel 'region size (MiB)'\n"
		   "names = '%s'\n"
		   "set ylabel 'get-and-reset, whole region (ms)'\n"
		   "plot for [i=1:%d] 'ww-bench-size.dat' index (i-1) using 1:2 with linespoints title word(names, i)\n"
		   "set ylabel 'write + get-and-reset per dirty page (us)'\n",
		b->kernel, bl.names, bl.n);
	cost_axis(f, bl.lo / 2, bl.hi * 2);
	fprintf(f, "plot for [i=1:%d] 'ww-bench-size.dat' index (i-1) using 1:3 with linespoints title word(names, i)",
		bl.n);
	plot_refs(f, &bl, "ww-bench-size.dat", 3);
	fprintf(f, "unset multiplot\n");
	fclose(f);
	if (bl.n && plot_run_gnuplot(b->opt.gnuplot, dir, "ww-bench-size.gp"))
		return -1;

	if (!rnd)
		return plot_bars(b, dir);
	snprintf(path, sizeof(path), "%s/ww-bench-fraction.dat", dir);
	if (!(f = fopen(path, "w")))
		return -2;
	write_blocks(b, f, 0, rnd, &bl);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ww-bench-fraction.gp", dir);
	if (!(f = fopen(path, "w")))
		return -2;
	fprintf(f, "# generated by ww-bench; gnuplot ww-bench-fraction.gp\n"
		   "set terminal pngcairo size 900,640 font ',10'\n"
		   "set output 'ww-bench-fraction.png'\n"
		   "set termoption noenhanced\n"
		   "set title 'ww-bench: cost per dirty page vs dirty fraction, %llu MiB region  [%s]'\n"
		   "set logscale xy\nset grid\nset key below horizontal maxcols 3\n"
		   "set xlabel 'dirty fraction (random; sparse = 1/7; dense = 1)'\n"
		   "set ylabel 'write + get-and-reset per dirty page (us)'\n"
		   "names = '%s'\n",
		(unsigned long long)(rnd / MIB), b->kernel, bl.names);
	cost_axis(f, bl.lo / 2, bl.hi * 2);
	fprintf(f, "plot for [i=1:%d] 'ww-bench-fraction.dat' index (i-1) using 1:3 with linespoints title word(names, i)",
		bl.n);
	plot_refs(f, &bl, "ww-bench-fraction.dat", 3);
	fclose(f);
	if (bl.n && plot_run_gnuplot(b->opt.gnuplot, dir, "ww-bench-fraction.gp"))
		return -1;
	return plot_bars(b, dir);
}
