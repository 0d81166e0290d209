//! Saving a suspended call as bytes and reading it back, as the suspending
//! modes do at every suspension.

use super::mode::SuspensionStats;
use std::time::Instant;
use wasmbeam_runtime::{Call, Error, Store};

/// An error of the harness itself (not of the engine): never what an
/// assertion expects.
pub(crate) fn harness_error(message: impl std::fmt::Display) -> Error {
    Error::BadArgument(format!("harness: {message}"))
}

/// Saves the suspended `call` with [`Call::to_bytes`], drops it, and reads
/// it back with [`Call::from_bytes`]: only the bytes survive. Checks that
/// the call read back has the same continuation size and fuel count, and
/// adds the sizes and time to `stats`.
pub(crate) fn save_and_read_back(store: &Store, call: Call, stats: &mut SuspensionStats) -> Result<Call, Error> {
    let (size, fuel) = (call.continuation_size(), call.fuel_consumed());
    let started = Instant::now();
    let bytes = call.to_bytes(store)?;
    drop(call);
    let restored = Call::from_bytes(store, &bytes);
    stats.saving += started.elapsed();
    let mut restored = restored?;
    // The harness compiles what calls wait for itself (see `workers.rs`).
    restored.defer_compiles(true);
    if (restored.continuation_size(), restored.fuel_consumed()) != (size, fuel) {
        return Err(harness_error(format!(
            "the call read back differs: continuation {} bytes, fuel {} (saved: {size} bytes, fuel {fuel})",
            restored.continuation_size(),
            restored.fuel_consumed()
        )));
    }
    stats.max_continuation = stats.max_continuation.max(size);
    stats.max_serialized = stats.max_serialized.max(bytes.len());
    Ok(restored)
}
