//! [`Wasi`]: one program's WASI world (arguments, environment, stdio, fds,
//! preopened directories), built with [`WasiBuilder`], shared by the host
//! functions that [`Wasi::add_to_linker`] defines and by the embedder, who
//! feeds stdin, answers waits and reads captured output through it.

use crate::fd::{Entry, FdTable, Kind};
use crate::fs::WasiDir;
use crate::stdio::{Input, Output};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The state the host functions share.
pub struct WasiCtx {
    /// Each argument's bytes (no terminating NUL).
    pub(crate) args: Vec<Vec<u8>>,
    /// Each `NAME=value` (no terminating NUL).
    pub(crate) env: Vec<Vec<u8>>,
    pub(crate) stdin: Input,
    pub(crate) stdout: Output,
    pub(crate) stderr: Output,
    pub(crate) fds: FdTable,
    /// Why the call last suspended, until the embedder takes it.
    pub(crate) wait: Option<Wait>,
    /// The deadlines of a suspended `poll_oneoff`, for when it runs again.
    pub(crate) poll_memo: Option<crate::funcs::poll::PollMemo>,
}

/// What a WASI call that suspended waits for. The embedder takes it with
/// [`Wasi::take_wait`] after the call stopped with a host call, makes it
/// happen, and resumes the call with `Call::resume_again`: the WASI
/// function then runs again and finds what it waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// `fd_read` of stdin found no data yet: feed some
    /// ([`Wasi::feed_stdin`]) or end it ([`Wasi::end_stdin`]).
    Stdin,
    /// `poll_oneoff` waits until the monotonic clock reaches `deadline`
    /// (nanoseconds, `CLOCK_MONOTONIC`), if any, or, if `stdin`, until
    /// stdin has data or ends, whichever comes first.
    Poll { deadline: Option<u64>, stdin: bool },
}

impl Wait {
    /// How long from now until the deadline, if there is one (zero once it
    /// has passed).
    pub fn timeout(&self) -> Option<Duration> {
        match self {
            Wait::Poll { deadline: Some(deadline), .. } => {
                let now = crate::funcs::clock::monotonic_now();
                Some(Duration::from_nanos(deadline.saturating_sub(now)))
            }
            _ => None,
        }
    }

    /// Whether data on stdin (or its end) ends the wait.
    pub fn wants_stdin(&self) -> bool {
        matches!(self, Wait::Stdin | Wait::Poll { stdin: true, .. })
    }
}

/// One program's WASI state; cheap to clone (shared).
#[derive(Clone)]
pub struct Wasi {
    pub(crate) state: Arc<Mutex<WasiCtx>>,
}

impl Wasi {
    /// The state, for one host call or one embedder access. A panic while
    /// it was held (a bug, caught as a trap) leaves plain data behind, so
    /// the lock is taken anyway.
    pub(crate) fn lock(&self) -> MutexGuard<'_, WasiCtx> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes what the last suspended WASI call waits for.
    pub fn take_wait(&self) -> Option<Wait> {
        self.lock().wait.take()
    }

    /// Adds bytes to stdin, if it is a stream ([`Input::Stream`]).
    pub fn feed_stdin(&self, bytes: &[u8]) {
        self.lock().stdin.feed(bytes);
    }

    /// Ends stdin, if it is a stream: once its data is read, reads give end
    /// of file.
    pub fn end_stdin(&self) {
        self.lock().stdin.end();
    }

    /// What stdout captured ([`Output::Capture`]), taken out.
    pub fn take_stdout(&self) -> Vec<u8> {
        take_captured(&mut self.lock().stdout)
    }

    /// What stderr captured ([`Output::Capture`]), taken out.
    pub fn take_stderr(&self) -> Vec<u8> {
        take_captured(&mut self.lock().stderr)
    }

    /// Runs `f` on the preopened directory whose guest path is `guest`
    /// (to read back an in-memory file system after a run, say).
    pub fn with_preopen<R>(&self, guest: &str, f: impl FnOnce(&dyn WasiDir) -> R) -> Option<R> {
        let ctx = self.lock();
        let dir = ctx.fds.iter().find_map(|(_, entry)| match &entry.kind {
            Kind::Dir { dir, preopen: Some(path) } if path == guest => Some(dir.as_ref()),
            _ => None,
        })?;
        Some(f(dir))
    }
}

fn take_captured(output: &mut Output) -> Vec<u8> {
    match output {
        Output::Capture(buffer) => std::mem::take(buffer),
        _ => Vec::new(),
    }
}

/// Builds a [`Wasi`]. By default: no arguments (not even a program name),
/// no environment, stdin closed, stdout and stderr discarded, no
/// directories.
pub struct WasiBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
    preopens: Vec<(String, Box<dyn WasiDir>)>,
}

impl Default for WasiBuilder {
    fn default() -> Self {
        WasiBuilder::new()
    }
}

impl WasiBuilder {
    pub fn new() -> WasiBuilder {
        WasiBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Input::Closed,
            stdout: Output::Discard,
            stderr: Output::Discard,
            preopens: Vec::new(),
        }
    }

    /// Adds an argument (the first is the program's name, `argv[0]`).
    pub fn arg(mut self, arg: impl AsRef<[u8]>) -> Self {
        self.args.push(arg.as_ref().to_vec());
        self
    }

    pub fn args<A: AsRef<[u8]>>(mut self, args: impl IntoIterator<Item = A>) -> Self {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_vec()));
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        let mut pair = name.as_ref().to_vec();
        pair.push(b'=');
        pair.extend_from_slice(value.as_ref());
        self.env.push(pair);
        self
    }

    pub fn stdin(mut self, input: Input) -> Self {
        self.stdin = input;
        self
    }

    pub fn stdout(mut self, output: Output) -> Self {
        self.stdout = output;
        self
    }

    pub fn stderr(mut self, output: Output) -> Self {
        self.stderr = output;
        self
    }

    /// Preopens `dir` for the program as `guest_path` (which may be `/`,
    /// `.`, or any name): it gets the next fd from 3 on, in the order of
    /// these calls.
    pub fn preopen(mut self, dir: Box<dyn WasiDir>, guest_path: impl Into<String>) -> Self {
        self.preopens.push((guest_path.into(), dir));
        self
    }

    pub fn build(self) -> Wasi {
        let mut fds = FdTable::default();
        fds.insert_at(0, Entry::stream(Kind::Stdin));
        fds.insert_at(1, Entry::stream(Kind::Stdout));
        fds.insert_at(2, Entry::stream(Kind::Stderr));
        for (i, (path, dir)) in self.preopens.into_iter().enumerate() {
            fds.insert_at(3 + i as u32, Entry::directory(dir, Some(path)));
        }
        let ctx = WasiCtx {
            args: self.args,
            env: self.env,
            stdin: self.stdin,
            stdout: self.stdout,
            stderr: self.stderr,
            fds,
            wait: None,
            poll_memo: None,
        };
        Wasi { state: Arc::new(Mutex::new(ctx)) }
    }
}
