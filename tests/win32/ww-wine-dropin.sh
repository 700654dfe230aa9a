#!/bin/sh
# ww-wine as a drop-in for wine (TAP, run by automake's tap-driver): what a
# game manager pointed at ww-wine instead of wine relies on.  Every check
# runs the same command under $WINE and $WW_WINE and compares them, or
# checks what passes through (exit status, standard input and output, the
# environment).  The shim is confirmed by the program's own header line.
#
# Environment: WINE, WW_WINE, WINEPREFIX (from tests/win32/Makefile.am).
set -u
exe_dir=$(pwd)      # the build directory, where the .exe files are
n=0
ok() {  # ok STATUS NAME [DETAIL]: STATUS 0 is a pass
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2${3:+: $3}"; fi
}
export WINEDEBUG=-all

echo "1..11"

v1=$("$WINE" --version 2>&1); v2=$("$WW_WINE" --version 2>&1)
[ "$v1" = "$v2" ]; ok $? "--version goes to wine" "wine: $v1, ww-wine: $v2"

"$WW_WINE" cmd /c exit 7; rc=$?
[ $rc -eq 7 ]; ok $? "exit status passes through (cmd /c exit 7)" "got $rc"

out=$(echo "line-from-stdin" | "$WW_WINE" cmd /c "set /p X= & call echo got %X%" | tr -d '\r')
case $out in *"got line-from-stdin"*) r=0 ;; *) r=1 ;; esac
ok $r "standard input and output pass through" "got '$out'"

out=$("$WW_WINE" cmd /c "echo to-stderr 1>&2" 2>&1 >/dev/null | tr -d '\r')
case $out in *to-stderr*) r=0 ;; *) r=1 ;; esac
ok $r "standard error passes through" "got '$out'"

out=$(WW_DROPIN_VAR=from-unix "$WW_WINE" cmd /c "echo %WW_DROPIN_VAR%" | tr -d '\r')
case $out in *from-unix*) r=0 ;; *) r=1 ;; esac
ok $r "the environment passes through" "got '$out'"

# Programs wine finds by name: the same result as under wine.
o1=$("$WINE" winecfg /v 2>&1 | tr -d '\r'); o2=$("$WW_WINE" winecfg /v 2>&1 | tr -d '\r')
[ -n "$o1" ] && [ "$o1" = "$o2" ]; ok $? "winecfg /v: as under wine" "wine: '$o1', ww-wine: '$o2'"
"$WINE" msiexec /i does-not-exist.msi /qn > /dev/null 2>&1; r1=$?
"$WW_WINE" msiexec /i does-not-exist.msi /qn > /dev/null 2>&1; r2=$?
[ $r1 -eq $r2 ]; ok $? "msiexec /i (a missing package): the same exit status as under wine" "wine $r1, ww-wine $r2"

# A program given as an absolute Unix path, a relative one, a DOS path.
served() { grep -q "^# ww-basic: .*served by libwritewatch" "$1"; }
"$WW_WINE" "$exe_dir/ww-basic.exe" > dropin-abs.out 2>&1; rc=$?
served dropin-abs.out && [ $rc -eq 0 ]; ok $? "absolute Unix path: served by libwritewatch" "exit $rc"
(cd "$exe_dir/.." && "$WW_WINE" "$(basename "$exe_dir")/ww-basic.exe") > dropin-rel.out 2>&1; rc=$?
served dropin-rel.out && [ $rc -eq 0 ]; ok $? "relative Unix path: served by libwritewatch" "exit $rc"
dos="Z:$(echo "$exe_dir" | tr / '\\')\\ww-basic.exe"
"$WW_WINE" "$dos" > dropin-dos.out 2>&1; rc=$?
served dropin-dos.out && [ $rc -eq 0 ]; ok $? "DOS path ($dos): served by libwritewatch" "exit $rc"

# The shim off, for comparison: the same program served by Wine itself.
WRITEWATCH_BACKEND=wine "$WW_WINE" "$exe_dir/ww-basic.exe" > dropin-off.out 2>&1
grep -q "^# ww-basic: .*served by Wine itself" dropin-off.out; ok $? "WRITEWATCH_BACKEND=wine: served by Wine itself"

rm -f dropin-abs.out dropin-rel.out dropin-dos.out dropin-off.out
exit 0
