//! Path resolution: dots, escapes, symlinks, trailing slashes, lengths.

use super::*;
use crate::fs::memory::resolve::{MAX_HOPS, NAME_MAX, PATH_MAX};

#[test]
fn dots_and_empty_components() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    for path in ["./a.txt", "d/../a.txt", "d//../a.txt", "d/./../a.txt", "d/sub/../../a.txt"] {
        assert_eq!(kind(root, path, false), Ok(filetype::REGULAR_FILE), "{path}");
    }
    assert_eq!(kind(root, ".", false), Ok(filetype::DIRECTORY));
    assert_eq!(kind(root, "d/sub/../..", false), Ok(filetype::DIRECTORY));
    assert_eq!(root.stat_at("d/..", false).unwrap().ino, root.stat().unwrap().ino);
    assert_eq!(kind(root, "d//f", false), Ok(filetype::REGULAR_FILE));
}

#[test]
fn empty_path_is_enoent() {
    let (_fs, root) = sample();
    assert_eq!(kind(root.as_ref(), "", false), Err(Errno::Noent));
    assert_eq!(open_err(root.as_ref(), "", read()), Errno::Noent);
    assert_eq!(root.create_dir(""), Err(Errno::Noent));
}

#[test]
fn escapes_are_eperm() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    for path in ["..", "../x", "d/../../x", "d/../../d", "/a.txt", "/", "up", "up/a.txt", "up2", "abs", "absf"] {
        assert_eq!(kind(root, path, true), Err(Errno::Perm), "{path}");
        assert_eq!(open_err(root, path, read()), Errno::Perm, "{path}");
    }
    assert_eq!(root.create_dir("../x"), Err(Errno::Perm));
    assert_eq!(root.create_dir("/x"), Err(Errno::Perm));
    assert_eq!(open_err(root, "up/x", create()), Errno::Perm);
    // The links themselves are there, and `..` inside stays inside.
    assert_eq!(kind(root, "up", false), Ok(filetype::SYMBOLIC_LINK));
    assert_eq!(kind(root, "abs", false), Ok(filetype::SYMBOLIC_LINK));
    assert_eq!(open_err(root, "abs", OpenOptions { follow: false, ..read() }), Errno::Loop);
    assert_eq!(contents(file(root, "d/back", read()).as_ref()), b"hello");
}

#[test]
fn an_opened_directory_is_the_root_of_its_paths() {
    let (_fs, root) = sample();
    let d = subdir(root.as_ref(), "d");
    let d = d.as_ref();
    assert_eq!(contents(file(d, "f", read()).as_ref()), b"in d");
    assert_eq!(kind(d, "..", false), Err(Errno::Perm));
    assert_eq!(kind(d, "sub/../..", false), Err(Errno::Perm));
    // `back -> ../a.txt` leads above it now.
    assert_eq!(open_err(d, "back", read()), Errno::Perm);
    assert_eq!(kind(d, "back", false), Ok(filetype::SYMBOLIC_LINK));
}

#[test]
fn symlinks_are_followed_inside_the_tree() {
    let (fs, root) = sample();
    let root = root.as_ref();
    assert_eq!(contents(file(root, "l", read()).as_ref()), b"hello");
    assert_eq!(contents(file(root, "dl/f", read()).as_ref()), b"in d");
    // In intermediate components even without `follow`.
    assert_eq!(contents(file(root, "dl/f", OpenOptions { follow: false, ..read() }).as_ref()), b"in d");
    // A chain: d/chain -> ../l -> a.txt.
    fs.insert_symlink("d/chain", "../l").unwrap();
    assert_eq!(contents(file(root, "d/chain", read()).as_ref()), b"hello");
    // `..` after a symlink is the physical parent: dl/.. is the root.
    assert_eq!(root.stat_at("dl/..", false).unwrap().ino, root.stat().unwrap().ino);
    assert_eq!(kind(root, "dl/../..", false), Err(Errno::Perm));
    assert_eq!(kind(root, "dangle", true), Err(Errno::Noent));
    assert_eq!(kind(root, "dangle", false), Ok(filetype::SYMBOLIC_LINK));
}

