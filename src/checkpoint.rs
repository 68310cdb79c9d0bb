//! Partial results saved as values and files: checkpoints that resume bit for bit, and shards of one
//! problem computed apart and merged.
//!
//! A kernel's blocks are fixed by the problem and the built-in kernels' partials combine exactly, so the
//! partial of any completed block range can be kept and combined later without changing a bit. A
//! [`PartialResult`] holds one such range: the problem it belongs to (one canonical line, from
//! [`Resumable::problem`]), the range of blocks it was assigned, how many of them are done (from the
//! range's start), their exact partial, and how long each part took where.
//!
//! - [`advance`] computes the missing blocks of a result's range, calling a `save` function every so often
//!   and when it stops: a checkpoint, resumed by calling it again with what was saved.
//! - [`merge`] combines results of adjacent ranges (shards from a job array, say) into one.
//! - [`finish`] turns a result that starts at block 0 into the kernel's output, exactly as a single run.
//!
//! ```
//! use std::time::Duration;
//! use hetero::checkpoint::{self, PartialResult};
//! use hetero::{Backend, Control, Engine, kernels::MonteCarloPi};
//!
//! let engine = Engine::with_threads(2)?;
//! let kernel = MonteCarloPi::new(10_000_000, 42)?;
//! // Three shards, computed on different backends (and, through files, possibly different machines).
//! let mut shards = Vec::new();
//! for (index, backend) in [(0, Backend::Serial), (1, Backend::Rayon), (2, Backend::Threads)] {
//!     let shard = PartialResult::shard(&kernel, index, 3)?;
//!     let (done, _) = checkpoint::advance(&engine, &kernel, backend.into(), shard, &Control::new(),
//!                                         Duration::from_secs(30), &mut |_| Ok(()))?;
//!     // Through bytes and back, as a file would carry it.
//!     shards.push(PartialResult::from_bytes(&done.to_bytes())?);
//! }
//! let merged = checkpoint::finish(&kernel, &checkpoint::merge(&kernel, &shards)?)?;
//! let single = engine.run(&kernel, Backend::Serial)?;
//! assert_eq!(merged.output.hits, single.output.hits);
//! # Ok::<(), hetero::Error>(())
//! ```
//!
//! # The file format
//!
//! Three lines of UTF-8: the header `hetero partial result, format 1`; one JSON object; and `sha256 `
//! followed by the 64 hex digits of the SHA-256 of the JSON line's bytes. The object's fields:
//!
//! | field      | meaning |
//! |------------|---------|
//! | `hetero`   | the version of hetero that wrote it: results are exact within one version |
//! | `problem`  | the problem's canonical line, its first word the kernel (`pi samples=1000000 seed=42`) |
//! | `blocks`   | blocks of the whole problem |
//! | `assigned` | `[first, end]`: the block range this result is for |
//! | `done`     | blocks done, from `first` |
//! | `partial`  | the exact partial of blocks `first .. first + done` as 64-bit words ([`Wire`]), or `null` |
//! | `shard`    | `[index, count]` when the range is shard `index` of `count` ([`rank_range`]), else `null` |
//! | `parts`    | what computed it: `backend`, `threads`, `seconds`, `blocks` `[first, end]` for each part |
//!
//! Reading checks everything before anything is used ([`PartialResult::from_bytes`] never panics, on any
//! bytes); a file from another version of the format or of hetero is refused, not guessed at.

use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::check_range;
use crate::tree::{append, rank_range};
use crate::wire::Wire;
use crate::{Backend, Choice, Control, Engine, Error, Result, Run};

/// The format's version, in the header line. A reader refuses any other.
pub const FORMAT_VERSION: u32 = 1;

/// The first line of every file.
const HEADER: &str = "hetero partial result, format 1";

pub use crate::kernel::Resumable;

/// The most seconds the parts of a saved result may add up to (about 31 million years).
const MAX_SECONDS: f64 = 1e15;

/// One part of a result's computation: a run on one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Part {
    /// The backend's name (as [`Backend::name`]).
    pub backend: String,
    /// Its worker threads.
    pub threads: usize,
    /// Seconds it computed.
    pub seconds: f64,
    /// The blocks it computed, `[first, end]`.
    pub blocks: [u64; 2],
}

/// The exact partial result of a range of a problem's blocks, with what it is for; see the
/// [module](self) docs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PartialResult {
    hetero: String,
    problem: String,
    blocks: u64,
    assigned: [u64; 2],
    done: u64,
    partial: Option<Vec<u64>>,
    shard: Option<[u64; 2]>,
    parts: Vec<Part>,
}

/// The error of a result that cannot be used.
fn refused(why: impl Into<String>) -> Error {
    Error::PartialResult(why.into())
}

/// The problem line of `kernel`, or why it has none.
fn problem_of<K: Resumable>(kernel: &K) -> Result<String> {
    kernel.problem().ok_or_else(|| {
        Error::Unsupported(format!(
            "this {} problem cannot be saved: it has no canonical description (a closure integrand?)",
            kernel.name()
        ))
    })
}

impl PartialResult {
    /// Nothing done yet of blocks `assigned` of `kernel`'s problem.
    pub fn new<K: Resumable>(kernel: &K, assigned: Range<u64>) -> Result<Self> {
        let blocks = kernel.blocks();
        check_range(&assigned, blocks)?;
        Ok(PartialResult {
            hetero: env!("CARGO_PKG_VERSION").to_owned(),
            problem: problem_of(kernel)?,
            blocks,
            assigned: [assigned.start, assigned.end],
            done: 0,
            partial: None,
            shard: None,
            parts: Vec::new(),
        })
    }

