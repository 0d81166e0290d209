//! WASI for instances: the `wasi` option decoded from terms, and stdio
//! bridged to Erlang.
//!
//! Output routed to Erlang (`io`, the calling process's group leader, or
//! `{send, Pid}`) is collected in an outbox while WebAssembly runs; after
//! each step with output, the NIF hands it to the Erlang wrapper, which
//! delivers it in the calling process (so it keeps its order with host
//! funs and input, and a slow group leader slows the program down, as
//! `io:put_chars` does) and lets the call go on. Stdin read from the group
//! leader is a stream the wrapper feeds when a read waits.

use crate::atoms;
use crate::error::{bad_argument, Failure};
use rustler::types::map::MapIterator;
use rustler::{Atom, Binary, Encoder, Env, LocalPid, Term, TermType};
use std::sync::{Arc, Mutex, PoisonError};
use wasmbeam_wasi::fs::host::HostDir;
use wasmbeam_wasi::fs::memory::MemFs;
use wasmbeam_wasi::{Input, Output, Wasi, WasiBuilder, WasiDir};

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Where a program's stdout or stderr goes, from the Erlang side.
#[derive(Clone, Copy, PartialEq)]
pub enum Route {
    /// The calling process's group leader.
    Io,
    /// Messages `{wasmbeam_stdout | wasmbeam_stderr, Ref, Bytes}` to a pid.
    Send(LocalPid),
    /// Kept, and returned with the result.
    Capture,
    Discard,
}

/// Output waiting to be delivered by the Erlang wrapper, in order.
pub type Outbox = Arc<Mutex<Vec<(Stream, Vec<u8>)>>>;

/// An instance's WASI state and how its stdio meets Erlang.
pub struct WasiSetup {
    pub wasi: Wasi,
    pub stdout: Route,
    pub stderr: Route,
    pub outbox: Outbox,
    /// The in-memory file system of the `files` option, preopened as `/`.
    pub files: Option<MemFs>,
}

