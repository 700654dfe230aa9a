/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reads the "results" of a ww-bench --json file back (for ww-bench compare).
 * A small strict JSON reader: any well-formed JSON is accepted, only the
 * entries of the top-level "results" array are kept, unknown keys skipped.
 */
#include "config.h"
#include "compare.h"
#include "targets.h"

#include <ctype.h>
#include <math.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536	/* bytes per fread of the file */

struct rd {
	const char *p, *err;
	struct bench_file *out;
};

static void ws(struct rd *r)
{
	while (isspace((unsigned char)*r->p))
		r->p++;
}

static int fail(struct rd *r, const char *why)
{
	if (!r->err)
		r->err = why;
	return -1;
}

static int expect(struct rd *r, char c)
{
	ws(r);
	if (*r->p != c)
		return fail(r, c == ':' ? "':' expected" : c == '"' ? "string expected" : "syntax error");
	r->p++;
	return 0;
}

/* A string into buf (truncated to len-1); escapes other than \" \\ \/ are
 * kept as the escaped character or '?'. */
static int string(struct rd *r, char *buf, size_t len)
{
	size_t n = 0;

	if (expect(r, '"'))
		return -1;
	for (; *r->p && *r->p != '"'; r->p++) {
		char c = *r->p;

		if (c == '\\') {
			c = *++r->p;
			if (!c)
				break;
			if (c == 'u') {
				for (int i = 0; i < 4 && r->p[1]; i++)
					r->p++;
				c = '?';
			} else if (c != '"' && c != '\\' && c != '/') {
				c = '?';
			}
		}
		if (buf && n + 1 < len)
			buf[n++] = c;
	}
	if (*r->p != '"')
		return fail(r, "unterminated string");
	r->p++;
	if (buf)
		buf[n] = 0;
	return 0;
}

/* A number, or null (*is_null = 1). */
static int number(struct rd *r, double *v, int *is_null)
{
	char *end;

	ws(r);
	*is_null = 0;
	if (!strncmp(r->p, "null", 4)) {
		r->p += 4;
		*is_null = 1;
		*v = 0;
		return 0;
	}
	errno = 0;
	*v = strtod(r->p, &end);
	if (end == r->p || errno)
		return fail(r, "number expected");
	r->p = end;
	return 0;
}

static int skip_value(struct rd *r, int depth);

static int skip_container(struct rd *r, char open, int depth)
{
	char close = open == '{' ? '}' : ']';

	r->p++;
	ws(r);
	if (*r->p == close) {
		r->p++;
		return 0;
	}
	for (;;) {
		if (open == '{' && (string(r, NULL, 0) || expect(r, ':')))
			return -1;
		if (skip_value(r, depth + 1))
			return -1;
		ws(r);
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		return expect(r, close);
	}
}

static int skip_value(struct rd *r, int depth)
{
	double v;
	int null;

	if (depth > 64)
		return fail(r, "nested too deeply");
	ws(r);
	switch (*r->p) {
	case '{':
	case '[':
		return skip_container(r, *r->p, depth);
	case '"':
		return string(r, NULL, 0);
	case 't':
		if (!strncmp(r->p, "true", 4)) {
			r->p += 4;
			return 0;
		}
		return fail(r, "bad literal");
	case 'f':
		if (!strncmp(r->p, "false", 5)) {
			r->p += 5;
			return 0;
		}
		return fail(r, "bad literal");
	default:
		return number(r, &v, &null);
	}
}

/* An array, item() called at each element. */
static int array(struct rd *r, int (*item)(struct rd *r, void *arg), void *arg)
{
	if (expect(r, '['))
		return -1;
	ws(r);
	if (*r->p == ']') {
		r->p++;
		return 0;
	}
	for (;;) {
		if (item(r, arg))
			return -1;
		ws(r);
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		return expect(r, ']');
	}
}

static int sample(struct rd *r, void *arg)
{
	struct bench_entry *e = arg;
	double v;
	int null;

	if (number(r, &v, &null))
		return -1;
	if (!null && e->nsamples < CMP_MAX_SAMPLES)
		e->samples[e->nsamples++] = v;
	return 0;
}