    /// Nothing done yet of shard `index` of `count`: the `index`-th of `count` balanced contiguous block
    /// ranges ([`rank_range`]).
    pub fn shard<K: Resumable>(kernel: &K, index: u64, count: u64) -> Result<Self> {
        if count == 0 || index >= count {
            return Err(Error::invalid(
                "shard",
                format!("{index}/{count}: the index must be below the count (0 ≤ INDEX < COUNT)"),
            ));
        }
        let ranks = usize::try_from(count).map_err(|_| Error::invalid("shard", "too many shards"))?;
        let range = rank_range(kernel.blocks(), index as usize, ranks);
        let mut result = PartialResult::new(kernel, range)?;
        result.shard = Some([index, count]);
        Ok(result)
    }

    /// The problem's canonical line ([`Resumable::problem`]).
    pub fn problem(&self) -> &str {
        &self.problem
    }

    /// The kernel's name: the problem line's first word.
    pub fn kernel(&self) -> &str {
        self.problem.split(' ').next().unwrap_or_default()
    }

    /// Blocks of the whole problem.
    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    /// The blocks this result is for.
    pub fn assigned(&self) -> Range<u64> {
        self.assigned[0]..self.assigned[1]
    }

    /// The blocks done: the start of [`assigned`](Self::assigned), as far as it is done.
    pub fn done(&self) -> Range<u64> {
        self.assigned[0]..self.assigned[0] + self.done
    }

    /// Whether every assigned block is done.
    pub fn is_complete(&self) -> bool {
        self.assigned[0] + self.done == self.assigned[1]
    }

    /// `(index, count)` when the result is for a shard.
    pub fn shard_index(&self) -> Option<(u64, u64)> {
        self.shard.map(|[index, count]| (index, count))
    }

    /// What computed the blocks done, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Seconds the parts computed, added up.
    pub fn seconds(&self) -> f64 {
        self.parts.iter().map(|p| p.seconds).sum()
    }

    /// The exact partial of the blocks done (`None` when none is), for `kernel`, which must be the problem
    /// this result belongs to.
    pub fn partial<K: Resumable>(&self, kernel: &K) -> Result<Option<K::Partial>> {
        let problem = problem_of(kernel)?;
        if problem != self.problem || kernel.blocks() != self.blocks {
            return Err(refused(format!(
                "the saved result is for '{}', not for '{}'",
                readable(&self.problem),
                readable(&problem)
            )));
        }
        let Some(words) = &self.partial else {
            return Ok(None);
        };
        if words.len() != K::Partial::WORDS {
            return Err(refused(format!(
                "the saved partial has {} words; a {} partial has {}",
                words.len(),
                kernel.name(),
                K::Partial::WORDS
            )));
        }
        K::Partial::from_words(words)
            .map(Some)
            .ok_or_else(|| refused("the saved partial's words are not a partial of this kernel"))
    }