impl WasiSetup {
    /// Takes the output waiting for the wrapper.
    pub fn take_output(&self) -> Vec<(Stream, Vec<u8>)> {
        std::mem::take(&mut *self.outbox.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether output waits for the wrapper.
    pub fn has_output(&self) -> bool {
        !self.outbox.lock().unwrap_or_else(PoisonError::into_inner).is_empty()
    }

    /// The route of `stream`.
    pub fn route(&self, stream: Stream) -> Route {
        match stream {
            Stream::Stdout => self.stdout,
            Stream::Stderr => self.stderr,
        }
    }
}

/// An output for `route`: Erlang routes go to the outbox.
fn output(route: Route, stream: Stream, outbox: &Outbox) -> Output {
    match route {
        Route::Capture => Output::Capture(Vec::new()),
        Route::Discard => Output::Discard,
        Route::Io | Route::Send(_) => {
            let outbox = outbox.clone();
            Output::Callback(Box::new(move |bytes: &[u8]| {
                let mut chunks = outbox.lock().unwrap_or_else(PoisonError::into_inner);
                match chunks.last_mut() {
                    Some((last, data)) if *last == stream => data.extend_from_slice(bytes),
                    _ => chunks.push((stream, bytes.to_vec())),
                }
                Ok(())
            }))
        }
    }
}

fn route(term: Term, name: &str) -> Result<Route, Failure> {
    if let Ok(atom) = term.decode::<Atom>() {
        if atom == atoms::io() {
            return Ok(Route::Io);
        } else if atom == atoms::capture() {
            return Ok(Route::Capture);
        } else if atom == atoms::discard() {
            return Ok(Route::Discard);
        }
    }
    if let Ok((tag, pid)) = term.decode::<(Atom, LocalPid)>() {
        if tag == atoms::send() {
            return Ok(Route::Send(pid));
        }
    }
    Err(bad_argument(format!("{name} must be io, {{send, Pid}}, capture or discard")))
}

/// Each element of a list of binaries (or strings as iodata).
fn binaries(term: Term, what: &str) -> Result<Vec<Vec<u8>>, Failure> {
    let list: Vec<Term> = term.decode().map_err(|_| bad_argument(format!("{what} must be a list of binaries")))?;
    list.into_iter()
        .map(|t| {
            t.decode::<Binary>()
                .map(|b| b.as_slice().to_vec())
                .map_err(|_| bad_argument(format!("{what} must be a list of binaries")))
        })
        .collect()
}

/// Decodes the `wasi` option (a map; see `wasmbeam.erl`).
pub fn decode(env: Env, term: Term) -> Result<WasiSetup, Failure> {
    if term.get_type() != TermType::Map {
        return Err(bad_argument("the wasi option must be a map"));
    }
    let iter = MapIterator::new(term).ok_or_else(|| bad_argument("the wasi option must be a map"))?;
    let mut builder = WasiBuilder::new();
    let outbox: Outbox = Arc::default();
    let (mut stdout, mut stderr) = (Route::Io, Route::Io);
    let mut stdin = Input::Closed;
    let mut preopens: Vec<Preopen> = Vec::new();
    let mut files = None;
    for (key, value) in iter {
        let key: Atom = key.decode().map_err(|_| bad_argument("wasi option names are atoms"))?;
        if key == atoms::args() {
            builder = builder.args(binaries(value, "args")?);
        } else if key == atoms::env() {
            let pairs = MapIterator::new(value).ok_or_else(|| bad_argument("env must be a map of binaries"))?;
            for (name, val) in pairs {
                let (name, val): (Binary, Binary) = (name.decode(), val.decode())
                    .try_into_pair()
                    .ok_or_else(|| bad_argument("env must be a map of binaries to binaries"))?;
                builder = builder.env(name.as_slice(), val.as_slice());
            }
        } else if key == atoms::stdin() {
            if let Ok(bytes) = value.decode::<Binary>() {
                stdin = Input::bytes(bytes.as_slice().to_vec());
            } else if value.decode::<Atom>().is_ok_and(|a| a == atoms::io()) {
                stdin = Input::stream();
            } else if value.decode::<Atom>().is_ok_and(|a| a == atoms::closed()) {
                stdin = Input::Closed;
            } else {
                return Err(bad_argument("stdin must be a binary, io or closed"));
            }
        } else if key == atoms::preopens() {
            preopens = decode_preopens(value)?;
        } else if key == atoms::files() {
            files = Some(decode_files(value)?);
        } else if key == atoms::stdout() {
            stdout = route(value, "stdout")?;
        } else if key == atoms::stderr() {
            stderr = route(value, "stderr")?;
        } else {
            let name = key.to_term(env).atom_to_string().unwrap_or_default();
            return Err(bad_argument(format!("unknown wasi option `{name}`")));
        }
    }
    if let Some(fs) = &files {
        builder = builder.preopen(fs.root(), "/");
    }
    for (dir, guest) in preopens {
        builder = builder.preopen(dir, guest);
    }
    let wasi = builder
        .stdin(stdin)
        .stdout(output(stdout, Stream::Stdout, &outbox))
        .stderr(output(stderr, Stream::Stderr, &outbox))
        .build();
    Ok(WasiSetup { wasi, stdout, stderr, outbox, files })
}

/// A directory to preopen, and its guest path.
type Preopen = (Box<dyn WasiDir>, String);

/// `[{HostDir, GuestDir} | {HostDir, GuestDir, read_only}]`: host
/// directories, each opened now (an error if it cannot be).
fn decode_preopens(term: Term) -> Result<Vec<Preopen>, Failure> {
    let wrong = || bad_argument("preopens must be a list of {HostDir, GuestDir} or {HostDir, GuestDir, read_only}");
    let list: Vec<Term> = term.decode().map_err(|_| wrong())?;
    let mut dirs = Vec::with_capacity(list.len());
    for item in list {
        let tuple = rustler::types::tuple::get_tuple(item).map_err(|_| wrong())?;
        let read_only = match tuple.as_slice() {
            [_, _] => false,
            [_, _, flag] if flag.decode::<Atom>().is_ok_and(|a| a == atoms::read_only()) => true,
            _ => return Err(wrong()),
        };
        let host = path_text(tuple[0]).ok_or_else(wrong)?;
        let guest = path_text(tuple[1]).ok_or_else(wrong)?;
        let dir = HostDir::open(&host, read_only)
            .map_err(|e| bad_argument(format!("cannot open the directory `{host}` to preopen: {e}")))?;
        dirs.push((Box::new(dir) as Box<dyn WasiDir>, guest));
    }
    Ok(dirs)
}

/// A path given as a binary or a string (a list of characters).
fn path_text(term: Term) -> Option<String> {
    if let Ok(bytes) = term.decode::<Binary>() {
        return std::str::from_utf8(bytes.as_slice()).ok().map(str::to_owned);
    }
    let chars: Vec<u32> = term.decode().ok()?;
    chars.into_iter().map(char::from_u32).collect()
}

/// `#{GuestPath => Bytes}`: the in-memory file system, filled.
fn decode_files(term: Term) -> Result<MemFs, Failure> {
    let wrong = || bad_argument("files must be a map of guest paths (binaries) to contents (binaries)");
    let iter = MapIterator::new(term).ok_or_else(wrong)?;
    let fs = MemFs::new();
    for (path, bytes) in iter {
        let path = path_text(path).ok_or_else(wrong)?;
        let bytes: Binary = bytes.decode().map_err(|_| wrong())?;
        fs.insert_file(&path, bytes.as_slice())
            .map_err(|e| bad_argument(format!("cannot put the file `{path}` in the file system: {e:?}")))?;
    }
    Ok(fs)
}

/// `#{GuestPath => Bytes}`: every regular file of `fs`.
pub fn encode_files<'a>(env: Env<'a>, fs: &MemFs) -> Result<Term<'a>, Failure> {
    let pairs: Vec<(Term<'a>, Term<'a>)> = fs
        .files()
        .into_iter()
        .map(|(path, bytes)| {
            let mut binary = rustler::NewBinary::new(env, bytes.len());
            binary.as_mut_slice().copy_from_slice(&bytes);
            (path.encode(env), Binary::from(binary).encode(env))
        })
        .collect();
    Term::map_from_pairs(env, &pairs).map_err(|_| Failure::Internal("cannot build the map of files".into()))
}

