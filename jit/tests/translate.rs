//! Translator corner cases, run without the runtime: modules with only
//! functions (no imports, memories, tables or globals) need a vmctx holding
//! just the funcref words, which this harness builds itself.

use std::collections::HashMap;
use wasmbeam_jit::vm::{ExecCtx, TrapCode, VMFuncRef, STATE_TRAPPING};
use wasmbeam_jit::{CompileOptions, Compiler, FuncType};

struct Harness {
    compiler: Compiler,
}

struct Loaded {
    info: wasmbeam_jit::ModuleInfo,
    _compiled: wasmbeam_jit::CompiledModule,
    _funcrefs: Vec<Box<VMFuncRef>>,
    vmctx: Box<[u64]>,
}

impl Harness {
    fn new() -> Self {
        let options = CompileOptions { verify: true, ..CompileOptions::default() };
        Harness { compiler: Compiler::new(&options).expect("host compiler") }
    }

    fn load(&self, wat: &str) -> Loaded {
        let wasm = wat::parse_str(wat).expect("valid wat");
        let info = wasmbeam_jit::parse(&wasm).expect("valid module");
        assert_eq!(info.num_imported_functions, 0);
        let mut registry: HashMap<FuncType, u32> = HashMap::new();
        let type_ids: Vec<u32> = info
            .types
            .iter()
            .map(|t| {
                let next = registry.len() as u32;
                *registry.entry(t.clone()).or_insert(next)
            })
            .collect();
        let compiled = self.compiler.compile_module(&info, &wasm, &type_ids).expect("compiles");
        let offsets = info.vm_offsets();
        let mut vmctx = vec![0u64; offsets.size() as usize / 8].into_boxed_slice();
        let vmctx_ptr = vmctx.as_mut_ptr() as *mut u8;
        let mut funcrefs = Vec::new();
        for i in 0..info.num_defined_functions() {
            let funcref = Box::new(VMFuncRef {
                func_ptr: compiled.function_ptr(i).expect("host code"),
                vmctx: vmctx_ptr,
                type_id: type_ids[info.functions[i as usize] as usize],
                embedder_index: i,
            });
            vmctx[(offsets.funcref(i) / 8) as usize] = &*funcref as *const VMFuncRef as u64;
            funcrefs.push(funcref);
        }
        Loaded { info, _compiled: compiled, _funcrefs: funcrefs, vmctx }
    }

    /// Calls export `name` with raw slot arguments; returns raw results or the trap.
    fn call(&self, module: &mut Loaded, name: &str, args: &[u64]) -> Result<Vec<u64>, TrapCode> {
        let export = module.info.export(name).expect("export exists").index;
        let ty = module.info.func_type(export).clone();
        let trampolines = self.compiler.compile_trampolines(&ty).expect("trampolines");
        let mut values = vec![0u64; ty.params.len().max(ty.results.len()).max(1)];
        values[..args.len()].copy_from_slice(args);
        let marker = 0u8;
        let mut exec = ExecCtx::new(&marker as *const u8 as usize - 256 * 1024, std::ptr::null_mut());
        let funcref = module.vmctx[(module.info.vm_offsets().funcref(export) / 8) as usize] as *const VMFuncRef;
        // SAFETY: `funcref` points at a live VMFuncRef of this module whose
        // code and vmctx outlive the call; `values` has a slot for every
        // parameter and result of the trampoline's type.
        unsafe {
            (trampolines.entry)((*funcref).vmctx, &mut exec, (*funcref).func_ptr, values.as_mut_ptr());
        }
        if exec.state == STATE_TRAPPING {
            return Err(TrapCode::from_u32(exec.trap_code).expect("known trap code"));
        }
        // 32-bit results occupy only the low half of their slot.
        Ok(ty
            .results
            .iter()
            .zip(values)
            .map(|(t, v)| match t {
                wasmbeam_jit::ValType::I32 | wasmbeam_jit::ValType::F32 => v & 0xffff_ffff,
                _ => v,
            })
            .collect())
    }
}

fn run(wat: &str, name: &str, args: &[u64]) -> Result<Vec<u64>, TrapCode> {
    let harness = Harness::new();
    let mut module = harness.load(wat);
    harness.call(&mut module, name, args)
}

fn i32s(values: &[i32]) -> Vec<u64> {
    values.iter().map(|v| *v as u32 as u64).collect()
}

#[test]
fn br_table_with_block_results() {
    let wat = r#"(module (func (export "f") (param i32) (result i32)
        (block (result i32)
          (block (result i32)
            (block (result i32)
              (br_table 0 1 2 (i32.const 100) (local.get 0)))
            (i32.add (i32.const 1)) (br 1))
          (i32.add (i32.const 2)))
    ))"#;
    assert_eq!(run(wat, "f", &i32s(&[0])), Ok(i32s(&[101])));
    assert_eq!(run(wat, "f", &i32s(&[1])), Ok(i32s(&[102])));
    assert_eq!(run(wat, "f", &i32s(&[2])), Ok(i32s(&[100])));
    assert_eq!(run(wat, "f", &i32s(&[99])), Ok(i32s(&[100])));
}

