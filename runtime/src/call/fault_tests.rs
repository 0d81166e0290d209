//! Faults injected on purpose into a suspended call's saved frames: what
//! only a bug in wasmbeam could do to frames it saved itself is reported
//! as [`Error::Internal`], while the same damage to frames read from bytes
//! is the bytes' fault ([`Error::BadArgument`]). Neither crashes.

use crate::{Call, Engine, Error, Linker, Module, Step, Store, Val};

/// A store with `count(n)`, a loop that yields at every slice.
fn counting() -> (Store, crate::Func) {
    let engine = Engine::default();
    let wat = r#"(module (func (export "count") (param $n i32) (result i32) (local $i i32)
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (local.get $i)))"#;
    let module = Module::new(&engine, &wat::parse_str(wat).expect("valid text")).expect("compiles");
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module).expect("instantiates");
    let count = instance.get_func(&store, "count").expect("exported");
    (store, count)
}

/// A call of `count(1000)` stopped at its first yield.
fn yielded(store: &mut Store, count: crate::Func) -> Call {
    let mut call = count.start(store, &[Val::I32(1000)]).expect("starts");
    assert_eq!(call.step(store, 10).expect("runs"), Step::Yielded);
    call
}

/// Changes the function index in the header word of the call's last
/// (outermost) record, as a bug in saving frames might.
fn damage_outermost_header(call: &mut Call) {
    let used = call.buffer.used() / 8;
    let words = call.buffer.words_mut();
    words[used - 1] ^= 0x10;
}

#[test]
fn damaged_frames_of_a_call_in_memory_are_an_internal_error() {
    let (mut store, count) = counting();
    let mut call = yielded(&mut store, count);
    damage_outermost_header(&mut call);
    match call.step(&mut store, u64::MAX) {
        Err(Error::Internal(message)) => assert!(message.contains("does not match its code"), "{message}"),
        other => panic!("expected an internal error, got {other:?}"),
    }
    // The store is unharmed: a new call runs.
    let mut again = count.start(&mut store, &[Val::I32(5)]).expect("starts");
    assert_eq!(again.step(&mut store, u64::MAX).expect("runs"), Step::Finished(vec![Val::I32(5)]));
}

#[test]
fn the_same_damage_to_frames_read_from_bytes_is_the_bytes_fault() {
    let (mut store, count) = counting();
    let call = yielded(&mut store, count);
    let mut restored = Call::from_bytes(&store, &call.to_bytes(&store).expect("saves")).expect("reads");
    damage_outermost_header(&mut restored);
    match restored.step(&mut store, u64::MAX) {
        Err(Error::BadArgument(message)) => {
            assert!(message.contains("the continuation does not match the code"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
