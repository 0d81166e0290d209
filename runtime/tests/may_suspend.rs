//! Host functions that may suspend ([`Func::new_may_suspend`]): they return
//! when they can and suspend the call when they would wait; the embedder
//! answers with results or has them run again ([`Call::resume_again`]).
//! And host functions that end the call with an exit status
//! ([`Error::Exit`]).

mod common;

use common::*;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use wasmbeam_runtime::*;

/// `read()` returns the next number of a queue shared with the test, or
/// suspends while the queue is empty; `sum(n)` adds `n` of them.
const READER: &str = r#"(module
  (import "host" "read" (func $read (result i32)))
  (func (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (call $read)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $s)))"#;

fn reader() -> (Store, Instance, Func, Arc<Mutex<VecDeque<i32>>>) {
    let mut store = Store::new(&Engine::default());
    let queue: Arc<Mutex<VecDeque<i32>>> = Arc::default();
    let source = queue.clone();
    let read =
        Func::new_may_suspend(&mut store, FuncType::new([], [ValType::I32]), move |_, _, results| {
            match source.lock().unwrap().pop_front() {
                Some(n) => {
                    results[0] = Val::I32(n);
                    Ok(HostFlow::Return)
                }
                None => Ok(HostFlow::Suspend),
            }
        });
    let mut linker = Linker::new();
    linker.define("host", "read", read);
    let instance = instantiate(&mut store, &linker, READER);
    (store, instance, read, queue)
}

#[test]
fn it_returns_when_it_can_and_runs_again_once_fed() {
    let (mut store, i, read, queue) = reader();
    queue.lock().unwrap().extend([1, 2]);
    let mut call = func(&store, i, "sum").start(&mut store, &[Val::I32(5)]).unwrap();
    // Two numbers are there; the third read suspends.
    let (func, args) = host_call(call.step(&mut store, u64::MAX));
    assert_eq!((func, args), (read, vec![]));
    queue.lock().unwrap().push_back(10);
    call.resume_again().unwrap();
    // It ran again, found 10, and suspends at the fourth read.
    host_call(call.step(&mut store, u64::MAX));
    // Answered directly this time, as a suspending function would be.
    call.resume_with(Ok(vec![Val::I32(100)])).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    queue.lock().unwrap().push_back(1000);
    call.resume_again().unwrap();
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(1113)]));
}

#[test]
fn running_again_survives_saving_as_bytes() {
    let (mut store, i, _, queue) = reader();
    let mut call = func(&store, i, "sum").start(&mut store, &[Val::I32(2)]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    call.resume_again().unwrap();
    let bytes = call.to_bytes(&store).unwrap();
    drop(call);
    queue.lock().unwrap().extend([20, 22]);
    let mut call = Call::from_bytes(&store, &bytes).unwrap();
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(42)]));
}

#[test]
fn called_directly_it_suspends_and_runs_again_too() {
    let (mut store, _, read, queue) = reader();
    let mut call = read.start(&mut store, &[]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    assert!(matches!(call.step(&mut store, u64::MAX), Err(Error::BadArgument(_))), "not answered yet");
    queue.lock().unwrap().push_back(7);
    call.resume_again().unwrap();
    assert!(matches!(call.resume_again(), Err(Error::BadArgument(_))), "answered once");
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(7)]));
    // With data there it just returns, also from a plain call.
    queue.lock().unwrap().push_back(8);
    assert_eq!(read.call(&mut store, &[]).unwrap(), [Val::I32(8)]);
}

#[test]
fn where_the_call_cannot_suspend_asking_to_traps() {
    let (mut store, i, read, _) = reader();
    let trap = trap_of(func(&store, i, "sum").call(&mut store, &[Val::I32(1)]));
    assert_eq!(trap.code, TrapCode::HostError);
    assert!(trap.message.contains("cannot suspend"), "{}", trap.message);
    let trap = trap_of(read.call(&mut store, &[]));
    assert!(trap.message.contains("cannot suspend"), "{}", trap.message);
}

#[test]
fn a_function_that_always_suspends_cannot_run_again() {
    let mut store = Store::new(&Engine::default());
    let ask = Func::new_suspending(&mut store, FuncType::new([], [ValType::I32]));
    let mut call = ask.start(&mut store, &[]).unwrap();
    host_call(call.step(&mut store, u64::MAX));
    assert!(matches!(call.resume_again(), Err(Error::BadArgument(_))));
    call.resume_with(Ok(vec![Val::I32(3)])).unwrap();
    assert_eq!(call.step(&mut store, u64::MAX).unwrap(), Step::Finished(vec![Val::I32(3)]));
}

/// `run(n)` calls `exit(n)` from three frames deep, then would trap.
const EXITING: &str = r#"(module
  (import "host" "exit" (func $exit (param i32)))
  (func $deep (param i32) (if (i32.eqz (local.get 0)) (then (call $exit (i32.const 3))) (else
    (call $deep (i32.sub (local.get 0) (i32.const 1))))))
  (func (export "run") (param i32) (call $deep (local.get 0)) unreachable))"#;

#[test]
fn a_host_function_ends_the_call_with_an_exit_status() {
    let mut store = Store::new(&Engine::default());
    let exit = Func::new(&mut store, FuncType::new([ValType::I32], []), |_, args, _| {
        Err(Error::Exit(args[0].i32().unwrap_or(-1)))
    });
    let mut linker = Linker::new();
    linker.define("host", "exit", exit);
    let i = instantiate(&mut store, &linker, EXITING);
    let run = func(&store, i, "run");
    assert!(matches!(run.call(&mut store, &[Val::I32(3)]), Err(Error::Exit(3))));
    let mut call = run.start(&mut store, &[Val::I32(50)]).unwrap();
    let mut yields = 0;
    let end = loop {
        match call.step(&mut store, 7) {
            Ok(Step::Yielded) => yields += 1,
            other => break other,
        }
    };
    assert!(matches!(end, Err(Error::Exit(3))), "{end:?}");
    assert!(yields > 0);
    assert!(matches!(call.step(&mut store, 7), Err(Error::BadArgument(_))), "the call is over");
    // The store goes on.
    assert!(matches!(run.call(&mut store, &[Val::I32(0)]), Err(Error::Exit(3))));
}
