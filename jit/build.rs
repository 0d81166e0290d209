//! Computes `WASMBEAM_CODEGEN_ID`: a hash of everything that decides the
//! machine code this crate generates and the data layout it assumes (its
//! own sources, its manifest, and the locked versions of its dependencies,
//! Cranelift among them). A serialized module records it, and a build with
//! another id refuses to load the module: its code could assume another
//! layout.

use std::path::{Path, PathBuf};

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&dir.join("src"), &mut files);
    files.sort();
    files.push(dir.join("Cargo.toml"));
    files.push(dir.join("Cargo.lock"));
    // The workspace's lock file, named as if it were in this directory:
    // the name must not depend on where the checkout is.
    let lock = dir.join("../Cargo.lock");
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in &files {
        let path_shown = if file.ends_with("Cargo.lock") { &lock } else { file };
        println!("cargo:rerun-if-changed={}", path_shown.display());
        let name = file.strip_prefix(&dir).unwrap_or(file).to_string_lossy().into_owned();
        // A missing lock file (a build outside the workspace) hashes as empty.
        let path = if file.ends_with("Cargo.lock") { &lock } else { file };
        let content = std::fs::read(path).unwrap_or_default();
        for byte in name.bytes().chain([0]).chain(content).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    println!("cargo:rerun-if-changed={}", dir.join("src").display());
    println!("cargo:rustc-env=WASMBEAM_CODEGEN_ID={hash:016x}");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
