//! Code size with reduction counting on vs off, without running anything:
//! `cargo run -p wasmbeam-jit --release --example code_size [-v] [FILE.wasm|FILE.wat ...]`
//! (by default, the five programs of the benchmark's geometric mean in
//! `benches/programs/`). Prints each module's size on, off and their ratio,
//! then the geometric mean of the ratios; `-v` adds one line per function.
//! `cargo bench --bench reductions` reports the same sizes with timings.
use wasmbeam_jit::{CompileOptions, Compiler};

const PROGRAMS: &[&str] = &["fib.wasm", "sieve.wasm", "nbody.wasm", "matmul.wasm", "interp.wasm"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let mut files: Vec<String> = args.into_iter().filter(|a| a != "-v").collect();
    if files.is_empty() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/programs");
        files = PROGRAMS.iter().map(|p| format!("{dir}/{p}")).collect();
    }
    let compiler = |reductions| {
        Compiler::new(&CompileOptions { reductions, verify: false, ..Default::default() }).expect("host compiler")
    };
    let (on, off) = (compiler(true), compiler(false));
    let mut log_sum = 0.0;
    for file in &files {
        let wasm = wat::parse_file(file).expect("a readable .wasm or .wat file");
        let info = wasmbeam_jit::parse(&wasm).expect("a valid module");
        let type_ids: Vec<u32> = (0..info.types.len() as u32).collect();
        let size = |c: &Compiler| c.compile_module(&info, &wasm, &type_ids).expect("compiles").code_size();
        let (size_on, size_off) = (size(&on), size(&off));
        let ratio = size_on as f64 / size_off as f64;
        log_sum += ratio.ln();
        let name = std::path::Path::new(file).file_name().map_or(file.clone(), |n| n.to_string_lossy().into());
        println!("{name:<16} {size_on:>8} {size_off:>8} {ratio:>6.2}x");
        if verbose {
            print_functions(&on, &off, &info, &wasm);
        }
    }
    println!("geometric mean {:.2}x", (log_sum / files.len() as f64).exp());
}

/// One line per defined function: its size on and off (each compiled as a
/// module of its own would differ only in padding, so the offsets of the
/// whole-module compile are used).
fn print_functions(on: &Compiler, off: &Compiler, info: &wasmbeam_jit::ModuleInfo, wasm: &[u8]) {
    let sizes = |c: &Compiler, reductions| {
        let mut sizes = Vec::new();
        for defined in 0..info.num_defined_functions() {
            let mut ctx = cranelift_codegen::Context::new();
            let index = info.num_imported_functions + defined;
            wasmbeam_jit::translate_function(c.isa(), info, wasm, index, reductions, &mut ctx.func)
                .expect("translates");
            let code = ctx.compile(c.isa(), &mut Default::default()).expect("compiles");
            sizes.push(code.code_buffer().len());
        }
        sizes
    };
    for (i, (a, b)) in sizes(on, true).into_iter().zip(sizes(off, false)).enumerate() {
        println!("  f{:<5} {a:>8} {b:>8} {:>6.2}x", i as u32 + info.num_imported_functions, a as f64 / b as f64);
    }
}
