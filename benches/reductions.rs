//! What reduction counting costs: each program in `benches/programs/` runs
//! on two engines that differ only in `Config::reductions` (on: fuel at
//! function entries and loop headers, resume points at every call; off:
//! plain code), through a plain `Func::call` (unlimited fuel, never
//! suspending), each time at four code offsets (`CODE_OFFSETS`), one call
//! at each, so that where the code lands averages out. Prints, per program, both medians and their ratio, the
//! geometric mean of the ratios (budget: at most 1.10x), and the code size
//! on vs off with its geometric mean (budget: at most 2x) and the largest
//! ratio.
//!
//! Then what exception handling costs code that throws nothing: each
//! program again with every function's body wrapped in a `try_table` with
//! a `catch_all` clause (so every call in it is a call inside a
//! `try_table`, as in C++ code with cleanups), reductions on, against the
//! plain program; ratio per program and geometric mean.
//!
//! Then, through `Func::start` / `Call::step`, the cost of one suspend +
//! resume at call depth 1 and 100: in a suspending host import (against the
//! same call with a native import), and as a fuel-slice yield (against the
//! same call in one step).
//!
//! Every result is checked against a checksum computed here in Rust by an
//! independent implementation of the same algorithm, so a wrong engine
//! cannot produce fast numbers.
//!
//! ```text
//! cargo bench --bench reductions                          # everything, about 1.5 minutes
//! cargo bench --bench reductions -- --measurement-time 5  # steadier numbers
//! cargo bench --bench reductions -- fib                   # only names containing "fib"
//! cargo test --bench reductions                           # each benchmark once, checksums only
//! ```
//! The defaults here (20 samples, 0.5 s warm-up, 2 s measurement per
//! benchmark) keep the whole run short; criterion's command-line options
//! override them. Ratios are taken within one run; on a busy machine the
//! absolute times move a lot more than the ratios (the "min o/o" column,
//! the ratio of the fastest samples, is a cross-check).

use criterion::measurement::WallTime;
use criterion::{black_box, BenchmarkGroup, Criterion, SamplingMode};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};
use wasmbeam::{Config, Engine, Func, Linker, Module, Store, Val};

// ---------------------------------------------------------------------------
// The programs

struct Program {
    name: &'static str,
    what: &'static str,
    /// A binary, or text (read through the `wat` crate).
    wasm: &'static [u8],
    /// The argument of `run`.
    arg: i32,
    /// Whether the program counts towards the geometric mean (the compute
    /// budget); `loop` is a deliberate worst case and is reported apart.
    in_mean: bool,
    /// The expected result of `run(arg)`, computed in Rust.
    expected: fn(i32) -> Val,
}

const PROGRAMS: &[Program] = &[
    Program {
        name: "fib",
        what: "recursive fib(30), ~1.3M calls",
        wasm: include_bytes!("programs/fib.wasm"),
        arg: 30,
        in_mean: true,
        expected: |n| Val::I32(reference::fib(n as u32) as i32),
    },
    Program {
        name: "sieve",
        what: "sieve + word checksum over 4 MiB",
        wasm: include_bytes!("programs/sieve.wasm"),
        arg: 4 << 20,
        in_mean: true,
        expected: |n| Val::I32(reference::sieve(n as u32) as i32),
    },
    Program {
        name: "nbody",
        what: "5-body f64 simulation, 200k steps",
        wasm: include_bytes!("programs/nbody.wasm"),
        arg: 200_000,
        in_mean: true,
        expected: |n| Val::F64(reference::nbody(n).to_bits()),
    },
    Program {
        name: "matmul",
        what: "f64 matrix multiply 200x200",
        wasm: include_bytes!("programs/matmul.wasm"),
        arg: 200,
        in_mean: true,
        expected: |n| Val::F64(reference::matmul(n).to_bits()),
    },
    Program {
        name: "interp",
        what: "bytecode VM (switch loop), 300k rounds",
        wasm: include_bytes!("programs/interp.wasm"),
        arg: 300_000,
        in_mean: true,
        expected: |n| Val::I32(reference::interp(n as u32) as i32),
    },
    Program {
        name: "loop",
        what: "worst case: 1-add loop body, 100M iterations",
        wasm: include_bytes!("programs/loop.wat"),
        arg: 100_000_000,
        in_mean: false,
        expected: |n| Val::I32(reference::sum_to(n as u32) as i32),
    },
];

