//! The embedder's API: filling the tree, reading it back, removing.

use super::*;
use crate::fs::memory::{DEFAULT_CAPACITY, ENTRY_COST};

#[test]
fn insert_file_makes_parents_and_replaces_data() {
    let fs = MemFs::new();
    fs.insert_file("a/b/c.txt", b"one".to_vec()).unwrap();
    fs.insert_file("/a/b/c.txt", "two").unwrap();
    fs.insert_file("a//d.txt", vec![1, 2, 3]).unwrap();
    assert_eq!(fs.read_file("a/b/c.txt").unwrap(), b"two");
    assert_eq!(fs.read_file("/a/d.txt").unwrap(), [1, 2, 3]);
    let root = fs.root();
    assert_eq!(kind(root.as_ref(), "a/b", false), Ok(filetype::DIRECTORY));
    assert_eq!(fs.insert_file("a/b", b"x".to_vec()), Err(Errno::Isdir));
    assert_eq!(fs.insert_file("", b"x".to_vec()), Err(Errno::Isdir));
    assert_eq!(fs.insert_file("a/d.txt/x", b"x".to_vec()), Err(Errno::Notdir));
    assert_eq!(fs.insert_file("a/../x", b"x".to_vec()), Err(Errno::Inval));
    assert_eq!(fs.insert_file("./x", b"x".to_vec()), Err(Errno::Inval));
    fs.insert_symlink("a/s", "d.txt").unwrap();
    assert_eq!(fs.insert_file("a/s", b"x".to_vec()), Err(Errno::Exist));
    // Through a symlinked directory.
    fs.insert_symlink("link", "a/b").unwrap();
    fs.insert_file("link/e.txt", b"e".to_vec()).unwrap();
    assert_eq!(fs.read_file("a/b/e.txt").unwrap(), b"e");
}

#[test]
fn insert_dir_and_insert_symlink() {
    let fs = MemFs::new();
    fs.insert_dir("x/y/z").unwrap();
    fs.insert_dir("x/y").unwrap();
    fs.insert_dir("").unwrap();
    fs.insert_dir("/").unwrap();
    fs.insert_file("x/f", b"f".to_vec()).unwrap();
    assert_eq!(fs.insert_dir("x/f"), Err(Errno::Exist));
    fs.insert_symlink("x/l", "f").unwrap();
    fs.insert_symlink("x/dl", "y").unwrap();
    fs.insert_dir("x/dl").unwrap();
    assert_eq!(fs.insert_symlink("x/l", "g"), Err(Errno::Exist));
    assert_eq!(fs.insert_symlink("x/e", ""), Err(Errno::Noent));
    assert_eq!(fs.read_file("x/l").unwrap(), b"f");
    assert_eq!(fs.read_file("x/dl"), None, "a directory");
    assert_eq!(fs.read_file("x/y/z"), None);
    assert_eq!(fs.read_file("x/nothere"), None);
    assert_eq!(fs.read_file(""), None);
    assert_eq!(fs.read_file("x/../x/f"), None, "embedder paths have no dots");
    assert_eq!(fs.root().read_link("x/l").unwrap(), "f");
}

#[test]
fn files_lists_every_regular_file_sorted() {
    let fs = MemFs::new();
    fs.insert_file("b.txt", b"b".to_vec()).unwrap();
    fs.insert_file("a/z", b"z".to_vec()).unwrap();
    fs.insert_file("a.txt", b"a".to_vec()).unwrap();
    fs.insert_file("a/b/c", b"c".to_vec()).unwrap();
    fs.insert_symlink("a/link", "z").unwrap();
    fs.insert_dir("empty").unwrap();
    let root = fs.root();
    root.link("a/z", false, root.as_ref(), "hard").unwrap();
    let paths: Vec<String> = fs.files().into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["/a.txt", "/a/b/c", "/a/z", "/b.txt", "/hard"]);
    assert_eq!(fs.files()[2].1, b"z");
    assert!(MemFs::new().files().is_empty());
}

#[test]
fn remove_takes_whole_subtrees_but_not_open_files() {
    let fs = MemFs::new();
    fs.insert_file("d/x/y/f", b"f".to_vec()).unwrap();
    fs.insert_file("d/g", b"g".to_vec()).unwrap();
    fs.insert_symlink("l", "d/g").unwrap();
    let root = fs.root();
    let g = file(root.as_ref(), "d/g", read());
    fs.remove("l").unwrap();
    assert_eq!(fs.read_file("d/g").unwrap(), b"g", "a symlink goes, not its target");
    fs.remove("d").unwrap();
    assert!(fs.files().is_empty());
    assert_eq!(contents(g.as_ref()), b"g");
    assert_eq!(fs.remove("d"), Err(Errno::Noent));
    assert_eq!(fs.remove("nothere/x"), Err(Errno::Noent));
    assert_eq!(fs.remove(""), Err(Errno::Busy));
    assert_eq!(fs.remove("/"), Err(Errno::Busy));
    drop(g);
    assert_eq!(fs.usage(), 0);
    assert_eq!(names(root.as_ref()), [".", ".."]);
}

#[test]
fn a_deep_tree_is_listed_and_removed_without_recursion() {
    let fs = MemFs::new();
    let mut dir = fs.root();
    for _ in 0..100_000 {
        dir.create_dir("d").unwrap();
        dir = subdir(dir.as_ref(), "d");
    }
    file(dir.as_ref(), "bottom", create()).write_at(b"deep", 0).unwrap();
    drop(dir);
    let files = fs.files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].1, b"deep");
    assert_eq!(files[0].0.len(), 2 * 100_000 + "/bottom".len());
    fs.remove("d").unwrap();
    assert_eq!(fs.usage(), 0);
}

#[test]
fn clones_share_one_tree_and_the_budget_is_theirs() {
    let fs = MemFs::default();
    assert_eq!(fs.capacity_limit(), DEFAULT_CAPACITY);
    let other = fs.clone();
    other.insert_file("shared", b"1234".to_vec()).unwrap();
    assert_eq!(fs.read_file("shared").unwrap(), b"1234");
    assert_eq!(fs.usage(), ENTRY_COST + "shared".len() as u64 + 4);
    let small = MemFs::with_capacity_limit(100);
    assert_eq!(small.capacity_limit(), 100);
    assert_eq!(small.insert_file("f", vec![0; 100]), Err(Errno::Nospc));
    assert_eq!(small.read_file("f"), None);
    small.insert_file("f", vec![0; 100 - ENTRY_COST as usize - 1]).unwrap();
    assert_eq!(small.usage(), 100);
    // Replacing data needs room only for what it adds.
    small.insert_file("f", vec![1; 10]).unwrap();
    assert_eq!(small.usage(), ENTRY_COST + 1 + 10);
}

#[test]
fn a_program_sees_what_the_embedder_inserted() {
    let fs = MemFs::new();
    fs.insert_file("in/data.txt", b"hello".to_vec()).unwrap();
    let wasi = crate::WasiBuilder::new().preopen(fs.root(), "/data").build();
    let read = wasi.with_preopen("/data", |dir| contents(file(dir, "in/data.txt", read()).as_ref()));
    assert_eq!(read.unwrap(), b"hello");
}