    /// The result as the bytes of a file (see the [module](self) docs for the format).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain numbers and strings cannot fail.
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("{HEADER}\n{json}\nsha256 {}\n", sha256_hex(json.as_bytes())).into_bytes()
    }

    /// The result `bytes` hold, or why they hold none: not this format, another version of it or of
    /// hetero, a checksum that does not match, or fields that contradict each other. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(bytes).map_err(|_| refused("not a hetero partial result (not UTF-8 text)"))?;
        let mut lines = text.split_inclusive('\n');
        let header = lines.next().unwrap_or_default().trim_end_matches('\n');
        if header != HEADER {
            let why = match header.strip_prefix("hetero partial result, format ") {
                Some(version) => format!("format {version} is not one this hetero reads (format {FORMAT_VERSION})"),
                None => "not a hetero partial result (the first line is not its header)".to_owned(),
            };
            return Err(refused(why));
        }
        let (Some(json), Some(sum), None) = (lines.next(), lines.next(), lines.next()) else {
            return Err(refused("truncated or corrupt: it should have exactly three lines"));
        };
        let json = json.strip_suffix('\n').unwrap_or(json);
        let sum = sum
            .strip_suffix('\n')
            .ok_or_else(|| refused("truncated: the checksum line is cut short"))?;
        if sum.strip_prefix("sha256 ") != Some(sha256_hex(json.as_bytes()).as_str()) {
            return Err(refused("corrupt: the checksum does not match its contents"));
        }
        let result: PartialResult =
            serde_json::from_str(json).map_err(|e| refused(format!("corrupt: its contents do not parse ({e})")))?;
        result.check()?;
        Ok(result)
    }

    /// Whether the fields agree with each other and with this hetero.
    fn check(&self) -> Result<()> {
        let ours = env!("CARGO_PKG_VERSION");
        if self.hetero != ours {
            return Err(refused(format!(
                "written by hetero {}, and this is hetero {ours}: saved results are exact only within one version",
                self.hetero
            )));
        }
        let [first, end] = self.assigned;
        let consistent = first <= end
            && end <= self.blocks
            && self.done <= end - first
            && (self.done > 0) == self.partial.is_some()
            && self.parts.iter().all(|p| p.seconds.is_finite() && p.seconds >= 0.0)
            && self.shard.is_none_or(|[index, count]| {
                index < count
                    && usize::try_from(count)
                        .is_ok_and(|count| rank_range(self.blocks, index as usize, count) == (first..end))
            });
        if !consistent {
            return Err(refused("corrupt: its block ranges contradict each other"));
        }
        // No run takes 1e15 s (31 million years); a total past it is corruption, and past 1.8e19 s it
        // would not even fit a `Duration`.
        let seconds = self.seconds();
        if seconds.is_nan() || seconds > MAX_SECONDS {
            return Err(refused("corrupt: its parts took more seconds than any run can"));
        }
        Ok(())
    }

    /// The checkpoint at `path` to continue `fresh` (a result with nothing done, made by
    /// [`new`](Self::new) or [`shard`](Self::shard)), or `fresh` itself when there is no file yet. A file
    /// for another problem or another block range is refused, naming both, and left as it is; its
    /// partial is checked against `kernel` before anything is computed.
    pub fn resume<K: Resumable>(path: &Path, fresh: PartialResult, kernel: &K) -> Result<Self> {
        let saved = match PartialResult::read(path) {
            Ok(saved) => saved,
            Err(Error::Io { ref source, .. }) if source.kind() == std::io::ErrorKind::NotFound => return Ok(fresh),
            Err(e) => return Err(e),
        };
        let describe = |r: &PartialResult| match (r.shard_index(), r.assigned()) {
            (Some((index, count)), _) => format!("shard {index}/{count} of '{}'", readable(&r.problem)),
            (None, range) if range != (0..r.blocks) => {
                format!("blocks {}..{} of '{}'", range.start, range.end, readable(&r.problem))
            }
            (None, _) => format!("'{}'", readable(&r.problem)),
        };
        if saved.problem != fresh.problem || saved.assigned != fresh.assigned || saved.shard != fresh.shard {
            return Err(refused(format!(
                "the checkpoint {} is for {}, not {}: give another file, or remove it to start over",
                path.display(),
                describe(&saved),
                describe(&fresh)
            )));
        }
        saved.partial(kernel)?;
        Ok(saved)
    }

    /// The result in the file at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        PartialResult::from_bytes(&bytes).map_err(|e| match e {
            Error::PartialResult(why) => refused(format!("{}: {why}", path.display())),
            other => other,
        })
    }

    /// Writes the result to `path` atomically: to `path` with `.tmp` added, flushed to the disk, then
    /// renamed over `path`. An existing file at `path` stays whole until the new one has replaced it; a
    /// process killed while writing leaves at most the `.tmp` file, which the next write replaces. (One
    /// process at a time writes a given file.) Where `path` is a symbolic link, the file it points to is
    /// written (next to it, the `.tmp` file), and the link stays. An error names the file it happened on.
    pub fn write(&self, path: &Path) -> Result<()> {
        // A symbolic link stays one: the file it points to (which need not exist yet) is the one replaced.
        let linked = followed(path);
        let path = linked.as_path();
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = std::path::PathBuf::from(temporary);
        let written = std::fs::File::create(&temporary).and_then(|mut file| {
            file.write_all(&self.to_bytes())?;
            file.sync_all()
        });
        // Each failure names the file it happened on.
        if let Err(source) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(Error::Io {
                path: temporary,
                source,
            });
        }
        if let Err(source) = std::fs::rename(&temporary, path) {
            let _ = std::fs::remove_file(&temporary);
            return Err(Error::Io {
                path: path.to_owned(),
                source,
            });
        }
        // The rename itself is durable once the directory is synced (where the system can sync one).
        if let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(directory) = std::fs::File::open(directory)
        {
            let _ = directory.sync_all();
        }
        Ok(())
    }
}

