//! Calling WebAssembly: values, host functions (traps, panics,
//! re-entrancy), memory growth, tables across instances, bulk operations,
//! stack exhaustion.

mod common;

use common::{call, instantiate, trap_of};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use wasmbeam_runtime::*;

#[test]
fn values_of_every_type_round_trip() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module
            (func (export "swap") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
                local.get 3 local.get 2 local.get 1 local.get 0)
            (func (export "many") (param i32) (result i32 i32 i32 i32 i32 i32)
                (local.get 0) (i32.add (local.get 0) (i32.const 1)) (i32.add (local.get 0) (i32.const 2))
                (i32.add (local.get 0) (i32.const 3)) (i32.add (local.get 0) (i32.const 4)) (i32.add (local.get 0) (i32.const 5)))
            (func (export "neg") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
            (func (export "ext") (param externref) (result externref) local.get 0))"#,
    );
    let out = call(
        &mut store,
        i,
        "swap",
        &[Val::I32(-1), Val::I64(i64::MIN), Val::F32(0x7fc0_0001), Val::F64(0xfff0_0000_0000_0001)],
    )
    .unwrap();
    assert_eq!(out, vec![Val::F64(0xfff0_0000_0000_0001), Val::F32(0x7fc0_0001), Val::I64(i64::MIN), Val::I32(-1)]);
    let out = call(&mut store, i, "many", &[Val::I32(10)]).unwrap();
    assert_eq!(out, (10..16).map(Val::I32).collect::<Vec<_>>());
    assert_eq!(call(&mut store, i, "neg", &[Val::I32(i32::MIN)]).unwrap(), vec![Val::I32(i32::MIN)]);
    let r = ExternRef::new(123).unwrap();
    assert_eq!(call(&mut store, i, "ext", &[Val::ExternRef(Some(r))]).unwrap(), vec![Val::ExternRef(Some(r))]);
    assert_eq!(call(&mut store, i, "ext", &[Val::ExternRef(None)]).unwrap(), vec![Val::ExternRef(None)]);
    assert!(matches!(call(&mut store, i, "neg", &[]), Err(Error::BadArgument(_))));
    assert!(matches!(call(&mut store, i, "neg", &[Val::I64(1)]), Err(Error::BadArgument(_))));
}

#[test]
fn wasm_traps_carry_the_spec_messages() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module (memory 1)
            (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
            (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
            (func (export "unreachable") unreachable))"#,
    );
    let trap = trap_of(call(&mut store, i, "div", &[Val::I32(1), Val::I32(0)]));
    assert_eq!((trap.code, trap.message.as_str()), (TrapCode::IntegerDivisionByZero, "integer divide by zero"));
    let trap = trap_of(call(&mut store, i, "div", &[Val::I32(i32::MIN), Val::I32(-1)]));
    assert_eq!(trap.to_string(), "integer overflow");
    assert_eq!(trap_of(call(&mut store, i, "load", &[Val::I32(65533)])).code, TrapCode::MemoryOutOfBounds);
    assert_eq!(call(&mut store, i, "load", &[Val::I32(65532)]).unwrap(), vec![Val::I32(0)]);
    assert_eq!(trap_of(call(&mut store, i, "unreachable", &[])).to_string(), "unreachable");
    // The store is fine after traps.
    assert_eq!(call(&mut store, i, "div", &[Val::I32(7), Val::I32(2)]).unwrap(), vec![Val::I32(3)]);
}

