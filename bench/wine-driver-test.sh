#!/bin/sh
# make check: the driver's side of the Wine rows, with a stand-in for Wine.
# ww-bench is pointed (--wine, --wine-shim) at a script that records how it
# was started and prints the result lines the Windows program would print
# (bench/cell.h), so what is checked is ww-bench's own logic, without Wine:
#  - a Wine cell that loses writes is a FAIL and makes the exit status 1;
#  - in the groups that interleave (caller workloads, huge-reserve) every
#    repetition is a Wine process of its own, run in turn with the native
#    rows; elsewhere a Wine row runs all its repetitions in one process.
set -u
dir=${TMPDIR:-/tmp}/ww-bench-wine-driver.$$
mkdir -p "$dir/prefix" || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "wine-driver-test: $*"; cat "$dir/out" "$dir/err" "$dir/log" 2>/dev/null; exit 1; }

# the stand-in: argv = the Windows program, then key=value words
cat >"$dir/fake-wine" <<'EOF'
#!/bin/sh
row=builtin
case $0 in *shim*) row=shim ;; esac
reps=1
for w in "$@"; do case $w in reps=*) reps=${w#reps=} ;; esac; done
echo "$row reps=$reps" >>"$FAKE_WINE_LOG"
lost=0
[ "${FAKE_WINE_LOSE:-}" = "$row" ] && lost=1
i=0
while [ "$i" -lt "$reps" ]; do
	echo "phase writes"
	echo "sample get_per_call 1000.0"
	echo "sample empty_get_per_call 900.0"
	echo "sample alloc_per_call 5000.0"
	echo "sample get_reset_per_page 100.0"
	echo "sample write_per_page 200.0"
	echo "check $i 10 $((10 - lost)) $lost 0"
	i=$((i + 1))
done
echo done
EOF
chmod +x "$dir/fake-wine"
cp "$dir/fake-wine" "$dir/fake-shim"
: >"$dir/prefix/system.reg"	# a prefix that exists: no wineboot
: >"$dir/ww-bench-win.exe"

# run LIST-OF-WORKLOADS: the two Wine rows and one native floor, 3 repetitions
run() {
	: >"$dir/log"
	FAKE_WINE_LOG=$dir/log ./ww-bench -w "$1" -s 1M -r 3 -b none-fresh,wine-builtin,wine-shim \
		--wine "$dir/fake-wine" --wine-shim "$dir/fake-shim" --wine-exe "$dir/ww-bench-win.exe" \
		--wine-prefix "$dir/prefix" >"$dir/out" 2>"$dir/err"
}

# a wine-shim cell that lost a write: FAIL, exit 1
FAKE_WINE_LOSE=shim run gc-sections
rc=$?
[ "$rc" -eq 1 ] || fail "wine-shim lost writes: exit $rc, expected 1"
grep -q 'wine-shim .*FAIL' "$dir/out" || fail "wine-shim's lost writes not marked FAIL"
grep -q 'wine-builtin .*FAIL' "$dir/out" && fail "wine-builtin marked FAIL"
grep -q '1 cell(s) lost writes' "$dir/err" || fail "the lost writes are not counted"

# nothing lost: exit 0
FAKE_WINE_LOSE= run gc-sections
rc=$?
[ "$rc" -eq 0 ] || fail "nothing lost: exit $rc, expected 0"

# the order: gc-sections interleaves, sparse does not
FAKE_WINE_LOSE= run sparse,gc-sections
rc=$?
[ "$rc" -eq 0 ] || fail "sparse,gc-sections: exit $rc, expected 0"
printf 'builtin reps=3\nshim reps=3\n' >"$dir/want"
for i in 1 2 3; do printf 'builtin reps=1\nshim reps=1\n' >>"$dir/want"; done
cmp -s "$dir/want" "$dir/log" || { diff "$dir/want" "$dir/log"; fail "Wine processes not as planned"; }
for i in 1 2 3; do
	grep -q "gc-sections .*rep $i/3: none-fresh wine-builtin wine-shim\$" "$dir/err" ||
		fail "gc-sections repetition $i does not run the Wine rows after none-fresh"
	grep -q "sparse .*rep $i/3: none-fresh\$" "$dir/err" ||
		fail "sparse repetition $i runs a Wine row"
done
grep -q 'gc-sections .*wine-shim (3 reps, one process each.*): ok' "$dir/err" ||
	fail "the interleaved wine-shim row is not reported ok"
grep -q 'gc-sections .*wine-builtin .* ok 30/30' "$dir/out" ||
	fail "the interleaved wine-builtin row does not check all 3 repetitions"
echo "ww-bench wine driver: ok"