/// The same algorithms as the C (and WAT) sources, written independently
/// in Rust, with the same evaluation order for floating point.
mod reference {
    pub fn fib(n: u32) -> u32 {
        let (mut a, mut b) = (0u32, 1u32);
        for _ in 0..n {
            (a, b) = (b, a.wrapping_add(b));
        }
        a
    }

    pub fn sieve(n: u32) -> u32 {
        let n = n.min(4 << 20) as usize;
        if n < 2 {
            return 0;
        }
        let mut flags = vec![1u8; n];
        flags[0] = 0;
        flags[1] = 0;
        let mut i = 2;
        while i * i < n {
            if flags[i] != 0 {
                for j in (i * i..n).step_by(i) {
                    flags[j] = 0;
                }
            }
            i += 1;
        }
        let count = flags.iter().map(|&f| f as u32).sum::<u32>();
        let mut h = 0u32;
        for w in flags[..n / 4 * 4].chunks_exact(4) {
            h = h.rotate_left(5) ^ u32::from_le_bytes(w.try_into().unwrap());
            h = h.wrapping_mul(0x9E37_79B1);
        }
        count.wrapping_mul(2_654_435_761).wrapping_add(h)
    }

    // The literals are those of nbody.c, digit for digit.
    #[allow(clippy::excessive_precision)]
    pub fn nbody(steps: i32) -> f64 {
        // The C source's 3.141592653589793 is this same double.
        use std::f64::consts::PI;
        const SOLAR_MASS: f64 = 4.0 * PI * PI;
        const DPY: f64 = 365.24;
        #[rustfmt::skip]
        let mut b: [[f64; 7]; 5] = [
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, SOLAR_MASS],
            [4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
             1.66007664274403694e-03 * DPY, 7.69901118419740425e-03 * DPY,
             -6.90460016972063023e-05 * DPY, 9.54791938424326609e-04 * SOLAR_MASS],
            [8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
             -2.76742510726862411e-03 * DPY, 4.99852801234917238e-03 * DPY,
             2.30417297573763929e-05 * DPY, 2.85885980666130812e-04 * SOLAR_MASS],
            [1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
             2.96460137564761618e-03 * DPY, 2.37847173959480950e-03 * DPY,
             -2.96589568540237556e-05 * DPY, 4.36624404335156298e-05 * SOLAR_MASS],
            [1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
             2.68067772490389322e-03 * DPY, 1.62824170038242295e-03 * DPY,
             -9.51592254519715870e-05 * DPY, 5.15138902046611451e-05 * SOLAR_MASS],
        ];
        const X: usize = 0;
        const Y: usize = 1;
        const Z: usize = 2;
        const VX: usize = 3;
        const VY: usize = 4;
        const VZ: usize = 5;
        const M: usize = 6;
        let (mut px, mut py, mut pz) = (0.0, 0.0, 0.0);
        for body in &b {
            px += body[VX] * body[M];
            py += body[VY] * body[M];
            pz += body[VZ] * body[M];
        }
        b[0][VX] = -px / SOLAR_MASS;
        b[0][VY] = -py / SOLAR_MASS;
        b[0][VZ] = -pz / SOLAR_MASS;
        let dt = 0.01;
        for _ in 0..steps {
            for i in 0..5 {
                for j in i + 1..5 {
                    let dx = b[i][X] - b[j][X];
                    let dy = b[i][Y] - b[j][Y];
                    let dz = b[i][Z] - b[j][Z];
                    let d2 = dx * dx + dy * dy + dz * dz;
                    let mag = dt / (d2 * d2.sqrt());
                    let (mi, mj) = (b[i][M], b[j][M]);
                    b[i][VX] -= dx * mj * mag;
                    b[i][VY] -= dy * mj * mag;
                    b[i][VZ] -= dz * mj * mag;
                    b[j][VX] += dx * mi * mag;
                    b[j][VY] += dy * mi * mag;
                    b[j][VZ] += dz * mi * mag;
                }
            }
            for body in &mut b {
                body[X] += dt * body[VX];
                body[Y] += dt * body[VY];
                body[Z] += dt * body[VZ];
            }
        }
        let mut e = 0.0;
        for i in 0..5 {
            let a = b[i];
            e += 0.5 * a[M] * (a[VX] * a[VX] + a[VY] * a[VY] + a[VZ] * a[VZ]);
            for c in &b[i + 1..] {
                let (dx, dy, dz) = (a[X] - c[X], a[Y] - c[Y], a[Z] - c[Z]);
                e -= a[M] * c[M] / (dx * dx + dy * dy + dz * dz).sqrt();
            }
        }
        e
    }

    pub fn matmul(n: i32) -> f64 {
        let n = n.min(256) as usize;
        let a = |i: usize, j: usize| ((i * 7 + j * 3) % 17) as f64 - 8.0;
        let b = |i: usize, j: usize| ((i * 5 + j * 11) % 13) as f64 - 6.0;
        // Integer entries: every sum is exact, so any order gives the
        // same result; compute it the straightforward way.
        let mut sum = 0.0;
        for i in 0..n {
            for j in 0..n {
                let c: f64 = (0..n).map(|k| a(i, k) * b(k, j)).sum();
                sum += c * ((i * n + j) % 3 + 1) as f64;
            }
        }
        sum
    }

    pub fn interp(n: u32) -> u32 {
        let (mut x, mut acc) = (2_463_534_242u32, 0u32);
        for _ in 0..n.max(1) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            acc = acc.wrapping_mul(31).wrapping_add(x & 255);
        }
        acc ^ x
    }

    pub fn sum_to(n: u32) -> u32 {
        // 1 + 2 + ... + n mod 2^32, in closed form (not the loop the
        // program runs).
        (n as u64 * (n as u64 + 1) / 2) as u32
    }
}