#[test]
fn host_functions_called_from_wasm() {
    let mut store = Store::new(&Engine::default());
    let mut linker = Linker::new();
    let add = Func::new(&mut store, FuncType::new([ValType::I64, ValType::F64], [ValType::F64]), |_, args, results| {
        results[0] = Val::from(args[0].i64().unwrap() as f64 + args[1].f64().unwrap());
        Ok(())
    });
    let fails = Func::new(&mut store, FuncType::new([ValType::I32], []), |_, args, _| {
        Err(Trap::host(format!("refused {}", args[0].i32().unwrap())).into())
    });
    let panics = Func::new(&mut store, FuncType::new([], []), |_, _, _| panic!("host exploded"));
    let wrong = Func::new(&mut store, FuncType::new([], [ValType::I32]), |_, _, results| {
        results[0] = Val::F32(0);
        Ok(())
    });
    linker
        .define("env", "add", add)
        .define("env", "fails", fails)
        .define("env", "panics", panics)
        .define("env", "wrong", wrong);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "env" "add" (func $add (param i64 f64) (result f64)))
            (import "env" "fails" (func $fails (param i32)))
            (import "env" "panics" (func $panics))
            (import "env" "wrong" (func $wrong (result i32)))
            (global $after (export "after") (mut i32) (i32.const 0))
            (func (export "add") (result f64) (call $add (i64.const 40) (f64.const 2.5)))
            (func (export "fails") (call $fails (i32.const 7)) (global.set $after (i32.const 1)))
            (func (export "panics") (call $panics) (global.set $after (i32.const 2)))
            (func (export "wrong") (result i32) (call $wrong)))"#,
    );
    assert_eq!(call(&mut store, i, "add", &[]).unwrap()[0].f64(), Some(42.5));
    let trap = trap_of(call(&mut store, i, "fails", &[]));
    assert_eq!((trap.code, trap.message.as_str()), (TrapCode::HostError, "refused 7"));
    let trap = trap_of(call(&mut store, i, "panics", &[]));
    assert_eq!(trap.code, TrapCode::HostError);
    assert!(trap.message.starts_with("host function panicked: host exploded"), "{}", trap.message);
    let trap = trap_of(call(&mut store, i, "wrong", &[]));
    assert_eq!(trap.code, TrapCode::HostError);
    let after = i.get_global(&store, "after").unwrap();
    assert_eq!(after.get(&store).unwrap(), Val::I32(0), "code after a trapping host call never ran");
    assert_eq!(call(&mut store, i, "add", &[]).unwrap()[0].f64(), Some(42.5));
}

#[test]
fn host_functions_reenter_wasm() {
    let mut store = Store::new(&Engine::default());
    // fac(n) = n * host(n - 1), host(k) = wasm fac(k) via the caller's export.
    let host = Func::new(&mut store, FuncType::new([ValType::I64], [ValType::I64]), |caller, args, results| {
        let fac = caller.get_export("fac").and_then(Extern::into_func).expect("caller exports fac");
        let out = fac.call(caller.store(), args).map_err(|e| Trap::host(e.to_string()))?;
        results[0] = out[0];
        Ok(())
    });
    let mut linker = Linker::new();
    linker.define("env", "fac", host);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "env" "fac" (func $host (param i64) (result i64)))
            (func (export "fac") (param i64) (result i64)
                (if (result i64) (i64.le_u (local.get 0) (i64.const 1))
                    (then (i64.const 1))
                    (else (i64.mul (local.get 0) (call $host (i64.sub (local.get 0) (i64.const 1))))))))"#,
    );
    assert_eq!(call(&mut store, i, "fac", &[Val::I64(20)]).unwrap(), vec![Val::I64(2_432_902_008_176_640_000)]);
}

#[test]
fn a_trap_inside_a_nested_call_reaches_the_host_and_can_be_handled_or_propagated() {
    let mut store = Store::new(&Engine::default());
    let seen = Arc::new(AtomicU32::new(0));
    let seen_in_host = seen.clone();
    let host = Func::new(&mut store, FuncType::new([ValType::I32], [ValType::I32]), move |caller, args, results| {
        let inner = caller.get_export("inner").and_then(Extern::into_func).unwrap();
        match inner.call(caller.store(), &[]) {
            Err(Error::Trap(trap)) if args[0] == Val::I32(0) => {
                // Handled: remember the inner trap and return normally.
                assert_eq!(trap.code, TrapCode::Unreachable);
                seen_in_host.fetch_add(1, Ordering::SeqCst);
                results[0] = Val::I32(99);
                Ok(())
            }
            Err(Error::Trap(trap)) => Err(trap.into()),
            other => panic!("inner call should trap, got {other:?}"),
        }
    });
    let mut linker = Linker::new();
    linker.define("env", "host", host);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "env" "host" (func $host (param i32) (result i32)))
            (func (export "inner") unreachable)
            (func (export "outer") (param i32) (result i32) (i32.add (call $host (local.get 0)) (i32.const 1))))"#,
    );
    assert_eq!(call(&mut store, i, "outer", &[Val::I32(0)]).unwrap(), vec![Val::I32(100)]);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    // Propagated: the outer call reports the inner Wasm trap.
    let trap = trap_of(call(&mut store, i, "outer", &[Val::I32(1)]));
    assert_eq!((trap.code, trap.message.as_str()), (TrapCode::Unreachable, "unreachable"));
}

