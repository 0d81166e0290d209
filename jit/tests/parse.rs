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
