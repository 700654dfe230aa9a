/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The two-level page set that holds a region's committed pages (bitmap.h,
 * docs/architecture.md "Per-page state"): against a plain array of bools
 * under random changes, at the chunk edges, across a chunk's changes of kind
 * (a uniform chunk turning mixed must not show what its words held in an
 * earlier mixed spell), with a reader running meanwhile, and without
 * touching the per-page words when whole chunks change.
 * Backend-independent: each body runs once.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "internal.h"

#define CB WW_CHUNK_BITS

static void set_init(struct ww_pageset *s, size_t bits)
{
	assert_int_equal(ww_pageset_init(s, bits), 0);
}

/* Every page, and the finds from every 97th page, agree with the model. */
static void expect_model(const struct ww_pageset *s, const bool *m, size_t bits)
{
	size_t *next_in = malloc((bits + 1) * sizeof(size_t)), *next_out = malloc((bits + 1) * sizeof(size_t));

	assert_non_null(next_in);
	assert_non_null(next_out);
	next_in[bits] = next_out[bits] = bits;
	for (size_t i = bits; i-- > 0;) {
		next_in[i] = m[i] ? i : next_in[i + 1];
		next_out[i] = m[i] ? next_out[i + 1] : i;
	}
	for (size_t i = 0; i < bits; i++)
		if (ww_pageset_has(s, i) != m[i])
			fail_msg("page %zu of %zu: has() says %d, want %d", i, bits, ww_pageset_has(s, i), m[i]);
	for (size_t first = 0; first < bits; first += 97) {
		size_t last = first + (size_t)rand() % (bits - first) + 1;

		assert_int_equal(ww_pageset_find_in(s, first, last), next_in[first] < last ? next_in[first] : last);
		assert_int_equal(ww_pageset_find_out(s, first, last), next_out[first] < last ? next_out[first] : last);
	}
	free(next_in);
	free(next_out);
}

/* A range that often starts or ends on a chunk edge, or covers chunks. */
static void random_range(size_t bits, size_t *first, size_t *last)
{
	size_t a = (size_t)rand() % bits, b;

	switch (rand() % 4) {
	case 0:		/* from a chunk edge */
		a -= a % CB;
		break;
	case 1:		/* next to a chunk edge */
		a -= a % CB;
		if (a && rand() % 3 == 0)
			a--;
		else if (a + 1 < bits && rand() % 2)
			a++;
		break;
	}
	b = a + 1 + (size_t)rand() % (rand() % 3 ? 70 : bits - a);
	if (rand() % 4 == 0)	/* to a chunk edge */
		b = (b + CB - 1) / CB * CB;
	*first = a;
	*last = b < bits ? b : bits;
}

static void against_model(size_t bits, int ops)
{
	struct ww_pageset s;
	bool *m = calloc(bits, sizeof(*m));

	assert_non_null(m);
	set_init(&s, bits);
	expect_model(&s, m, bits);
	for (int k = 0; k < ops; k++) {
		size_t a, b;
		bool add = rand() % 2;

		random_range(bits, &a, &b);
		if (add)
			ww_pageset_add(&s, a, b);
		else
			ww_pageset_remove(&s, a, b);
		for (size_t i = a; i < b; i++)
			m[i] = add;
		expect_model(&s, m, bits);
	}
	ww_pageset_destroy(&s);
	free(m);
}

static void random_changes_match_a_model(void)
{
	static const size_t sizes[] = { 1, 63, 64, 65, CB - 1, CB, CB + 1, 3 * CB + 100 };

	srand(12345);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
		against_model(sizes[k], sizes[k] > CB ? 60 : 200);
}

/* A chunk made whole (its byte only) and then changed in part must show
 * its uniform value, not the bits its words kept from before. */