#[test]
fn caller_instance_is_the_importing_instance() {
    let mut store = Store::new(&Engine::default());
    // Reads byte 0 of the calling instance's exported memory.
    let peek = Func::new(&mut store, FuncType::new([], [ValType::I32]), |caller, _, results| {
        let memory = caller.get_export("mem").and_then(Extern::into_memory).ok_or_else(|| Trap::host("no memory"))?;
        results[0] = Val::I32(memory.data(caller.store())?[0] as i32);
        Ok(())
    });
    let mut linker = Linker::new();
    linker.define("env", "peek", peek);
    let wat = |byte: u8| {
        format!(
            r#"(module (import "env" "peek" (func $peek (result i32)))
                (memory (export "mem") 1) (data (i32.const 0) "\{byte:02x}")
                (func (export "peek") (result i32) (call $peek)))"#
        )
    };
    let a = instantiate(&mut store, &linker, &wat(0x11));
    let b = instantiate(&mut store, &linker, &wat(0x22));
    assert_eq!(call(&mut store, a, "peek", &[]).unwrap(), vec![Val::I32(0x11)]);
    assert_eq!(call(&mut store, b, "peek", &[]).unwrap(), vec![Val::I32(0x22)]);
    assert_eq!(call(&mut store, a, "peek", &[]).unwrap(), vec![Val::I32(0x11)]);
    // Called from Rust there is no calling instance.
    let trap = trap_of(peek.call(&mut store, &[]));
    assert_eq!(trap.message, "no memory");
}

#[test]
fn memory_grow_from_wasm() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module (memory (export "mem") 1 4)
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
            (func (export "size") (result i32) (memory.size))
            (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
            (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#,
    );
    let memory = i.get_memory(&store, "mem").unwrap();
    assert_eq!(call(&mut store, i, "grow", &[Val::I32(2)]).unwrap(), vec![Val::I32(1)]);
    assert_eq!(memory.size(&store).unwrap(), 3, "Rust sees the growth");
    assert_eq!(call(&mut store, i, "size", &[]).unwrap(), vec![Val::I32(3)]);
    // The grown memory is usable from Wasm right away, and from Rust.
    call(&mut store, i, "store", &[Val::I32(3 * 65536 - 4), Val::I32(0x0403_0201)]).unwrap();
    assert_eq!(&memory.data(&store).unwrap()[3 * 65536 - 4..], &[1, 2, 3, 4]);
    assert_eq!(call(&mut store, i, "grow", &[Val::I32(2)]).unwrap(), vec![Val::I32(-1)], "past the maximum");
    assert_eq!(call(&mut store, i, "grow", &[Val::I32(-1)]).unwrap(), vec![Val::I32(-1)]);
    // Growth from Rust is seen by Wasm.
    memory.grow(&mut store, 1).unwrap();
    assert_eq!(call(&mut store, i, "size", &[]).unwrap(), vec![Val::I32(4)]);
    memory.data_mut(&mut store).unwrap()[4 * 65536 - 1] = 0x7f;
    assert_eq!(call(&mut store, i, "load", &[Val::I32(4 * 65536 - 4)]).unwrap(), vec![Val::I32(0x7f00_0000)]);
    assert_eq!(trap_of(call(&mut store, i, "load", &[Val::I32(4 * 65536 - 3)])).code, TrapCode::MemoryOutOfBounds);
}

