//! Compiling the modules of a script without running them: for targets
//! whose machine code cannot execute on this machine.

use super::{encode_module, is_quoted, Outcome};
use wasmbeam_runtime::{Engine, Error, Module};
use wast::{QuoteWat, WastDirective, WastExecute};

/// What a script says about a module it contains.
enum Expect {
    /// Defined, instantiated, asserted to trap or to be unlinkable: it must
    /// validate and compile.
    Valid,
    /// `assert_invalid` / `assert_malformed`: it must be rejected with a
    /// compile error (not another error, not a panic).
    Rejected { malformed: bool },
}

/// Checks the module of `directive`, if it has one (`None` otherwise).
pub(crate) fn check(engine: &Engine, directive: WastDirective<'_>) -> Option<Outcome> {
    let (mut module, expect) = match directive {
        WastDirective::Module(module) | WastDirective::ModuleDefinition(module) => (module, Expect::Valid),
        WastDirective::AssertReturn { exec: WastExecute::Wat(wat), .. }
        | WastDirective::AssertTrap { exec: WastExecute::Wat(wat), .. } => (QuoteWat::Wat(wat), Expect::Valid),
        WastDirective::AssertUnlinkable { module, .. } => (QuoteWat::Wat(module), Expect::Valid),
        WastDirective::AssertInvalid { module, .. } => (module, Expect::Rejected { malformed: false }),
        WastDirective::AssertMalformed { module, .. } => (module, Expect::Rejected { malformed: true }),
        _ => return None,
    };
    let quoted = is_quoted(&module);
    let bytes = match (encode_module(&mut module), &expect) {
        (Ok(bytes), _) => bytes,
        (Err(e), Expect::Rejected { malformed: true }) if quoted => {
            return Some(Outcome::Skipped(format!("text rejected by the wast parser, not by wasmbeam: {e}")))
        }
        (Err(e), _) => return Some(Outcome::Failed(format!("cannot run the script as written: {e}"))),
    };
    Some(match (Module::new(engine, &bytes), expect) {
        (Ok(_), Expect::Valid) | (Err(Error::Compile(_)), Expect::Rejected { .. }) => Outcome::Passed,
        (Err(e), Expect::Valid) => Outcome::Failed(format!("valid module does not compile: {e}")),
        (Ok(_), Expect::Rejected { malformed }) => Outcome::Failed(format!(
            "module compiled, expected it to be rejected as {}",
            if malformed { "malformed" } else { "invalid" }
        )),
        (Err(e), Expect::Rejected { .. }) => Outcome::Failed(format!("rejected, but not with a compile error: {e}")),
    })
}
