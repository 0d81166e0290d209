//! The limits oracle: a hostile module ([`crate::hostile`]) must compile,
//! or be refused with a clean error (an explicit limit, or invalid past a
//! validator limit); if it compiles, it must instantiate or trap, and its
//! `run` must give the same outcome called directly and in fuel slices
//! (each suspension saved and read back), or run out of stack.

use crate::hostile::Shape;
use crate::{Failure, Summary};
use arbitrary::Unstructured;
use wasmbeam::{Call, CompileError, Error, Linker, Module, Step, Store, Val};

/// Total fuel one call of `run` may use (bounds the run time).
const FUEL_LIMIT: u64 = 20_000_000;

/// Builds a hostile module from `data` and checks it (see the module docs).
pub fn limits(data: &[u8]) -> Result<Summary, Failure> {
    let mut summary = Summary::default();
    let mut u = Unstructured::new(data);
    let (Ok(shape), Ok(arg), Ok(slice)) =
        (Shape::arbitrary(&mut u), u.arbitrary::<i32>(), u.int_in_range(100..=100_000u64))
    else {
        return Ok(summary);
    };
    let wasm = shape.encode();
    let engine = crate::wasmbeam_side::engine();
    let module = match Module::new(engine, &wasm) {
        Ok(module) => module,
        Err(Error::Compile(CompileError::LimitExceeded { .. } | CompileError::Invalid { .. })) => {
            summary.refused += 1;
            return Ok(summary);
        }
        Err(e) => return Err(Failure::new(format!("{shape:?}: {e}"))),
    };
    summary.compiled += 1;
    let direct = run(&module, arg, None).map_err(|e| Failure::new(format!("{shape:?}, direct: {e}")))?;
    let sliced = run(&module, arg, Some(slice)).map_err(|e| Failure::new(format!("{shape:?}, sliced: {e}")))?;
    summary.modules += 1;
    summary.calls += 1;
    let exhausted = |r: &Outcome| matches!(r, Outcome::Trapped(message) if message == "call stack exhausted");
    if exhausted(&direct) || exhausted(&sliced) {
        summary.exhausted += 1;
    } else if direct != sliced {
        return Err(Failure::new(format!("{shape:?}: direct {direct:?}, in slices of {slice}: {sliced:?}")));
    }
    Ok(summary)
}

/// How instantiating and calling `run` ended.
#[derive(Debug, PartialEq)]
enum Outcome {
    Returned(Vec<Val>),
    /// Trapped (in instantiation or in the call) or hit a resource limit,
    /// with the message.
    Trapped(String),
}

/// Instantiates `module` in a new store and calls `run(arg)` with a total
/// fuel limit, in slices of `slice` if given (saving each suspension as
/// bytes and reading it back), else in one step. `Err` for errors that are
/// neither traps nor resource limits.
fn run(module: &Module, arg: i32, slice: Option<u64>) -> Result<Outcome, Error> {
    let mut store = Store::new(crate::wasmbeam_side::engine());
    let instance = match Linker::new().instantiate(&mut store, module) {
        Ok(instance) => instance,
        Err(Error::Trap(t)) => return Ok(Outcome::Trapped(t.message)),
        Err(Error::Limit(message)) => return Ok(Outcome::Trapped(message)),
        Err(e) => return Err(e),
    };
    let func = instance.get_func(&store, "run").ok_or_else(|| Error::BadArgument("no `run` export".into()))?;
    let mut call = func.start(&mut store, &[Val::I32(arg)])?;
    call.set_fuel_limit(Some(FUEL_LIMIT));
    loop {
        match call.step(&mut store, slice.unwrap_or(u64::MAX)) {
            Ok(Step::Finished(results)) => return Ok(Outcome::Returned(results)),
            Ok(Step::Yielded) => {
                let bytes = call.to_bytes(&store)?;
                call = Call::from_bytes(&store, &bytes)?;
            }
            Ok(Step::HostCall { .. }) => return Err(Error::BadArgument("a host call without imports".into())),
            Err(Error::Trap(t)) => return Ok(Outcome::Trapped(t.message)),
            Err(e) => return Err(e),
        }
    }
}
