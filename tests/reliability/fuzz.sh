#!/bin/sh
# libFuzzer build and runs of fuzz-target.c.
#   fuzz.sh build          compile the shim sources + target with clang
#                          (-fsanitize=fuzzer,address,undefined) into ./ww-fuzz
#   fuzz.sh run SECONDS    build if stale, then fuzz for SECONDS, starting from
#                          the committed corpus (new inputs go to ./fuzz-corpus,
#                          crashes to ./fuzz-findings)
# Needs abs_top_srcdir and abs_top_builddir (for config.h) in the environment.
# Without clang or its libFuzzer runtime: exit 77 (SKIP) with the reason.
set -u
top_srcdir=${abs_top_srcdir:?}
top_builddir=${abs_top_builddir:?}
here=$top_srcdir/tests/reliability
CLANG=${CLANG:-}
if [ -z "$CLANG" ]; then
	for c in clang-14 clang; do
		if command -v "$c" >/dev/null 2>&1; then CLANG=$c; break; fi
	done
fi
if [ -z "$CLANG" ] || ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "SKIP: clang not found (apt-get install clang-14 libclang-rt-14-dev): differential fuzzing NOT run"
	exit 77
fi

build() {
	# shim/*.c except programs: whatever the library is made of today
	srcs=$(ls "$top_srcdir"/shim/*.c | grep -v '/ww-probe\.c$')
	stale=no
	[ -x ww-fuzz ] || stale=yes
	for f in $srcs "$here/fuzz-target.c" "$top_srcdir"/shim/*.h; do
		[ "$f" -nt ww-fuzz ] && stale=yes
	done
	[ $stale = no ] && return 0
	echo "fuzz: building ww-fuzz with $CLANG"
	# -DWW_FUZZ: nothing in shim/ depends on it; marks the objects in traces
	if ! "$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer -pthread -D_GNU_SOURCE -DWW_FUZZ \
		-I"$top_builddir" -I"$top_srcdir/shim" \
		$srcs "$here/fuzz-target.c" -o ww-fuzz.tmp 2>fuzz-build.log; then
		if grep -q 'libclang_rt.fuzzer\|cannot find.*fuzzer' fuzz-build.log; then
			echo "SKIP: $CLANG has no libFuzzer runtime (libclang-rt-14-dev): fuzzing NOT run"
			cat fuzz-build.log
			exit 77
		fi
		cat fuzz-build.log
		echo "FAIL: the fuzz target does not build"
		exit 1
	fi
	mv ww-fuzz.tmp ww-fuzz
}

run() {
	secs=$1
	# findings of an earlier run are reported by that run; start clean
	rm -rf fuzz-findings
	mkdir -p fuzz-corpus fuzz-findings
	# ASan: the mprotect backend's SIGSEGV handler must see faults first;
	# libFuzzer's own handler would call a write fault a crash.
	# Appended: later options win, and check-all sets its own ASAN_OPTIONS.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:allow_user_segv_handler=1"
	# injected failures log a warning each: thousands per second
	export WRITEWATCH_DEBUG=${FUZZ_LOG_LEVEL:-0}
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
	echo "fuzz: $secs s on every available backend, corpus $here/corpus"
	./ww-fuzz -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -max_len=512 \
		-handle_segv=0 -artifact_prefix=fuzz-findings/ -print_final_stats=1 \
		fuzz-corpus "$here/corpus" >fuzz.log 2>&1
	status=$?
	tail -40 fuzz.log
	if ls fuzz-findings/* >/dev/null 2>&1; then
		for f in fuzz-findings/*; do
			echo "FINDING: $f (replay: ./ww-fuzz $f)"
		done
		exit 1
	fi
	return $status
}

case ${1:-} in
build) build ;;
run) build && run "${2:-60}" ;;
*) echo "usage: $0 build | run SECONDS" >&2; exit 2 ;;
esac
