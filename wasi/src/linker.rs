//! Making the host functions: one may-suspend host function per entry of
//! [`FUNCTIONS`], each a closure that locks the shared state, views the
//! calling instance's memory and runs the function's body.

use crate::ctx::Wasi;
use crate::funcs::{Args, Def, Halt, FUNCTIONS};
use crate::guest::Guest;
use wasmbeam_runtime::{Error, Extern, Func, FuncType, HostFlow, Linker, Store, Val, ValType};

/// The import module every WASI function is defined in.
pub const MODULE: &str = "wasi_snapshot_preview1";

impl Wasi {
    /// Defines every function of `wasi_snapshot_preview1` in `linker`, as
    /// host functions of `store` sharing this state. They read and write
    /// the calling instance's exported `memory` (a module without one can
    /// call only the functions that take no pointers: the others get
    /// `EFAULT`).
    pub fn add_to_linker(&self, linker: &mut Linker, store: &mut Store) {
        for def in FUNCTIONS {
            let func = self.host_function(store, def);
            linker.define(MODULE, def.name, func);
        }
    }

    fn host_function(&self, store: &mut Store, def: &'static Def) -> Func {
        let results: &[ValType] = if def.returns_errno { &[ValType::I32] } else { &[] };
        let ty = FuncType::new(def.params.to_vec(), results.to_vec());
        let wasi = self.clone();
        Func::new_may_suspend(store, ty, move |caller, args, results| {
            let memory = caller.get_export("memory").and_then(Extern::into_memory);
            let mut none: [u8; 0] = [];
            let bytes = match memory {
                Some(memory) => memory.data_mut(caller.store())?,
                None => &mut none,
            };
            let mut guest = Guest::new(bytes);
            let mut ctx = wasi.lock();
            let errno = match (def.body)(&mut ctx, &mut guest, &Args(args)) {
                Ok(()) => 0,
                Err(Halt::Errno(errno)) => errno as i32,
                Err(Halt::Suspend(wait)) => {
                    ctx.wait = Some(wait);
                    return Ok(HostFlow::Suspend);
                }
                Err(Halt::Exit(status)) => return Err(Error::Exit(status)),
            };
            if let Some(slot) = results.first_mut() {
                *slot = Val::I32(errno);
            }
            Ok(HostFlow::Return)
        })
    }
}
