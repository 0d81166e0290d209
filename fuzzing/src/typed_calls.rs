//! [`typed_calls`]: a drawn module with its direct calls made through
//! typed function references, so that the suspension oracle covers
//! `call_ref` and `return_call_ref` (wasm-smith draws typed references
//! only together with GC, which wasmbeam does not implement).

use wasm_encoder::reencode::{Error, Reencode};
use wasm_encoder::{CodeSection, Instruction};

/// `wasm` with every `call $f` replaced by `ref.func $f; call_ref $t` and
/// every `return_call $f` by `ref.func $f; return_call_ref $t` (`$t` the
/// type of `$f`): the same program. The module must export every function
/// (as the oracles' modules do), which is what lets `ref.func` name them;
/// `None` if it cannot be read.
pub fn typed_calls(wasm: &[u8]) -> Option<Vec<u8>> {
    let mut types = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if let wasmparser::TypeRef::Func(t) = import.ok()?.ty {
                        types.push(t);
                    }
                }
            }
            wasmparser::Payload::FunctionSection(reader) => {
                for t in reader {
                    types.push(t.ok()?);
                }
            }
            _ => {}
        }
    }
    let mut module = wasm_encoder::Module::new();
    TypedCalls { types }.parse_core_module(&mut module, wasmparser::Parser::new(0), wasm).ok()?;
    Some(module.finish())
}

/// The re-encoder: each function's type index, by function index.
struct TypedCalls {
    types: Vec<u32>,
}

impl Reencode for TypedCalls {
    type Error = std::convert::Infallible;

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), Error<Self::Error>> {
        let mut f = self.new_function_with_parsed_locals(&func)?;
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let instruction = self.parse_instruction(&mut reader)?;
            let (index, tail) = match instruction {
                Instruction::Call(index) => (index, false),
                Instruction::ReturnCall(index) => (index, true),
                other => {
                    f.instruction(&other);
                    continue;
                }
            };
            // A validated module's calls name existing functions.
            let Some(&ty) = self.types.get(index as usize) else {
                f.instruction(&instruction);
                continue;
            };
            f.instruction(&Instruction::RefFunc(index));
            f.instruction(&if tail { Instruction::ReturnCallRef(ty) } else { Instruction::CallRef(ty) });
        }
        code.function(&f);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_become_call_refs_that_compute_the_same() {
        let wat = r#"
            (module
              (func $inc (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
              (func $count (export "count") (param i32) (result i32)
                (if (result i32) (i32.eqz (local.get 0))
                  (then (i32.const 100))
                  (else (return_call $count (i32.sub (local.get 0) (i32.const 1))))))
              (func (export "run") (param i32) (result i32)
                (i32.add (call $inc (local.get 0)) (call $count (i32.const 5)))))
        "#;
        let wasm = typed_calls(&wat::parse_str(wat).unwrap()).unwrap();
        let mut ops = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
            if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
                let mut reader = body.get_operators_reader().unwrap();
                while !reader.eof() {
                    ops.push(format!("{:?}", reader.read().unwrap()));
                }
            }
        }
        assert!(!ops.iter().any(|op| op.starts_with("Call ") || op.starts_with("ReturnCall ")), "{ops:?}");
        assert_eq!(ops.iter().filter(|op| op.starts_with("CallRef")).count(), 2, "{ops:?}");
        assert_eq!(ops.iter().filter(|op| op.starts_with("ReturnCallRef")).count(), 1, "{ops:?}");
        let engine = wasmbeam::Engine::default();
        let module = wasmbeam::Module::new(&engine, &wasm).unwrap();
        let mut store = wasmbeam::Store::new(&engine);
        let instance = wasmbeam::Linker::new().instantiate(&mut store, &module).unwrap();
        let run = instance.get_func(&store, "run").unwrap();
        assert_eq!(run.call(&mut store, &[wasmbeam::Val::I32(41)]).unwrap(), [wasmbeam::Val::I32(142)]);
    }
}