static int entry(struct rd *r, void *unused)
{
	struct bench_file *f = r->out;
	struct bench_entry e = { .reps = -1 };
	char key[64];

	if (expect(r, '{'))
		return -1;
	ws(r);
	if (*r->p == '}') {
		r->p++;
		return 0;
	}
	for (;;) {
		double v;
		int null = 0;

		if (string(r, key, sizeof(key)) || expect(r, ':'))
			return -1;
		if (!strcmp(key, "backend"))
			string(r, e.backend, sizeof(e.backend));
		else if (!strcmp(key, "workload"))
			string(r, e.workload, sizeof(e.workload));
		else if (!strcmp(key, "metric"))
			string(r, e.metric, sizeof(e.metric));
		else if (!strcmp(key, "region_bytes") && !number(r, &v, &null))
			e.region_bytes = (uint64_t)v;
		else if (!strcmp(key, "dirty_pages") && !number(r, &v, &null))
			e.dirty_pages = (uint64_t)v;
		else if (!strcmp(key, "median_ns") && !number(r, &v, &null))
			e.median = null ? NAN : v;
		else if (!strcmp(key, "min_ns") && !number(r, &v, &null))
			e.min = null ? NAN : v;
		else if (!strcmp(key, "max_ns") && !number(r, &v, &null))
			e.max = null ? NAN : v;
		else if (!strcmp(key, "reps") && !number(r, &v, &null))
			e.reps = (int)v;
		else if (!strcmp(key, "samples"))
			array(r, sample, &e);
		else
			skip_value(r, 1);
		if (r->err)
			return -1;
		ws(r);
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (expect(r, '}'))
			return -1;
		break;
	}
	if (!e.backend[0] || !e.workload[0] || !e.metric[0])
		return fail(r, "a result lacks backend, workload or metric");
	if (row_name_current(e.backend) != e.backend)	/* a renamed row */
		snprintf(e.backend, sizeof(e.backend), "%s", row_name_current(e.backend));
	if (e.reps < 0)
		e.reps = e.nsamples ? e.nsamples : 0;	/* 0: spread unknown */
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		struct bench_entry *ne = realloc(f->entries, cap * sizeof(*ne));

		if (!ne)
			return fail(r, "out of memory");
		f->entries = ne;
		f->cap = cap;
	}
	f->entries[f->n++] = e;
	return 0;
}

static int top(struct rd *r)
{
	int have_results = 0;
	char key[64];

	if (expect(r, '{'))
		return -1;
	for (;;) {
		ws(r);
		if (*r->p == '}')
			break;
		if (string(r, key, sizeof(key)) || expect(r, ':'))
			return -1;
		if (!strcmp(key, "results")) {
			if (array(r, entry, NULL))
				return -1;
			have_results = 1;
		} else if (!strcmp(key, "machine")) {
			if (string(r, r->out->machine, sizeof(r->out->machine)))
				return -1;
		} else if (skip_value(r, 1)) {
			return -1;
		}
		ws(r);
		if (*r->p == ',')
			r->p++;
		else if (*r->p != '}')
			return fail(r, "',' or '}' expected");
	}
	r->p++;
	ws(r);
	if (*r->p)
		return fail(r, "text after the JSON object");
	return have_results ? 0 : fail(r, "no \"results\" array: not a ww-bench --json file");
}

int bench_file_read(const char *path, struct bench_file *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0;
	struct rd r = { .out = out };
	int ret;

	memset(out, 0, sizeof(*out));
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t got;

		if (len + READ_CHUNK + 1 > cap) {
			char *nt = realloc(text, cap = (cap ? cap * 2 : 2 * READ_CHUNK));

			if (!nt) {
				free(text);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return -1;
			}
			text = nt;
		}
		got = fread(text + len, 1, READ_CHUNK, f);
		len += got;
		if (got < READ_CHUNK)
			break;
	}
	fclose(f);
	text[len] = 0;
	r.p = text;
	ret = top(&r);
	if (ret) {
		snprintf(err, errlen, "%s: %s at byte %ld", path, r.err ? r.err : "bad JSON",
			 (long)(r.p - text));
		bench_file_free(out);
	}
	free(text);
	return ret;
}

void bench_file_free(struct bench_file *f)
{
	free(f->entries);
	f->entries = NULL;
	f->n = f->cap = 0;
}
