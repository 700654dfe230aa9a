#!/bin/sh
# make check: the driver's side of the Wine rows, with a stand-in for Wine.
# ww-bench is pointed (--wine, --wine-shim) at a script that records how it
# was driven and prints the result lines the Windows program would print
# (bench/cell.h, win/ww-bench-win.c --paced), so what is checked is
# ww-bench's own logic, without Wine:
#  - a Wine cell that loses writes is a FAIL and makes the exit status 1;
#  - the repetitions interleave: each Wine row is one paced process per
#    group, told to run its repetition i in turn with the native rows'
#    (forward, then backward on odd ones) and before anyone's i+1;
#  - a Wine repetition past its limit ends that row ("did not finish") and
#    no other.
set -u
dir=${TMPDIR:-/tmp}/ww-bench-wine-driver.$$
mkdir -p "$dir/prefix" || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "wine-driver-test: $*"; cat "$dir/out" "$dir/err" "$dir/log" 2>/dev/null; exit 1; }

# the stand-in: argv = the Windows program, --paced, then key=value words
cat >"$dir/fake-wine" <<'EOF'
#!/bin/sh
row=builtin
case $0 in *shim*) row=shim ;; esac
reps=1
for w in "$@"; do case $w in reps=*) reps=${w#reps=} ;; esac; done
echo "$row start" >>"$FAKE_WINE_LOG"
lost=0
[ "${FAKE_WINE_LOSE:-}" = "$row" ] && lost=1
i=0
while [ "$i" -lt "$reps" ] && read -r go; do
	echo "$row rep" >>"$FAKE_WINE_LOG"
	echo "phase writes"
	[ "${FAKE_WINE_HANG:-}" = "$row" ] && [ "$i" -eq 1 ] && sleep 30
	echo "sample get_per_call 1000.0"
	echo "sample empty_get_per_call 900.0"
	echo "sample alloc_per_call 5000.0"
	echo "sample get_reset_per_page 100.0"
	echo "sample write_per_page 200.0"
	echo "check 0 10 $((10 - lost)) $lost 0"
	echo done
	i=$((i + 1))
done
EOF
chmod +x "$dir/fake-wine"
cp "$dir/fake-wine" "$dir/fake-shim"
: >"$dir/prefix/system.reg"	# a prefix that exists: no wineboot
: >"$dir/ww-bench-win.exe"

# run WORKLOADS [OPTION...]: the two Wine rows and one native floor, 3 repetitions
run() {
	wl=$1; shift
	: >"$dir/log"
	FAKE_WINE_LOG=$dir/log ./ww-bench -w "$wl" -s 1M -r 3 -b none-fresh,wine-builtin,wine-shim \
		--wine "$dir/fake-wine" --wine-shim "$dir/fake-shim" --wine-exe "$dir/ww-bench-win.exe" \
		--wine-prefix "$dir/prefix" "$@" >"$dir/out" 2>"$dir/err"
}

# a wine-shim cell that lost a write: FAIL, exit 1
FAKE_WINE_LOSE=shim run gc-sections
rc=$?
[ "$rc" -eq 1 ] || fail "wine-shim lost writes: exit $rc, expected 1"
grep -q 'wine-shim .*FAIL' "$dir/out" || fail "wine-shim's lost writes not marked FAIL"
grep -q 'wine-builtin .*FAIL' "$dir/out" && fail "wine-builtin marked FAIL"
grep -q '1 cell(s) lost writes' "$dir/err" || fail "the lost writes are not counted"

# nothing lost: exit 0, and the order, in a synthetic and a caller workload
FAKE_WINE_LOSE= run sparse,gc-sections
rc=$?
[ "$rc" -eq 0 ] || fail "nothing lost: exit $rc, expected 0"
: >"$dir/want"
for group in sparse gc-sections; do
	printf 'builtin start\nbuiltin rep\nshim start\nshim rep\n' >>"$dir/want"
	printf 'shim rep\nbuiltin rep\nbuiltin rep\nshim rep\n' >>"$dir/want"
done
cmp -s "$dir/want" "$dir/log" || { diff "$dir/want" "$dir/log"; fail "Wine rows not driven as planned"; }
for wl in sparse gc-sections; do
	for i in 1 3; do
		grep -q "$wl .*rep $i/3: none-fresh wine-builtin wine-shim\$" "$dir/err" ||
			fail "$wl repetition $i does not run every row in turn"
	done
	grep -q "$wl .*rep 2/3: wine-shim wine-builtin none-fresh\$" "$dir/err" ||
		fail "$wl repetition 2 does not run the rows in reverse"
	grep -q "^$wl .*wine-builtin .* ok 30/30" "$dir/out" ||
		fail "$wl: wine-builtin does not check all 3 repetitions"
done

# wine-shim hangs in its 2nd repetition: it did not finish, wine-builtin did
FAKE_WINE_HANG=shim run gc-sections --wine-timeout 1
rc=$?
[ "$rc" -eq 0 ] || fail "a hang (not a lost write): exit $rc, expected 0"
grep -q 'rep 2/3: wine-shim=DNF wine-builtin none-fresh$' "$dir/err" || fail "the hang is not marked DNF"
grep -q 'rep 3/3: none-fresh wine-builtin$' "$dir/err" || fail "wine-shim ran again after its hang"
grep -q 'wine-shim (3 reps, 1 s limit per step): did not finish' "$dir/err" ||
	fail "wine-shim not reported as did not finish"
grep -q 'gc-sections .*wine-builtin .* ok 30/30' "$dir/out" || fail "wine-builtin did not finish its 3"
# where and after how many repetitions it hung, across its repetitions
grep -q 'wine-shim .*DID NOT FINISH (writes > 1s)' "$dir/out" || fail "the table does not say where it hung"
grep -q '(1 repetitions done; stuck in: writes)' "$dir/err" || fail "the message miscounts the repetitions done"
echo "ww-bench wine driver: ok"