#[test]
fn memory_grown_on_one_way_into_a_join_is_seen_after_it() {
    // Compiled code keeps memory 0's base and length in registers and
    // reloads them after calls and builtins only when needed: wherever
    // control flow joins, a growth on any way in must be seen after it.
    for reductions in [true, false] {
        let mut store = Store::new(&Engine::new(Config { reductions, ..Config::default() }).unwrap());
        let i = instantiate(
            &mut store,
            &Linker::new(),
            r#"(module (memory 1 4)
                (func $grow (drop (memory.grow (i32.const 1))))
                (func (export "then") (param i32) (result i32)
                  (if (local.get 0) (then (call $grow)))
                  (i32.store (i32.const 70000) (i32.const 7))
                  (i32.load (i32.const 70000)))
                (func (export "else") (param i32) (result i32)
                  (if (local.get 0) (then (nop)) (else (call $grow)))
                  (i32.store (i32.const 140000) (i32.const 8))
                  (i32.load (i32.const 140000)))
                (func (export "branch") (param i32) (result i32)
                  (block $b
                    (br_if $b (local.get 0))
                    (drop (memory.grow (i32.const 1))))
                  (i32.store (i32.const 200000) (i32.const 9))
                  (i32.load (i32.const 200000))))"#,
        );
        // Not grown (one page): out of bounds.
        let trap = trap_of(call(&mut store, i, "branch", &[Val::I32(1)]));
        assert_eq!(trap.code, TrapCode::MemoryOutOfBounds, "{reductions}");
        // Each grows memory by a page on one way into the join, then
        // touches the new page.
        assert_eq!(call(&mut store, i, "then", &[Val::I32(1)]).unwrap(), vec![Val::I32(7)], "{reductions}");
        assert_eq!(call(&mut store, i, "else", &[Val::I32(0)]).unwrap(), vec![Val::I32(8)], "{reductions}");
        assert_eq!(call(&mut store, i, "branch", &[Val::I32(0)]).unwrap(), vec![Val::I32(9)], "{reductions}");
    }
}

#[test]
fn call_indirect_through_a_table_shared_by_two_instances() {
    let mut store = Store::new(&Engine::default());
    let a = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module
            (table (export "table") 4 funcref)
            (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
            (func $other (param i64) (result i64) (local.get 0))
            (global $calls (export "calls") (mut i32) (i32.const 0))
            (func $count (param i32) (result i32) (global.set $calls (i32.add (global.get $calls) (i32.const 1))) (local.get 0))
            (elem (i32.const 0) $double $other $count))"#,
    );
    let mut linker = Linker::new();
    linker.define_instance(&store, "a", a);
    let b = instantiate(
        &mut store,
        &linker,
        r#"(module (import "a" "table" (table 4 funcref))
            (type $t (func (param i32) (result i32)))
            (func (export "call") (param i32 i32) (result i32)
                (call_indirect (type $t) (local.get 1) (local.get 0))))"#,
    );
    assert_eq!(call(&mut store, b, "call", &[Val::I32(0), Val::I32(21)]).unwrap(), vec![Val::I32(42)]);
    // The function runs in its own instance: it updates a's global.
    assert_eq!(call(&mut store, b, "call", &[Val::I32(2), Val::I32(5)]).unwrap(), vec![Val::I32(5)]);
    assert_eq!(a.get_global(&store, "calls").unwrap().get(&store).unwrap(), Val::I32(1));
    let trap = trap_of(call(&mut store, b, "call", &[Val::I32(1), Val::I32(0)]));
    assert_eq!(trap.to_string(), "indirect call type mismatch");
    let trap = trap_of(call(&mut store, b, "call", &[Val::I32(3), Val::I32(0)]));
    assert_eq!(trap.to_string(), "uninitialized element 3");
    let trap = trap_of(call(&mut store, b, "call", &[Val::I32(4), Val::I32(0)]));
    assert_eq!(trap.to_string(), "undefined element 4");

    // A host function put in the table from Rust is callable indirectly.
    let table = a.get_table(&store, "table").unwrap();
    let host = Func::new(&mut store, FuncType::new([ValType::I32], [ValType::I32]), |caller, args, results| {
        assert!(caller.instance().is_none());
        results[0] = Val::I32(args[0].i32().unwrap() + 1000);
        Ok(())
    });
    table.set(&mut store, 3, Val::FuncRef(Some(host))).unwrap();
    assert_eq!(call(&mut store, b, "call", &[Val::I32(3), Val::I32(1)]).unwrap(), vec![Val::I32(1001)]);
    // Functions read back from the table are the same handles.
    let Val::FuncRef(Some(double)) = table.get(&store, 0).unwrap() else { panic!("expected a function") };
    assert_eq!(double.call(&mut store, &[Val::I32(4)]).unwrap(), vec![Val::I32(8)]);
    assert_eq!(table.get(&store, 3).unwrap(), Val::FuncRef(Some(host)));
}

