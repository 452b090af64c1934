#!/usr/bin/env bash
# Prints the OpenBLAS core type to force when its CPU detection falls back to a generic kernel
# (Debian's OpenBLAS 0.3.21 does not know recent Xeons and picks SSE3 "Prescott" kernels, 3-4x slower).
# The feature-atlas executables do this themselves at start-up; the test runner needs the variable set.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
case " $flags " in
  *" avx512f "*" avx512dq "*|*" avx512dq "*" avx512f "*) echo SkylakeX ;;
  *" avx2 "*) echo Haswell ;;
  *) echo "" ;;
esac