/// A problem line as people read it: each number kept as its bits (`0x` and hex digits: a bound, a
/// Gaussian's parameters, a box's ranges) as the number, and an `expr=` or `rust=` value (the hex of a
/// text) as the text. The line itself stays exact; messages show this.
///
/// ```
/// use hetero::checkpoint::readable;
/// let line = "simpson f=expr expr=657870282d785e3229 from=0x0000000000000000 to=0x3ff0000000000000 intervals=8";
/// assert_eq!(readable(line), "simpson f=expr expr=exp(-x^2) from=0 to=1 intervals=8");
/// assert_eq!(readable("pi samples=10 seed=42"), "pi samples=10 seed=42");
/// ```
pub fn readable(problem: &str) -> String {
    use crate::kernels::{real_from_bits, unhex};
    let number = |piece: &str| real_from_bits(piece).map_or(piece.to_owned(), crate::size::real_text);
    // A value is a text's hex, or numbers' bits, one or several (a box: `A:B,C:D`), or neither.
    let value = |key: &str, value: &str| match key {
        "expr" | "rust" => unhex(value).unwrap_or_else(|| value.to_owned()),
        _ => value
            .split(',')
            .map(|range| range.split(':').map(number).collect::<Vec<_>>().join(":"))
            .collect::<Vec<_>>()
            .join(","),
    };
    problem
        .split(' ')
        .map(|token| match token.split_once('=') {
            Some((key, v)) => format!("{key}={}", value(key, v)),
            None => token.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `path` with its symbolic links followed (each relative one from its own directory, at most 40 of
/// them): the file a write through `path` should replace, whether or not it exists yet.
fn followed(path: &Path) -> std::path::PathBuf {
    let mut path = path.to_owned();
    for _ in 0..40 {
        match std::fs::read_link(&path) {
            Ok(target) => {
                path = path
                    .parent()
                    .map_or(target.clone(), |directory| directory.join(&target))
            }
            Err(_) => break,
        }
    }
    path
}

/// One run's exclusive hold on a checkpoint or partial-result file, so that two processes never write one
/// file (their temporary files would share a name, and one's rename would fail, losing its blocks).
///
/// The hold is an advisory lock on `FILE.lock` beside the file (beside the file a symbolic link points
/// to), created when needed and removed when the hold ends (on Unix); a process killed while holding it leaves it
/// there, unlocked, and the next run takes it. Where the file system has no locks, runs go on unheld.
///
/// ```
/// use hetero::checkpoint::Hold;
///
/// let path = std::env::temp_dir().join(format!("hetero-hold-doc-{}", std::process::id()));
/// let first = Hold::take(&path)?;
/// assert!(Hold::take(&path).is_err());
/// drop(first);
/// assert!(Hold::take(&path).is_ok());
/// # Ok::<(), hetero::Error>(())
/// ```
#[derive(Debug)]
pub struct Hold {
    file: std::fs::File,
    path: std::path::PathBuf,
}

impl Hold {
    /// Takes the hold on `path`: an error at once (no waiting) where another process holds it.
    pub fn take(path: &Path) -> Result<Hold> {
        let mut lock = followed(path).into_os_string();
        lock.push(".lock");
        let lock = std::path::PathBuf::from(lock);
        let io = |source| Error::Io {
            path: lock.clone(),
            source,
        };
        // A lock file removed by the holder between our open and our lock is not the file any more: open
        // the one now at the path and lock again.
        for _ in 0..100 {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::PartialResult(format!(
                        "{} is in use by another run (which holds {}): wait for it to end, or give another file",
                        path.display(),
                        lock.display()
                    )));
                }
                // No locks here: the run goes on unheld.
                Err(std::fs::TryLockError::Error(_)) => return Ok(Hold { file, path: lock }),
            }
            if same_file(&file, &lock) {
                return Ok(Hold { file, path: lock });
            }
        }
        Err(Error::PartialResult(format!(
            "{} could not be held: its lock file {} keeps changing",
            path.display(),
            lock.display()
        )))
    }
}

impl Drop for Hold {
    /// Removes the lock file while still holding it (a process that opened it meanwhile sees, once it
    /// holds it, that it is no longer the file at the path, and opens the new one), then releases it.
    fn drop(&mut self) {
        #[cfg(unix)]
        if same_file(&self.file, &self.path) {
            let _ = std::fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}

/// Whether the open `file` is the one now at `path`.
#[cfg(unix)]
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Whether the open `file` is the one now at `path` (elsewhere: assumed, and the lock file is left).
#[cfg(not(unix))]
fn same_file(_: &std::fs::File, _: &Path) -> bool {
    true
}

/// The lowercase hex SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// What the last call of [`advance`] did, beside the result.
#[derive(Debug)]
#[non_exhaustive]
pub struct Session {
    /// The backend it ran on.
    pub backend: Backend,
    /// Whether its [`Control`] stopped it before every assigned block was done.
    pub interrupted: bool,
    /// The GPU's report, for the GPU and hybrid backends.
    pub gpu: Option<crate::gpu::GpuReport>,
    /// The error that stopped it early, a backend's or `save`'s: the result holds what was done
    /// before it.
    pub failure: Option<Error>,
}

/// Computes the blocks of `result`'s range that are not done yet, on `choice`, and returns the result
/// with them, and what this call did.
///
/// `save` is called with the result so far about every `every` (between pieces of the range, each a
/// few seconds up to `every` long), and once more at the end, also when `control` stops the run or a
/// backend fails. Nothing done is lost to an error: a backend's failure or a failing `save` ends the
/// call with what was done before it, and the error in [`Session::failure`]. Resuming from any result
/// `save` was given continues to the same bits as a run without stops, on any backends.
///
/// Errors are returned only for what stops it before anything is computed: `result` is not of
/// `kernel`'s problem, or `choice` cannot run it (not asked when every block is done already).
pub fn advance<K: Resumable>(
    engine: &Engine,
    kernel: &K,
    choice: Choice,
    result: PartialResult,
    control: &Control,
    every: Duration,
    save: &mut dyn FnMut(&PartialResult) -> Result<()>,
) -> Result<(PartialResult, Session)> {
    let mut result = result;
    let mut total = result.partial(kernel)?;
    // With nothing left to compute, no backend is chosen (nor needed: a GPU asked for may be absent).
    let backend = match (result.is_complete(), result.parts.last()) {
        (true, Some(last)) => last.backend.parse().unwrap_or(Backend::Serial),
        _ => engine.resolve(kernel, choice)?,
    };
    let threads = engine.threads_for(backend);
    let end = result.assigned[1];
    let assigned = end - result.assigned[0];
    let started = Instant::now();
    let (mut last_save, mut interrupted, mut gpu) = (Instant::now(), false, None);
    // Pieces aim at a few seconds (at most `every`), so that a save comes soon after it is due.
    let aim = every.as_secs_f64().clamp(0.1, 5.0);
    let mut want = 4 * threads as u64;
    let mut failure = None;
    while result.done < assigned && !control.stopped() {
        let next = result.assigned[0] + result.done;
        let piece = want.clamp(1, end - next);
        let began = Instant::now();
        let within = control.within(result.done, assigned, started);
        let driven = match engine.drive(kernel, backend, next..next + piece, &within) {
            Ok(driven) => driven,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        let seconds = began.elapsed().as_secs_f64();
        crate::gpu::GpuReport::add_to(&mut gpu, driven.gpu.as_ref());
        if let Some(partial) = driven.partial {
            append(&mut total, partial);
            result.partial = total.as_ref().map(Wire::to_words);
            record(&mut result, backend, threads, seconds, next..next + driven.completed);
            result.done += driven.completed;
        }
        if driven.interrupted {
            interrupted = true;
            break;
        }
        // Grow (at most 8-fold) towards the aim.
        let rate = piece as f64 / seconds.max(1e-6);
        want = ((rate * aim) as u64).clamp(1, piece.saturating_mul(8));
        if last_save.elapsed() >= every {
            if let Err(e) = save(&result) {
                failure = Some(e);
                break;
            }
            last_save = Instant::now();
        }
    }
    interrupted |= result.done < assigned && failure.is_none();
    if let Err(e) = save(&result) {
        failure.get_or_insert(e);
    }
    Ok((
        result,
        Session {
            backend,
            interrupted,
            gpu,
            failure,
        },
    ))
}

/// Adds `blocks`, computed on `backend` in `seconds`, to `result`'s parts: to the last part when it is
/// the same backend's and ends where they start.
fn record(result: &mut PartialResult, backend: Backend, threads: usize, seconds: f64, blocks: Range<u64>) {
    if let Some(last) = result.parts.last_mut()
        && last.backend == backend.name()
        && last.threads == threads
        && last.blocks[1] == blocks.start
    {
        last.blocks[1] = blocks.end;
        last.seconds += seconds;
        return;
    }
    result.parts.push(Part {
        backend: backend.name().to_owned(),
        threads,
        seconds,
        blocks: [blocks.start, blocks.end],
    });
}

/// Combines results that together cover the whole of `kernel`'s problem into one result, their partials
/// combined in block order: what [`finish`] turns into the single run's output. Errors name what does not
/// fit: another problem, results that overlap or give a shard twice, and the blocks missing (as shard
/// numbers when the results are shards; an incomplete result leaves its undone blocks missing).
pub fn merge<K: Resumable>(kernel: &K, results: &[PartialResult]) -> Result<PartialResult> {
    merge_span(kernel, results, true)
}

/// [`merge`] for results that cover one contiguous range of blocks, not necessarily the whole problem
/// (the shards of one machine, say, to be merged with the others later).
pub fn merge_adjacent<K: Resumable>(kernel: &K, results: &[PartialResult]) -> Result<PartialResult> {
    merge_span(kernel, results, false)
}

/// [`merge`], or [`merge_adjacent`] when not `whole`.
fn merge_span<K: Resumable>(kernel: &K, results: &[PartialResult], whole: bool) -> Result<PartialResult> {
    let Some(first) = results.first() else {
        return Err(refused("nothing to merge"));
    };
    let problem = problem_of(kernel)?;
    if let Some(other) = results
        .iter()
        .find(|r| r.problem != problem || r.blocks != kernel.blocks())
    {
        return Err(refused(format!(
            "a result for '{}' cannot be merged into '{problem}'",
            other.problem
        )));
    }
    let mut order: Vec<&PartialResult> = results.iter().collect();
    order.sort_by_key(|r| (r.assigned[0], r.assigned[1]));
    for pair in order.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.assigned == b.assigned {
            let what = match a.shard {
                Some([index, count]) => format!("shard {index}/{count}"),
                None => format!("blocks {}..{}", a.assigned[0], a.assigned[1]),
            };
            return Err(refused(format!("{what} is given twice")));
        }
        if b.assigned[0] < a.assigned[1] {
            return Err(refused(format!(
                "blocks {}..{} and {}..{} overlap",
                a.assigned[0], a.assigned[1], b.assigned[0], b.assigned[1]
            )));
        }
    }
    let (start, end) = match whole {
        true => (0, kernel.blocks()),
        false => (order[0].assigned[0], order[order.len() - 1].assigned[1]),
    };
    let missing = gaps(&order, start..end);
    if !missing.is_empty() {
        return Err(refused(format!("missing {}", describe_gaps(&missing, &order))));
    }
    // Every result is checked against the kernel as its partial is decoded.
    let mut total: Option<K::Partial> = None;
    for r in &order {
        if let Some(partial) = r.partial(kernel)? {
            append(&mut total, partial);
        }
    }
    Ok(PartialResult {
        assigned: [start, end],
        done: end - start,
        partial: total.as_ref().map(Wire::to_words),
        shard: None,
        parts: order.iter().flat_map(|r| r.parts.iter().cloned()).collect(),
        ..first.clone()
    })
}

/// What an incomplete set of results can report: those that chain without a gap from block 0 (up to
/// and including the first incomplete one, whose done blocks count), merged. `None` when block 0 is not
/// done.
pub fn merge_prefix<K: Resumable>(kernel: &K, results: &[PartialResult]) -> Result<Option<PartialResult>> {
    let mut order: Vec<&PartialResult> = results.iter().collect();
    order.sort_by_key(|r| (r.assigned[0], r.assigned[1]));
    let mut chain: Vec<PartialResult> = Vec::new();
    let mut next = 0;
    for r in order {
        if r.assigned[0] < next {
            // A duplicate or an overlap: the merge of the chain reports nothing of it, so refuse it.
            return merge(kernel, results).map(Some);
        }
        if r.assigned[0] > next || r.done == 0 {
            break;
        }
        let mut piece = r.clone();
        piece.assigned[1] = piece.assigned[0] + piece.done;
        piece.shard = None;
        next = piece.assigned[1];
        chain.push(piece);
        if !r.is_complete() {
            break;
        }
    }
    match chain.is_empty() {
        true => Ok(None),
        false => merge_adjacent(kernel, &chain).map(Some),
    }
}

/// The run a result makes, when its done blocks start at block 0: the kernel's output of the whole
/// problem when every block is done (the same bits as a single run), else that of the prefix done
/// ([`Kernel::finish_prefix`](crate::Kernel::finish_prefix)), marked interrupted. Its backend and threads are the last part's; its time
/// the parts' seconds added up.
pub fn finish<K: Resumable>(kernel: &K, result: &PartialResult) -> Result<Run<K::Output>> {
    let partial = result.partial(kernel)?;
    let blocks = kernel.blocks();
    let completed = result.done;
    if result.assigned[0] != 0 && completed > 0 {
        return Err(refused(format!(
            "blocks {}..{} are not a prefix of the problem: merge them with the results before them",
            result.assigned[0],
            result.assigned[0] + completed
        )));
    }
    let interrupted = Error::Interrupted { completed, blocks };
    let Some(total) = partial else {
        return Err(if blocks == 0 { Error::EmptyKernel } else { interrupted });
    };
    let (output, elements) = if completed == blocks {
        (kernel.finish(total), kernel.elements())
    } else {
        let output = kernel.finish_prefix(total, completed).ok_or(interrupted)?;
        (output, kernel.elements_in(completed))
    };
    let last = result.parts.last();
    let backend = last.and_then(|p| p.backend.parse().ok()).unwrap_or(Backend::Serial);
    Ok(Run {
        output,
        backend,
        threads: last.map_or(1, |p| p.threads),
        blocks,
        completed,
        interrupted: completed < blocks,
        elements,
        elapsed: Duration::try_from_secs_f64(result.seconds()).unwrap_or(Duration::MAX),
        gpu: None,
        split: None,
    })
}

/// The blocks of `span` not done, given results sorted by range.
fn gaps(order: &[&PartialResult], span: Range<u64>) -> Vec<Range<u64>> {
    let mut missing = Vec::new();
    let mut next = span.start;
    for r in order {
        if r.assigned[0] > next {
            missing.push(next..r.assigned[0]);
        }
        let done_end = r.assigned[0] + r.done;
        if done_end < r.assigned[1] {
            missing.push(done_end..r.assigned[1]);
        }
        next = next.max(r.assigned[1]);
    }
    if next < span.end {
        missing.push(next..span.end);
    }
    missing
}

/// Ranges a message lists before it summarises the rest.
const LISTED_RANGES: usize = 8;

/// `ranges` as `a..b` (or, for `inclusive`, `a` and `a-b`), the first [`LISTED_RANGES`] of them, then how
/// many more: a line that stays short however many there are.
fn listed(ranges: &[Range<u64>], inclusive: bool) -> String {
    let shown: Vec<String> = ranges
        .iter()
        .take(LISTED_RANGES)
        .map(|r| match (inclusive, r.end - r.start) {
            (true, 1) => r.start.to_string(),
            (true, _) => format!("{}-{}", r.start, r.end - 1),
            (false, _) => format!("{}..{}", r.start, r.end),
        })
        .collect();
    match ranges.len().saturating_sub(LISTED_RANGES) {
        0 => shown.join(", "),
        more => format!("{} and {more} more ranges", shown.join(", ")),
    }
}

/// The missing blocks in words: the shards they are, when the results are shards of one count (as
/// ranges of shard numbers, the first few listed).
fn describe_gaps(missing: &[Range<u64>], order: &[&PartialResult]) -> String {
    let blocks = order.first().map_or(0, |r| r.blocks);
    let counts: Vec<u64> = order.iter().filter_map(|r| r.shard.map(|s| s[1])).collect();
    let same_count = counts.len() == order.len() && counts.windows(2).all(|w| w[0] == w[1]);
    if let (true, Some(&count)) = (same_count, counts.first())
        && let Ok(ranks) = usize::try_from(count)
    {
        // The shard holding block `x`: the first whose range ends past it (the ranges tile the blocks
        // in order, some empty when there are more shards than blocks).
        let shard_of = |x: u64| partition_point(ranks, |r| rank_range(blocks, r, ranks).end <= x);
        let mut shards: Vec<Range<u64>> = Vec::new();
        for m in missing.iter().filter(|m| !m.is_empty()) {
            let (first, last) = (shard_of(m.start) as u64, shard_of(m.end - 1) as u64);
            match shards.last_mut() {
                Some(previous) if previous.end >= first => previous.end = previous.end.max(last + 1),
                _ => shards.push(first..last + 1),
            }
        }
        let total: u64 = shards.iter().map(|r| r.end - r.start).sum();
        return format!(
            "shard{} {} of {count} (blocks {} of {blocks})",
            if total == 1 { "" } else { "s" },
            listed(&shards, true),
            listed(missing, false)
        );
    }
    format!("blocks {} of {blocks}", listed(missing, false))
}

/// The first of `0..n` for which `before` is false (`before` true for a prefix), by bisection.
fn partition_point(n: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::kernels::{Function, Leibniz, MonteCarloPi, Simpson};

    /// A control that stops a run once `after` of its blocks are done.
    fn stop_after(after: u64) -> Control {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        Control::new().with_stop(stop).with_progress(move |p| {
            if p.done >= after {
                flag.store(true, Ordering::Relaxed);
            }
        })
    }

    /// `kernel` advanced in stops of `stops` blocks, on the backends in turn, through bytes at each stop;
    /// its words equal those of one serial pass.
    fn resumed_equals_one_pass<K: Resumable>(kernel: &K, stops: &[u64]) {
        let engine = Engine::with_threads(3).unwrap();
        let whole = engine.reduce(kernel, Backend::Serial, 0..kernel.blocks()).unwrap();
        let mut result = PartialResult::new(kernel, 0..kernel.blocks()).unwrap();
        let backends = [Backend::Rayon, Backend::Threads, Backend::Serial];
        let mut saves = 0;
        for (i, &after) in stops.iter().chain([&u64::MAX]).enumerate() {
            let control = stop_after(result.done.saturating_add(after));
            let backend = backends[i % backends.len()];
            let mut save = |_: &PartialResult| {
                saves += 1;
                Ok(())
            };
            let (next, session) = advance(
                &engine,
                kernel,
                backend.into(),
                result,
                &control,
                Duration::ZERO,
                &mut save,
            )
            .unwrap();
            assert!(session.failure.is_none());
            assert_eq!(session.interrupted, !next.is_complete());
            result = PartialResult::from_bytes(&next.to_bytes()).unwrap();
            assert_eq!(result, next);
        }
        assert!(result.is_complete(), "{:?}", result.done());
        assert!(saves > stops.len());
        let words = result.partial(kernel).unwrap().map(|p| p.to_words());
        assert_eq!(words, whole.map(|p| p.to_words()), "{}", kernel.problem().unwrap());
        assert_eq!(result.seconds(), result.parts().iter().map(|p| p.seconds).sum::<f64>());
        let blocks: u64 = result.parts().iter().map(|p| p.blocks[1] - p.blocks[0]).sum();
        assert_eq!(blocks, kernel.blocks());
    }

    #[test]
    fn resumed_runs_equal_one_pass_on_every_cpu_backend() {
        resumed_equals_one_pass(&MonteCarloPi::new(3_000_000_000, 9).unwrap(), &[5_000, 1, 20_000]);
        resumed_equals_one_pass(&Leibniz::new(2_000_000_000).unwrap(), &[3_000, 7_000]);
        let gauss = Function::gauss(0.3, 0.7).unwrap();
        resumed_equals_one_pass(&Simpson::new(gauss, -2.0, 5.0, 1_000_000_001).unwrap(), &[2_000, 4_000]);
    }

    /// Shard `index` of `count` of `kernel`, computed whole on `backend`.
    fn shard_done<K: Resumable>(
        engine: &Engine,
        kernel: &K,
        backend: Backend,
        index: u64,
        count: u64,
    ) -> PartialResult {
        let shard = PartialResult::shard(kernel, index, count).unwrap();
        let control = Control::new();
        advance(
            engine,
            kernel,
            backend.into(),
            shard,
            &control,
            Duration::MAX,
            &mut |_| Ok(()),
        )
        .unwrap()
        .0
    }

    #[test]
    fn shards_merge_in_any_order_to_the_single_run() {
        let engine = Engine::with_threads(2).unwrap();
        let kernel = Simpson::new(Function::Sin, 0.0, 3.0, 40_000_000).unwrap();
        let single = engine.run(&kernel, Backend::Serial).unwrap();
        let mut shards: Vec<PartialResult> = (0..5)
            .map(|index| shard_done(&engine, &kernel, Backend::Rayon, index, 5))
            .collect();
        shards.reverse();
        let merged = merge(&kernel, &shards).unwrap();
        let run = finish(&kernel, &merged).unwrap();
        assert_eq!(run.output.value.to_bits(), single.output.value.to_bits());
        assert_eq!(
            run.output.error_estimate.to_bits(),
            single.output.error_estimate.to_bits()
        );
        assert!(!run.interrupted);
        assert_eq!(merged.parts().len(), 5);

        // Adjacent shards merge into a result for their range, which merges with the rest.
        let middle = merge_adjacent(&kernel, &shards[1..4]).unwrap();
        assert_eq!(middle.assigned(), shards[3].assigned().start..shards[1].assigned().end);
        let again = merge(&kernel, &[shards[0].clone(), middle, shards[4].clone()]).unwrap();
        assert_eq!(again.partial(&kernel).unwrap(), merged.partial(&kernel).unwrap());
    }

    #[test]
    fn merge_names_what_does_not_fit() {
        let engine = Engine::with_threads(2).unwrap();
        let kernel = MonteCarloPi::new(100_000_000, 1).unwrap();
        let run = |index, count| shard_done(&engine, &kernel, Backend::Serial, index, count);
        let shards: Vec<PartialResult> = (0..4).map(|i| run(i, 4)).collect();
        let message = |r: Result<PartialResult>| match r {
            Err(Error::PartialResult(why)) => why,
            other => panic!("not refused: {other:?}"),
        };
        let missing = message(merge(&kernel, &[shards[0].clone(), shards[2].clone()]));
        assert!(missing.contains("missing shards 1, 3 of 4"), "{missing}");
        // A huge count: ranges of shards and blocks, the first few listed, the line short (every shard
        // listed, it took 89 MB and allocated without bound).
        let huge = MonteCarloPi::new(1 << 47, 1).unwrap();
        let count = 1_000_000_000;
        let every_other: Vec<PartialResult> = (0..20)
            .map(|i| shard_done(&engine, &huge, Backend::Serial, 2 * i + 1, count))
            .collect();
        let missing = message(merge(&huge, &every_other[..1]));
        assert!(
            missing.contains("missing shards 0, 2-999999999 of 1000000000"),
            "{missing}"
        );
        let missing = message(merge(&huge, &every_other));
        assert!(
            missing.contains("missing shards 0, 2, 4, 6, 8, 10, 12, 14 and 13 more ranges of 1000000000"),
            "{missing}"
        );
        assert!(missing.len() < 400, "{missing}");
        let twice = message(merge(&kernel, &[shards[1].clone(), shards[1].clone()]));
        assert!(twice.contains("shard 1/4 is given twice"), "{twice}");
        let overlap = message(merge(&kernel, &[shards[0].clone(), run(0, 3)]));
        assert!(overlap.contains("overlap"), "{overlap}");
        let other = PartialResult::shard(&MonteCarloPi::new(100_000_000, 2).unwrap(), 1, 4).unwrap();
        let mixed = message(merge(&kernel, &[shards[0].clone(), other]));
        assert!(mixed.contains("seed=2"), "{mixed}");
        assert!(matches!(merge(&kernel, &[]), Err(Error::PartialResult(_))));

        // An incomplete set: the prefix from block 0, and its result is that of the smaller problem.
        let prefix = merge_prefix(&kernel, &[shards[0].clone(), shards[1].clone(), shards[3].clone()])
            .unwrap()
            .unwrap();
        assert_eq!(prefix.done(), 0..shards[1].assigned().end);
        let run = finish(&kernel, &prefix).unwrap();
        assert!(run.interrupted);
        let smaller = MonteCarloPi::new(run.output.samples, 1).unwrap();
        let expected = engine.run(&smaller, Backend::Serial).unwrap();
        assert_eq!(run.output.hits, expected.output.hits);
        assert!(merge_prefix(&kernel, &shards[1..]).unwrap().is_none());
        // A result that does not start at block 0 has no output of its own.
        assert!(matches!(finish(&kernel, &shards[2]), Err(Error::PartialResult(_))));
    }

    /// A small complete result, as bytes.
    /// `kernel`'s whole range, done on serial in one call.
    fn finished<K: Resumable>(kernel: &K) -> PartialResult {
        let engine = Engine::with_threads(2).unwrap();
        let start = PartialResult::new(kernel, 0..kernel.blocks()).unwrap();
        advance(
            &engine,
            kernel,
            Backend::Serial.into(),
            start,
            &Control::new(),
            Duration::MAX,
            &mut |_| Ok(()),
        )
        .unwrap()
        .0
    }

    fn sample_bytes() -> (Leibniz, Vec<u8>) {
        let kernel = Leibniz::new(1_000_000).unwrap();
        let bytes = finished(&kernel).to_bytes();
        (kernel, bytes)
    }

    #[test]
    fn any_change_to_the_bytes_is_refused() {
        let (kernel, bytes) = sample_bytes();
        let read = PartialResult::from_bytes(&bytes).unwrap();
        assert!(read.partial(&kernel).unwrap().is_some());
        for cut in 0..bytes.len() {
            assert!(PartialResult::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for at in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[at] ^= 0x04;
            assert!(PartialResult::from_bytes(&changed).is_err(), "byte {at} changed");
        }
        // Another format, or another hetero, is refused by name.
        let text = String::from_utf8(bytes.clone()).unwrap();
        let other_format = text.replacen("format 1", "format 2", 1);
        let why = PartialResult::from_bytes(other_format.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(why.contains("format 2"), "{why}");
        let json = text.lines().nth(1).unwrap();
        let other_version = json.replacen(env!("CARGO_PKG_VERSION"), "0.0.0-other", 1);
        let resealed = format!(
            "{HEADER}\n{other_version}\nsha256 {}\n",
            sha256_hex(other_version.as_bytes())
        );
        let why = PartialResult::from_bytes(resealed.as_bytes()).unwrap_err().to_string();
        assert!(why.contains("0.0.0-other"), "{why}");
        // Seconds beyond any run (here past what a `Duration` holds) are refused, not a panic later.
        let seconds_at = json.find("\"seconds\":").unwrap() + "\"seconds\":".len();
        let end = seconds_at + json[seconds_at..].find([',', '}']).unwrap();
        let absurd = format!("{}1e300{}", &json[..seconds_at], &json[end..]);
        let resealed = format!("{HEADER}\n{absurd}\nsha256 {}\n", sha256_hex(absurd.as_bytes()));
        let why = PartialResult::from_bytes(resealed.as_bytes()).unwrap_err().to_string();
        assert!(why.contains("more seconds than any run can"), "{why}");
        // A result read for another problem is refused, not decoded.
        let other = Leibniz::new(1_000_001).unwrap();
        assert!(matches!(read.partial(&other), Err(Error::PartialResult(_))));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// No bytes make reading panic: random ones, and valid files whose JSON is changed and resealed
        /// with a correct checksum (so that the fields themselves are what is checked).
        #[test]
        fn reading_never_panics(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            at in 0usize..10_000,
            insert in "[-0-9a-z\\[\\],:{}\" ]{0,12}",
        ) {
            let _ = PartialResult::from_bytes(&noise);
            let (kernel, bytes) = sample_bytes_cached();
            let text = String::from_utf8(bytes).unwrap();
            let json = text.lines().nth(1).unwrap();
            let mut cut = at % (json.len() + 1);
            while !json.is_char_boundary(cut) {
                cut -= 1;
            }
            let changed = format!("{}{insert}{}", &json[..cut], &json[(cut + insert.len()).min(json.len())..]);
            let resealed = format!("{HEADER}\n{changed}\nsha256 {}\n", sha256_hex(changed.as_bytes()));
            if let Ok(result) = PartialResult::from_bytes(resealed.as_bytes())
                && let Ok(Some(_)) = result.partial(&kernel)
            {
                let _ = finish(&kernel, &result);
            }
        }
    }

    /// [`sample_bytes`], computed once.
    fn sample_bytes_cached() -> (Leibniz, Vec<u8>) {
        static SAMPLE: std::sync::OnceLock<(Leibniz, Vec<u8>)> = std::sync::OnceLock::new();
        SAMPLE.get_or_init(sample_bytes).clone()
    }

    #[test]
    fn a_partial_no_run_could_give_is_refused_whatever_its_checksum() {
        let kernel = MonteCarloPi::new(1_000_000, 3).unwrap();
        let mut result = finished(&kernel);
        // Edited by hand, checksum and all: more hits than samples.
        result.partial = Some(vec![1_000_001, 1_000_000]);
        let read = PartialResult::from_bytes(&result.to_bytes()).unwrap();
        let refused = read.partial(&kernel).unwrap_err().to_string();
        assert!(refused.contains("not a partial of this kernel"), "{refused}");
    }

    #[test]
    fn writing_replaces_the_file_whole() {
        let (_, bytes) = sample_bytes();
        let result = PartialResult::from_bytes(&bytes).unwrap();
        let dir = std::env::temp_dir().join(format!("hetero-checkpoint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("result");
        std::fs::write(&path, b"old").unwrap();
        result.write(&path).unwrap();
        assert_eq!(PartialResult::read(&path).unwrap(), result);
        // Nothing else is left beside it.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // A file that cannot be written is an I/O error naming it (the temporary file it writes first).
        let missing = dir.join("no-such-directory").join("result");
        let temporary = dir.join("no-such-directory").join("result.tmp");
        assert!(matches!(result.write(&missing), Err(Error::Io { path, .. }) if path == temporary));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
