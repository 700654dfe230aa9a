/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside one cell run: the state cell.c's repetition loop shares with the
 * caller workloads of callers.c.  Portable, like cell.c.
 */
#ifndef BENCH_CELL_CTX_H
#define BENCH_CELL_CTX_H

#include "cell.h"

struct ctx {
	const struct target *t;
	const struct cell_spec *s;
	FILE *out;
	size_t npages;		/* committed pages: where writes go */
	size_t rpages;		/* watched pages: what get covers */
	uint32_t *idx, *scratch;
	void **pages;
	size_t cap;
	uint8_t *want;		/* bitmap over rpages: written this round */
	uint8_t *seen;		/* bitmap over rpages: reported this round */
	uint8_t *counts;	/* threads: reports per page */
	struct area *areas;	/* caller workloads: one per section or buffer */
	/* running totals for the check line */
	uint64_t written, reported, lost, over;
};

#define BIT_SET(b, i) ((b)[(i) >> 3] |= (uint8_t)(1u << ((i) & 7)))
#define BIT_GET(b, i) (((b)[(i) >> 3] >> ((i) & 7)) & 1u)

void ctx_phase(struct ctx *c, const char *name);
void ctx_sample(struct ctx *c, enum metric m, double v);
void write_pages(char *base, const uint32_t *idx, size_t k, uint64_t stamp);
void want_clear(struct ctx *c);
/* Tally pages reported for [base, base+len), whose first page is page
 * number first of the cell's want/seen bitmaps. */
void tally_range(struct ctx *c, const char *base, uint64_t len, size_t first, void **pages,
		 size_t n);
uint64_t missing(const struct ctx *c);
void mem_before(long *pte, long *vma);
void mem_after(struct ctx *c, long pte0, long vma0);
int setup_area(struct ctx *c, struct area *a, long *pte0, long *vma0);

/* callers.c: one repetition each; the caller workloads tear down their own
 * sections, clr's single area is torn down by cell_run. */
int rep_sections(struct ctx *c, int rep);	/* gc-sections, capture */
int rep_clr(struct ctx *c, struct area *a, int rep);
/* Sections (buffers) of a caller workload: page counts, sum = the cell's
 * pages; returns how many (at most max). */
size_t callers_sections(const struct cell_spec *s, uint32_t *pages, size_t max);
size_t callers_max_sections(const struct cell_spec *s);

#endif /* BENCH_CELL_CTX_H */
