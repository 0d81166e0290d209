//! The compile oracle: bytes through validation and compilation for x86_64
//! and aarch64. Never a panic or a crash; a module the validator accepts
//! (with wasmbeam's features) compiles, or hits one of the engine's
//! explicit limits; anything else is refused as invalid or unsupported.

use crate::generate::any_module;
use crate::{Failure, Summary};
use arbitrary::Unstructured;
use std::sync::OnceLock;
use wasmbeam::{CompileError, Config, Engine, Error, Module, Target};

/// Compilers for both targets, Cranelift's verifier on, with reduction
/// counting (index 0, 1) and without (2, 3).
fn engines() -> &'static [(&'static str, Engine); 4] {
    static ENGINES: OnceLock<[(&'static str, Engine); 4]> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let engine = |target, reductions| {
            // Both targets are built into wasmbeam-jit (Cranelift's `x86`
            // and `arm64` features): creating them cannot fail.
            Engine::new(Config { target, reductions, verify: true, ..Config::default() }).expect("target available")
        };
        [
            ("x86_64", engine(Target::X86_64, true)),
            ("aarch64", engine(Target::Aarch64, true)),
            ("x86_64 without reductions", engine(Target::X86_64, false)),
            ("aarch64 without reductions", engine(Target::Aarch64, false)),
        ]
    })
}

/// The first byte chooses the input: odd, the rest of the bytes as they
/// are; even, a wasm-smith module made from them (every proposal possibly
/// on, or only the ones wasmbeam supports). The module is compiled for
/// both targets, with or without reduction counting (second bit).
pub fn compile(data: &[u8]) -> Result<Summary, Failure> {
    let mut summary = Summary::default();
    let Some((&selector, rest)) = data.split_first() else {
        return Ok(summary);
    };
    let (wasm, supported) = if selector & 1 == 1 {
        (rest.to_vec(), false)
    } else {
        match any_module(&mut Unstructured::new(rest)) {
            Ok(module) => module,
            Err(_) => return Ok(summary),
        }
    };
    let valid = wasmparser::Validator::new_with_features(wasmbeam_jit::features()).validate_all(&wasm).is_ok();
    if supported && !valid {
        return Err(Failure::new("wasm-smith made a module the validator refuses with wasmbeam's features"));
    }
    let engines = engines();
    let chosen = if selector & 2 == 0 { &engines[..2] } else { &engines[2..] };
    for (name, engine) in chosen {
        match Module::new(engine, &wasm) {
            Ok(_) if valid => summary.compiled += 1,
            Ok(_) => return Err(Failure::new(format!("{name}: compiled a module the validator refuses"))),
            Err(Error::Compile(CompileError::LimitExceeded { .. })) => summary.refused += 1,
            Err(Error::Compile(CompileError::Invalid { .. } | CompileError::Unsupported(_))) if !valid => {
                summary.refused += 1
            }
            Err(e) => return Err(Failure::new(format!("{name}: {e} (the validator says: valid={valid})"))),
        }
    }
    Ok(summary)
}
