#!/bin/sh
# mkdocs.sh WW_BENCH DOCS_DIR
# Run the quick set and rewrite DOCS_DIR/benchmark.md with its table and the
# two plots (DOCS_DIR/ww-bench-size.png, ww-bench-fraction.png).
# Used by `make -C <build>/bench docs`.  The Wine rows of another Debian
# release (DOCS_DIR/benchmark-wine-*.txt, made in that release's root, see
# "Wine 10.0" in the page) are kept and shown after the table.
set -u
bench=$1
docs=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$docs" || exit 1
"$bench" --quick --plot-dir "$tmp" >"$tmp/table.txt"
status=$?
# exit 1 = a cell lost writes: still documented (the table says FAIL), but
# anything else is a broken run and must not overwrite the docs
if [ "$status" -gt 1 ] || [ ! -s "$tmp/table.txt" ]; then
	echo "mkdocs.sh: ww-bench failed ($status); docs left unchanged" >&2
	exit 1
fi
for png in ww-bench-size.png ww-bench-fraction.png; do
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
make && make bench-quick        # ww-bench --quick: under 2 minutes on 2 cores
make bench                      # the full set, 1 MiB .. 4 GiB (an hour or more here)
make -C build/bench docs        # re-run the quick set into this page
build/bench/ww-bench --help     # sizes, workloads, backends, --json, --csv, plots
```

(`build/` is whichever build directory you configured.)  The quick set takes
about 100 s on an idle 2-vCPU VM, Wine prefix creation included; other load
on the machine stretches it.  The full set's dense 4 GiB cells alone fault
in a million pages per row and repetition.  `make bench-quick`
and `make bench` also write `ww-bench*.json`, `.csv`, `.txt` and the plots
into the build's `bench/` directory.

## Rows

| row | what it is |
|---|---|
| `none` | the same stores with no tracking, on populated memory: the cost of the store |
| `none-fresh` | the same stores on never-touched memory: a plain minor fault, the floor of any write fault |
| `raw-scan` | its own userfaultfd (WP_ASYNC + WP_UNPOPULATED) and the bare `PAGEMAP_SCAN` get-and-clear loop, no library: the floor of `uffd-async` |
| `uffd-async` | the library, `WW_BACKEND_UFFD` |
| `uffd-sync` | the library, `WW_BACKEND_UFFD_SYNC` (handler thread resolving each fault) |
| `mprotect` | the library, `WW_BACKEND_MPROTECT` (SIGSEGV + mprotect) |
| `soft-dirty` | `/proc/self/clear_refs` "4" + pagemap bit 55; needs `CONFIG_MEM_SOFT_DIRTY` (listed as unavailable, with the reason, when the kernel lacks it) |
| `wine-builtin` | `bench/win/ww-bench-win.c` (the same cell code, mingw-w64) under the build's Wine (8.0 on Debian 12): Wine's own write watch |
| `wine-shim` | the same program through `ww-wine` (the Wine DLL of `dlls/kernelbase-writewatch`) |

Every native cell repetition runs in a fresh forked process (after an untimed
warm-up on a small region), repetition-major across rows, so no backend's
state (the mprotect backend's SIGSEGV handler, a handler thread, page tables)
touches another's numbers.  Wine cells run in one Wine process per cell, in a
WINEPREFIX inside the build directory (`wineboot -i`, once), under a time
limit; a cell past it is reported as DID NOT FINISH.

## Workloads

- `dense`: every page written, then get, then get-and-reset.
- `sparse`: every 7th page (`--sparse-n`).
- `random`: a fraction of the pages, uniformly, written in random order.
- `gc-cycle`: 4 rounds of a 5 % burst, each followed by get-and-reset through a
  2048-entry buffer, looping while the buffer comes back full (Boehm GC).
- `huge-reserve`: 64 GiB reserved, 1 GiB committed, 1 % written (setup cost,
  page tables, WP_UNPOPULATED).
- `threads`: 2 writer threads write their halves while the main thread loops
  get-and-reset.

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

JSON (`--json FILE`): `{"machine", "kernel", "quick", "unavailable":[{backend,
reason}], "notes":[...], "results":[{"backend", "workload", "region_bytes",
"dirty_pages", "metric", "median_ns", "min_ns", "max_ns", "correct"}]}` with
metrics `setup_total`, `setup_per_gib`, `write_per_page`, `get_per_page`,
`get_reset_per_page`, `get_reset_total`, `get_reset_per_gib`,
`vmpte_delta_kib` and `vma_delta` (these two carry KiB and a count in the
`*_ns` fields).  A cell that did not finish has one entry with metric
`did_not_finish` and null values.

## Reading the numbers

The reference machine is a VM with 2 vCPUs where any trap costs about 10 us;
use the ratios, not the absolute times.  The load average at the start of the
run is printed: other work on the machine widens the `[min-max]` ranges and
moves the ratios by tens of percent between runs.  The targets are printed by
the benchmark as met / not met with the measured ratios; they are never
asserted by a test.

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
printf 'Generated %s by `make -C build/bench docs` (`ww-bench --quick`).\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
printf '```text\n'
cat "$tmp/table.txt"
printf '```\n\n'
for other in "$docs"/benchmark-wine-*.txt; do
	[ -f "$other" ] || continue
	printf '### %s\n\n```text\n' "$(sed -n '1s/^# //p' "$other")"
	sed 1d "$other"
	printf '```\n\n'
done
printf '![get-and-reset and cost per dirty page vs region size](ww-bench-size.png)\n\n'
printf '![cost per dirty page vs dirty fraction](ww-bench-fraction.png)\n'
} >"$docs/benchmark.md.tmp" && mv "$docs/benchmark.md.tmp" "$docs/benchmark.md"
echo "mkdocs.sh: wrote $docs/benchmark.md"
