#!/usr/bin/env python3
"""Runs the WASI test programs on wasmbeam (`wasmbeam run`) and on wasmtime
(PyPI's `wasmtime` package, the Python API) with the same arguments,
environment, stdin and preopened directory, and compares what each left:
stdout, stderr, exit status, and the files in the preopened directory.

usage: differential.py [--fuel-slice N] WASMBEAM_COMMAND...
WASMBEAM_COMMAND is the wasmbeam binary, possibly after a runner (for
example `qemu-aarch64 -L /usr/aarch64-linux-gnu target/.../wasmbeam`, as
scripts/test-aarch64 does). With --fuel-slice, wasmbeam runs every program
in slices of N fuel (`wasmbeam run --fuel-slice N`): suspended and resumed
all along, it must still leave what wasmtime leaves.
Exits 1 if any case differs, printing both sides."""

import os
import shutil
import subprocess
import sys
import tempfile

import wasmtime

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")

# (program, args, env, stdin bytes, files to put in the preopened dir)
CASES = [
    ("stdio", [], {}, b"hello\nworld\n", None),
    ("stdio", [], {}, b"", None),
    ("stdio", [], {}, b"no newline at the end", None),
    ("stdio", [], {}, bytes(range(256)) * 40, None),
    ("args_env", [], {}, b"", None),
    ("args_env", ["42", "two words", "", "\u00e9t\u00e9"], {"GREETING": "hi", "B": "2", "EMPTY": ""}, b"", None),
    ("clocks", [], {}, b"", None),
    ("exit", [], {}, b"", None),
    ("exit", ["7"], {}, b"", None),
    ("exit", ["125"], {}, b"", None),
    ("fd_errors", [], {}, b"", None),
    ("poll", [], {}, b"some input", None),
    ("fd_misc", [], {}, b"", {}),
    ("fs_paths", [], {}, b"", {}),
    ("fs_paths", [], {}, b"", {"dir/existing.txt": b"there before", "other/x": b"x"}),
]


def snapshot(directory):
    """Every file under `directory`: relative path -> bytes (or a marker)."""
    out = {}
    if directory is None:
        return out
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, directory)
            if os.path.islink(path):
                out[rel] = ("symlink", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("dir",)
            else:
                with open(path, "rb") as f:
                    out[rel] = ("file", f.read())
    return out


def prepare(files):
    if files is None:
        return None
    directory = tempfile.mkdtemp(prefix="wasi-diff-")
    for rel, data in files.items():
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return directory


def run_wasmtime(wasm, argv, env, stdin, directory):
    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, wasm)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    config = wasmtime.WasiConfig()
    config.argv = argv
    config.env = list(env.items())
    with tempfile.TemporaryDirectory() as io_dir:
        paths = {name: os.path.join(io_dir, name) for name in ("in", "out", "err")}
        with open(paths["in"], "wb") as f:
            f.write(stdin)
        config.stdin_file = paths["in"]
        config.stdout_file = paths["out"]
        config.stderr_file = paths["err"]
        if directory is not None:
            config.preopen_dir(directory, "/data")
        store.set_wasi(config)
        instance = linker.instantiate(store, module)
        status = 0
        try:
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as e:
            status = e.code
        except (wasmtime.Trap, wasmtime.WasmtimeError):
            status = 134
        del instance, store
        with open(paths["out"], "rb") as f:
            out = f.read()
        with open(paths["err"], "rb") as f:
            err = f.read()
    return status, out, err


def run_wasmbeam(wasmbeam, options, wasm, argv, env, stdin, directory):
    command = wasmbeam + ["run"] + options
    for name, value in env.items():
        command += ["--env", f"{name}={value}"]
    if directory is not None:
        command += ["--dir", f"{directory}::/data"]
    command += [wasm] + argv[1:]
    done = subprocess.run(command, input=stdin, capture_output=True, timeout=600)
    return done.returncode, done.stdout, done.stderr


def main():
    args = sys.argv[1:]
    options = args[:2] if args[:1] == ["--fuel-slice"] else []
    wasmbeam = args[len(options):]
    if not wasmbeam or len(options) == 1:
        sys.exit(__doc__)
    failures = 0
    for program, args, env, stdin, files in CASES:
        wasm = os.path.join(PROGRAMS, program + ".wasm")
        argv = [wasm] + args
        dirs = [prepare(files), prepare(files)]
        try:
            ours = run_wasmbeam(wasmbeam, options, wasm, argv, env, stdin, dirs[0])
            theirs = run_wasmtime(wasm, argv, env, stdin, dirs[1])
            label = f"{program} {args}"
            same = ours == theirs and snapshot(dirs[0]) == snapshot(dirs[1])
            print(("same   " if same else "DIFFER ") + label)
            if not same:
                failures += 1
                for name, a, b in zip(("status", "stdout", "stderr"), ours, theirs):
                    if a != b:
                        print(f"  {name}:\n    wasmbeam: {a!r}\n    wasmtime: {b!r}")
                if snapshot(dirs[0]) != snapshot(dirs[1]):
                    print(f"  files:\n    wasmbeam: {snapshot(dirs[0])!r}\n    wasmtime: {snapshot(dirs[1])!r}")
        finally:
            for d in dirs:
                if d is not None:
                    shutil.rmtree(d, ignore_errors=True)
    print(f"{len(CASES) - failures} of {len(CASES)} cases the same on wasmbeam and wasmtime")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
