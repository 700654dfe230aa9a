/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Labels and ratio helpers shared by the stdout report's files. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include "harness.h"

void cell_label(const struct cell_spec *s, char *buf, size_t len);	/* "sparse 1/7" */
void size_label(const struct cell_spec *s, char *buf, size_t len);	/* "16M", "64G/1G" */
void check_label(const struct result *r, char *buf, size_t len);	/* "ok 586/586", "FAIL..." */

double ratio(double a, double b);			/* NAN when either is missing */
void fmt_ratio(char *buf, size_t len, double r);	/* "1.23x" or "-" */
double result_min(const struct result *r, int m);	/* fastest repetition */
double per_page_cost(const struct result *r);		/* write + get-and-reset per dirty page */
double per_page_cost_min(const struct result *r);
/* The largest cell of workload wl where uffd and row ref both finished. */
const struct result *largest_pair(const struct bench *b, int wl, int ref,
				  const struct result **refp);

/* plot.c, plot_bars.c */
double plot_cost_us(const struct result *r);	/* write + get-and-reset per dirty page, us */
int plot_run_gnuplot(const char *gnuplot, const char *dir, const char *script);
int plot_bars(const struct bench *b, const char *dir);	/* 0, -1 gnuplot, -2 files */

#endif
