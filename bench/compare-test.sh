#!/bin/sh
# make check: ww-bench compare on two synthetic --json files made here.
# Checks the flagging rule (no overlap of the repetitions, at most a 5 %
# chance by accident), the summary, exit status 0, and that bad input is
# an error (exit 2) that names the file.
set -u
dir=${TMPDIR:-/tmp}/ww-bench-compare.$$
mkdir -p "$dir" || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "compare-test: $*"; cat "$dir/out" 2>/dev/null; exit 1; }

# entry BACKEND METRIC MEDIAN MIN MAX REPS SAMPLES
entry() {
	printf '    {"backend": "%s", "workload": "gc-sections", "region_bytes": 33554432,' "$1"
	printf ' "dirty_pages": 2000, "metric": "%s", "median_ns": %s, "min_ns": %s,' "$2" "$3" "$4"
	printf ' "max_ns": %s, "reps": %s, "samples": [%s], "correct": true}' "$5" "$6" "$7"
}
file() {	# file NAME ENTRIES...
	name=$1; shift
	{
		printf '{\n  "machine": "synthetic \\"%s\\"",\n  "quick": true,\n' "$name"
		printf '  "unavailable": [],\n  "notes": [],\n  "results": [\n'
		sep=
		for e in "$@"; do printf '%s%s' "$sep" "$e"; sep=",
"; done
		printf '\n  ]\n}\n'
	} >"$dir/$name.json"
}

# slower: every NEW rep above every OLD rep (5 vs 5: 0.8 % by chance)
# faster: every NEW rep below; within: overlapping ranges
# few: 2 vs 2 reps, disjoint but 33 % by chance: must stay unjudged
# OLD names the uffd row by its old name, uffd-async: it must pair with uffd
file old \
	"$(entry uffd-async get_per_call 1000 950 1050 5 '1000, 950, 1050, 990, 1010')" \
	"$(entry raw-scan get_per_call 800 780 820 5 '800, 780, 820, 805, 795')" \
	"$(entry mprotect get_per_call 500 400 600 5 '500, 400, 600, 450, 550')" \
	"$(entry wine-shim get_per_call 100 90 110 2 '90, 110')" \
	"$(entry uffd-sync get_per_call 7 7 7 5 '7, 7, 7, 7, 7')"
file new \
	"$(entry uffd get_per_call 1500 1400 1600 5 '1500, 1400, 1600, 1450, 1550')" \
	"$(entry raw-scan get_per_call 400 390 410 5 '400, 390, 410, 405, 395')" \
	"$(entry mprotect get_per_call 520 410 640 5 '520, 410, 640, 500, 530')" \
	"$(entry wine-shim get_per_call 300 290 310 2 '290, 310')" \
	"$(entry wine-builtin get_per_call 9 9 9 5 '9, 9, 9, 9, 9')"

./ww-bench compare "$dir/old.json" "$dir/new.json" >"$dir/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "exit status $rc, expected 0"
row() { grep "^$1 " "$dir/out"; }
row uffd | grep -q '1.50x  SLOWER beyond the spread' || fail "uffd (uffd-async in OLD) not flagged slower"
row uffd-async >/dev/null && fail "the old name uffd-async is not read as uffd"
row raw-scan | grep -q '0.50x  faster beyond the spread' || fail "raw-scan not flagged faster"
row mprotect | grep -q 'beyond' && fail "mprotect (overlapping) flagged"
row mprotect | grep -q '1.04x' || fail "mprotect ratio missing"
row wine-shim | grep -q 'not judged' || fail "wine-shim (2 vs 2 reps) judged"
row wine-builtin | grep -q 'only in NEW' || fail "wine-builtin not only in NEW"
row uffd-sync | grep -q 'only in OLD' || fail "uffd-sync not only in OLD"
grep -q 'Summary: 4 compared; 1 higher (slower) and 1 lower (faster) beyond the run-to-run spread, 1 within it, 1 not judged' "$dir/out" ||
	fail "summary wrong"
grep -q '1 only in OLD, 1 only in NEW' "$dir/out" || fail "summary counts of unmatched cells wrong"

# bad input: a clear error naming the file, exit 2
printf '{"results": [ {"backend": "x", ' >"$dir/bad.json"
./ww-bench compare "$dir/old.json" "$dir/bad.json" >"$dir/out" 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "truncated JSON: exit $rc, expected 2"
grep -q 'bad.json' "$dir/out" || fail "error does not name the file"
./ww-bench compare "$dir/old.json" "$dir/missing.json" >"$dir/out" 2>&1
[ $? -eq 2 ] || fail "missing file: expected exit 2"
echo "ww-bench compare: ok"