#[test]
fn symlink_loops_and_long_chains_are_eloop() {
    let (fs, root) = sample();
    let root = root.as_ref();
    assert_eq!(kind(root, "loop1", true), Err(Errno::Loop));
    assert_eq!(kind(root, "loop1", false), Ok(filetype::SYMBOLIC_LINK));
    assert_eq!(open_err(root, "loop1", read()), Errno::Loop);
    assert_eq!(open_err(root, "loop1/x", read()), Errno::Loop);
    assert_eq!(open_err(root, "loop1", create()), Errno::Loop);
    assert_eq!(root.set_times_at("loop1", true, SetTime::Now, SetTime::Now), Err(Errno::Loop));
    // c0 -> a.txt, c1 -> c0, ...: 40 links are followed, 41 are not.
    fs.insert_symlink("c0", "a.txt").unwrap();
    for i in 1..=MAX_HOPS {
        fs.insert_symlink(&format!("c{i}"), &format!("c{}", i - 1)).unwrap();
    }
    let last = MAX_HOPS - 1;
    assert_eq!(kind(root, &format!("c{last}"), true), Ok(filetype::REGULAR_FILE));
    assert_eq!(kind(root, &format!("c{MAX_HOPS}"), true), Err(Errno::Loop));
}

#[test]
fn a_trailing_slash_needs_a_directory() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    assert_eq!(open_err(root, "a.txt/", read()), Errno::Notdir);
    assert_eq!(open_err(root, "a.txt/.", read()), Errno::Notdir);
    assert_eq!(open_err(root, "a.txt/x", read()), Errno::Notdir);
    assert_eq!(kind(root, "d/", false), Ok(filetype::DIRECTORY));
    // A slash follows the symlink, even without `follow`.
    let nofollow = OpenOptions { follow: false, ..read() };
    assert!(matches!(root.open("dl/", &nofollow), Ok(Opened::Dir(_))));
    assert_eq!(open_err(root, "dl", nofollow), Errno::Loop);
    assert_eq!(kind(root, "dl/", false), Ok(filetype::DIRECTORY));
    assert_eq!(kind(root, "l/", false), Err(Errno::Notdir));
    assert_eq!(kind(root, "dangle/", false), Err(Errno::Noent));
    root.symlink("a.txt/", "slash").unwrap();
    assert_eq!(open_err(root, "slash", read()), Errno::Notdir);
}

#[test]
fn missing_and_non_directory_intermediates() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    assert_eq!(open_err(root, "nothere", read()), Errno::Noent);
    assert_eq!(open_err(root, "nothere/x", read()), Errno::Noent);
    assert_eq!(open_err(root, "nothere/x", create()), Errno::Noent);
    assert_eq!(open_err(root, "a.txt/x", create()), Errno::Notdir);
    assert_eq!(root.create_dir("a.txt/x"), Err(Errno::Notdir));
    assert_eq!(root.create_dir("nothere/x"), Err(Errno::Noent));
    assert_eq!(root.create_dir("dangle/x"), Err(Errno::Noent));
}

#[test]
fn names_and_paths_have_linux_lengths() {
    let (_fs, root) = sample();
    let root = root.as_ref();
    let long = "n".repeat(NAME_MAX + 1);
    assert_eq!(open_err(root, &long, read()), Errno::Nametoolong);
    assert_eq!(root.create_dir(&long), Err(Errno::Nametoolong));
    root.create_dir(&long[1..]).unwrap();
    root.remove_dir(&long[1..]).unwrap();
    // "./././..." of PATH_MAX - 1 bytes resolves; PATH_MAX bytes do not.
    let dots = "./".repeat(PATH_MAX / 2);
    assert_eq!(kind(root, &dots[..PATH_MAX - 1], false), Ok(filetype::DIRECTORY));
    assert_eq!(kind(root, &dots[..PATH_MAX], false), Err(Errno::Nametoolong));
    assert_eq!(root.symlink(&"x".repeat(PATH_MAX), "long"), Err(Errno::Nametoolong));
}