#[test]
fn funcrefs_cross_the_boundary() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module
            (table $t 2 funcref)
            (func $seven (export "seven") (result i32) (i32.const 7))
            (elem declare func $seven)
            (func (export "get") (result funcref) (ref.func $seven))
            (func (export "put") (param funcref) (table.set $t (i32.const 1) (local.get 0)))
            (func (export "run") (result i32) (call_indirect (result i32) (i32.const 1)))
            (func (export "is_null") (param funcref) (result i32) (ref.is_null (local.get 0))))"#,
    );
    let out = call(&mut store, i, "get", &[]).unwrap();
    let Val::FuncRef(Some(f)) = out[0] else { panic!("expected a function, got {out:?}") };
    assert_eq!(f, i.get_func(&store, "seven").unwrap(), "ref.func gives the exported function");
    assert_eq!(f.call(&mut store, &[]).unwrap(), vec![Val::I32(7)]);
    call(&mut store, i, "put", &[Val::FuncRef(Some(f))]).unwrap();
    assert_eq!(call(&mut store, i, "run", &[]).unwrap(), vec![Val::I32(7)]);
    assert_eq!(call(&mut store, i, "is_null", &[Val::FuncRef(None)]).unwrap(), vec![Val::I32(1)]);
    assert_eq!(call(&mut store, i, "is_null", &[Val::FuncRef(Some(f))]).unwrap(), vec![Val::I32(0)]);
}