// ---------------------------------------------------------------------------
// Engines and measurement

/// Where each function's code starts, in bytes past its 16-byte
/// alignment (`Config::code_offset`): each program runs once at each, so
/// that no result depends on where its hot loop happens to land in a
/// 64-byte line. (The interpreter runs 12% faster or slower, with or
/// without reductions, as its code moves by 16 bytes.)
const CODE_OFFSETS: [usize; 4] = [0, 16, 32, 48];

fn engine(reductions: bool, code_offset: usize) -> Engine {
    Engine::new(Config { reductions, verify: false, code_offset, ..Config::default() }).expect("host engine")
}

/// A program instantiated on one engine per code offset, ready to call.
struct Loaded {
    runs: Vec<(Store, Func)>,
    /// At offset 0 (the others add their padding).
    code_size: usize,
}

fn load(reductions: bool, program: &Program) -> Loaded {
    load_wasm(reductions, program, program.wasm)
}

fn load_wasm(reductions: bool, program: &Program, wasm: &[u8]) -> Loaded {
    let mut runs = Vec::new();
    let mut code_size = 0;
    for offset in CODE_OFFSETS {
        let engine = engine(reductions, offset);
        let module: Module =
            wasmbeam::load_module(&engine, wasm).unwrap_or_else(|e| panic!("{}: does not compile: {e}", program.name));
        let mut store = Store::new(&engine);
        let instance = Linker::new()
            .instantiate(&mut store, &module)
            .unwrap_or_else(|e| panic!("{}: does not instantiate: {e}", program.name));
        let run = instance.get_func(&store, "run").unwrap_or_else(|| panic!("{}: no export `run`", program.name));
        if offset == 0 {
            code_size = module.code_size();
        }
        runs.push((store, run));
    }
    Loaded { runs, code_size }
}

/// Seconds per call of each of criterion's measurement samples, recorded
/// through `iter_custom`. Criterion runs the warm-up first, then exactly
/// `sample_size` samples, so the samples are the last `sample_size`
/// records (fewer when criterion only tests, e.g. under `cargo test`).
type Samples = Rc<RefCell<Vec<f64>>>;

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

const SAMPLE_SIZE: usize = 20;

/// The sample size criterion uses: ours, unless `--sample-size N` overrides it.
fn sample_size() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .find(|w| w[0] == "--sample-size")
        .and_then(|w| w[1].parse().ok())
        .or_else(|| args.iter().find_map(|a| a.strip_prefix("--sample-size=")?.parse().ok()))
        .unwrap_or(SAMPLE_SIZE)
}

