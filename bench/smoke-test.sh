#!/bin/sh
# make check: ww-bench still builds against the library's API and runs one
# tiny cell per native row without losing a write.  Timing is not checked.
set -u
out=${TMPDIR:-/tmp}/ww-bench-smoke.$$
trap 'rm -f "$out".*' EXIT
./ww-bench -w sparse,gc-cycle -s 1M -r 1 --no-wine --json "$out.json" --csv "$out.csv" \
	>"$out.txt" 2>"$out.err"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "ww-bench exited $rc"; cat "$out.txt" "$out.err"; exit 1
fi
for f in json csv txt; do
	[ -s "$out.$f" ] || { echo "no $f output"; exit 1; }
done
grep -q '"results": \[' "$out.json" || { echo "JSON lacks results"; exit 1; }
grep -q '"metric": "get_reset_per_page"' "$out.json" || { echo "JSON lacks get_reset_per_page"; exit 1; }
if grep -q 'FAIL' "$out.txt"; then
	echo "a cell lost writes"; cat "$out.txt"; exit 1
fi
# the caller workloads, small: 16 sections / buffers, clr over four 256 KiB chunks
./ww-bench -w gc-sections,clr,capture -s 1M --chunk 256K -r 1 --no-wine \
	--json "$out.callers.json" >"$out.callers.txt" 2>"$out.err"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "ww-bench (caller workloads) exited $rc"; cat "$out.callers.txt" "$out.err"; exit 1
fi
for m in get_per_call empty_get_per_call reset_per_call alloc_per_call; do
	grep -q "\"metric\": \"$m\"" "$out.callers.json" || { echo "JSON lacks $m"; exit 1; }
done
# uffd-ext (the library as ww-wine calls it) runs wherever uffd does
if grep -q '"backend": "uffd", "workload": "gc-sections"' "$out.callers.json" &&
   ! grep -q '"backend": "uffd-ext", "workload": "gc-sections"' "$out.callers.json"; then
	echo "uffd ran gc-sections, uffd-ext did not"; cat "$out.callers.txt"; exit 1
fi
if grep -q 'FAIL\|ERROR' "$out.callers.txt"; then
	echo "a caller-workload cell failed"; cat "$out.callers.txt"; exit 1
fi
echo "ww-bench smoke: ok"