#[test]
fn multi_value_blocks_and_loops() {
    let wat = r#"(module
      (type $pair (func (param i32 i32) (result i32 i32)))
      (func (export "swap_sum") (param i32 i32) (result i32 i32)
        (local.get 0) (local.get 1)
        (block (type $pair) (local.set 0) (local.set 1) (local.get 0) (local.get 1))
      )
      ;; counts n down to 0 carrying (n, acc) through the loop's parameters
      (func (export "sum") (param $n i32) (result i32) (local $acc i32)
        (local.get $n) (i32.const 0)
        (loop $l (param i32 i32) (result i32)
          (local.set $acc) (local.set $n)
          (if (result i32) (i32.eqz (local.get $n))
            (then (local.get $acc))
            (else
              (i32.sub (local.get $n) (i32.const 1))
              (i32.add (local.get $acc) (local.get $n))
              (br $l)))))
      (func (export "many") (result i32 i64 f32 f64 i32 i32)
        (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4) (i32.const 5) (i32.const 6))
      ;; takes the six results of a callee that returns through memory
      (func (export "use_many") (result i32) (local $t i32)
        (call 2) (i32.add) (local.set $t) (drop) (drop) (drop) (i32.add (local.get $t)))
    )"#;
    assert_eq!(run(wat, "swap_sum", &i32s(&[3, 4])), Ok(i32s(&[4, 3])));
    assert_eq!(run(wat, "sum", &i32s(&[10])), Ok(i32s(&[55])));
    let many = run(wat, "many", &[]).expect("no trap");
    assert_eq!(many, vec![1, 2, 3f32.to_bits() as u64, 4f64.to_bits(), 5, 6]);
    // 1 + (5 + 6)
    assert_eq!(run(wat, "use_many", &[]), Ok(i32s(&[12])));
}

#[test]
fn select_on_references() {
    let wat = r#"(module
      (func $a)
      (elem declare func $a)
      (func (export "pick") (param i32) (result i32)
        (ref.is_null (select (result funcref) (ref.func $a) (ref.null func) (local.get 0))))
      (func (export "pick_extern") (param externref externref i32) (result externref)
        (select (result externref) (local.get 0) (local.get 1) (local.get 2)))
    )"#;
    assert_eq!(run(wat, "pick", &i32s(&[1])), Ok(i32s(&[0])));
    assert_eq!(run(wat, "pick", &i32s(&[0])), Ok(i32s(&[1])));
    assert_eq!(run(wat, "pick_extern", &[7, 9, 1]), Ok(vec![7]));
    assert_eq!(run(wat, "pick_extern", &[7, 9, 0]), Ok(vec![9]));
}

#[test]
fn unreachable_code_after_br_is_skipped() {
    let wat = r#"(module (func (export "f") (result i32)
        (block (result i32)
          (br 0 (i32.const 7))
          ;; dead, and typed only thanks to stack polymorphism
          (i64.add) (drop) (block (result i32) (unreachable)) (i32.add) (if (then (nop)) (else (nop))) (select))
    ))"#;
    assert_eq!(run(wat, "f", &[]), Ok(i32s(&[7])));
}

#[test]
fn traps_are_explicit() {
    let wat = r#"(module
      (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
      (func (export "rem") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
      (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
      (func (export "unreachable") (unreachable))
      (func $rec (export "rec") (param i32) (result i32) (i32.add (call $rec (local.get 0)) (i32.const 1)))
    )"#;
    assert_eq!(run(wat, "div", &i32s(&[7, 0])), Err(TrapCode::IntegerDivisionByZero));
    assert_eq!(run(wat, "div", &i32s(&[i32::MIN, -1])), Err(TrapCode::IntegerOverflow));
    assert_eq!(run(wat, "div", &i32s(&[-7, 2])), Ok(i32s(&[-3])));
    assert_eq!(run(wat, "rem", &i32s(&[i32::MIN, -1])), Ok(i32s(&[0])));
    assert_eq!(run(wat, "rem", &i32s(&[-7, 2])), Ok(i32s(&[-1])));
    assert_eq!(run(wat, "trunc", &[f64::NAN.to_bits()]), Err(TrapCode::BadConversionToInteger));
    assert_eq!(run(wat, "trunc", &[2147483648f64.to_bits()]), Err(TrapCode::IntegerOverflow));
    assert_eq!(run(wat, "trunc", &[(-2147483648.9f64).to_bits()]), Ok(i32s(&[i32::MIN])));
    assert_eq!(run(wat, "trunc", &[(-2147483649f64).to_bits()]), Err(TrapCode::IntegerOverflow));
    assert_eq!(run(wat, "unreachable", &[]), Err(TrapCode::Unreachable));
    assert_eq!(run(wat, "rec", &i32s(&[0])), Err(TrapCode::StackOverflow));
}

#[test]
fn modules_compile_for_aarch64() {
    let wasm = wat::parse_str(
        r#"(module (func (export "f") (param i32) (result i32)
             (block (result i32) (br_table 0 0 (i32.const 1) (local.get 0)))))"#,
    )
    .expect("valid wat");
    let info = wasmbeam_jit::parse(&wasm).expect("valid");
    let options = CompileOptions { target: wasmbeam_jit::Target::Aarch64, verify: true, ..CompileOptions::default() };
    let compiler = Compiler::new(&options).expect("aarch64 compiler");
    assert!(!compiler.is_executable());
    let compiled = compiler.compile_module(&info, &wasm, &[0]).expect("compiles for aarch64");
    assert!(compiled.code_size() > 0);
    assert!(compiled.function_ptr(0).is_none());
}