/// The median and the minimum of one benchmark's per-call times.
#[derive(Clone, Copy)]
struct Timing {
    median: f64,
    min: f64,
}

fn bench_call(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    loaded: &mut Loaded,
    arg: i32,
    expected: &Val,
) -> Option<Timing> {
    let samples: Samples = Rc::default();
    let recorded = samples.clone();
    let args = [Val::I32(arg)];
    let calls = loaded.runs.len();
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                // One call at each code offset: an iteration's time is
                // their sum.
                for (store, run) in &mut loaded.runs {
                    let results = run.call(store, black_box(&args)).expect("run traps");
                    // Checked on every call: a cheap comparison next to a
                    // run of milliseconds.
                    assert_eq!(results.first(), Some(expected), "{id}: wrong result");
                }
            }
            let elapsed = start.elapsed();
            recorded.borrow_mut().push(elapsed.as_secs_f64() / (iters.max(1) as usize * calls) as f64);
            elapsed
        })
    });
    let all = samples.borrow();
    let n = sample_size();
    // Not run (filtered out) or only tested once: no measurement.
    if all.len() < n {
        return None;
    }
    let last = &all[all.len() - n..];
    Some(Timing { median: median(last), min: last.iter().copied().fold(f64::INFINITY, f64::min) })
}

struct Row {
    name: &'static str,
    what: &'static str,
    in_mean: bool,
    on: Option<Timing>,
    off: Option<Timing>,
    size_on: usize,
    size_off: usize,
}

fn fmt_time(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else if s >= 1e-6 {
        format!("{:.3} µs", s * 1e6)
    } else {
        format!("{:.1} ns", s * 1e9)
    }
}

fn geomean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0);
    for x in v {
        sum += x.ln();
        n += 1;
    }
    (n > 0).then(|| (sum / n as f64).exp())
}

fn print_table(rows: &[Row]) {
    let ratio = |r: &Row, f: fn(Timing) -> f64| Some(f(r.on?) / f(r.off?));
    let median_ratio = |r: &Row| ratio(r, |t| t.median);
    let min_ratio = |r: &Row| ratio(r, |t| t.min);
    let size_ratio = |r: &Row| r.size_on as f64 / r.size_off as f64;
    let time = |t: Option<Timing>| t.map_or("-".to_string(), |t| fmt_time(t.median));
    let x = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));

    println!();
    println!(
        "Reductions on vs off: plain Func::call (unlimited fuel), medians of {} samples, each one call at \
         each of {} code offsets; code size from Module::code_size",
        sample_size(),
        CODE_OFFSETS.len()
    );
    println!();
    println!(
        "| {:<7} | {:<44} | {:>10} | {:>10} | {:>6} | {:>7} | {:>7} | {:>8} | {:>5} |",
        "program", "what", "on", "off", "on/off", "min o/o", "code on", "code off", "o/o"
    );
    println!(
        "|{:-<9}|{:-<46}|{:->12}|{:->12}|{:->8}|{:->9}|{:->9}|{:->10}|{:->7}|",
        "", "", ":", ":", ":", ":", ":", ":", ":"
    );
    for r in rows {
        let name = if r.in_mean { r.name.to_string() } else { format!("{}*", r.name) };
        println!(
            "| {:<7} | {:<44} | {:>10} | {:>10} | {:>6} | {:>7} | {:>7} | {:>8} | {:>5.2} |",
            name,
            r.what,
            time(r.on),
            time(r.off),
            x(median_ratio(r)),
            x(min_ratio(r)),
            r.size_on,
            r.size_off,
            size_ratio(r)
        );
    }
    let counted = || rows.iter().filter(|r| r.in_mean);
    println!();
    match geomean(counted().filter_map(median_ratio)) {
        Some(g) => println!(
            "time on/off, geometric mean over {} programs: {g:.3}x (of minima: {}); budget 1.10x: {}",
            counted().filter_map(median_ratio).count(),
            x(geomean(counted().filter_map(min_ratio))),
            if g <= 1.10 { "within" } else { "OVER" }
        ),
        None => println!("time on/off: not measured (benchmarks filtered out, or criterion in test mode)"),
    }
    if let Some(g) = geomean(counted().map(size_ratio)) {
        let (worst, name) =
            counted().map(|r| (size_ratio(r), r.name)).fold((0.0, ""), |a, b| if b.0 > a.0 { b } else { a });
        println!(
            "code size on/off, geometric mean over {} programs: {g:.2}x; budget 2x: {}; largest: {name} {worst:.2}x",
            counted().count(),
            if g <= 2.0 { "within" } else { "OVER" }
        );
    }
    println!("* not in the means: a deliberate worst case for loop-header fuel.");
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(SAMPLE_SIZE)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();

    let mut rows = Vec::new();
    for program in PROGRAMS {
        let expected = (program.expected)(program.arg);
        let mut loaded_on = load(true, program);
        let mut loaded_off = load(false, program);
        let mut group = c.benchmark_group(program.name);
        // Every call takes milliseconds: the same number of calls per
        // sample, as criterion advises for long benchmarks.
        group.sampling_mode(SamplingMode::Flat);
        let on_time = bench_call(&mut group, "on", &mut loaded_on, program.arg, &expected);
        let off_time = bench_call(&mut group, "off", &mut loaded_off, program.arg, &expected);
        group.finish();
        rows.push(Row {
            name: program.name,
            what: program.what,
            in_mean: program.in_mean,
            on: on_time,
            off: off_time,
            size_on: loaded_on.code_size,
            size_off: loaded_off.code_size,
        });
    }

    print_table(&rows);
    try_tables::run(&mut c);
    suspend::run(&mut c);
    c.final_summary();
}

