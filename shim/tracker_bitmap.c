/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Dirty-page tracking of the mprotect and uffd-sync backends (see the header). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bitmap.h"
#include "init.h"
#include "log.h"
#include "region.h"
#include "stats.h"
#include "tracker_bitmap.h"

/* Clean pages between two taken pages that a re-arm span may cover.  Re-arming
 * clean pages again is harmless (they are protected already) and saves system
 * calls; the cap bounds the work on huge sparse regions. */
#define WW_SPAN_GAP_MAX 1024

struct ww_tracker *ww_tracker_new(size_t npages)
{
	struct ww_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->npages = npages;
	t->bytes = ww_bitmap_words(npages ? npages : 1) * sizeof(ww_word);
	t->dirty = ww_lazy_zalloc(t->bytes);
	if (!t->dirty) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void ww_tracker_free(struct ww_tracker *t)
{
	if (!t)
		return;
	ww_lazy_free(t->dirty, t->bytes);
	free(t);
}

void ww_tracker_release(struct ww_region *r)
{
	struct ww_tracker *t = ww_tracker_of(r);

	ww_tracker_publish(r, NULL);
	ww_tracker_free(t);
}

static int forget_run(struct ww_region *r, size_t a, size_t b, void *t)
{
	ww_bits_clear(((struct ww_tracker *)t)->dirty, a, b);
	return 0;
}

void ww_tracker_forget_new(struct ww_region *r, struct ww_tracker *t, size_t first, size_t last)
{
	ww_region_for_each_run(r, first, last, false, forget_run, t);
}

struct mark_committed {
	struct ww_tracker *t;
	size_t fresh;
};

static int mark_run(struct ww_region *r, size_t a, size_t b, void *arg)
{
	struct mark_committed *m = arg;

	m->fresh += ww_bits_set(m->t->dirty, a, b);
	return 0;
}

size_t ww_tracker_mark_committed(struct ww_region *r, struct ww_tracker *t, size_t first,
				 size_t last)
{
	struct mark_committed m = { .t = t };

	ww_region_for_each_run(r, first, last, true, mark_run, &m);
	return m.fresh;
}

/* May a span ending at page `end` (exclusive) grow to include page `next`? */
static bool span_can_join(const struct ww_region *r, const struct ww_rearm *ra,
			  size_t start, size_t end, size_t next)
{
	size_t i;

	if (next - end > WW_SPAN_GAP_MAX)
		return false;
	if (!ra->same_prot)
		return true;
	for (i = end; i <= next; i++)
		if (!ww_page_committed(r, i) || ww_region_prot(r, i) != ww_region_prot(r, start))
			return false;
	return true;
}

static void mark_pages(struct ww_tracker *t, const size_t *idx, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		ww_bit_set(t->dirty, idx[k]);
}

static void warn_overreport(const struct ww_rearm *ra, int err)
{
	static atomic_bool warned;

	if (!atomic_exchange(&warned, true))
		WW_WARN("%s: re-protecting after a reset failed (%s): pages stay writable and are "
			"reported again (over-report)%s", ra->name, strerror(err),
			err == ENOMEM ? "; vm.max_map_count reached?" : "");
}

/*
 * Re-arm the n taken pages idx[] (ascending, bits already cleared) in
 * coalesced spans.  ENOMEM: that span keeps its bits (still returned, and
 * reported again later).  Other errors: with `returned` (a get) the bits of
 * the failed span and of every page after it are set again, *returned says
 * how many leading pages stay returned, and the error is returned at once;
 * without (a reset) only the span's bits come back, and the reset goes on.
 */
static int rearm_taken(struct ww_region *r, struct ww_tracker *t, const struct ww_rearm *ra,
		       const size_t *idx, size_t n, size_t *returned)
{
	size_t a = 0, b;
	int err = 0;

	if (returned)
		*returned = n;
	while (a < n) {
		size_t start = idx[a], end = idx[a] + 1;

		for (b = a + 1; b < n && span_can_join(r, ra, start, end, idx[b]); b++)
			end = idx[b] + 1;
		if (ra->same_prot && !ww_page_committed(r, start)) {
			a = b;	/* decommitted meanwhile: nothing to protect */
			continue;
		}
		if (ra->rearm(r, start, end) < 0) {
			int e = errno;

			if (e != ENOMEM && returned) {
				/* not returned: nothing may be lost */
				mark_pages(t, idx + a, n - a);
				*returned = a;
				WW_DEBUG("%s: re-protect of pages [%zu, %zu) failed: %s", ra->name,
					 start, end, strerror(e));
				return -e;
			}
			mark_pages(t, idx + a, b - a);
			WW_STAT_ADD(overreported_pages, b - a);
			warn_overreport(ra, e);
			if (e != ENOMEM && !err)
				err = -e;
		}
		a = b;
	}
	return err;
}

#define WW_TAKE_CHUNK 256

static size_t take(struct ww_tracker *t, size_t first, size_t last, bool clear,
		   size_t *out, size_t cap)
{
	return ww_bits_take(t->dirty, first, last < t->npages ? last : t->npages, clear, out, cap);
}

/* How many of the n ascending pages idx[] fit in found's runs. */
static size_t pages_that_fit(const struct ww_found *f, const size_t *idx, size_t n)
{
	size_t room = ww_found_run_room(f), next = f->nruns ? f->runs[f->nruns - 1].last : SIZE_MAX;
	size_t k;

	for (k = 0; k < n; k++) {
		if (idx[k] != next) {	/* starts a run of its own */
			if (!room)
				break;
			room--;
		}
		next = idx[k] + 1;
	}
	return k;
}

int ww_tracker_get(struct ww_region *r, struct ww_tracker *t, const struct ww_rearm *ra,
		   size_t first, size_t last, bool reset, struct ww_found *found)
{
	size_t buf[WW_TAKE_CHUNK];
	int err = 0;

	/* Chunks keep the order ascending: each takes the lowest bits left
	 * after the previous one. */
	while (first < last) {
		size_t room = ww_found_page_room(found), n, fit, ok, k;

		if (!room)
			break;
		n = take(t, first, last, reset, buf, room < WW_TAKE_CHUNK ? room : WW_TAKE_CHUNK);
		fit = pages_that_fit(found, buf, n);
		if (fit < n && reset)
			mark_pages(t, buf + fit, n - fit);	/* no room for their runs: not taken */
		if (!fit)
			break;
		ok = fit;
		if (reset)
			err = rearm_taken(r, t, ra, buf, fit, &ok);
		for (k = 0; k < ok; k++)
			ww_found_add(found, buf[k], buf[k] + 1);
		if (err || fit < n)
			break;
		first = buf[n - 1] + 1;
	}
	return err;
}

int ww_tracker_reset(struct ww_region *r, struct ww_tracker *t, const struct ww_rearm *ra,
		     size_t first, size_t last)
{
	size_t buf[WW_TAKE_CHUNK], n;
	int err;

	while (first < last) {
		n = take(t, first, last, true, buf, WW_TAKE_CHUNK);
		if (!n)
			break;
		err = rearm_taken(r, t, ra, buf, n, NULL);
		if (err)
			return err;	/* the rest stays as it was */
		first = buf[n - 1] + 1;
	}
	return 0;
}