#[test]
fn bulk_memory_and_table_operations() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module
            (memory (export "mem") 1)
            (data $d "hello")
            (table $t (export "t") 4 funcref)
            (func $f (result i32) (i32.const 1))
            (elem $e func $f $f)
            (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
            (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
            (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
            (func (export "drop") (data.drop $d))
            (func (export "tinit") (param i32 i32 i32) (table.init $t $e (local.get 0) (local.get 1) (local.get 2)))
            (func (export "edrop") (elem.drop $e))
            (func (export "tcopy") (param i32 i32 i32) (table.copy (local.get 0) (local.get 1) (local.get 2)))
            (func (export "tfill") (param i32 i32) (table.fill $t (local.get 0) (ref.null func) (local.get 1)))
            (func (export "tgrow") (param i32) (result i32) (table.grow $t (ref.func $f) (local.get 0))))"#,
    );
    let memory = i.get_memory(&store, "mem").unwrap();
    let args = |a: i32, b: i32, c: i32| [Val::I32(a), Val::I32(b), Val::I32(c)];
    call(&mut store, i, "init", &args(10, 1, 4)).unwrap();
    assert_eq!(&memory.data(&store).unwrap()[10..14], b"ello");
    call(&mut store, i, "copy", &args(12, 10, 4)).unwrap();
    assert_eq!(&memory.data(&store).unwrap()[10..16], b"elello", "overlapping copy is a memmove");
    call(&mut store, i, "fill", &args(65530, 0x1ff, 6)).unwrap();
    assert!(memory.data(&store).unwrap()[65530..].iter().all(|&b| b == 0xff), "fill uses the low byte");
    // Out of bounds: trap, nothing written; at the very end with length 0: fine.
    assert_eq!(trap_of(call(&mut store, i, "fill", &args(65531, 0, 6))).code, TrapCode::MemoryOutOfBounds);
    assert_eq!(memory.data(&store).unwrap()[65531], 0xff);
    call(&mut store, i, "fill", &args(65536, 0, 0)).unwrap();
    assert_eq!(trap_of(call(&mut store, i, "fill", &args(65537, 0, 0))).code, TrapCode::MemoryOutOfBounds);
    assert_eq!(trap_of(call(&mut store, i, "copy", &args(0, 65535, 2))).code, TrapCode::MemoryOutOfBounds);
    assert_eq!(trap_of(call(&mut store, i, "init", &args(0, 3, 3))).code, TrapCode::MemoryOutOfBounds);
    assert_eq!(trap_of(call(&mut store, i, "copy", &args(-1, 0, 1))).code, TrapCode::MemoryOutOfBounds, "u32 offsets");
    // A dropped segment behaves as empty.
    call(&mut store, i, "drop", &[]).unwrap();
    call(&mut store, i, "init", &args(0, 0, 0)).unwrap();
    assert_eq!(trap_of(call(&mut store, i, "init", &args(0, 0, 1))).code, TrapCode::MemoryOutOfBounds);

    let table = i.get_table(&store, "t").unwrap();
    let is_set = |store: &Store, k| matches!(table.get(store, k), Ok(Val::FuncRef(Some(_))));
    call(&mut store, i, "tinit", &args(2, 0, 2)).unwrap();
    assert!(!is_set(&store, 1) && is_set(&store, 2) && is_set(&store, 3));
    call(&mut store, i, "tcopy", &args(1, 2, 2)).unwrap();
    assert!(is_set(&store, 1) && is_set(&store, 2) && is_set(&store, 3));
    assert_eq!(trap_of(call(&mut store, i, "tcopy", &args(3, 0, 2))).code, TrapCode::TableOutOfBounds);
    call(&mut store, i, "tfill", &[Val::I32(2), Val::I32(2)]).unwrap();
    assert!(is_set(&store, 1) && !is_set(&store, 2) && !is_set(&store, 3));
    assert_eq!(trap_of(call(&mut store, i, "tfill", &[Val::I32(3), Val::I32(2)])).code, TrapCode::TableOutOfBounds);
    call(&mut store, i, "edrop", &[]).unwrap();
    assert_eq!(trap_of(call(&mut store, i, "tinit", &args(0, 0, 1))).code, TrapCode::TableOutOfBounds);
    assert_eq!(call(&mut store, i, "tgrow", &[Val::I32(2)]).unwrap(), vec![Val::I32(4)]);
    assert_eq!(table.size(&store).unwrap(), 6);
    assert!(is_set(&store, 5), "table.grow fills with its init value");
    assert_eq!(call(&mut store, i, "tgrow", &[Val::I32(-1)]).unwrap(), vec![Val::I32(-1)]);
}

/// Runs `f` on a thread with an 8 MiB stack, as the embedder would.
fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(8 << 20).spawn(f).unwrap().join().unwrap()
}

#[test]
fn runaway_recursion_exhausts_the_stack_cleanly() {
    on_big_stack(|| {
        let mut store = Store::new(&Engine::default());
        let i = instantiate(
            &mut store,
            &Linker::new(),
            r#"(module
                (func $forever (export "forever") (param i64) (result i64)
                    (i64.add (call $forever (i64.add (local.get 0) (i64.const 1))) (i64.const 1)))
                (func (export "ok") (result i32) (i32.const 5)))"#,
        );
        for _ in 0..3 {
            let trap = trap_of(call(&mut store, i, "forever", &[Val::I64(0)]));
            assert_eq!((trap.code, trap.message.as_str()), (TrapCode::StackOverflow, "call stack exhausted"));
        }
        assert_eq!(call(&mut store, i, "ok", &[]).unwrap(), vec![Val::I32(5)]);
    });
}

#[test]
fn recursion_through_host_functions_exhausts_the_stack_cleanly() {
    on_big_stack(|| {
        let mut store = Store::new(&Engine::default());
        let depth = Arc::new(AtomicU32::new(0));
        let seen = depth.clone();
        let host = Func::new(&mut store, FuncType::new([], []), move |caller, _, _| {
            seen.fetch_add(1, Ordering::Relaxed);
            let again = caller.get_export("again").and_then(Extern::into_func).unwrap();
            // A nested call's error (its trap) stops this call too.
            again.call(caller.store(), &[]).map(drop)
        });
        let mut linker = Linker::new();
        linker.define("env", "host", host);
        let i = instantiate(
            &mut store,
            &linker,
            r#"(module (import "env" "host" (func $host)) (func (export "again") (call $host)))"#,
        );
        let trap = trap_of(call(&mut store, i, "again", &[]));
        assert_eq!(trap.code, TrapCode::StackOverflow);
        assert!(depth.load(Ordering::Relaxed) > 10, "recursed through the host");
    });
}

