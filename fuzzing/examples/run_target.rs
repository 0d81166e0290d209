//! Runs one target on seeded random inputs and prints what it did and how
//! long it took: `cargo run -p wasmbeam-fuzzing --example run_target -- TARGET SEED ITERATIONS LEN`.
//! With file arguments after `--files`, replays those inputs instead.

use std::time::Instant;
use wasmbeam_fuzzing::{seeded::smoke, TARGETS};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((_, target)) = TARGETS.iter().find(|(name, _)| args.first() == Some(&name.to_string())) else {
        eprintln!("usage: run_target TARGET [SEED ITERATIONS LEN | --files FILE...]");
        std::process::exit(2);
    };
    let started = Instant::now();
    if args.get(1).map(String::as_str) == Some("--files") {
        for file in &args[2..] {
            let data = std::fs::read(file).expect("readable file");
            println!("{file}: {:?}", target(&data));
        }
    } else {
        let number = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
        let result = smoke(*target, number(1, 1), number(2, 100) as usize, number(3, 4096) as usize);
        println!("{result:?}");
    }
    println!("{:.2} s", started.elapsed().as_secs_f64());
}
