#!/usr/bin/env bash
# Rebuilds the WASI test programs (C, wasi-libc) with Debian's clang-14:
# `apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32`.
# The .wasm files are committed; run this after changing a .c file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for c in *.c; do
    clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all "$c" -o "${c%.c}.wasm"
done
