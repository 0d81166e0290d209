//! Prints the optimized Cranelift IR of every function in a .wat file:
//! `cargo run -p wasmbeam-jit --example dump_clif FILE.wat` (`WASMBEAM_REDUCTIONS=0` to
//! compile without reduction counting, `WASMBEAM_DUMP_CODE=DIR` to write each
//! function's machine code to `DIR/fN.bin`).
use cranelift_codegen::{control::ControlPlane, Context};

fn main() {
    let path = std::env::args().nth(1).expect("usage: dump_clif FILE.wat");
    let wasm = wat::parse_file(&path).expect("valid wat");
    let info = wasmbeam_jit::parse(&wasm).expect("valid module");
    let compiler = wasmbeam_jit::Compiler::new(&Default::default()).expect("host compiler");
    for defined in 0..info.num_defined_functions() {
        let mut ctx = Context::new();
        let index = info.num_imported_functions + defined;
        let reductions = std::env::var("WASMBEAM_REDUCTIONS").map_or(true, |v| v != "0");
        wasmbeam_jit::translate_function(compiler.isa(), &info, &wasm, index, reductions, &mut ctx.func)
            .expect("translates");
        let code = ctx.compile(compiler.isa(), &mut ControlPlane::default()).expect("compiles");
        let size = code.code_buffer().len();
        if let Ok(dir) = std::env::var("WASMBEAM_DUMP_CODE") {
            std::fs::write(format!("{dir}/f{index}.bin"), code.code_buffer()).expect("write code");
        }
        println!("{}\n; {size} bytes of machine code\n", ctx.func.display());
    }
}
