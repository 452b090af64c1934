#!/usr/bin/env bash
# Prints the OpenBLAS core type to force when its CPU detection falls back to a generic kernel
# (Debian's OpenBLAS 0.3.21 does not know recent Xeons and picks SSE3 "Prescott" kernels, 3-4x slower).
# The feature-atlas executables do this themselves at start-up; the test runner needs the variable set.
has() { grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' | grep -qx "$1"; }
if has avx512f && has avx512dq && has avx512bw && has avx512vl; then echo SkylakeX
elif has avx2 && has fma; then echo Haswell
fi
