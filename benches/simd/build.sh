#!/bin/sh
# Builds benches/simd/kernels.c twice: kernels-simd.wasm with -msimd128
# (clang vectorizes the loops) and kernels-scalar.wasm without (the same
# program, no SIMD instruction). Needs clang-14 and wasm-ld-14 (Debian:
# apt-get install clang-14 lld-14). The .wasm files are committed.
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang-14}
LD=$(command -v wasm-ld-14 || command -v wasm-ld)
for variant in simd scalar; do
    flags=
    [ "$variant" = simd ] && flags=-msimd128
    "$CC" --target=wasm32 -O2 $flags -nostdlib -fno-builtin -fuse-ld="$LD" \
        -Wl,--no-entry -Wl,--export=run -Wl,--strip-all -o "kernels-$variant.wasm" kernels.c
    echo "kernels-$variant.wasm: $(wc -c <"kernels-$variant.wasm") bytes"
done
