/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command line of ww-bench. */
#include "config.h"
#include "harness.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#ifndef WW_BENCH_WINE
#define WW_BENCH_WINE ""
#endif
#ifndef WW_BENCH_WIN_EXE
#define WW_BENCH_WIN_EXE ""
#endif
#ifndef WW_BENCH_GNUPLOT
#define WW_BENCH_GNUPLOT "gnuplot"
#endif

void options_usage(FILE *f)
{
	fprintf(f,
"Usage: ww-bench [OPTION]...\n"
"       ww-bench compare OLD.json NEW.json\n"
"Compare write-watch implementations on the same workloads: the library's\n"
"backends (uffd, uffd-sync, mprotect), soft-dirty, two floors (none,\n"
"none-fresh, raw-scan) and Wine's own GetWriteWatch (wine-builtin, wine-shim).\n"
"\n"
"  -q, --quick            the quick set (under 3 minutes on 2 cores)\n"
"  -r, --reps N           repetitions per cell (default 5, at least 1)\n"
"  -s, --sizes LIST       region sizes, e.g. 1M,16M,1G (dense, sparse, gc-cycle,\n"
"                         threads; random uses the largest)\n"
"  -f, --fractions LIST   dirty fractions of the random workload (e.g. 0.01,0.5)\n"
"  -w, --workloads LIST   dense,sparse,random,gc-cycle,huge-reserve,threads,\n"
"                         gc-sections,clr,capture (modelled on real callers)\n"
"  -b, --backends LIST    none,none-fresh,raw-scan,uffd,uffd-ext,uffd-sync,\n"
"                         mprotect,soft-dirty,wine-builtin,wine-shim\n"
"      --sparse-n N       sparse: every Nth page (default 7)\n"
"      --gc-rounds K      gc-cycle, gc-sections, clr, capture: rounds (cycles,\n"
"                         frames) per repetition (default 4; 8, 2, 4)\n"
"      --chunk SIZE       clr: ResetWriteWatch chunk (default 128M)\n"
"      --timeout S        native limit per step (populate, writes, get...), seconds\n"
"                         (default %d quick, %d+%d/GiB)\n"
"      --wine-timeout S   the same for Wine cells (default %d quick, %d+%d/GiB)\n"
"      --json FILE        results as JSON\n"
"      --csv FILE         results as CSV\n"
"      --plot-dir DIR     write ww-bench-size.png and ww-bench-fraction.png (+ .gp, .dat)\n"
"      --no-plot          no plots even with --plot-dir\n"
"      --no-wine          skip the Wine rows\n"
"      --wine PATH        Wine loader (default: %s)\n"
"      --wine-exe PATH    the Windows program (default: %s)\n"
"      --wine-prefix DIR  WINEPREFIX, created with wineboot -i when missing\n"
"      --wine-shim PATH   launcher for the wine-shim row (ww-wine)\n"
"      --gnuplot PATH     gnuplot binary (default: %s)\n"
"  -h, --help             this text\n"
"\n"
"The table goes to stdout, progress to stderr.  Times are medians of the\n"
"repetitions (min and max in --json/--csv).  A cell that loses a write is\n"
"marked FAIL; a cell past its time limit \"did not finish\".\n",
		LIMIT_QUICK_S, LIMIT_FULL_S, LIMIT_FULL_PER_GIB_S,
		WINE_LIMIT_QUICK_S, WINE_LIMIT_FULL_S, WINE_LIMIT_FULL_PER_GIB_S,
		WW_BENCH_WINE[0] ? WW_BENCH_WINE : "none found at configure time",
		WW_BENCH_WIN_EXE[0] ? WW_BENCH_WIN_EXE : "not built", WW_BENCH_GNUPLOT);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v <= 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': v *= 1024; end++; break;
	case 'm': case 'M': v *= MIB; end++; break;
	case 'g': case 'G': v *= GIB; end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -1;
	*out = ((uint64_t)v + BENCH_PAGE - 1) / BENCH_PAGE * BENCH_PAGE;
	return 0;
}

/* Split a comma list, calling fn on each item; -1 on the first bad one. */
static int each_item(const char *list, int (*fn)(struct options *, const char *), struct options *o)
{
	char buf[512], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (fn(o, tok)) {
			fprintf(stderr, "ww-bench: bad list item '%s'\n", tok);
			return -1;
		}
	return 0;
}

static int add_size(struct options *o, const char *s)
{
	return o->nsizes >= MAX_LIST || parse_size(s, &o->sizes[o->nsizes++]) ? -1 : 0;
}

static int add_fraction(struct options *o, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || v <= 0 || v > 1 || o->nfractions >= MAX_LIST)
		return -1;
	o->fractions[o->nfractions++] = v;
	return 0;
}

