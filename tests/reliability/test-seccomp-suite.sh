#!/bin/sh
# Whole test programs under the seccomp filter that denies userfaultfd
# (seccomp-run): the fuzz corpus replay, and the native suite's programs when
# they are built (make check at the top builds them first).  Every program
# must pass, only mprotect may run, and uffd/uffd-sync must say why not.
set -u
fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Counts in a program's TAP output (tests/harness): failed and passed test
# points of a backend (a "# SKIP" is neither).
failed_on() { grep -Ec "^not ok [0-9]+ - $2/" "$1"; }
passed_on() { grep -E "^ok [0-9]+ - $2/" "$1" | grep -vc '# SKIP'; }

./seccomp-run ./test-fuzz-replay >"$out" 2>&1
rc=$?
cat "$out"
[ $rc = 77 ] && exit 77
grep -q '^1\.\.0 # SKIP' "$out" && exit 77
if [ $rc != 0 ] || grep -q '^not ok' "$out" || ! grep -q '^ok 1 ' "$out"; then
	echo "FAIL: corpus replay under seccomp failed (exit $rc)"; fail=1
fi
for b in uffd uffd-sync; do
	if ! grep -q "backend $b not available: .*Operation not permitted" "$out"; then
		echo "FAIL: backend $b was not reported unavailable for EPERM"; fail=1
	fi
done

native=../native
ran=0
for t in "$native"/test-*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	case $t in
	*.log|*.trs|*.o) continue ;;
	# the i386 builds (scripts): the filter judges x86_64 system calls only,
	# so an i386 program would not be denied userfaultfd
	*.i386) continue ;;
	# minutes-long: the soak and the in-process seccomp test cover threads
	*/test-fork|*/test-concurrency|*/test-sparse-1gib) continue ;;
	esac
	ran=$((ran + 1))
	./seccomp-run "$t" >"$out" 2>&1
	rc=$?
	echo "$t under seccomp: exit $rc, mprotect $(passed_on "$out" mprotect) passed," \
	     "$(failed_on "$out" mprotect) failed"
	if [ $rc != 0 ] || grep -q '^not ok' "$out"; then
		# a failure that happens without seccomp as well is the native
		# suite's own (reported there), not something the denial causes
		plain=$(mktemp)
		"$t" >"$plain" 2>&1
		prc=$?
		if [ $rc = $prc ] && [ "$(grep -c '^not ok' "$out")" -le "$(failed_on "$plain" mprotect)" ]; then
			echo "known: $t fails on mprotect without seccomp too ($(failed_on "$plain" mprotect) failure(s)): not counted here"
		else
			cat "$out"
			echo "FAIL: $t under seccomp failed (exit $rc)"; fail=1
		fi
		rm -f "$plain"
	elif [ "$(passed_on "$out" mprotect)" = 0 ]; then
		# bodies that skip on mprotect without seccomp as well (e.g.
		# under ASan, whose mlock locks nothing) are not the denial's doing
		plain=$(mktemp)
		"$t" >"$plain" 2>&1
		if [ "$(passed_on "$plain" mprotect)" = 0 ]; then
			echo "known: $t passes nothing on mprotect without seccomp either (skips above): not counted here"
		else
			echo "FAIL: $t ran nothing on mprotect under seccomp"; fail=1
		fi
		rm -f "$plain"
	fi
	if [ "$(passed_on "$out" 'uffd(-sync)?')" != 0 ]; then
		echo "FAIL: $t ran a uffd backend though userfaultfd is denied"; fail=1
	fi
done
if [ $ran = 0 ]; then
	echo "note: tests/native programs not built (run make check from the top): only the corpus replay ran under seccomp"
fi
exit $fail
