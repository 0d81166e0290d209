#!/usr/bin/env python3
"""Startup benchmark: code size, compile time, lazy compilation, loading a
serialized module and peak memory, for real WASI programs from PyPI and the
benchmark kernels, against wasmtime (PyPI's `wasmtime`, epoch interruption
on: the interruptible configuration, the fair peer) measured in the same
run on the same machine. Compile times are also compared, on one thread,
with wasmtime with `signals_based_traps` off: explicit bounds and trap
checks, the code wasmbeam must generate too (the BEAM process gets no
signal handlers from us). Run by `scripts/bench-startup`, which fetches the
programs and builds `wasmbeam`; prints Markdown tables.

Usage: startup.py WASMBEAM GRAPHVIZ_WASM CC1_WASM KERNEL.wasm...
"""

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

WASMTIME_COMPILE = r"""
import json, sys, time, wasmtime
config = wasmtime.Config()
config.epoch_interruption = True
config.parallel_compilation = sys.argv[2] == "parallel"
config.signals_based_traps = sys.argv[3] == "signals"
engine = wasmtime.Engine(config)
data = open(sys.argv[1], "rb").read()
start = time.perf_counter()
module = wasmtime.Module(engine, data)
elapsed = time.perf_counter() - start
print(json.dumps({"compile": elapsed, "artifact": len(module.serialize())}))
"""

WASMTIME_RUN = r"""
import sys, wasmtime
config = wasmtime.Config()
config.epoch_interruption = True
engine = wasmtime.Engine(config)
module = wasmtime.Module.from_file(engine, sys.argv[1])
linker = wasmtime.Linker(engine)
linker.define_wasi()
store = wasmtime.Store(engine)
store.set_epoch_deadline(1 << 62)
wasi = wasmtime.WasiConfig()
wasi.argv = ["cc1"] + sys.argv[3:]
wasi.inherit_stdout()
wasi.inherit_stderr()
if sys.argv[2] != "-":
    wasi.preopen_dir(sys.argv[2], "/work")
store.set_wasi(wasi)
try:
    linker.instantiate(store, module).exports(store)["_start"](store)
except wasmtime.ExitTrap as e:
    sys.exit(e.code)
"""


