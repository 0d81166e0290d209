#!/usr/bin/env python3
"""Runs a test program of this folder under wasmtime (PyPI's `wasmtime`),
with host directories holding the fixture memory_fs.rs gives the in-memory
file system, and prints what the Rust test compares: the program's stdout,
its exit status, and every regular file the writable preopen holds after
the run (path from the preopen's root, and data), sorted by path.

    python3 wasmtime_oracle.py errno_probe > errno_probe.wasmtime.txt
    python3 wasmtime_oracle.py files > files.wasmtime.txt
"""
import os
import sys
import tempfile

import wasmtime

HERE = os.path.dirname(os.path.abspath(__file__))


def fixture(program, rw, ro):
    """The same fixture as `fixture` in ../memory_fs.rs."""
    if program == "errno_probe":
        os.symlink("/", os.path.join(rw, "abs_host"))
        os.symlink("/etc/passwd", os.path.join(rw, "absf_host"))
        os.symlink("/tmp", os.path.join(rw, "absd_host"))
        os.mkdir(os.path.join(ro, "rd"))
        with open(os.path.join(ro, "r.txt"), "wb") as f:
            f.write(b"read only")
    elif program == "files":
        with open(os.path.join(rw, "input.txt"), "wb") as f:
            f.write(b"first line\nsecond line\nthird line\n")
        os.mkdir(os.path.join(rw, "keep"))
        with open(os.path.join(rw, "keep", "old.txt"), "wb") as f:
            f.write(b"to be removed\n")
    else:
        sys.exit(f"unknown program {program}")


def files(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    out.append(("/" + os.path.relpath(path, root), f.read()))
    return sorted(out)


def main():
    program = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        rw, ro = os.path.join(tmp, "rw"), os.path.join(tmp, "ro")
        os.mkdir(rw)
        os.mkdir(ro)
        fixture(program, rw, ro)
        engine = wasmtime.Engine()
        module = wasmtime.Module.from_file(engine, os.path.join(HERE, program + ".wasm"))
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        store = wasmtime.Store(engine)
        config = wasmtime.WasiConfig()
        config.argv = [program]
        stdout = os.path.join(tmp, "stdout")
        config.stdout_file = stdout
        config.preopen_dir(rw, "/data")
        config.preopen_dir(ro, "/ro", False)
        store.set_wasi(config)
        instance = linker.instantiate(store, module)
        status = 0
        try:
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as e:
            status = e.code
        with open(stdout, "rb") as f:
            sys.stdout.write(f.read().decode())
        print(f"--- exit status {status}")
        for path, data in files(rw):
            print(f"--- {path}: {data!r}")


main()
