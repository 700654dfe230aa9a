/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ww-bench's driver side: options, the cell plan, results, reports. */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include "cell.h"
#include "targets.h"

#define MAX_REPS 64
#define MAX_LIST 16
#define MAX_CELLS 512
#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)

/* Default time limits per step (populate, writes, get...), seconds: --quick,
 * or the full set's base plus a share per GiB committed.  Wine's quick limit
 * is past its slowest finishing step of the quick set and cuts the 1 GiB
 * sparse livelock short. */
#define LIMIT_QUICK_S			60
#define LIMIT_FULL_S			120
#define LIMIT_FULL_PER_GIB_S		60
#define WINE_LIMIT_QUICK_S		12
#define WINE_LIMIT_FULL_S		30
#define WINE_LIMIT_FULL_PER_GIB_S	15

struct options {
	int quick;
	int reps;
	uint64_t sizes[MAX_LIST];	/* dense, sparse, gc-cycle, threads; 0 entries = mode default */
	int nsizes;
	double fractions[MAX_LIST];	/* random */
	int nfractions;
	unsigned rows;			/* bitmask of enum row */
	unsigned workloads;		/* bitmask of enum workload */
	unsigned sparse_n, gc_rounds;
	uint64_t chunk_bytes;		/* clr: reset chunk; 0 = 128 MiB */
	double timeout, wine_timeout;	/* seconds per cell; 0 = mode default */
	const char *json, *csv, *plot_dir;
	int no_plot, no_wine;
	const char *wine, *wine_exe, *wine_prefix, *wine_shim, *gnuplot;
};

int options_parse(struct options *o, int argc, char **argv);
void options_usage(FILE *f);

enum status { ST_OK, ST_FAIL, ST_ERROR, ST_DNF, ST_SKIPPED };

struct result {
	int row;
	struct cell_spec spec;
	enum status status;
	char msg[256];
	char phase[32];		/* last milestone the cell reported */
	double samples[M_COUNT][MAX_REPS];
	int n[M_COUNT];
	int checks;
	uint64_t written, reported, lost, over;	/* sums over checked reps */
	double timeout_s, elapsed_s;
};

struct bench {
	struct options opt;
	const char *unavailable[ROW_COUNT];	/* reason, or NULL when the row runs */
	struct result *results;
	int nresults;
	char machine[256], kernel[256];
	char load_start[32];		/* /proc/loadavg when the run began */
	char notes[8][256];
	int nnotes;
};

void bench_note(struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* plan.c */
int plan_cells(const struct options *o, struct cell_spec *specs, int max);
int row_applies(int row, const struct cell_spec *s);
uint64_t expected_dirty(const struct cell_spec *s);

/* run_native.c / run_wine.c / collect.c */
void probe_rows(struct bench *b);
void run_native_rep(struct result *r, double timeout);
struct result *result_next_rep(const struct result *r);
void result_merge(struct result *dst, const struct result *src);
void result_dnf_msg(struct result *r);	/* "no progress for..." from r's fields */
int wine_setup(struct bench *b);
void run_wine_rep(struct bench *b, struct result *r, double timeout);	/* one more */
void wine_group_end(double timeout);	/* ends run_wine_rep's processes */
void wine_shutdown(struct bench *b);
void collect(struct result *r, int fd, int pid, double timeout, int kill_group);
/* A process that stays between repetitions: its output, read line by line. */
struct line_reader {
	int fd;
	size_t have;
	char buf[65536];
};
/* One repetition's lines (up to "done") from process group pid; 0, or -1
 * when the process ended (reaped) or was killed past timeout (r says which). */
int collect_rep(struct result *r, struct line_reader *rd, int pid, double timeout);

/* stats.c */
int result_stat(const struct result *r, int m, double *med, double *min, double *max);
double result_median(const struct result *r, int m);	/* NAN when absent */
int result_correct(const struct result *r);
const struct result *find_result(const struct bench *b, int row, const struct cell_spec *s);
int same_cell(const struct cell_spec *a, const struct cell_spec *b);

/* report_*.c */
void sysinfo_fill(struct bench *b);
void fmt_time(char *buf, size_t len, double ns);
void fmt_size(char *buf, size_t len, uint64_t bytes);
void report_table(const struct bench *b, FILE *f);
void report_ratios(const struct bench *b, FILE *f);
void report_calls(const struct bench *b, FILE *f);
void report_targets(const struct bench *b, FILE *f);
void report_targets_wine(const struct bench *b, FILE *f);
int report_json(const struct bench *b, const char *path);
int report_csv(const struct bench *b, const char *path);
int report_plots(const struct bench *b, const char *dir);

#endif
