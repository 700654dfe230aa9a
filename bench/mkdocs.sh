#!/bin/sh
# mkdocs.sh WW_BENCH DOCS_DIR [RUN_DIR]
# Run the quick set and rewrite DOCS_DIR/benchmark.md with its table and the
# three plots (DOCS_DIR/ww-bench-size.png, ww-bench-fraction.png,
# ww-bench-bars.png).  Used by `make -C <build>/bench docs`.
# With RUN_DIR, document a finished `make bench-quick` instead of running
# again: RUN_DIR/ww-bench-quick.txt and the plots beside it.
# WW_BENCH_DOCS_NOTE, when set, is printed above the table (e.g. the load).
# The Wine rows of another Debian release (DOCS_DIR/benchmark-wine-*.txt,
# made in that release's root, see "Wine 10.0" in the page) are kept and
# shown after the table.
set -u
bench=$1
docs=$2
run=${3:-}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$docs" || exit 1
if [ -n "$run" ]; then
	cp "$run/ww-bench-quick.txt" "$tmp/table.txt" && cp "$run"/ww-bench-*.png "$tmp/"
	status=$?
else
	"$bench" --quick --plot-dir "$tmp" >"$tmp/table.txt"
	status=$?
fi
# exit 1 = a cell lost writes: still documented (the table says FAIL), but
# anything else is a broken run and must not overwrite the docs
if [ "$status" -gt 1 ] || [ ! -s "$tmp/table.txt" ]; then
	echo "mkdocs.sh: ww-bench failed ($status); docs left unchanged" >&2
	exit 1
fi
for png in ww-bench-size.png ww-bench-fraction.png ww-bench-bars.png; do
	if [ -f "$tmp/$png" ]; then
		cp "$tmp/$png" "$docs/$png"
	else
		echo "mkdocs.sh: $png not produced (gnuplot missing?): plot left as it was" >&2
	fi
done

