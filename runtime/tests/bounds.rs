//! Accesses at the edge of a memory whose addresses are bounded by how they
//! are computed (constants, masked and shifted indices into static arrays,
//! bytes): the last bytes read what was written, one byte further traps,
//! and a grown memory lets the same accesses through. A translator that
//! leaves out checks it can prove needless must keep all of this.

mod common;

use common::{call, instantiate, trap_of};
use wasmbeam_runtime::*;

const WAT: &str = r#"(module
  (memory 1)
  (data (i32.const 0) "\ff")
  (data (i32.const 65532) "\01\02\03\04")
  (func (export "const_edge") (result i32) (i32.load (i32.const 65532)))
  (func (export "const_beyond") (result i32) (i32.load (i32.const 65533)))
  (func (export "table") (param $x i32) (result i32)
    (i32.load8_u (i32.add (i32.const 65280) (i32.load8_u (local.get $x)))))
  (func (export "stack") (param $x i32) (result i32)
    (i32.load (i32.add (i32.const 65280) (i32.shl (i32.and (local.get $x) (i32.const 63)) (i32.const 2)))))
  (func (export "past") (param $x i32) (result i32)
    (i32.load (i32.add (i32.const 65284) (i32.shl (i32.and (local.get $x) (i32.const 63)) (i32.const 2)))))
  (func (export "rem") (param $x i32) (result i32) (i32.load8_u (i32.rem_u (local.get $x) (i32.const 65536))))
  (func (export "wrapping") (param $x i32) (result i32)
    (i32.load8_u (i32.add (i32.const -256) (i32.and (local.get $x) (i32.const 255)))))
  (func (export "grow") (result i32) (memory.grow (i32.const 1))))"#;

#[test]
fn unchecked_accesses_read_what_checked_ones_would_and_the_next_byte_traps() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(&mut store, &Linker::new(), WAT);
    let last_word = Val::I32(0x0403_0201);
    for round in 0..2 {
        assert_eq!(call(&mut store, i, "const_edge", &[]).unwrap(), vec![last_word], "round {round}");
        if round == 0 {
            assert_eq!(trap_of(call(&mut store, i, "const_beyond", &[])).code, TrapCode::MemoryOutOfBounds);
        } else {
            assert_eq!(call(&mut store, i, "const_beyond", &[]).unwrap(), vec![Val::I32(0x0004_0302)]);
        }
        // The byte at 0 is 255: the table's last entry, the memory's last byte.
        assert_eq!(call(&mut store, i, "table", &[Val::I32(0)]).unwrap(), vec![Val::I32(4)]);
        assert_eq!(call(&mut store, i, "stack", &[Val::I32(63)]).unwrap(), vec![last_word]);
        assert_eq!(call(&mut store, i, "stack", &[Val::I32(-1)]).unwrap(), vec![last_word]);
        assert_eq!(call(&mut store, i, "past", &[Val::I32(62)]).unwrap(), vec![last_word]);
        if round == 0 {
            assert_eq!(trap_of(call(&mut store, i, "past", &[Val::I32(63)])).code, TrapCode::MemoryOutOfBounds);
        } else {
            // Grown: the checked access reaches the new page.
            assert_eq!(call(&mut store, i, "past", &[Val::I32(63)]).unwrap(), vec![Val::I32(0)]);
        }
        assert_eq!(call(&mut store, i, "rem", &[Val::I32(-1)]).unwrap(), vec![Val::I32(4)]);
        for x in [0, 255, 256] {
            assert_eq!(trap_of(call(&mut store, i, "wrapping", &[Val::I32(x)])).code, TrapCode::MemoryOutOfBounds);
        }
        if round == 0 {
            assert_eq!(call(&mut store, i, "grow", &[]).unwrap(), vec![Val::I32(1)]);
        }
    }
}

#[test]
fn memory64_constant_addresses_within_the_minimum() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module (memory i64 1) (data (i64.const 65532) "\01\02\03\04")
            (func (export "edge") (result i32) (i32.load (i64.const 65532)))
            (func (export "beyond") (result i32) (i32.load (i64.const 65533)))
            (func (export "far") (result i32) (i32.load (i64.const 0x1_0000_0000))))"#,
    );
    assert_eq!(call(&mut store, i, "edge", &[]).unwrap(), vec![Val::I32(0x0403_0201)]);
    assert_eq!(trap_of(call(&mut store, i, "beyond", &[])).code, TrapCode::MemoryOutOfBounds);
    assert_eq!(trap_of(call(&mut store, i, "far", &[])).code, TrapCode::MemoryOutOfBounds);
}

/// Checks merged across accesses with the same address (a dominating
/// check with a larger reach covers an access) stop at what the check
/// does not dominate: another arm of an `if`, a larger reach.
#[test]
fn a_check_covers_only_smaller_reaches_where_it_dominates() {
    let mut store = Store::new(&Engine::default());
    let i = instantiate(
        &mut store,
        &Linker::new(),
        r#"(module (memory 1) (data (i32.const 65532) "\01\02\03\04")
            (func (export "arms") (param $x i32) (param $c i32) (result i32)
              (drop (i32.load8_u (local.get $x)))
              (if (result i32) (local.get $c)
                (then (i32.load (local.get $x)))
                (else (i32.load8_u offset=1 (local.get $x)))))
            (func (export "covered") (param $x i32) (param $c i32) (result i32)
              (drop (i32.load (local.get $x)))
              (if (result i32) (local.get $c)
                (then (i32.load8_u offset=3 (local.get $x)))
                (else (i32.const -1)))))"#,
    );
    let arms = |store: &mut Store, x: i32, c: i32| call(store, i, "arms", &[Val::I32(x), Val::I32(c)]);
    assert_eq!(arms(&mut store, 65532, 1).unwrap(), vec![Val::I32(0x0403_0201)]);
    assert_eq!(arms(&mut store, 65532, 0).unwrap(), vec![Val::I32(2)]);
    // The byte at 65535 is in bounds, the word and the next byte are not.
    assert_eq!(trap_of(arms(&mut store, 65535, 1)).code, TrapCode::MemoryOutOfBounds);
    assert_eq!(trap_of(arms(&mut store, 65535, 0)).code, TrapCode::MemoryOutOfBounds);
    assert_eq!(trap_of(arms(&mut store, 65536, 1)).code, TrapCode::MemoryOutOfBounds);
    let covered = |store: &mut Store, x: i32| call(store, i, "covered", &[Val::I32(x), Val::I32(1)]);
    assert_eq!(covered(&mut store, 65532).unwrap(), vec![Val::I32(4)]);
    assert_eq!(trap_of(covered(&mut store, 65533)).code, TrapCode::MemoryOutOfBounds);
}
