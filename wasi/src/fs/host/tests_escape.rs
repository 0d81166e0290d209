//! Attempts to leave a [`HostDir`]: `..`, absolute paths, symlinks that
//! lead out (absolute or climbing), renames and links to or from outside,
//! and symlinks swapped while paths are resolved. Each is refused (`EPERM`,
//! as wasmtime) and leaves everything outside the sandbox as it was.

use super::tests::{as_dir, as_file, creating, err, reading, writing, Tree, SENTINEL};
use super::*;
use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const PERM: Errno = Errno::Perm;

/// Every operation of `dir` on `path` that could reach outside, each
/// refused with `EPERM`.
fn all_refused(dir: &HostDir, path: &str) {
    let follow_dir = OpenOptions { directory: true, ..reading() };
    let at = SetTime::At(5_000_000_000);
    assert_eq!(err(dir.open(path, &reading())), PERM, "open {path}");
    assert_eq!(err(dir.open(path, &writing())), PERM, "open {path} for writing");
    assert_eq!(err(dir.open(path, &OpenOptions { truncate: true, ..writing() })), PERM, "truncate {path}");
    assert_eq!(err(dir.open(path, &follow_dir)), PERM, "open {path} as a directory");
    assert_eq!(err(dir.stat_at(path, true)), PERM, "stat {path}");
    assert_eq!(err(dir.set_times_at(path, true, at, at)), PERM, "set times of {path}");
    assert_eq!(err(dir.set_times_at(path, false, at, at)), PERM, "set times of {path} (no follow)");
    assert_eq!(err(dir.unlink_file(path)), PERM, "unlink {path}");
    assert_eq!(err(dir.remove_dir(path)), PERM, "rmdir {path}");
    assert_eq!(err(dir.read_link(path)), PERM, "readlink {path}");
    assert_eq!(err(dir.rename(path, dir, "stolen")), PERM, "rename {path} in");
    assert_eq!(err(dir.link(path, false, dir, "stolen")), PERM, "link {path} in");
}

/// Every operation of `dir` that would make `path` (outside), each
/// refused with `EPERM`.
fn all_creations_refused(dir: &HostDir, path: &str) {
    let exclusive = OpenOptions { exclusive: true, ..creating() };
    assert_eq!(err(dir.open(path, &creating())), PERM, "create {path}");
    assert_eq!(err(dir.open(path, &exclusive)), PERM, "create {path} exclusively");
    assert_eq!(err(dir.create_dir(path)), PERM, "mkdir {path}");
    assert_eq!(err(dir.symlink("inside.txt", path)), PERM, "symlink at {path}");
    assert_eq!(err(dir.rename("inside.txt", dir, path)), PERM, "rename to {path}");
    assert_eq!(err(dir.link("inside.txt", false, dir, path)), PERM, "link to {path}");
}

#[test]
fn dot_dot_cannot_climb_out() {
    let tree = Tree::new("dotdot");
    tree.write("inside.txt", b"in");
    tree.mkdir("a/b");
    let dir = tree.dir();
    for path in ["../outside/sentinel.txt", "a/../../outside/sentinel.txt", "a/b/../../../outside/sentinel.txt"] {
        all_refused(&dir, path);
    }
    all_refused(&dir, "../outside");
    assert_eq!(err(dir.open("..", &reading())), PERM);
    assert_eq!(err(dir.open("a/../..", &reading())), PERM);
    assert_eq!(err(dir.stat_at("..", true)), PERM);
    // Out and back in is still out.
    assert_eq!(err(dir.open("../sandbox/inside.txt", &reading())), PERM);
    for path in ["../x", "a/../../x", "../outside/new.txt", "a/../../outside/new.txt"] {
        all_creations_refused(&dir, path);
    }
    // `..` that stays inside is fine.
    assert_eq!(dir.stat_at("a/b/../../inside.txt", true).unwrap().size, 2);
    tree.assert_outside_untouched();
}

#[test]
fn absolute_paths_are_refused() {
    let tree = Tree::new("absolute");
    tree.write("inside.txt", b"in");
    let dir = tree.dir();
    let sentinel = tree.sentinel();
    let sentinel = sentinel.to_str().expect("a UTF-8 temp dir");
    all_refused(&dir, sentinel);
    all_refused(&dir, "/etc/passwd");
    let inside = tree.path("inside.txt");
    assert_eq!(err(dir.open(inside.to_str().expect("UTF-8"), &reading())), PERM, "even when it names the inside");
    let new = tree.root.join("outside/new.txt");
    all_creations_refused(&dir, new.to_str().expect("UTF-8"));
    all_creations_refused(&dir, "/tmp/wasmbeam-escaped");
    assert!(!Path::new("/tmp/wasmbeam-escaped").exists());
    tree.assert_outside_untouched();
}

