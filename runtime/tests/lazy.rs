//! Lazily compiled modules: functions compile on their first call, at once
//! or (with `Call::defer_compiles`) by the embedder while the call waits,
//! and everything runs as in a module compiled whole.

use wasmbeam_runtime::*;

/// Recursion, a loop, direct calls to a bounded helper (compiled with its
/// caller), a call through a table, a host import, many arguments.
const WAT: &str = r#"(module
    (import "env" "twice" (func $twice (param i64) (result i64)))
    (type $unop (func (param i64) (result i64)))
    (table 2 funcref) (elem (i32.const 0) $fib $square)
    (func $square (type $unop) (i64.mul (local.get 0) (local.get 0)))
    (func $inc (param i64) (result i64) (i64.add (local.get 0) (i64.const 1)))
    (func $fib (export "fib") (type $unop)
        (if (result i64) (i64.lt_s (local.get 0) (i64.const 2))
            (then (local.get 0))
            (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                           (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
    (func (export "sum") (param $n i64) (result i64) (local $acc i64)
        (loop $l
            (local.set $acc (i64.add (local.get $acc)
                (call_indirect (type $unop) (call $inc (local.get $n)) (i32.const 1))))
            (local.set $n (i64.sub (local.get $n) (i64.const 1)))
            (br_if $l (i64.gt_s (local.get $n) (i64.const 0))))
        (call $twice (local.get $acc)))
    (func (export "many") (param i32 i64 f32 f64 i32 i64 f32 f64) (result f64)
        (f64.add (f64.convert_i32_s (local.get 0))
          (f64.add (f64.convert_i64_s (local.get 1))
            (f64.add (f64.promote_f32 (local.get 2))
              (f64.add (local.get 3)
                (f64.add (f64.convert_i32_s (local.get 4))
                  (f64.add (f64.convert_i64_s (local.get 5))
                    (f64.add (f64.promote_f32 (local.get 6)) (local.get 7))))))))))"#;

fn lazy_engine() -> Engine {
    Engine::new(Config { lazy_threshold: Some(0), ..Config::default() }).expect("engine")
}

fn setup(engine: &Engine) -> (Module, Store, Instance) {
    let module = Module::new(engine, &wat::parse_str(WAT).expect("valid text")).expect("compiles");
    let mut store = Store::new(engine);
    let twice = Func::new(&mut store, FuncType::new([ValType::I64], [ValType::I64]), |_, args, results| {
        let Val::I64(x) = args[0] else { unreachable!("checked by the signature") };
        results[0] = Val::I64(2 * x);
        Ok(())
    });
    let instance = Linker::new().define("env", "twice", twice).instantiate(&mut store, &module).expect("links");
    (module, store, instance)
}

fn many_args() -> Vec<Val> {
    vec![
        Val::I32(1),
        Val::I64(2),
        Val::F32(3.0f32.to_bits()),
        Val::F64(4.0f64.to_bits()),
        Val::I32(5),
        Val::I64(6),
        Val::F32(7.0f32.to_bits()),
        Val::F64(8.0f64.to_bits()),
    ]
}

#[test]
fn functions_compile_on_first_call() {
    let engine = lazy_engine();
    let (module, mut store, instance) = setup(&engine);
    assert!(module.is_lazy());
    assert_eq!(module.functions_compiled(), Some(0));
    let fib = instance.get_func(&store, "fib").unwrap();
    assert_eq!(fib.call(&mut store, &[Val::I64(20)]).unwrap(), [Val::I64(6765)]);
    assert_eq!(module.functions_compiled(), Some(1));
    let sum = instance.get_func(&store, "sum").unwrap();
    // sum of (k + 1)^2 for k = 1..10, doubled.
    assert_eq!(sum.call(&mut store, &[Val::I64(10)]).unwrap(), [Val::I64(2 * 505)]);
    // `sum`, its bounded helper `$inc` and `$square` (through the table).
    assert_eq!(module.functions_compiled(), Some(4));
    let many = instance.get_func(&store, "many").unwrap();
    assert_eq!(many.call(&mut store, &many_args()).unwrap(), [Val::F64(36.0f64.to_bits())]);
    // A module compiled whole gives the same.
    let eager = Engine::new(Config { lazy_threshold: None, ..Config::default() }).unwrap();
    let (whole, mut store, instance) = setup(&eager);
    assert!(!whole.is_lazy());
    let sum = instance.get_func(&store, "sum").unwrap();
    assert_eq!(sum.call(&mut store, &[Val::I64(10)]).unwrap(), [Val::I64(2 * 505)]);
}

/// Runs `func` with `args` in steps of `fuel`, compiling every function the
/// call waits for; returns the results and how many compiles it waited for.
fn run_deferred(store: &mut Store, func: Func, args: &[Val], fuel: u64) -> (Vec<Val>, usize) {
    let mut call = func.start(store, args).expect("starts");
    call.defer_compiles(true);
    let mut compiles = 0;
    loop {
        match call.step(store, fuel).expect("runs") {
            Step::Finished(results) => return (results, compiles),
            Step::Yielded => {
                if let Some(pending) = call.pending_compile() {
                    compiles += 1;
                    pending.compile().expect("compiles");
                    // The call survives being saved while it waits.
                    let bytes = call.to_bytes(store).expect("saves");
                    call = Call::from_bytes(store, &bytes).expect("reads back");
                    call.defer_compiles(true);
                }
            }
            Step::HostCall { .. } => panic!("no suspending host function here"),
        }
    }
}

#[test]
fn deferred_compiles_suspend_the_call_until_the_embedder_compiled() {
    let engine = lazy_engine();
    for fuel in [u64::MAX, 1, 7, 1000] {
        let (module, mut store, instance) = setup(&engine);
        let sum = instance.get_func(&store, "sum").unwrap();
        let (results, compiles) = run_deferred(&mut store, sum, &[Val::I64(10)], fuel);
        assert_eq!(results, [Val::I64(2 * 505)], "fuel {fuel}");
        // `sum` itself (with `$inc`), then `$square` from inside the loop.
        assert_eq!(compiles, 2, "fuel {fuel}");
        assert_eq!(module.functions_compiled(), Some(3));
        let fib = instance.get_func(&store, "fib").unwrap();
        let (results, compiles) = run_deferred(&mut store, fib, &[Val::I64(15)], fuel);
        assert_eq!((results, compiles), (vec![Val::I64(610)], 1), "fuel {fuel}");
        let many = instance.get_func(&store, "many").unwrap();
        let (results, _) = run_deferred(&mut store, many, &many_args(), fuel);
        assert_eq!(results, [Val::F64(36.0f64.to_bits())]);
        // Compiled now: no more waiting.
        let (results, compiles) = run_deferred(&mut store, sum, &[Val::I64(3)], fuel);
        assert_eq!((results, compiles), (vec![Val::I64(2 * (4 + 9 + 16))], 0));
    }
}

#[test]
fn threads_sharing_a_lazy_module_compile_each_function_once() {
    let engine = lazy_engine();
    let module = Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap();
    std::thread::scope(|scope| {
        for t in 0..8 {
            let module = module.clone();
            let engine = engine.clone();
            scope.spawn(move || {
                let mut store = Store::new(&engine);
                let twice = Func::new(&mut store, FuncType::new([ValType::I64], [ValType::I64]), |_, args, results| {
                    let Val::I64(x) = args[0] else { unreachable!("checked by the signature") };
                    results[0] = Val::I64(2 * x);
                    Ok(())
                });
                let instance = Linker::new().define("env", "twice", twice).instantiate(&mut store, &module).unwrap();
                let sum = instance.get_func(&store, "sum").unwrap();
                let fib = instance.get_func(&store, "fib").unwrap();
                for _ in 0..20 {
                    let (results, _) = run_deferred(&mut store, sum, &[Val::I64(10)], 50 + t);
                    assert_eq!(results, [Val::I64(2 * 505)]);
                    assert_eq!(fib.call(&mut store, &[Val::I64(12)]).unwrap(), [Val::I64(144)]);
                }
            });
        }
    });
    assert_eq!(module.functions_compiled(), Some(4));
}