static void uniform_chunk_turning_mixed_forgets_old_words(void)
{
	struct ww_pageset s;
	size_t bits = 2 * CB + 10;

	set_init(&s, bits);
	ww_pageset_add(&s, 100, 200);		/* chunk 0 mixed: words hold 100-199 */
	ww_pageset_add(&s, 0, CB);		/* whole: FULL, words stale */
	ww_pageset_remove(&s, 5, 6);		/* mixed again */
	for (size_t i = 0; i < CB; i++)
		assert_int_equal(ww_pageset_has(&s, i), i != 5);
	assert_int_equal(ww_pageset_find_out(&s, 0, CB), 5);
	assert_int_equal(ww_pageset_find_out(&s, 6, CB), CB);

	ww_pageset_remove(&s, 0, CB);		/* whole: EMPTY, words stale (all but 5) */
	ww_pageset_add(&s, 7, 8);
	for (size_t i = 0; i < CB; i++)
		assert_int_equal(ww_pageset_has(&s, i), i == 7);
	assert_int_equal(ww_pageset_find_in(&s, 0, bits), 7);
	assert_int_equal(ww_pageset_find_in(&s, 8, bits), bits);

	/* the short last chunk is whole at its own end */
	ww_pageset_add(&s, 2 * CB, bits);
	assert_int_equal(ww_pageset_find_in(&s, 8, bits), 2 * CB);
	assert_int_equal(ww_pageset_find_out(&s, 2 * CB, bits), bits);
	ww_pageset_remove(&s, bits - 1, bits);
	assert_int_equal(ww_pageset_find_out(&s, 2 * CB, bits), bits - 1);
	ww_pageset_destroy(&s);
}

/* Resident pages of the words array (lazily backed when large). */
static size_t resident_word_pages(const struct ww_pageset *s)
{
	size_t len = ww_bitmap_words(s->bits) * sizeof(ww_word), pages = (len + P - 1) / P, n = 0;
	unsigned char *vec = malloc(pages);

	assert_non_null(vec);
	assert_int_equal(mincore(s->words, len, vec), 0);
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

/* What the two levels are for: committing 1 GiB of a 64 GiB reservation
 * writes chunk bytes only; a partial chunk costs one page of words. */
static void whole_chunks_leave_the_words_untouched(void)
{
	struct ww_pageset s;
	const size_t bits = (size_t)((64ull << 30) / 4096), gib = (size_t)((1ull << 30) / 4096);

	set_init(&s, bits);
	ww_pageset_add(&s, 0, gib);
	ww_pageset_add(&s, bits - 4 * CB, bits);
	assert_int_equal(ww_pageset_find_out(&s, 0, bits), gib);
	assert_int_equal(ww_pageset_find_in(&s, gib, bits), bits - 4 * CB);
	assert_int_equal(resident_word_pages(&s), 0);
	ww_pageset_remove(&s, 10, 11);
	assert_int_equal(resident_word_pages(&s), 1);
	assert_false(ww_pageset_has(&s, 10));
	assert_true(ww_pageset_has(&s, 11));
	ww_pageset_destroy(&s);
}

/* A reader of a page whose membership never changes, while the writer
 * takes its chunk through every kind around it (whole, then in part).  A
 * chunk published mixed before its words hold its value would show the
 * page wrongly; ThreadSanitizer checks the ordering itself. */
struct reader {
	struct ww_pageset *s;
	atomic_bool stop;
	atomic_long wrong, reads;
};

static void *read_constant_page(void *arg)
{
	struct reader *rd = arg;

	while (!atomic_load(&rd->stop)) {
		if (!ww_pageset_has(rd->s, CB + 1000))	/* always in the set */
			atomic_fetch_add(&rd->wrong, 1);
		atomic_fetch_add(&rd->reads, 1);
	}
	return NULL;
}

static void reader_sees_constant_page_across_changes(void)
{
	struct ww_pageset s;
	struct reader rd = { .s = &s };
	pthread_t t;

	set_init(&s, 3 * CB);
	ww_pageset_add(&s, CB, 2 * CB);
	assert_int_equal(pthread_create(&t, NULL, read_constant_page, &rd), 0);
	for (int k = 0; k < 20000 || atomic_load(&rd.reads) < 1000; k++) {
		size_t i = CB + (size_t)(k * 7919) % CB;

		if (i == CB + 1000)
			continue;
		ww_pageset_remove(&s, i, i + 1);	/* FULL -> MIXED */
		ww_pageset_add(&s, i, i + 1);
		ww_pageset_add(&s, CB, 2 * CB);		/* -> FULL, words stale */
	}
	atomic_store(&rd.stop, true);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&rd.wrong), 0);
	ww_pageset_destroy(&s);
}

static const struct ww_test tests[] = {
	WW_TEST_ONCE(random_changes_match_a_model),
	WW_TEST_ONCE(uniform_chunk_turning_mixed_forgets_old_words),
	WW_TEST_ONCE(whole_chunks_leave_the_words_untouched),
	WW_TEST_ONCE(reader_sees_constant_page_across_changes),
};

WW_MAIN(tests)