// ---------------------------------------------------------------------------
// Suspend and resume

/// The cost of one suspend + resume, through `Func::start` / `Call::step`.
///
/// 1. Host call at depth d: `rec(d)` recurses to depth d (d WebAssembly
///    frames) and calls the import `host.h` there. With a suspending import
///    one round trip is start -> step (HostCall: d frames unwind into
///    records) -> resume_with -> step (d frames rewind, Finished); the
///    baseline is the same start -> step (Finished) with a native import
///    that returns at once. The difference is what suspending costs.
/// 2. Fuel-slice yields at depth d: `spin(d, n)` recurses to depth d and
///    runs a loop of n iterations there; stepping it with a small slice
///    yields Y times. (time in slices - time in one step) / Y is the cost of
///    one yield + resume.
mod suspend {
    use super::{fmt_time, median, sample_size, Timing};
    use criterion::{black_box, Criterion};
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Instant;
    use wasmbeam::{Call, Config, Engine, Func, FuncType, Linker, Module, Step, Store, Val, ValType};

    const WAT: &str = r#"
      (module
        (import "host" "h" (func $h (param i32) (result i32)))
        ;; d frames, then the import: result h(1) + d - 1.
        (func $rec (export "rec") (param $d i32) (result i32)
          (if (result i32) (i32.le_u (local.get $d) (i32.const 1))
            (then (call $h (local.get $d)))
            (else (i32.add (call $rec (i32.sub (local.get $d) (i32.const 1))) (i32.const 1)))))
        ;; d frames, then a loop of n iterations: result n(n+1)/2 + d - 1.
        (func $spin (export "spin") (param $d i32) (param $n i32) (result i32)
          (local $sum i32)
          (if (result i32) (i32.gt_u (local.get $d) (i32.const 1))
            (then (i32.add (call $spin (i32.sub (local.get $d) (i32.const 1)) (local.get $n)) (i32.const 1)))
            (else
              (block $done
                (br_if $done (i32.eqz (local.get $n)))
                (loop $top
                  (local.set $sum (i32.add (local.get $sum) (local.get $n)))
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br_if $top (local.get $n))))
              (local.get $sum)))))
    "#;

    const DEPTHS: [i32; 2] = [1, 100];
    /// What the host import returns (to `h(1)`).
    const ANSWER: i32 = 7;
    /// Loop iterations of `spin`, and the fuel slice it is stepped with.
    const SPIN_N: i32 = 200_000;
    const SLICE: u64 = 500;

    struct Setup {
        store: Store,
        rec: Func,
        spin: Func,
    }

    fn setup(engine: &Engine, module: &Module, suspending: bool) -> Setup {
        let mut store = Store::new(engine);
        let ty = FuncType::new([ValType::I32], [ValType::I32]);
        let h = if suspending {
            Func::new_suspending(&mut store, ty)
        } else {
            Func::new(&mut store, ty, |_, params, results| {
                results[0] = Val::I32(params[0].i32().unwrap_or(0) + ANSWER - 1);
                Ok(())
            })
        };
        let mut linker = Linker::new();
        linker.define("host", "h", h);
        let instance = linker.instantiate(&mut store, module).expect("suspend module instantiates");
        let rec = instance.get_func(&store, "rec").expect("export rec");
        let spin = instance.get_func(&store, "spin").expect("export spin");
        Setup { store, rec, spin }
    }

    fn finished(step: Step) -> Val {
        match step {
            Step::Finished(v) => v[0],
            Step::Yielded => panic!("unexpected yield"),
            Step::HostCall { .. } => panic!("unexpected host call"),
        }
    }

    /// One call of `rec(d)` with the suspending import: suspend, answer, resume.
    fn round_trip(s: &mut Setup, d: i32) -> Val {
        let mut call: Call = s.rec.start(&mut s.store, &[Val::I32(d)]).expect("start");
        match call.step(&mut s.store, u64::MAX).expect("step") {
            Step::HostCall { args, .. } => assert_eq!(args, [Val::I32(1)]),
            _ => panic!("rec({d}) did not suspend in the host call"),
        }
        call.resume_with(Ok(vec![Val::I32(ANSWER)])).expect("resume_with");
        finished(call.step(&mut s.store, u64::MAX).expect("step after resume"))
    }

    /// One call of `rec(d)` with the native import, through the same API.
    fn straight(s: &mut Setup, d: i32) -> Val {
        let mut call = s.rec.start(&mut s.store, &[Val::I32(d)]).expect("start");
        finished(call.step(&mut s.store, u64::MAX).expect("step"))
    }

    /// One call of `spin(d, SPIN_N)` stepped with `slice`; returns the result
    /// and the number of yields.
    fn spin(s: &mut Setup, d: i32, slice: u64) -> (Val, u64) {
        let mut call = s.spin.start(&mut s.store, &[Val::I32(d), Val::I32(SPIN_N)]).expect("start");
        let mut yields = 0;
        loop {
            match call.step(&mut s.store, slice).expect("step") {
                Step::Yielded => yields += 1,
                step => return (finished(step), yields),
            }
        }
    }

    fn measure(c: &mut Criterion, id: &str, mut f: impl FnMut()) -> Option<Timing> {
        let samples: Rc<RefCell<Vec<f64>>> = Rc::default();
        let recorded = samples.clone();
        c.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    f();
                }
                let elapsed = start.elapsed();
                recorded.borrow_mut().push(elapsed.as_secs_f64() / iters.max(1) as f64);
                elapsed
            })
        });
        let all = samples.borrow();
        let n = sample_size();
        if all.len() < n {
            return None;
        }
        let last = &all[all.len() - n..];
        Some(Timing { median: median(last), min: last.iter().copied().fold(f64::INFINITY, f64::min) })
    }

    pub fn run(c: &mut Criterion) {
        let engine = Engine::new(Config { verify: false, ..Config::default() }).expect("host engine");
        let module = wasmbeam::load_module(&engine, WAT.as_bytes()).expect("suspend module compiles");
        let mut susp = setup(&engine, &module, true);
        let mut native = setup(&engine, &module, false);
        let spin_expected = |d: i32| Val::I32((SPIN_N as u64 * (SPIN_N as u64 + 1) / 2) as u32 as i32 + d - 1);

        let mut host_rows = Vec::new();
        let mut yield_rows = Vec::new();
        for d in DEPTHS {
            let expected = Val::I32(ANSWER + d - 1);
            assert_eq!(round_trip(&mut susp, d), expected, "suspending rec({d})");
            assert_eq!(straight(&mut native, d), expected, "native rec({d})");
            let s = measure(c, &format!("suspend/host-call/depth {d}"), || {
                assert_eq!(round_trip(&mut susp, black_box(d)), expected)
            });
            let n = measure(c, &format!("suspend/native-call/depth {d}"), || {
                assert_eq!(straight(&mut native, black_box(d)), expected)
            });
            host_rows.push((d, s, n));

            let (v, yields) = spin(&mut native, d, SLICE);
            assert_eq!(v, spin_expected(d), "spin({d}) in slices");
            let (v, none) = spin(&mut native, d, u64::MAX);
            assert_eq!((v, none), (spin_expected(d), 0), "spin({d}) in one step");
            let sliced = measure(c, &format!("suspend/spin-slices/depth {d}"), || {
                assert_eq!(spin(&mut native, black_box(d), SLICE).0, spin_expected(d))
            });
            let whole = measure(c, &format!("suspend/spin-whole/depth {d}"), || {
                assert_eq!(spin(&mut native, black_box(d), u64::MAX).0, spin_expected(d))
            });
            yield_rows.push((d, yields, sliced, whole));
        }

        println!();
        println!("Suspend + resume (engine with reductions, medians of {} samples)", sample_size());
        println!();
        println!("| depth | host call, suspending | host call, native | suspend + resume |");
        println!("|------:|---------------------:|------------------:|-----------------:|");
        for &(d, s, n) in &host_rows {
            let diff = match (s, n) {
                (Some(s), Some(n)) => fmt_time(s.median - n.median),
                _ => "-".into(),
            };
            let t = |t: Option<Timing>| t.map_or("-".into(), |t| fmt_time(t.median));
            println!("| {d:>5} | {:>20} | {:>17} | {diff:>16} |", t(s), t(n));
        }
        println!();
        let sliced_head = format!("spin(d, {SPIN_N}) in slices of {SLICE}");
        let w = sliced_head.len();
        println!("| depth | {sliced_head} | in one step | yields | yield + resume |");
        println!("|------:|{:->w2$}|------------:|-------:|---------------:|", ":", w2 = w + 2);
        for &(d, yields, sliced, whole) in &yield_rows {
            let per = match (sliced, whole) {
                (Some(s), Some(w)) if yields > 0 => fmt_time((s.median - w.median) / yields as f64),
                _ => "-".into(),
            };
            let t = |t: Option<Timing>| t.map_or("-".into(), |t| fmt_time(t.median));
            println!("| {d:>5} | {:>w$} | {:>11} | {yields:>6} | {per:>14} |", t(sliced), t(whole));
        }
        // What each extra frame adds, from the first and last depth.
        let per_frame = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => fmt_time((b - a) / (DEPTHS[1] - DEPTHS[0]) as f64),
            _ => "-".into(),
        };
        let host_cost = |i: usize| Some(host_rows[i].1?.median - host_rows[i].2?.median);
        let yield_cost = |i: usize| {
            let (_, yields, sliced, whole) = yield_rows[i];
            Some((sliced?.median - whole?.median) / yields.max(1) as f64)
        };
        println!();
        println!(
            "each frame between depth {} and {} adds: {} to a host-call suspend + resume, {} to a yield + resume",
            DEPTHS[0],
            DEPTHS[1],
            per_frame(host_cost(0), host_cost(1)),
            per_frame(yield_cost(0), yield_cost(1))
        );
    }
}