/// Two decoding results as one pair, if both succeeded.
trait PairExt<A, B> {
    fn try_into_pair(self) -> Option<(A, B)>;
}

impl<A, B, E1, E2> PairExt<A, B> for (Result<A, E1>, Result<B, E2>) {
    fn try_into_pair(self) -> Option<(A, B)> {
        match self {
            (Ok(a), Ok(b)) => Some((a, b)),
            _ => None,
        }
    }
}

/// `[{Destination, stdout | stderr, Bytes}]` for the wrapper, with
/// `Destination` `io` (the group leader) or a pid; `routes` are those of
/// stdout and stderr.
pub fn encode_output<'a>(env: Env<'a>, chunks: &[(Stream, Vec<u8>)], routes: Option<(Route, Route)>) -> Term<'a> {
    let list: Vec<Term<'a>> = chunks
        .iter()
        .map(|(stream, bytes)| {
            let (tag, route) = match stream {
                Stream::Stdout => (atoms::stdout(), routes.map(|r| r.0)),
                Stream::Stderr => (atoms::stderr(), routes.map(|r| r.1)),
            };
            let destination = match route {
                Some(Route::Send(pid)) => pid.encode(env),
                _ => atoms::io().encode(env),
            };
            let mut binary = rustler::NewBinary::new(env, bytes.len());
            binary.as_mut_slice().copy_from_slice(bytes);
            (destination, tag, Binary::from(binary)).encode(env)
        })
        .collect();
    list.encode(env)
}