def measure(cmd, stdin=subprocess.DEVNULL):
    """Runs `cmd`; returns (seconds to the first byte of output or None,
    total seconds, peak RSS in MB, stdout+stderr text, exit status)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    first = None
    chunks = []
    while True:
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        if first is None:
            first = time.perf_counter() - start
        chunks.append(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    total = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return first, total, usage.ru_maxrss / 1024, b"".join(chunks).decode(errors="replace"), proc.returncode


def wasmbeam_compile(wasmbeam, wasm, *options):
    _, total, peak, text, status = measure([wasmbeam, "compile", *options, wasm])
    if status != 0:
        sys.exit(f"wasmbeam compile {wasm} failed:\n{text}")
    values = {}
    for key, pattern in [
        ("time_on", r"reductions on: compile time: ([\d.]+) ms"),
        ("time_off", r"reductions off: compile time: ([\d.]+) ms"),
        ("size_on", r"reductions on: code size: (\d+) bytes"),
        ("size_off", r"reductions off: code size: (\d+) bytes"),
        ("load", r"loaded back in ([\d.]+) ms"),
    ]:
        found = re.search(pattern, text)
        if found:
            values[key] = float(found.group(1))
    values["peak_mb"] = peak
    return values


def wasmtime_compile(wasm, parallel, signals=True):
    out = subprocess.run(
        [sys.executable, "-c", WASMTIME_COMPILE, wasm, "parallel" if parallel else "serial",
         "signals" if signals else "no-signals"],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


def mb(n):
    return f"{n / 1e6:.1f} MB"


def row(*cells):
    print("| " + " | ".join(str(c) for c in cells) + " |")


def main():
    wasmbeam, graphviz, cc1, *kernels = sys.argv[1:]
    threads = os.cpu_count()
    modules = [("graphviz.wasm", graphviz), ("cc1.wasm", cc1)] + [(os.path.basename(k), k) for k in kernels]
    tmp = tempfile.mkdtemp(prefix="wasmbeam-startup-")

    print(f"## Eager compilation ({threads} cores; wasmtime {wasmtime_version()}, epoch interruption on)\n")
    row("module", "wasm", "code on", "code off", "on/off", "compile 1 thread", "wasmtime 1 thread", "ratio",
        "wasmtime, no signals, 1 thread", "ratio", f"compile {threads} threads", f"wasmtime {threads} threads",
        "ratio", "wasmtime artifact", "no signals", "load serialized", "load/compile",
        f"peak memory ({threads} threads)")
    row(*["---"] * 18)
    ratios = {"size": [], "compile1": [], "compile1_explicit": [], "compileN": []}
    for name, wasm in modules:
        one = wasmbeam_compile(wasmbeam, wasm, "--threads", "1", "--reductions", "both")
        serialized = os.path.join(tmp, name + ".wbm")
        many = wasmbeam_compile(wasmbeam, wasm, "-o", serialized)
        wt1 = wasmtime_compile(wasm, parallel=False)
        wte = wasmtime_compile(wasm, parallel=False, signals=False)
        wtn = wasmtime_compile(wasm, parallel=True)
        size_ratio = one["size_on"] / one["size_off"]
        c1 = one["time_on"] / 1e3 / wt1["compile"]
        ce = one["time_on"] / 1e3 / wte["compile"]
        cn = many["time_on"] / 1e3 / wtn["compile"]
        if name in ("graphviz.wasm", "cc1.wasm"):
            ratios["size"].append((name, size_ratio))
        ratios["compile1"].append((name, c1))
        ratios["compile1_explicit"].append((name, ce))
        ratios["compileN"].append((name, cn))
        row(name, mb(os.path.getsize(wasm)), mb(one["size_on"]), mb(one["size_off"]), f"{size_ratio:.2f}x",
            f"{one['time_on'] / 1e3:.2f} s", f"{wt1['compile']:.2f} s", f"{c1:.2f}x",
            f"{wte['compile']:.2f} s", f"{ce:.2f}x",
            f"{many['time_on'] / 1e3:.2f} s", f"{wtn['compile']:.2f} s", f"{cn:.2f}x", mb(wt1["artifact"]),
            mb(wte["artifact"]), f"{many['load']:.1f} ms", f"{many['load'] / many['time_on']:.3f}x",
            f"{many['peak_mb']:.0f} MB")
    print()
    for key, label, budget in [("size", "code size on/off (real modules)", 1.5),
                               ("compile1", "compile time over wasmtime, 1 thread", 1.0),
                               ("compile1_explicit", "compile time over wasmtime without signals, 1 thread", 1.0),
                               ("compileN", f"compile time over wasmtime, {threads} threads", 1.0)]:
        worst = max(ratios[key], key=lambda r: r[1])
        print(f"- {label}: worst {worst[0]} {worst[1]:.2f}x (budget {budget}x)")

    print("\n## Lazy compilation: GCC's cc1\n")
    version = ["-quiet", "-version"]
    first, total, peak, text, _ = measure([wasmbeam, "run", "--lazy", cc1, *version])
    _, wt_total, wt_peak, wt_text, _ = measure([sys.executable, "-c", WASMTIME_RUN, cc1, "-", *version])
    same_version = first_line(text) == first_line(wt_text)
    row("job", "wasmbeam: first output", "wasmbeam: total", "peak memory", "wasmtime: compile and run",
        "first output / wasmtime", "same output")
    row(*["---"] * 7)
    row("cc1 -quiet -version", f"{first:.2f} s", f"{total:.2f} s", f"{peak:.0f} MB", f"{wt_total:.2f} s",
        f"{first / wt_total:.3f}x (budget 0.1x)", "yes" if same_version else "NO")

    src = os.path.join(tmp, "src")
    os.makedirs(src)
    with open(os.path.join(src, "blink.c"), "w") as f:
        f.write(BLINK)
    job = ["-quiet", "-mmcu=avr5", "-D__AVR_ATmega328P__", "-Os", "/work/blink.c", "-o"]
    results = {}
    for how in ["--lazy", "--eager"]:
        out = f"/work/{how[2:]}.s"
        _, t, p, text, status = measure([wasmbeam, "run", how, "--dir", f"{src}::/work", cc1, *job, out])
        results[how] = (t, p, status, text)
    _, wt_t, _, _, _ = measure([sys.executable, "-c", WASMTIME_RUN, cc1, src, *job, "/work/wasmtime.s"])
    outputs = [open(os.path.join(src, f), "rb").read() if os.path.exists(os.path.join(src, f)) else None
               for f in ("lazy.s", "eager.s", "wasmtime.s")]
    same = outputs[0] is not None and outputs[0] == outputs[1] == outputs[2]
    print()
    row("cc1 blink.c -Os", "wasmbeam lazy", "peak memory", "wasmbeam eager", "peak memory", "wasmtime",
        "same assembly (lazy, eager, wasmtime)")
    row(*["---"] * 7)
    lazy, eager = results["--lazy"], results["--eager"]
    row("compile and run", f"{lazy[0]:.1f} s", f"{lazy[1]:.0f} MB", f"{eager[0]:.1f} s", f"{eager[1]:.0f} MB",
        f"{wt_t:.1f} s", "yes" if same else "NO")
    if not same:
        print(f"\nlazy output:\n{lazy[3]}\neager output:\n{eager[3]}")
    print(f"\n(Work files in {tmp}.)")
    return 0 if same and same_version else 1


def first_line(text):
    return text.strip().splitlines()[0] if text.strip() else ""


def wasmtime_version():
    try:
        from importlib.metadata import version
        return version("wasmtime")
    except Exception:
        return "?"


BLINK = """/* Blinks an LED on an ATmega328P, with a CRC-8 thrown in. */
#define PORTB (*(volatile unsigned char *)0x25)
#define DDRB (*(volatile unsigned char *)0x24)
static void delay(unsigned long n) { while (n--) __asm__ volatile ("nop"); }
static unsigned char crc8(const unsigned char *p, int n) {
  unsigned char c = 0;
  while (n--) { c ^= *p++; for (int i = 0; i < 8; i++) c = (c & 0x80) ? (c << 1) ^ 0x07 : c << 1; }
  return c;
}
int main(void) {
  static const unsigned char msg[] = "wasmbeam";
  DDRB |= 1 << 5;
  for (;;) { PORTB ^= crc8(msg, sizeof msg) & (1 << 5); delay(100000); }
}
"""

if __name__ == "__main__":
    sys.exit(main())
