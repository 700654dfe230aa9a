#!/bin/sh
# ww-probe's command line (ww-probe(1)): no argument or --demo runs, -h and
# --help print the usage, anything else is refused with exit status 2 and
# a message naming it, before any probing.
set -u
probe=${WW_PROBE:-./ww-probe}
fail=0
expect() {	# expect STATUS ARGS...: the exit status ww-probe ARGS gives
	want=$1; shift
	"$probe" "$@" > out.tmp 2> err.tmp
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: ww-probe $*: exit status $got, want $want"; cat err.tmp; fail=1
	fi
}
expect 0
grep -q '^chosen: ' out.tmp || { echo "FAIL: ww-probe: no 'chosen:' line"; fail=1; }
expect 0 --help
grep -q '^usage: ww-probe' out.tmp || { echo "FAIL: ww-probe --help: no usage"; fail=1; }
expect 0 -h
for bad in --dmeo -x demo "--demo extra"; do
	# shellcheck disable=SC2086: "--demo extra" is two arguments
	expect 2 $bad
	grep -q "ww-probe: " err.tmp || { echo "FAIL: ww-probe $bad: no message on stderr"; fail=1; }
	[ ! -s out.tmp ] || { echo "FAIL: ww-probe $bad: probed anyway"; fail=1; }
done
rm -f out.tmp err.tmp
[ $fail -eq 0 ] && echo "PASS: ww-probe's arguments"
exit $fail
