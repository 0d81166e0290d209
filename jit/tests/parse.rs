//! Validation refuses what WebAssembly 2.0 (without SIMD) does not allow,
//! including encodings of later proposals.

use wasmbeam_jit::{parse, CompileError};

#[test]
fn compact_import_encodings_are_malformed() {
    // Found by the `compile` fuzz target: an import section in the compact
    // encoding (an empty item name, then 0x7F and a list of items) was
    // accepted, because the parser ran with all its default features.
    #[rustfmt::skip]
    let wasm = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        // import section: 1 entry, module "m", name "", 0x7F, 1 item "g": global i32
        0x02, 0x0b, 0x01, 0x01, b'm', 0x00, 0x7f, 0x01, 0x01, b'g', 0x03, 0x7f, 0x00,
    ];
    match parse(&wasm) {
        Err(CompileError::Invalid { message, .. }) => assert!(message.contains("compact imports"), "{message}"),
        other => panic!("expected a malformed module, got {other:?}"),
    }
}

#[test]
fn of_many_invalid_bodies_validated_on_all_cores_the_first_is_reported() {
    // Over 1 MiB of bodies, so several threads validate. Functions 3 and
    // 2000 are invalid, each with its own mismatch.
    let mut wat = String::from("(module");
    for i in 0..2400 {
        let body = match i {
            3 => "(drop (i32.add (i64.const 1) (i32.const 2)))",
            2000 => "(drop (f32.add (f64.const 1) (f32.const 2)))",
            _ => "(nop)",
        };
        let padding = "(drop (i32.const 7))".repeat(160);
        wat.push_str(&format!("(func {padding} {body})"));
    }
    wat.push(')');
    let wasm = wat::parse_str(&wat).expect("well-formed text");
    assert!(wasm.len() > 1 << 20, "large enough for several threads: {} bytes", wasm.len());
    for _ in 0..5 {
        match parse(&wasm) {
            Err(CompileError::Invalid { message, .. }) => {
                assert!(message.contains("expected i32, found i64"), "not function 3's error: {message}")
            }
            other => panic!("expected the invalid body, got {other:?}"),
        }
    }
}
