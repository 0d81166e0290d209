#!/bin/sh
# Regenerates benches/programs/*.wasm from the C sources next to this script.
# Needs clang (wasm32 target) and wasm-ld, e.g. Debian bookworm's clang-14
# and lld-14. Installs nothing: it only says what is missing.
# The .wasm files are committed, so building and running the benchmarks
# needs no clang; rerun this after editing a .c file.
# (loop.wat is text, read by the bench through the `wat` crate.)
set -eu
cd "$(dirname "$0")"

CC=${CC:-}
if [ -z "$CC" ]; then
    for c in clang-14 clang-16 clang-19 clang; do
        if command -v "$c" >/dev/null 2>&1; then CC=$c; break; fi
    done
fi
if [ -z "$CC" ]; then
    echo "build.sh: no clang found (set CC, or on Debian: apt-get install clang-14 lld-14)" >&2
    exit 1
fi
ver=$("$CC" --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)
if ! command -v wasm-ld >/dev/null 2>&1 && ! command -v "wasm-ld-$ver" >/dev/null 2>&1; then
    echo "build.sh: no wasm-ld (or wasm-ld-$ver) found for $CC (on Debian: apt-get install lld-$ver)" >&2
    exit 1
fi
LDFLAG=
if ! command -v wasm-ld >/dev/null 2>&1; then
    # Debian installs only the versioned name; point clang at it.
    LDFLAG="-fuse-ld=$(command -v "wasm-ld-$ver")"
fi

# Freestanding wasm32, no libc: every program exports `run` (and its memory).
# -fno-builtin keeps clang from turning loops into memset/memcpy calls,
# which would be unresolved imports here.
for src in *.c; do
    out=${src%.c}.wasm
    "$CC" --target=wasm32 -O2 -nostdlib -fno-builtin $LDFLAG \
        -Wl,--no-entry -Wl,--export=run -Wl,--strip-all \
        -o "$out" "$src"
    echo "$out: $(wc -c <"$out") bytes ($("$CC" --version | head -n1))"
done
