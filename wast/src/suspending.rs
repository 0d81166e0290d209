//! Suspending imports ([`Mode::SuspendingImports`](super::Mode)): the
//! function imports of each module are replaced by suspending host
//! functions of the same types, and the harness remembers which real
//! function each one stands for.

use std::collections::HashMap;
use wasmbeam_runtime::{Extern, ExternType, Func, Linker, Module, Store};

/// The suspending stand-ins made so far, one per real function.
///
/// Invariant: `original` and `stand_in` are inverse maps, and no key of
/// `stand_in` is itself a stand-in: a stand-in re-exported by an instance
/// and imported again resolves to the same stand-in, so a host call always
/// names a function the harness can call for real.
#[derive(Default)]
pub(crate) struct StandIns {
    /// Stand-in -> the real function it stands for.
    original: HashMap<Func, Func>,
    /// Real function -> its stand-in.
    stand_in: HashMap<Func, Func>,
}

impl StandIns {
    /// The real function `func` stands for, if it is a stand-in.
    pub(crate) fn original(&self, func: Func) -> Option<Func> {
        self.original.get(&func).copied()
    }

    /// A linker that resolves every function import of `module` to the
    /// stand-in of what `linker` resolves it to (making stand-ins as
    /// needed), and everything else as `linker` does. Imports `linker`
    /// cannot resolve are left to fail to link exactly as they would.
    pub(crate) fn linker_for(&mut self, store: &mut Store, linker: &Linker, module: &Module) -> Linker {
        let mut replaced = linker.clone();
        for (module_name, name, ty) in module.imports() {
            let ExternType::Func(_) = ty else { continue };
            let Some(Extern::Func(real)) = linker.get(module_name, name) else { continue };
            let stand_in = self.stand_in_for(store, real);
            replaced.define(module_name, name, Extern::Func(stand_in));
        }
        replaced
    }

    /// The stand-in of `func` (itself if it is one): a suspending host
    /// function of the same type.
    fn stand_in_for(&mut self, store: &mut Store, func: Func) -> Func {
        if self.original.contains_key(&func) {
            return func;
        }
        if let Some(&stand_in) = self.stand_in.get(&func) {
            return stand_in;
        }
        // A function of another store has no type here: left to fail to
        // link as it would.
        let Ok(ty) = func.ty(store) else { return func };
        let stand_in = Func::new_suspending(store, ty);
        self.stand_in.insert(func, stand_in);
        self.original.insert(stand_in, func);
        stand_in
    }
}

/// Whether the binary module `wasm` has a start section. Its start function
/// runs inside instantiation, where suspending imports trap, so such a
/// module keeps its real imports. Malformed bytes (never compiled, so never
/// instantiated) count as having none.
pub(crate) fn has_start_function(wasm: &[u8]) -> bool {
    wasmparser::Parser::new(0)
        .parse_all(wasm)
        .map_while(Result::ok)
        .any(|payload| matches!(payload, wasmparser::Payload::StartSection { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmbeam_runtime::{Engine, FuncType, ValType};

    #[test]
    fn start_sections_are_found() {
        let with = wat::parse_str("(module (func $s) (start $s))").expect("valid text");
        let without = wat::parse_str("(module (func $s))").expect("valid text");
        assert!(has_start_function(&with));
        assert!(!has_start_function(&without));
        assert!(!has_start_function(b"not wasm"));
    }

    #[test]
    fn one_stand_in_per_real_function_and_none_of_a_stand_in() {
        let engine = Engine::default();
        let mut store = Store::new(&engine);
        let ty = FuncType::new([ValType::I32], [ValType::I64]);
        let real = Func::new(&mut store, ty.clone(), |_, _, _| Ok(()));
        let mut linker = Linker::new();
        linker.define("m", "f", Extern::Func(real));
        linker.define("m", "g", Extern::Func(real));
        let wasm = wat::parse_str(
            r#"(module (import "m" "f" (func (param i32) (result i64)))
                       (import "m" "g" (func (param i32) (result i64)))
                       (import "m" "missing" (func)))"#,
        )
        .expect("valid text");
        let module = Module::new(&engine, &wasm).expect("compiles");
        let mut stand_ins = StandIns::default();
        let replaced = stand_ins.linker_for(&mut store, &linker, &module);
        let Some(Extern::Func(f)) = replaced.get("m", "f") else { panic!("m.f is defined") };
        assert_ne!(f, real);
        assert_eq!(replaced.get("m", "g"), Some(Extern::Func(f)));
        assert_eq!(replaced.get("m", "missing"), None);
        assert_eq!(f.ty(&store).unwrap(), ty);
        assert_eq!(stand_ins.original(f), Some(real));
        assert_eq!(stand_ins.original(real), None);
        // A stand-in defined under another name (a re-export) stays itself.
        linker.define("m", "f", Extern::Func(f));
        let again = stand_ins.linker_for(&mut store, &linker, &module);
        assert_eq!(again.get("m", "f"), Some(Extern::Func(f)));
    }
}