// ---------------------------------------------------------------------------
// try_table on vs off

/// Each program with every function body in a `try_table` (see the module
/// docs), against the plain program, both with reductions on.
mod try_tables {
    use super::{bench_call, fmt_time, geomean, load, load_wasm, sample_size, Timing, PROGRAMS};
    use criterion::{Criterion, SamplingMode};
    use std::borrow::Cow;
    use wasm_encoder::reencode::{Error, Reencode};
    use wasm_encoder::{BlockType, Catch, CodeSection, Instruction};

    /// A program's times and code sizes, with and without the try_tables.
    type Row = (&'static str, Option<Timing>, Option<Timing>, usize, usize);

    pub fn run(c: &mut Criterion) {
        let mut rows: Vec<Row> = Vec::new();
        for program in PROGRAMS {
            let expected = (program.expected)(program.arg);
            let plain_wasm = wat::parse_bytes(program.wasm).expect("the programs parse");
            let wrapped = in_try_tables(&plain_wasm);
            let mut plain = load(true, program);
            let mut tried = load_wasm(true, program, &wrapped);
            let mut group = c.benchmark_group(format!("{}/try_table", program.name));
            group.sampling_mode(SamplingMode::Flat);
            let with = bench_call(&mut group, "with", &mut tried, program.arg, &expected);
            let without = bench_call(&mut group, "without", &mut plain, program.arg, &expected);
            group.finish();
            rows.push((program.name, with, without, tried.code_size, plain.code_size));
        }
        let ratio = |a: Option<Timing>, b: Option<Timing>| Some(a?.median / b?.median);
        println!();
        println!(
            "try_table: every function body in a try_table (catch_all) vs plain, reductions on, medians of {} samples",
            sample_size()
        );
        println!();
        println!(
            "| {:<7} | {:>10} | {:>10} | {:>6} | {:>7} | {:>8} |",
            "program", "with", "without", "w/wo", "code w", "code wo"
        );
        println!("|{:-<9}|{:->12}|{:->12}|{:->8}|{:->9}|{:->10}|", "", ":", ":", ":", ":", ":");
        let time = |t: Option<Timing>| t.map_or("-".to_string(), |t| fmt_time(t.median));
        for (name, with, without, size_with, size_without) in &rows {
            let r = ratio(*with, *without).map_or("-".to_string(), |r| format!("{r:.3}"));
            println!(
                "| {name:<7} | {:>10} | {:>10} | {r:>6} | {size_with:>7} | {size_without:>8} |",
                time(*with),
                time(*without)
            );
        }
        match geomean(rows.iter().filter_map(|r| ratio(r.1, r.2))) {
            Some(g) => println!("try_table with/without, geometric mean: {g:.3}x"),
            None => println!("try_table with/without: not measured"),
        }
    }

    /// `wasm` with each defined function's body `B` replaced by
    /// `block (try_table (result R) (catch_all 0) B) return end unreachable`.
    /// A branch in `B` to the function's label now leaves the `try_table`
    /// with the same values and returns them: the program computes the
    /// same, every call of it inside a `try_table`.
    pub fn in_try_tables(wasm: &[u8]) -> Vec<u8> {
        let mut wrapper = Wrapper { results: defined_results(wasm), next: 0 };
        let mut module = wasm_encoder::Module::new();
        wrapper.parse_core_module(&mut module, wasmparser::Parser::new(0), wasm).expect("the programs re-encode");
        module.finish()
    }

    /// The result block type of each defined function, in order.
    fn defined_results(wasm: &[u8]) -> Vec<BlockType> {
        let (mut types, mut results) = (Vec::new(), Vec::new());
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload.expect("the programs parse") {
                wasmparser::Payload::TypeSection(reader) => {
                    for ty in reader.into_iter_err_on_gc_types() {
                        let ty = ty.expect("function types");
                        types.push(match ty.results() {
                            [] => BlockType::Empty,
                            [one] => BlockType::Result(
                                wasm_encoder::reencode::RoundtripReencoder.val_type(*one).expect("a value type"),
                            ),
                            _ => panic!("the programs' functions have at most one result"),
                        });
                    }
                }
                wasmparser::Payload::FunctionSection(reader) => {
                    for index in reader {
                        results.push(types[index.expect("a type index") as usize]);
                    }
                }
                _ => {}
            }
        }
        results
    }

    struct Wrapper {
        results: Vec<BlockType>,
        next: usize,
    }

    impl Reencode for Wrapper {
        type Error = std::convert::Infallible;

        fn parse_function_body(
            &mut self,
            code: &mut CodeSection,
            func: wasmparser::FunctionBody<'_>,
        ) -> Result<(), Error<Self::Error>> {
            let mut f = self.new_function_with_parsed_locals(&func)?;
            let results = self.results[self.next];
            self.next += 1;
            f.instruction(&Instruction::Block(BlockType::Empty));
            f.instruction(&Instruction::TryTable(results, Cow::Owned(vec![Catch::All { label: 0 }])));
            let mut reader = func.get_operators_reader()?;
            while !reader.eof() {
                let instruction = self.parse_instruction(&mut reader)?;
                // The body's own final `end` now ends the try_table.
                f.instruction(&instruction);
            }
            f.instruction(&Instruction::Return);
            f.instruction(&Instruction::End);
            f.instruction(&Instruction::Unreachable);
            f.instruction(&Instruction::End);
            code.function(&f);
            Ok(())
        }
    }
}
