//! Stdio, pluggable: where a program's stdin comes from ([`Input`]) and
//! where its stdout and stderr go ([`Output`]).
//!
//! Nothing here blocks a thread. An input that has no data yet (a
//! [`Input::Stream`] the embedder feeds) makes a read suspend the call; the
//! embedder feeds it ([`crate::Wasi::feed_stdin`], or ends it) and resumes.

use crate::errno::{Errno, WasiResult};
use std::collections::VecDeque;
use std::io::Write;

/// A program's stdin.
pub enum Input {
    /// No stdin: reads give end of file at once.
    Closed,
    /// These bytes, then end of file.
    Bytes { data: Vec<u8>, pos: usize },
    /// Bytes the embedder feeds while the program runs: a read with none
    /// there waits (suspends the call) until some arrive or the stream ends.
    Stream { data: VecDeque<u8>, ended: bool },
    /// The host process's own stdin (the CLI), read with a blocking read:
    /// for `wasmbeam run` only, where the program owns the terminal.
    Inherit,
}

/// What a read of stdin found.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// Bytes (never empty), or end of file (empty).
    Data(Vec<u8>),
    /// Nothing yet: the read must wait.
    WouldWait,
}

impl Input {
    /// Stdin that holds `data`, then ends.
    pub fn bytes(data: impl Into<Vec<u8>>) -> Input {
        Input::Bytes { data: data.into(), pos: 0 }
    }

    /// A stream the embedder feeds, empty and open.
    pub fn stream() -> Input {
        Input::Stream { data: VecDeque::new(), ended: false }
    }

    /// Reads up to `max` bytes.
    pub fn read(&mut self, max: usize) -> WasiResult<Read> {
        match self {
            Input::Closed => Ok(Read::Data(Vec::new())),
            Input::Bytes { data, pos } => {
                let n = max.min(data.len() - *pos);
                let out = data[*pos..*pos + n].to_vec();
                *pos += n;
                Ok(Read::Data(out))
            }
            Input::Stream { data, ended } => {
                if data.is_empty() {
                    return Ok(if *ended { Read::Data(Vec::new()) } else { Read::WouldWait });
                }
                let n = max.min(data.len());
                Ok(Read::Data(data.drain(..n).collect()))
            }
            Input::Inherit => {
                let mut buf = vec![0u8; max.min(64 * 1024)];
                let n = std::io::Read::read(&mut std::io::stdin().lock(), &mut buf)?;
                buf.truncate(n);
                Ok(Read::Data(buf))
            }
        }
    }

    /// Whether a read would return at once (data or end of file).
    pub fn is_ready(&self) -> bool {
        match self {
            Input::Stream { data, ended } => *ended || !data.is_empty(),
            _ => true,
        }
    }

    /// Bytes a read would return at once, if known (for `poll_oneoff`).
    pub fn available(&self) -> u64 {
        match self {
            Input::Bytes { data, pos } => (data.len() - pos) as u64,
            Input::Stream { data, .. } => data.len() as u64,
            Input::Closed | Input::Inherit => 0,
        }
    }

    /// Adds bytes to a stream (and nothing to other inputs): the embedder's
    /// side of [`Input::Stream`].
    pub fn feed(&mut self, bytes: &[u8]) {
        if let Input::Stream { data, ended: false } = self {
            data.extend(bytes);
        }
    }

    /// Ends a stream: once its data is read, reads give end of file.
    pub fn end(&mut self) {
        if let Input::Stream { ended, .. } = self {
            *ended = true;
        }
    }

    /// Whether this input can make a read wait.
    pub fn can_wait(&self) -> bool {
        matches!(self, Input::Stream { .. })
    }
}

/// Where a program's stdout or stderr goes.
pub enum Output {
    /// Nowhere.
    Discard,
    /// Kept here; the embedder reads it back ([`crate::Wasi::take_stdout`]).
    Capture(Vec<u8>),
    /// The host process's own stdout (or stderr, for stderr).
    Inherit,
    /// Handed to the embedder's function as the program writes it. An
    /// error it returns is the write's.
    Callback(Box<Sink>),
}

/// An embedder's function that takes a program's output.
pub type Sink = dyn FnMut(&[u8]) -> WasiResult<()> + Send;

impl Output {
    /// Writes all of `data`; `stderr` says which host stream `Inherit`
    /// means.
    pub fn write(&mut self, data: &[u8], stderr: bool) -> WasiResult<()> {
        match self {
            Output::Discard => Ok(()),
            Output::Capture(buffer) => {
                buffer.extend_from_slice(data);
                Ok(())
            }
            Output::Inherit if stderr => {
                let mut err = std::io::stderr().lock();
                err.write_all(data).and_then(|()| err.flush()).map_err(Errno::from)
            }
            Output::Inherit => {
                let mut out = std::io::stdout().lock();
                out.write_all(data).and_then(|()| out.flush()).map_err(Errno::from)
            }
            Output::Callback(f) => f(data),
        }
    }

    /// What `Capture` holds (empty for the others).
    pub fn captured(&self) -> &[u8] {
        match self {
            Output::Capture(buffer) => buffer,
            _ => &[],
        }
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Closed => f.write_str("Closed"),
            Input::Bytes { data, pos } => write!(f, "Bytes({} left)", data.len() - pos),
            Input::Stream { data, ended } => write!(f, "Stream({} buffered, ended: {ended})", data.len()),
            Input::Inherit => f.write_str("Inherit"),
        }
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Discard => f.write_str("Discard"),
            Output::Capture(buffer) => write!(f, "Capture({} bytes)", buffer.len()),
            Output::Inherit => f.write_str("Inherit"),
            Output::Callback(_) => f.write_str("Callback"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_waits_until_fed_or_ended() {
        let mut input = Input::stream();
        assert_eq!(input.read(10).unwrap(), Read::WouldWait);
        assert!(!input.is_ready());
        input.feed(b"hello");
        assert_eq!(input.read(3).unwrap(), Read::Data(b"hel".to_vec()));
        assert_eq!(input.available(), 2);
        input.end();
        input.feed(b"ignored");
        assert_eq!(input.read(10).unwrap(), Read::Data(b"lo".to_vec()));
        assert_eq!(input.read(10).unwrap(), Read::Data(vec![]));
    }

    #[test]
    fn bytes_then_end_of_file() {
        let mut input = Input::bytes(b"ab".to_vec());
        assert_eq!(input.read(1).unwrap(), Read::Data(b"a".to_vec()));
        assert_eq!(input.read(9).unwrap(), Read::Data(b"b".to_vec()));
        assert_eq!(input.read(9).unwrap(), Read::Data(vec![]));
        assert_eq!(Input::Closed.read(9).unwrap(), Read::Data(vec![]));
    }

    #[test]
    fn outputs() {
        let mut capture = Output::Capture(Vec::new());
        capture.write(b"x", false).unwrap();
        capture.write(b"y", false).unwrap();
        assert_eq!(capture.captured(), b"xy");
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = seen.clone();
        let mut callback = Output::Callback(Box::new(move |d| {
            sink.lock().map_err(|_| Errno::Io)?.extend_from_slice(d);
            Ok(())
        }));
        callback.write(b"z", true).unwrap();
        assert_eq!(*seen.lock().unwrap(), b"z");
    }
}