#[test]
fn symlinks_leading_out_are_not_followed() {
    let tree = Tree::new("symlink-out");
    tree.write("inside.txt", b"in");
    tree.mkdir("a");
    tree.symlink("/etc", "etc");
    tree.symlink(tree.root.join("outside").to_str().expect("UTF-8"), "abs_out");
    tree.symlink("../outside", "rel_out");
    tree.symlink("../../outside", "a/deep_out");
    tree.symlink("../..", "a/up2");
    tree.symlink("rel_out", "chain");
    tree.symlink("../outside/sentinel.txt", "sentinel_link");
    tree.symlink("../outside/new.txt", "dangling_out");
    let dir = tree.dir();
    for link in ["etc", "abs_out", "rel_out", "a/deep_out", "a/up2", "chain"] {
        let nofollow = OpenOptions { follow: false, ..reading() };
        assert_eq!(err(dir.open(link, &reading())), PERM, "open {link}");
        assert_ne!(dir.open(link, &nofollow).map(|_| ()), Ok(()), "open {link} without following");
        assert_eq!(err(dir.stat_at(link, true)), PERM, "stat {link}");
        assert_eq!(dir.stat_at(link, false).unwrap().filetype, filetype::SYMBOLIC_LINK, "the link itself");
        let at = SetTime::At(5_000_000_000);
        assert_eq!(err(dir.set_times_at(link, true, at, at)), PERM, "set times through {link}");
    }
    for path in ["etc/passwd", "abs_out/sentinel.txt", "rel_out/sentinel.txt", "a/deep_out/sentinel.txt"] {
        all_refused(&dir, path);
    }
    all_refused(&dir, "a/up2/outside/sentinel.txt");
    all_refused(&dir, "chain/sentinel.txt");
    for path in ["rel_out/new.txt", "abs_out/new.txt", "chain/new.txt", "a/up2/outside/new.txt"] {
        all_creations_refused(&dir, path);
    }
    // The last component, followed.
    assert_eq!(err(dir.open("sentinel_link", &writing())), PERM);
    assert_eq!(err(dir.open("sentinel_link", &OpenOptions { truncate: true, ..writing() })), PERM);
    assert_eq!(err(dir.open("dangling_out", &creating())), PERM, "creating through a dangling link");
    // Reading an absolute target would reveal a host path.
    assert_eq!(err(dir.read_link("etc")), PERM);
    assert_eq!(err(dir.read_link("abs_out")), PERM);
    assert_eq!(dir.read_link("rel_out").unwrap(), "../outside");
    // A link that climbs can be made (it is only text), not followed.
    dir.symlink("../outside/sentinel.txt", "made_out").unwrap();
    assert_eq!(err(dir.open("made_out", &writing())), PERM);
    // Removing the links removes them, not what they point to.
    for link in ["rel_out", "abs_out", "sentinel_link", "made_out"] {
        dir.unlink_file(link).unwrap();
    }
    tree.assert_outside_untouched();
}

#[test]
fn renames_and_links_cannot_reach_out() {
    let tree = Tree::new("rename-out");
    tree.write("inside.txt", b"in");
    tree.mkdir("d");
    tree.symlink("../outside", "out");
    let dir = tree.dir();
    let d = as_dir(dir.open("d", &reading()));
    for target in ["../outside/moved", "out/moved", "d/../../outside/moved", "/tmp/wasmbeam-moved"] {
        assert_eq!(err(dir.rename("inside.txt", &dir, target)), PERM, "rename to {target}");
        assert_eq!(err(dir.link("inside.txt", false, &dir, target)), PERM, "link to {target}");
    }
    // Through a directory opened inside: its `..` is the sandbox, which
    // it may not reach either.
    assert_eq!(err(dir.rename("inside.txt", d.as_ref(), "../escaped")), PERM);
    assert_eq!(err(d.rename("../inside.txt", &dir, "x")), PERM);
    assert_eq!(err(dir.link("inside.txt", false, d.as_ref(), "../../x")), PERM);
    for source in ["../outside/sentinel.txt", "out/sentinel.txt", "../outside"] {
        assert_eq!(err(dir.rename(source, &dir, "stolen")), PERM, "rename from {source}");
        assert_eq!(err(dir.link(source, false, &dir, "stolen")), PERM, "link from {source}");
    }
    // A rename of the link itself moves the link.
    dir.rename("out", d.as_ref(), "out2").unwrap();
    assert!(tree.path("d/out2").is_symlink());
    assert_eq!(fs::read(tree.path("inside.txt")).unwrap(), b"in");
    assert!(!tree.path("stolen").exists() && !Path::new("/tmp/wasmbeam-moved").exists());
    tree.assert_outside_untouched();
}

