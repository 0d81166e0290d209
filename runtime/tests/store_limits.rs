//! Per-store limits and instantiation that leaves the start function to
//! the embedder.

mod common;

use common::*;
use wasmbeam_runtime::*;

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap()
}

#[test]
fn store_limits_cap_memories_and_tables_and_cannot_exceed_the_engine() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let engine_limits = store.limits();
    store.set_limits(StoreLimits { max_memory_pages: 2, max_table_elements: 10, ..engine_limits });
    assert_eq!(store.limits().max_memory_pages, 2);

    let big = module(&engine, r#"(module (memory 3))"#);
    match Linker::new().instantiate(&mut store, &big) {
        Err(Error::Limit(message)) => assert!(message.contains("exceeds the limit of 2 pages"), "{message}"),
        other => panic!("expected a limit error, got {other:?}"),
    }
    let table = module(&engine, r#"(module (table 11 funcref))"#);
    assert!(matches!(Linker::new().instantiate(&mut store, &table), Err(Error::Limit(_))));

    // memory.grow past the store's limit fails inside WebAssembly (-1).
    let grows = r#"(module (memory (export "memory") 1)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;
    let instance = instantiate(&mut store, &Linker::new(), grows);
    let grow = func(&store, instance, "grow");
    assert_eq!(grow.call(&mut store, &[Val::I32(1)]).unwrap(), vec![Val::I32(1)]);
    assert_eq!(grow.call(&mut store, &[Val::I32(1)]).unwrap(), vec![Val::I32(-1)]);

    // Limits above the engine's are capped to it.
    store.set_limits(StoreLimits { max_memory_pages: u64::MAX, max_wasm_stack: usize::MAX, ..engine_limits });
    assert_eq!(store.limits(), engine_limits);
}

#[test]
fn a_lower_stack_limit_traps_recursion_earlier() {
    let engine = Engine::default();
    let wat = r#"(module (func $f (export "depth") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
            (else (i32.add (i32.const 1) (call $f (i32.sub (local.get 0) (i32.const 1))))))))"#;
    let mut store = Store::new(&engine);
    let instance = instantiate(&mut store, &Linker::new(), wat);
    let depth = func(&store, instance, "depth");
    assert_eq!(depth.call(&mut store, &[Val::I32(2000)]).unwrap(), vec![Val::I32(2000)]);
    store.set_limits(StoreLimits { max_wasm_stack: 16 * 1024, ..store.limits() });
    let trap = trap_of(depth.call(&mut store, &[Val::I32(2000)]));
    assert_eq!(trap.code, TrapCode::StackOverflow);
}

#[test]
fn instantiating_without_start_hands_the_start_function_to_the_embedder() {
    let engine = Engine::default();
    let wat = r#"(module (global $g (export "g") (mut i32) (i32.const 0))
        (func $start (global.set $g (i32.const 42))) (start $start))"#;
    let mut store = Store::new(&engine);
    let (instance, start) = Linker::new().instantiate_without_start(&mut store, &module(&engine, wat)).unwrap();
    let g = instance.get_global(&store, "g").unwrap();
    assert_eq!(g.get(&store).unwrap(), Val::I32(0), "the start function has not run");
    let start = start.expect("the module has a start function");
    let mut call = start.start(&mut store, &[]).unwrap();
    let (result, _) = run_sliced(&mut call, &mut store, 1, 1000);
    assert_eq!(result.unwrap(), vec![]);
    assert_eq!(g.get(&store).unwrap(), Val::I32(42));

    let none = module(&engine, r#"(module)"#);
    assert!(Linker::new().instantiate_without_start(&mut store, &none).unwrap().1.is_none());
}
