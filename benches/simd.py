#!/usr/bin/env python3
"""SIMD benchmark: the kernels of benches/simd/kernels.c built with SIMD
(-msimd128) and without, each run on wasmbeam (reductions on, the default)
and on wasmtime (PyPI's `wasmtime`: its default configuration, and with
epoch interruption, its interruptible one), in one run, interleaved, the
best of RUNS each. Prints a Markdown table of call times and ratios; the
results of every engine and build are checked to be the same.

Usage: simd.py WASMBEAM [RUNS]   (scripts/bench-simd builds and runs it)
"""

import json
import math
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KERNELS = ["saxpy (f32)", "blend (u8)", "dot (i16)", "min/max (i32)", "matmul (f32)"]
REPS = [2000, 3000, 8000, 3000, 60]

WASMTIME = r"""
import json, sys, time, wasmtime
epoch = sys.argv[2] == "epoch"
config = wasmtime.Config()
config.epoch_interruption = epoch
engine = wasmtime.Engine(config)
store = wasmtime.Store(engine)
if epoch:
    store.set_epoch_deadline(1 << 62)
module = wasmtime.Module.from_file(engine, sys.argv[1])
run = wasmtime.Instance(store, module, []).exports(store)["run"]
start = time.perf_counter()
result = run(store, int(sys.argv[3]), int(sys.argv[4]))
print(json.dumps({"time": time.perf_counter() - start, "result": result}))
"""


def wasm(variant):
    return os.path.join(HERE, "simd", f"kernels-{variant}.wasm")


def wasmbeam(binary, variant, kernel, reps):
    out = subprocess.run(
        [binary, "invoke", "--stats", wasm(variant), "run", str(kernel), str(reps)],
        capture_output=True, text=True, check=True)
    seconds = float(re.search(r"call time: ([0-9.]+) s", out.stderr).group(1))
    return seconds, int(out.stdout.split()[0])


def wasmtime(config, variant, kernel, reps):
    out = subprocess.run([sys.executable, "-c", WASMTIME, wasm(variant), config, str(kernel), str(reps)],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    return data["time"], data["result"]


def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    subjects = {
        ("wasmbeam", "simd"): lambda k, r: wasmbeam(binary, "simd", k, r),
        ("wasmbeam", "scalar"): lambda k, r: wasmbeam(binary, "scalar", k, r),
        ("wasmtime", "simd"): lambda k, r: wasmtime("default", "simd", k, r),
        ("wasmtime", "scalar"): lambda k, r: wasmtime("default", "scalar", k, r),
        ("wasmtime epoch", "simd"): lambda k, r: wasmtime("epoch", "simd", k, r),
    }
    best = {}
    for kernel, reps in enumerate(REPS):
        results = set()
        for _ in range(runs):
            for key, run in subjects.items():
                seconds, result = run(kernel, reps)
                results.add(result)
                best[key, kernel] = min(best.get((key, kernel), math.inf), seconds)
        if len(results) != 1:
            sys.exit(f"{KERNELS[kernel]}: the engines and builds disagree: {sorted(results)}")
    print(f"Best of {runs} runs, call times in ms (wasmbeam with reductions on).\n")
    print("| kernel | wasmbeam SIMD | wasmbeam scalar | SIMD speedup | wasmtime SIMD | wasmtime scalar "
          "| wasmbeam / wasmtime (SIMD) | wasmbeam / wasmtime epoch (SIMD) |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    ratios = {"speedup": [], "default": [], "epoch": []}
    for kernel, name in enumerate(KERNELS):
        t = {key: best[key, kernel] * 1000 for key in subjects}
        speedup = t["wasmbeam", "scalar"] / t["wasmbeam", "simd"]
        default = t["wasmbeam", "simd"] / t["wasmtime", "simd"]
        epoch = t["wasmbeam", "simd"] / t["wasmtime epoch", "simd"]
        ratios["speedup"].append(speedup)
        ratios["default"].append(default)
        ratios["epoch"].append(epoch)
        print(f"| {name} | {t['wasmbeam', 'simd']:.2f} | {t['wasmbeam', 'scalar']:.2f} | {speedup:.2f}x "
              f"| {t['wasmtime', 'simd']:.2f} | {t['wasmtime', 'scalar']:.2f} | {default:.2f}x | {epoch:.2f}x |")
    geo = {k: math.exp(sum(map(math.log, v)) / len(v)) for k, v in ratios.items()}
    print(f"| geometric mean | | | {geo['speedup']:.2f}x | | | {geo['default']:.2f}x | {geo['epoch']:.2f}x |")


if __name__ == "__main__":
    main()