static int add_workload(struct options *o, const char *s)
{
	int w = workload_from_name(s);

	if (w < 0)
		return -1;
	o->workloads |= 1u << w;
	return 0;
}

static int add_row(struct options *o, const char *s)
{
	int r = row_from_name(s);

	if (r < 0 && !strcmp(s, "uffd"))
		r = ROW_UFFD;
	if (r < 0)
		return -1;
	o->rows |= 1u << r;
	return 0;
}

int options_parse(struct options *o, int argc, char **argv)
{
	enum { O_SPARSE_N = 256, O_GC_ROUNDS, O_CHUNK, O_TIMEOUT, O_WINE_TIMEOUT, O_JSON, O_CSV,
	       O_PLOT_DIR, O_NO_PLOT, O_NO_WINE, O_WINE, O_WINE_EXE, O_WINE_PREFIX,
	       O_WINE_SHIM, O_GNUPLOT };
	static const struct option longs[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "reps", required_argument, NULL, 'r' },
		{ "sizes", required_argument, NULL, 's' },
		{ "fractions", required_argument, NULL, 'f' },
		{ "workloads", required_argument, NULL, 'w' },
		{ "backends", required_argument, NULL, 'b' },
		{ "sparse-n", required_argument, NULL, O_SPARSE_N },
		{ "gc-rounds", required_argument, NULL, O_GC_ROUNDS },
		{ "chunk", required_argument, NULL, O_CHUNK },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "wine-timeout", required_argument, NULL, O_WINE_TIMEOUT },
		{ "json", required_argument, NULL, O_JSON },
		{ "csv", required_argument, NULL, O_CSV },
		{ "plot-dir", required_argument, NULL, O_PLOT_DIR },
		{ "no-plot", no_argument, NULL, O_NO_PLOT },
		{ "no-wine", no_argument, NULL, O_NO_WINE },
		{ "wine", required_argument, NULL, O_WINE },
		{ "wine-exe", required_argument, NULL, O_WINE_EXE },
		{ "wine-prefix", required_argument, NULL, O_WINE_PREFIX },
		{ "wine-shim", required_argument, NULL, O_WINE_SHIM },
		{ "gnuplot", required_argument, NULL, O_GNUPLOT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->wine = WW_BENCH_WINE;
	o->wine_exe = WW_BENCH_WIN_EXE;
	o->gnuplot = WW_BENCH_GNUPLOT;
	while ((c = getopt_long(argc, argv, "qr:s:f:w:b:h", longs, NULL)) != -1) {
		switch (c) {
		case 'q': o->quick = 1; break;
		case 'r':
			o->reps = atoi(optarg);
			if (o->reps < 1 || o->reps > MAX_REPS) {
				fprintf(stderr, "ww-bench: --reps must be 1..%d\n", MAX_REPS);
				return -1;
			}
			break;
		case 's': if (each_item(optarg, add_size, o)) return -1; break;
		case 'f': if (each_item(optarg, add_fraction, o)) return -1; break;
		case 'w': if (each_item(optarg, add_workload, o)) return -1; break;
		case 'b': if (each_item(optarg, add_row, o)) return -1; break;
		case O_SPARSE_N: o->sparse_n = (unsigned)atoi(optarg); break;
		case O_GC_ROUNDS: o->gc_rounds = (unsigned)atoi(optarg); break;
		case O_CHUNK:
			if (parse_size(optarg, &o->chunk_bytes)) {
				fprintf(stderr, "ww-bench: bad --chunk '%s'\n", optarg);
				return -1;
			}
			break;
		case O_TIMEOUT: o->timeout = atof(optarg); break;
		case O_WINE_TIMEOUT: o->wine_timeout = atof(optarg); break;
		case O_JSON: o->json = optarg; break;
		case O_CSV: o->csv = optarg; break;
		case O_PLOT_DIR: o->plot_dir = optarg; break;
		case O_NO_PLOT: o->no_plot = 1; break;
		case O_NO_WINE: o->no_wine = 1; break;
		case O_WINE: o->wine = optarg; break;
		case O_WINE_EXE: o->wine_exe = optarg; break;
		case O_WINE_PREFIX: o->wine_prefix = optarg; break;
		case O_WINE_SHIM: o->wine_shim = optarg; break;
		case O_GNUPLOT: o->gnuplot = optarg; break;
		case 'h': options_usage(stdout); exit(0);
		default: options_usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ww-bench: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!o->workloads)
		o->workloads = (1u << WL_COUNT) - 1;
	if (!o->rows)
		o->rows = (1u << ROW_COUNT) - 1;
	return 0;
}
