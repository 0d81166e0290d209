//! Replays every input saved under `fuzz/regressions/<target>/` through its
//! target: each one was a finding once (a mismatch, a crash, a hang) and
//! must stay fixed.

use std::path::Path;
use wasmbeam_fuzzing::TARGETS;

#[test]
fn every_saved_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let dir = root.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
        files.sort();
        for file in files {
            if file.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            // Large stack: start functions run on the calling thread.
            let outcome = std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn(move || target(&data))
                .expect("a replay thread starts")
                .join();
            replayed += 1;
            match outcome {
                Ok(Ok(_)) => {}
                Ok(Err(failure)) => failures.push(format!("{}: {failure}", file.display())),
                Err(_) => failures.push(format!("{}: panicked", file.display())),
            }
        }
    }
    eprintln!("replayed {replayed} saved inputs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
