#!/bin/sh
# make check: the bounded differential fuzzing run (FUZZ_CHECK_SECONDS, 55 s).
exec "${abs_top_srcdir:?}/tests/reliability/fuzz.sh" run "${FUZZ_CHECK_SECONDS:-55}"