#[test]
fn a_host_function_replacing_the_store_does_not_crash() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let replacement = engine.clone();
    let host = Func::new(&mut store, FuncType::new([], []), move |caller, _, _| {
        let old = std::mem::replace(caller.store(), Store::new(&replacement));
        drop(old);
        Ok(())
    });
    let mut linker = Linker::new();
    linker.define("env", "host", host);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "env" "host" (func $host)) (memory 1)
            (func (export "run") (result i32)
                (i32.store (i32.const 0) (i32.const 1))
                (call $host)
                (drop (memory.grow (i32.const 1)))
                (i32.store (i32.const 4) (i32.const 2))
                (i32.load (i32.const 0))))"#,
    );
    assert!(call(&mut store, i, "run", &[]).is_err());
    // The store is now the replacement: empty, and usable.
    assert!(i.get_func(&store, "run").is_none());
    let m = Memory::new(&mut store, MemoryType { limits: Limits { min: 1, max: None }, memory64: false }).unwrap();
    assert_eq!(m.size(&store).unwrap(), 1);
}

#[test]
fn stores_and_modules_move_across_threads() {
    let engine = Engine::default();
    let module =
        Module::new(&engine, &wat::parse_str(r#"(module (func (export "f") (result i32) (i32.const 3)))"#).unwrap())
            .unwrap();
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let handle = std::thread::spawn(move || {
        let f = instance.get_func(&store, "f").unwrap();
        f.call(&mut store, &[]).unwrap()
    });
    assert_eq!(handle.join().unwrap(), vec![Val::I32(3)]);
    // One module, instantiated from several threads at once.
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || {
                let mut store = Store::new(&engine);
                let i = Linker::new().instantiate(&mut store, &module).unwrap();
                i.get_func(&store, "f").unwrap().call(&mut store, &[]).unwrap()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), vec![Val::I32(3)]);
    }
}

#[test]
fn host_functions_may_instantiate_modules_during_a_call() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let inner = Module::new(
        &engine,
        &wat::parse_str(
            r#"(module (memory 1) (table 2 funcref) (global (mut i32) (i32.const 0))
                (func $f (result i32) (i32.const 3)) (elem (i32.const 0) $f)
                (func (export "three") (result i32) (call_indirect (result i32) (i32.const 0))))"#,
        )
        .unwrap(),
    )
    .unwrap();
    // Each call adds dozens of objects to the store, so its lists reallocate
    // while the calling Wasm frame is live.
    let host = Func::new(&mut store, FuncType::new([], [ValType::I32]), move |caller, _, results| {
        let mut sum = 0;
        for _ in 0..50 {
            let instance = Linker::new().instantiate(caller.store(), &inner).map_err(|e| Trap::host(e.to_string()))?;
            let three = instance.get_func(caller.store(), "three").unwrap();
            sum += three.call(caller.store(), &[]).map_err(|e| Trap::host(e.to_string()))?[0].i32().unwrap();
        }
        results[0] = Val::I32(sum);
        Ok(())
    });
    let mut linker = Linker::new();
    linker.define("env", "host", host);
    let i = instantiate(
        &mut store,
        &linker,
        r#"(module (import "env" "host" (func $host (result i32))) (memory 1)
            (global $g (mut i32) (i32.const 0))
            (func (export "run") (result i32)
                (i32.store (i32.const 8) (i32.const 1000))
                (global.set $g (i32.const 20000))
                (i32.add (call $host) (i32.add (global.get $g) (i32.load (i32.const 8))))))"#,
    );
    assert_eq!(call(&mut store, i, "run", &[]).unwrap(), vec![Val::I32(150 + 21000)]);
}
