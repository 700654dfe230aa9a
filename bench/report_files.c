/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --json and --csv.  JSON shape (stable for scripts):
 *   {"machine":..., "kernel":..., "quick":bool, "unavailable":[{backend,reason}],
 *    "notes":[...], "results":[{"backend","workload","region_bytes","dirty_pages",
 *    "metric","median_ns","min_ns","max_ns","reps","samples":[...],"correct"}]}
 * samples holds every repetition's value, in run order: the spread that
 * `ww-bench compare` judges a change against.
 * vmpte_delta_kib and vma_delta carry KiB and a count in the *_ns fields.
 * A cell that did not finish or failed to run has one entry with metric
 * "did_not_finish" or "error" and null values.
 */
#include "config.h"
#include "harness.h"

#include <string.h>

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_entry(FILE *f, int *first, const struct result *r, const char *metric,
		       int m, const double *v, int correct)
{
	fprintf(f, "%s\n    {\"backend\": ", *first ? "" : ",");
	*first = 0;
	json_str(f, row_names[r->row]);
	fprintf(f, ", \"workload\": ");
	json_str(f, workload_names[r->spec.wl]);
	fprintf(f, ", \"region_bytes\": %llu, \"dirty_pages\": %llu, \"metric\": ",
		(unsigned long long)r->spec.region_bytes,
		(unsigned long long)expected_dirty(&r->spec));
	json_str(f, metric);
	if (v) {
		fprintf(f, ", \"median_ns\": %.1f, \"min_ns\": %.1f, \"max_ns\": %.1f", v[0], v[1], v[2]);
		fprintf(f, ", \"reps\": %d, \"samples\": [", r->n[m]);
		for (int i = 0; i < r->n[m]; i++)
			fprintf(f, "%s%.1f", i ? ", " : "", r->samples[m][i]);
		fprintf(f, "]");
	} else
		fprintf(f, ", \"median_ns\": null, \"min_ns\": null, \"max_ns\": null");
	fprintf(f, ", \"correct\": %s}", correct ? "true" : "false");
}

int report_json(const struct bench *b, const char *path)
{
	FILE *f = fopen(path, "w");
	int first = 1;

	if (!f)
		return -1;
	fprintf(f, "{\n  \"machine\": ");
	json_str(f, b->machine);
	fprintf(f, ",\n  \"kernel\": ");
	json_str(f, b->kernel);
	fprintf(f, ",\n  \"quick\": %s,\n  \"unavailable\": [", b->opt.quick ? "true" : "false");
	for (int row = 0; row < ROW_COUNT; row++) {
		if (!(b->opt.rows & (1u << row)) || !b->unavailable[row])
			continue;
		fprintf(f, "%s\n    {\"backend\": ", first ? "" : ",");
		first = 0;
		json_str(f, row_names[row]);
		fprintf(f, ", \"reason\": ");
		json_str(f, b->unavailable[row]);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n  \"notes\": [");
	for (int i = 0; i < b->nnotes; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_str(f, b->notes[i]);
	}
	fprintf(f, "\n  ],\n  \"results\": [");
	first = 1;
	for (int i = 0; i < b->nresults; i++) {
		const struct result *r = &b->results[i];
		int correct = result_correct(r) || (r->status == ST_OK && !r->checks);

		if (r->status == ST_DNF || r->status == ST_ERROR || r->status == ST_SKIPPED) {
			json_entry(f, &first, r, r->status == ST_DNF ? "did_not_finish" : "error",
				   0, NULL, 0);
			continue;
		}
		for (int m = 0; m < M_COUNT; m++) {
			double v[3];

			if (!result_stat(r, m, &v[0], &v[1], &v[2]))
				json_entry(f, &first, r, metric_names[m], m, v, correct);
		}
	}
	fprintf(f, "\n  ]\n}\n");
	return fclose(f);
}

static const char *status_name(enum status s)
{
	static const char *const names[] = { "ok", "FAIL", "error", "did_not_finish", "skipped" };

	return names[s];
}

int report_csv(const struct bench *b, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "backend,workload,region_bytes,commit_bytes,fraction,dirty_pages,metric,"
		   "median,min,max,reps,status,written,reported,lost,over\n");
	for (int i = 0; i < b->nresults; i++) {
		const struct result *r = &b->results[i];
		int any = 0;

		for (int m = 0; m < M_COUNT; m++) {
			double med, lo, hi;

			if (result_stat(r, m, &med, &lo, &hi))
				continue;
			any = 1;
			fprintf(f, "%s,%s,%llu,%llu,%g,%llu,%s,%.1f,%.1f,%.1f,%d,%s,%llu,%llu,%llu,%llu\n",
				row_names[r->row], workload_names[r->spec.wl],
				(unsigned long long)r->spec.region_bytes,
				(unsigned long long)r->spec.commit_bytes, r->spec.fraction,
				(unsigned long long)expected_dirty(&r->spec), metric_names[m], med, lo,
				hi, r->n[m], status_name(r->status), (unsigned long long)r->written,
				(unsigned long long)r->reported, (unsigned long long)r->lost,
				(unsigned long long)r->over);
		}
		if (!any)
			fprintf(f, "%s,%s,%llu,%llu,%g,%llu,,,,,0,%s,0,0,0,0\n", row_names[r->row],
				workload_names[r->spec.wl], (unsigned long long)r->spec.region_bytes,
				(unsigned long long)r->spec.commit_bytes, r->spec.fraction,
				(unsigned long long)expected_dirty(&r->spec), status_name(r->status));
	}
	return fclose(f);
}