{
cat <<'HEAD'
# ww-bench: write-watch performance, side by side

`ww-bench` runs every way of tracking writes that this project knows on the
same workloads, in one run, and prints one table: the library's backends, the
floors that show the limit, soft-dirty, and Wine's own `GetWriteWatch`
(Wine 8.0 here, Debian 13's Wine 10.0 in a debootstrap root: see the end).

```sh
make && make bench-quick        # ww-bench --quick: under 3 minutes on 2 cores
make bench                      # the full set, 1 MiB .. 4 GiB (an hour or more here)
make -C build/bench docs        # re-run the quick set into this page
build/bench/ww-bench --help     # sizes, workloads, backends, --json, --csv, plots
build/bench/ww-bench compare OLD.json NEW.json   # what changed beyond the noise
```

(`build/` is whichever build directory you configured.)  The quick set took
about 100 s on an idle 2-vCPU VM, Wine prefix creation included, before the
three caller workloads were added (they add about 50 s); other load on the
machine stretches it.  The full set's dense 4 GiB cells alone fault
in a million pages per row and repetition.  `make bench-quick`
and `make bench` also write `ww-bench*.json`, `.csv`, `.txt` and the plots
into the build's `bench/` directory.

## Rows

| row | what it is |
|---|---|
| `none` | the same stores with no tracking, on populated memory: the cost of the store |
| `none-fresh` | the same stores on never-touched memory: a plain minor fault, the floor of any write fault; in the caller workloads the untracked floor: its allocation is the `mmap` alone |
| `raw-scan` | its own userfaultfd (WP_ASYNC + WP_UNPOPULATED) and the bare `PAGEMAP_SCAN` calls the library makes (a look that protects nothing; then, for a few written runs, the get-and-clear of each, else the get-and-clear loop), no library: the floor of `uffd`; its allocation (mmap + `UFFDIO_REGISTER` + `UFFDIO_WRITEPROTECT` of a fresh range) is the floor of `ww_alloc` and `VirtualAlloc(MEM_WRITE_WATCH)`, its reset (a vector-less `PAGEMAP_SCAN` that write-protects only the written pages) the floor of `ResetWriteWatch` |
| `uffd` | the library, `WW_BACKEND_UFFD` |
| `uffd-ext` | the same backend called the way ww-wine's unix side calls it: the caller maps the memory and watches it `WW_WATCH_EXTERNAL` (`ww_watch_fresh`), gets go through `ww_get_checked` (ww-wine's PE side has probed the buffer), so none of `ww_get`'s two system calls of checks; caller workloads only, to split a wine-shim call into its parts |
| `uffd-sync` | the library, `WW_BACKEND_UFFD_SYNC` (handler thread resolving each fault) |
| `mprotect` | the library, `WW_BACKEND_MPROTECT` (SIGSEGV + mprotect) |
| `soft-dirty` | `/proc/self/clear_refs` "4" + pagemap bit 55; needs `CONFIG_MEM_SOFT_DIRTY` (listed as unavailable, with the reason, when the kernel lacks it) |
| `wine-builtin` | `bench/win/ww-bench-win.c` (the same cell code, mingw-w64) under the build's Wine (8.0 on Debian 12): Wine's own write watch |
| `wine-shim` | the same program through `ww-wine` (the Wine DLL of `dlls/kernelbase-writewatch`) |

Every native cell repetition runs in a fresh forked process (after an untimed
warm-up on a small region), repetition-major across rows, so no backend's
state (the mprotect backend's SIGSEGV handler, a handler thread, page tables)
touches another's numbers.  Before its cell each child runs a moment on
every CPU it may use, so that, like any program that has threads or has
migrated and like every Wine process, its TLB flushes go to all of them
([pitfall 13 of kernel-notes.md](kernel-notes.md): 2-3 us more per resetting scan here, for
the life of the process).  Wine cells run in one Wine process per cell
(warmed up once, untimed), which runs each repetition when ww-bench tells it
to (`--paced`): repetition i of every row, native and Wine, runs before
repetition i+1 (the rows in order, then in reverse order), so a drift of the
machine moves all rows of a group alike, not the ratios between them.  Wine uses a WINEPREFIX inside the build
directory (`wineboot -i`, once) and one persistent wineserver; every step
has a time limit, and a cell past it is reported as DID NOT FINISH.

## Workloads

- `dense`: every page written, then get, then get-and-reset.  The
  get-and-reset starts 2 ms (spinning) after the get, for every row alike:
  a scan just after the faults runs slower, and the get before it is 5x
  longer through the library than on the bare loop
  ([pitfall 15 of kernel-notes.md](kernel-notes.md)).
- `sparse`: every 7th page (`--sparse-n`).
- `random`: a fraction of the pages, uniformly, written in random order.
- `gc-cycle`: 4 rounds of a 5 % burst, each followed by get-and-reset through a
  2048-entry buffer, looping while the buffer comes back full (Boehm GC).
- `huge-reserve`: 64 GiB reserved, 1 GiB committed, 1 % written (setup cost,
  page tables, WP_UNPOPULATED).
- `threads`: 2 writer threads write their halves while the main thread loops
  get-and-reset.

Modelled on real callers (every call timed on its own; the pages written
depend on the seed and the cycle only, so every repetition does the same
work; `none` and `soft-dirty` do not run them):

- `gc-sections` (bdwgc, `GWW_VDB`): the heap is sections of 64 KiB to 1 MiB
  (a fixed mix, mean 416 KiB; bdwgc measured ~440 KB), each its own
  allocation (`VirtualAlloc(MEM_WRITE_WATCH)`, `ww_alloc`, mmap + register +
  write-protect: timed as `alloc_per_call`).  Each of 8 cycles writes 1/16
  of the pages of 36 % of the sections, then calls `GetWriteWatch(RESET)` on
  every section with a 2048-entry buffer, again while the buffer comes back
  full: about 64 % of the calls find no page, as bdwgc's gctest does.
- `clr` (32-bit CoreCLR background GC): one heap (quick set: 132 MiB, one
  128 MiB chunk and a 4 MiB tail); each of 2 cycles writes 1 % of the pages, then
  per 128 MiB chunk (`--chunk`) calls `GetWriteWatch` without reset with a
  100-entry buffer, moving the start past the last page returned while the
  buffer fills, then `ResetWriteWatch` over the chunk (`reset_per_call`).
- `capture` (a capture/replay tool: GITS, apitrace): buffers of 64 KiB to
  2 MiB, each its own allocation, rewritten densely every frame (4 frames),
  then one `GetWriteWatch(RESET)` per buffer per frame, sized to the buffer.

Before the cycles every section is populated the way a program does it (a
store to every page) and drained, untimed, so every row starts from used,
clean memory.

## Columns and metrics

Times are medians over 5 repetitions (`[min-max]` where shown; all three are
in `--json`/`--csv`).  `setup` = watching a populated region (`ww_watch`,
register + write-protect, `VirtualAlloc`), or reserve + commit for
huge-reserve.  `write/page` = one store to a clean page of a watched region.
`get/page` = get without reset, `get+reset/page` = get-and-reset, per dirty
page; `g+r total` and `g+r/GiB` per call and per GiB watched.  `dPTE`/`dVMA` =
growth of VmPTE and of `/proc/<pid>/maps` lines from before setup to after the
writes.  `check` compares the pages reported with the pages written: a lost
write makes the cell FAIL; over-reports (a page reported that was not written
since the last reset, e.g. the mprotect backend past `vm.max_map_count`, or a
write racing a reset in `threads`) are counted and shown.

Per call (caller workloads, their own table): `calls` and `empty` = get
calls per repetition and the share that found no page; `get/call` =
`get_per_call`, the mean of one `GetWriteWatch`/`ww_get` call;
`empty get/call` = `empty_get_per_call`, the same over the calls that found
nothing (an empty section should cost about one bare `PAGEMAP_SCAN`);
`reset/call` = `reset_per_call` (clr's chunks); `alloc/call` =
`alloc_per_call`, allocating and watching one fresh section or buffer; each
with its ratio to raw-scan, the bare ioctls on the same ranges.  Under each
cell, "where a wine-shim call goes": wine-shim per call split as ioctls
(raw-scan) + library (uffd-ext - raw-scan) + PE side, unix call and Wine
(wine-shim - uffd-ext), beside native `ww_get` (uffd) with its checks
(uffd - uffd-ext: the buffer probe and the mapping check, two system
calls ww-wine does not need) and wine-builtin.  The parts are differences
of medians of separate rows of one run, not a trace of one call, so a part
smaller than the run-to-run spread can come out negative.  The timer (one clock
read before and after each call; QueryPerformanceCounter under Wine) is
inside every per-call figure.

JSON (`--json FILE`): `{"machine", "kernel", "quick", "unavailable":[{backend,
reason}], "notes":[...], "results":[{"backend", "workload", "region_bytes",
"dirty_pages", "metric", "median_ns", "min_ns", "max_ns", "reps", "samples",
"correct"}]}` with metrics `setup_total`, `setup_per_gib`, `write_per_page`,
`get_per_page`, `get_reset_per_page`, `get_reset_total`, `get_reset_per_gib`,
`vmpte_delta_kib`, `vma_delta`, `get_per_call`, `empty_get_per_call`,
`reset_per_call`, `alloc_per_call`, `get_calls`, `empty_calls` and
`untracked_alloc` (Wine rows: the same `VirtualAlloc` without
`MEM_WRITE_WATCH`, in the same process, after the watched ones are freed
and the process has been idle for 20 ms, as the watched ones start after the
paced wait; per call in gc-sections and capture, the whole reserve + commit in
huge-reserve)
(`vmpte_delta_kib`, `vma_delta`, `get_calls` and `empty_calls` carry KiB or
counts in the `*_ns` fields); `samples` holds every repetition's value.  A
cell that did not finish has one entry with metric `did_not_finish` and null
values.

## Comparing two runs

`ww-bench compare OLD.json NEW.json` prints NEW/OLD for every cell and
metric of two `--json` files and flags a change as beyond the run-to-run
spread where the repetitions do not overlap: every NEW repetition above
(SLOWER) or below (faster) every OLD one.  For unchanged code that happens by
chance with probability 2 / C(n1+n2, n1), the extreme of a Mann-Whitney U
test: 0.8 % for 5 repetitions against 5.  Pairs where that chance exceeds
5 % (fewer than 4 repetitions a side, 3 against 5 excepted) are printed
unjudged.  The summary counts slower, faster, within, unjudged and unmatched
cells; the exit status is 0 whatever changed (2 for unreadable input), so
a script reads the verdicts, not the status.  Compare runs of the same
machine under the same load only.

## Plots

- `ww-bench-bars.png`: cost per dirty page (write + get-and-reset) by
  backend, one panel per headline workload (dense, sparse, gc-cycle,
  gc-sections, clr, capture), each at its largest cell that raw-scan
  finished; a log axis where the bars span more than a decade.
- `ww-bench-size.png`: sparse, get-and-reset of the whole region and cost per
  dirty page versus region size.
- `ww-bench-fraction.png`: cost per dirty page versus dirty fraction.

The untracked floors (`none`, a plain store; `none-fresh`, a minor fault) are
dashed reference lines, not series, and the cost axis spans the tracking rows
only; a floor below the axis says so in the key.

## Reading the numbers

The reference machine is a VM with 2 vCPUs where any trap costs about 10 us;
use the ratios, not the absolute times.  The load average at the start of the
run is printed: other work on the machine widens the `[min-max]` ranges and
moves the ratios by tens of percent between runs.  The targets are printed by
the benchmark as met / not met with the measured ratios; they are never
asserted by a test.  Each states the physical reason for its bound and is
judged on ratios of rows of the same run:

- get-and-reset within 1.10x of raw-scan: the bare ioctls are the floor;
- write fault within 1.3x of a minor fault: the kernel's own uffd-wp fault
  (raw-scan) is ~1.3x;
- faster per dirty page than mprotect (and wine-builtin) by min(1.5x, the
  bound), within 1.10x: a dirty page costs a write fault plus its share of
  the scan, and uffd cannot go below raw-scan, so the most it can gain
  is cost(mprotect) / cost(raw-scan); with mprotect's fault ~1.75x a minor
  fault and the uffd fault ~1.3x that is ~1.35x on dense.  The bound and both
  fault ratios are printed;
- ww-wine per `GetWriteWatch` call on gc-sections at least 2x below
  wine-builtin and within 1.3x of native `ww_get` on the same ranges; where
  raw-scan alone is more than half of wine-builtin's call, 2x is impossible
  and the goal is within 1.2x of raw-scan (printed with the figures);
- ww-wine `VirtualAlloc(MEM_WRITE_WATCH)` within 1.2x of the floor
  (gc-sections and capture `alloc_per_call`, huge-reserve `setup_total`).
  ww-wine cannot allocate without Wine, so its floor is Wine's own
  `VirtualAlloc` of the same range without `MEM_WRITE_WATCH`, timed in the
  same process under the same conditions (`untracked_alloc`: after an idle
  spell, as the watched one follows the paced wait; straight after the
  watched one, on warm caches, Wine's 64 GiB/1 GiB reserve + commit took
  360-580 us here instead of 920-1020), plus the kernel's register +
  write-protect of it, timed natively (raw-scan's allocation minus the mmap
  alone, none-fresh; huge-reserve: minus none's reserve + commit).  For
  fresh memory the write-protect allocates the page tables that hold
  WP_UNPOPULATED's markers: most of a 1 GiB commit's cost.  The ratio to the
  native floor (mmap + register + write-protect) is printed beside it; on
  huge-reserve it cannot reach 1.2x, because Wine's own reserve + commit
  of 64 GiB/1 GiB is itself a large share of it.

## Wine 10.0 (Debian 13)

The Wine rows measure the Wine the build was configured with.  Debian 13's
Wine 10.0 is measured by the same bench built in a Debian 13 root
(`tools/debian-root`, needs root), its output kept in
`docs/benchmark-wine-10.0.txt` and shown after the table:

```sh
{ echo "# Wine 10.0 rows (Debian 13 root), $(date -u '+%Y-%m-%d')"
  tools/debian-root trixie --run 'build/bench/ww-bench --quick -b wine-builtin,wine-shim' 2>/dev/null
} > docs/benchmark-wine-10.0.txt
```

HEAD
printf '## Latest quick run\n\n'
if [ -n "$run" ]; then
	how='from the output of `make -C build bench-quick` (`ww-bench --quick`)'
else
	how='by `make -C build/bench docs` (`ww-bench --quick`)'
fi
printf 'Generated %s %s.\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$how"
if [ -n "${WW_BENCH_DOCS_NOTE:-}" ]; then
	printf '**Note:** %s\n\n' "$WW_BENCH_DOCS_NOTE"
fi
printf '```text\n'
cat "$tmp/table.txt"
printf '```\n\n'
for other in "$docs"/benchmark-wine-*.txt; do
	[ -f "$other" ] || continue
	printf '### %s\n\n```text\n' "$(sed -n '1s/^# //p' "$other")"
	sed 1d "$other"
	printf '```\n\n'
done
printf '![cost per dirty page by backend, per headline workload](ww-bench-bars.png)\n\n'
printf '![get-and-reset and cost per dirty page vs region size](ww-bench-size.png)\n\n'
printf '![cost per dirty page vs dirty fraction](ww-bench-fraction.png)\n'
} >"$docs/benchmark.md.tmp" && mv "$docs/benchmark.md.tmp" "$docs/benchmark.md"
echo "mkdocs.sh: wrote $docs/benchmark.md"
