//! Prints the module a fuzz input generates, as text, and what the
//! validator says about it: `cargo run -p wasmbeam-fuzzing --example
//! print_module -- TARGET FILE [OUT.wasm]` (for the `differential`,
//! `suspension`, `compile` and `limits` inputs).

use arbitrary::Unstructured;
use wasmbeam_fuzzing::generate::{any_module, executable_module};
use wasmbeam_fuzzing::hostile::Shape;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: print_module TARGET FILE [OUT.wasm]");
        std::process::exit(2);
    }
    let data = std::fs::read(&args[1]).expect("readable input");
    let wasm = match args[0].as_str() {
        "differential" => executable_module(&mut Unstructured::new(&data), false, false).ok(),
        "suspension" => executable_module(&mut Unstructured::new(&data), true, true).ok(),
        "compile" => match data.split_first() {
            Some((s, rest)) if s & 1 == 1 => Some(rest.to_vec()),
            Some((_, rest)) => any_module(&mut Unstructured::new(rest)).ok().map(|(wasm, _)| wasm),
            None => None,
        },
        "limits" => Shape::arbitrary(&mut Unstructured::new(&data)).ok().map(|shape| {
            eprintln!("{shape:?}");
            shape.encode()
        }),
        other => panic!("unknown target {other}"),
    };
    let Some(wasm) = wasm else {
        eprintln!("the input makes no module");
        return;
    };
    if let Some(out) = args.get(2) {
        std::fs::write(out, &wasm).expect("writable output");
    }
    let validated = wasmparser::Validator::new_with_features(wasmbeam_jit::features()).validate_all(&wasm);
    eprintln!("validator: {:?}", validated.map(drop));
    match wasmprinter::print_bytes(&wasm) {
        Ok(text) => println!("{text}"),
        Err(e) => println!("(not printable: {e})"),
    }
}