/// Swaps the symlink `name` between the targets `a` and `b` (each
/// `rename` of a fresh link over it is atomic) until `stop`.
fn swapper(tree: &Tree, name: &str, a: String, b: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    let link = tree.path(name);
    let tmp = tree.path(&format!("{name}.tmp"));
    std::thread::spawn(move || {
        let mut swaps = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let target = if swaps.is_multiple_of(2) { &a } else { &b };
            let _ = fs::remove_file(&tmp);
            std::os::unix::fs::symlink(target, &tmp).expect("make the next link");
            fs::rename(&tmp, &link).expect("swap the link");
            swaps += 1;
        }
        swaps
    })
}

#[test]
fn symlinks_swapped_during_resolution_never_lead_out() {
    let tree = Tree::new("race");
    tree.write("inside.txt", b"inside");
    tree.mkdir("realdir");
    let dir = tree.dir();
    let sentinel_abs = tree.sentinel().to_str().expect("UTF-8").to_string();
    let outside_abs = tree.root.join("outside").to_str().expect("UTF-8").to_string();
    let stop = Arc::new(AtomicBool::new(false));
    // The last component: a file inside, or the sentinel (climbing, then
    // absolute).
    tree.symlink("inside.txt", "flip");
    tree.symlink("realdir", "dflip");
    let threads = [
        swapper(&tree, "flip", "inside.txt".into(), "../outside/sentinel.txt".into(), stop.clone()),
        swapper(&tree, "dflip", "realdir".into(), "../outside".into(), stop.clone()),
    ];
    let (mut opened, mut refused) = (0u32, 0u32);
    let at = SetTime::At(7_000_000_000);
    for i in 0..3000 {
        match dir.open("flip", &writing()) {
            Ok(Opened::File(f)) => {
                opened += 1;
                f.write_at(b"I", 0).expect("write inside");
            }
            Ok(Opened::Dir(_)) => panic!("flip is never a directory"),
            Err(e) => {
                assert!(matches!(e, Errno::Perm | Errno::Noent), "{e:?}");
                refused += 1;
            }
        }
        // A directory in the middle of the path, swapped.
        let name = format!("dflip/new{i}.txt");
        if let Err(e) = dir.open(&name, &creating()) {
            assert!(matches!(e, Errno::Perm | Errno::Noent), "{e:?}");
        }
        let _ = dir.set_times_at("flip", true, at, at);
        let _ = dir.set_times_at("dflip/../dflip", true, at, at);
        let _ = dir.create_dir(&format!("dflip/d{i}"));
        let _ = dir.link("inside.txt", false, &dir, &format!("dflip/l{i}"));
        let _ = dir.rename(&format!("dflip/new{i}.txt"), &dir, &format!("moved{i}"));
    }
    stop.store(true, Ordering::Relaxed);
    let swaps: u64 = threads.into_iter().map(|t| t.join().expect("the swapper")).sum();
    assert!(swaps > 0);
    assert!(opened > 0, "the link was opened while it pointed inside ({refused} refusals)");
    assert_eq!(fs::read(tree.path("inside.txt")).unwrap(), b"Inside");
    // Now the absolute targets.
    let stop = Arc::new(AtomicBool::new(false));
    let threads = [
        swapper(&tree, "flip", "inside.txt".into(), sentinel_abs, stop.clone()),
        swapper(&tree, "dflip", "realdir".into(), outside_abs, stop.clone()),
    ];
    for i in 0..2000 {
        if let Ok(Opened::File(f)) = dir.open("flip", &OpenOptions { truncate: true, ..writing() }) {
            f.write_at(b"x", 0).expect("write inside");
        }
        let _ = dir.open(&format!("dflip/abs{i}.txt"), &creating());
        let _ = dir.stat_at("dflip/sentinel.txt", true);
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("the swapper");
    }
    tree.assert_outside_untouched();
    assert_eq!(fs::read(tree.sentinel()).unwrap(), SENTINEL);
}

#[test]
fn directories_opened_inside_are_sandboxes_of_their_own() {
    let tree = Tree::new("subdir-escape");
    tree.mkdir("a/b");
    tree.write("inside.txt", b"in");
    let dir = tree.dir();
    let a = as_dir(dir.open("a", &reading()));
    let b = as_dir(a.open("b", &reading()));
    assert_eq!(err(b.open("../../inside.txt", &reading())), PERM);
    assert_eq!(err(b.open("../../../outside/sentinel.txt", &writing())), PERM);
    assert_eq!(err(b.create_dir("../../../outside/x")), PERM);
    assert_eq!(err(b.stat_at("..", true)), PERM);
    assert_eq!(err(a.open("b/../../inside.txt", &reading())), PERM);
    // `..` back to the directory itself stays inside.
    assert_eq!(as_dir(a.open("b/..", &reading())).stat().unwrap().ino, a.stat().unwrap().ino);
    assert_eq!(as_file(dir.open("a/b/../../inside.txt", &reading())).stat().unwrap().size, 2);
    tree.assert_outside_untouched();
}
