//! The rayon backend: the calling thread and the engine's rayon pool share a block range, each taking
//! its next chunk as it finishes the last.
//!
//! A chunk is a node of the fixed combination tree ([`node_at`]), computed by the serial fold, and the
//! chunks are put back together in the tree's order ([`Chunks`]), so the result has the serial backend's
//! bits whoever computed which chunk.
//!
//! The calling thread starts on the first chunk at once; the pool's threads (one fewer than the run's
//! threads, so that no more threads are runnable than were asked for) join in as they wake. The run
//! ends when the last chunk is done, without waiting for a pool thread that woke too late to find one.
//! So waking a sleeping core (milliseconds on some virtual machines) is never on a run's critical path: a
//! small job costs about what the serial backend costs while the pool sleeps, and a share of it while the
//! pool is awake. Chunks shrink as the range runs out (a quarter of a participant's fair share of what
//! is left), so the threads finish together.

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use rayon::ThreadPool;

use crate::kernel::reduce_serial;
use crate::schedule::{Chunks, node_at};
use crate::{Error, Kernel, Result};

/// Computes `range` on the calling thread and up to `threads - 1` threads of `pool` (which should have
/// that many: the calling thread is the last of the `threads`).
pub(crate) fn reduce<K: Kernel>(
    pool: &ThreadPool,
    threads: usize,
    kernel: &K,
    range: Range<u64>,
) -> Result<Option<K::Partial>> {
    let len = range.end.saturating_sub(range.start);
    let helpers = (threads.saturating_sub(1) as u64).min(len.saturating_sub(1));
    if helpers == 0 {
        // One block or one thread: nothing to share, and computing here saves waking the pool.
        return catch_unwind(AssertUnwindSafe(|| reduce_serial(kernel, range)))
            .map_err(|p| Error::from_panic("rayon", p));
    }
    let claims = Mutex::new(Claims {
        next: 0,
        chunks: Chunks::new(len),
        failed: None,
    });
    let work = || take_chunks(kernel, range.start, len, helpers + 1, &claims);
    {
        let gate = Arc::new(Gate::default());
        // Declared after `work` and `claims`, so dropped before them, also when unwinding: no pool thread
        // is inside `work` once this is gone.
        let _closed = Closer(&gate);
        // The pool needs `'static` jobs, and `work` borrows this frame. A job gets a raw pointer, never a
        // reference with a made-up lifetime, and turns it into a reference only inside the gate.
        let work = Job::new(&work);
        for _ in 0..helpers {
            let gate = Arc::clone(&gate);
            pool.spawn(move || {
                if let Some(_inside) = gate.enter() {
                    // `take_chunks` catches the kernel's panics; this only keeps anything else from
                    // unwinding into the pool, which would abort the process.
                    // SAFETY: `work` points at the closure above, in the frame of `reduce`, which is
                    // still alive: `Closer::drop` (run before anything borrowed can go away, also when
                    // unwinding) shuts the gate and waits until every job that entered has dropped its
                    // `Inside` guard, and `_inside` outlives this call. A job that starts later finds the
                    // gate shut and never touches the pointer.
                    let _ = catch_unwind(AssertUnwindSafe(|| unsafe { work.run() }));
                }
            });
        }
        take_chunks(kernel, range.start, len, helpers + 1, &claims);
    }
    let claims = claims.into_inner().unwrap_or_else(PoisonError::into_inner);
    match claims.failed {
        Some(error) => Err(error),
        None => claims.chunks.assemble(),
    }
}

/// The calling thread's closure as the pool's jobs hold it: a type-erased pointer to it and the function
/// that calls it (the shape of rayon's own `JobRef`). Holding one asserts nothing; calling it requires the
/// closure to be alive, which the run's [`Gate`] guarantees.
#[derive(Clone, Copy)]
struct Job {
    data: *const (),
    call: unsafe fn(*const ()),
}

// SAFETY: a `Job` is only made from a `Sync` closure (`Job::new`), so calling it from another thread is
// sound; when it may be called is `Job::run`'s contract.
unsafe impl Send for Job {}

impl Job {
    fn new<F: Fn() + Sync>(work: &F) -> Self {
        Job {
            data: (work as *const F).cast(),
            call: call::<F>,
        }
    }

    /// Calls the closure.
    ///
    /// # Safety
    ///
    /// The closure `Job::new` was given must still be alive: the caller holds an [`Inside`] guard of the
    /// gate that the closure's frame closes, waiting for every guard, before the closure goes away.
    unsafe fn run(self) {
        // SAFETY: `data` and `call` were made together from one closure, alive by the contract above.
        unsafe { (self.call)(self.data) }
    }
}

/// Calls the closure of type `F` behind `data`.
///
/// # Safety
///
/// `data` must point at a live `F`.
unsafe fn call<F: Fn()>(data: *const ()) {
    // SAFETY: the caller guarantees that `data` points at a live `F`.
    let work = unsafe { &*data.cast::<F>() };
    work();
}

/// The shared state of one run: what is handed out, what is done.
struct Claims<P> {
    /// First block (relative to the range) not yet handed out.
    next: u64,
    chunks: Chunks<P>,
    failed: Option<Error>,
}

/// Takes chunks until none is left or one has failed.
fn take_chunks<K: Kernel>(kernel: &K, first: u64, len: u64, participants: u64, claims: &Mutex<Claims<K::Partial>>) {
    loop {
        let chunk = {
            let mut c = lock(claims);
            if c.failed.is_some() || c.next == len {
                return;
            }
            let fair = (len - c.next) / (4 * participants);
            let n = node_at(len, c.next, fair.max(1));
            c.next += n;
            c.next - n..c.next
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            reduce_serial(kernel, first + chunk.start..first + chunk.end)
        }));
        let mut c = lock(claims);
        match result {
            Ok(Some(partial)) => c.chunks.insert(chunk, partial),
            Ok(None) => {}
            Err(panic) => c.failed = Some(Error::from_panic("rayon", panic)),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; a poisoned one is still consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Lets pool threads into a run until the calling thread has finished its part.
#[derive(Default)]
struct Gate {
    /// Whether it is shut, and how many pool threads are inside.
    state: Mutex<(bool, usize)>,
    empty: Condvar,
}

impl Gate {
    /// Enters, unless the gate is shut; the returned guard leaves when dropped.
    fn enter(&self) -> Option<Inside<'_>> {
        let mut state = lock(&self.state);
        if state.0 {
            return None;
        }
        state.1 += 1;
        Some(Inside(self))
    }
}

struct Inside<'a>(&'a Gate);

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        state.1 -= 1;
        if state.1 == 0 {
            self.0.empty.notify_all();
        }
    }
}

/// Shuts the gate when dropped and waits until every pool thread inside has left.
struct Closer<'a>(&'a Gate);

impl Drop for Closer<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        state.0 = true;
        while state.1 > 0 {
            state = self.0.empty.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Partial;
    use crate::tree::shapes::{Shape, tree};

    /// Block `i` is `"i"`; optionally sleeps, or panics at one block.
    struct Shapes {
        blocks: u64,
        nap: std::time::Duration,
        panic_at: Option<u64>,
    }

    impl Kernel for Shapes {
        type Partial = Shape;
        type Output = String;

        fn name(&self) -> &str {
            "shapes"
        }
        fn blocks(&self) -> u64 {
            self.blocks
        }
        fn block(&self, index: u64) -> Shape {
            assert_ne!(Some(index), self.panic_at, "block {index} fails");
            std::thread::sleep(self.nap);
            Shape(index.to_string())
        }
        fn finish(&self, partial: Shape) -> String {
            partial.0
        }
    }

    fn pool(threads: usize) -> ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads((threads - 1).max(1))
            .build()
            .unwrap()
    }

    #[test]
    fn shared_chunks_reassemble_into_the_serial_tree() {
        for threads in [1, 2, 3, 8] {
            let pool = pool(threads);
            for (lo, hi) in [(0, 1), (0, 2), (3, 4), (0, 7), (5, 100), (0, 1000), (17, 1041)] {
                let kernel = Shapes {
                    blocks: hi,
                    nap: std::time::Duration::ZERO,
                    panic_at: None,
                };
                let got = reduce(&pool, threads, &kernel, lo..hi).unwrap().unwrap();
                assert_eq!(got.0, tree(lo, hi), "{threads} threads, blocks {lo}..{hi}");
            }
            let empty = Shapes {
                blocks: 4,
                nap: std::time::Duration::ZERO,
                panic_at: None,
            };
            assert!(reduce(&pool, threads, &empty, 2..2).unwrap().is_none());
        }
    }

    #[test]
    fn slow_blocks_are_shared_between_the_caller_and_the_pool() {
        // Sixteen 5 ms blocks on four threads: every thread gets some, and the tree is the serial one.
        let pool = pool(4);
        let kernel = Shapes {
            blocks: 16,
            nap: std::time::Duration::from_millis(5),
            panic_at: None,
        };
        assert_eq!(reduce(&pool, 4, &kernel, 0..16).unwrap().unwrap().0, tree(0, 16));
    }

    #[test]
    fn a_panicking_block_is_an_error_and_the_pool_lives_on() {
        let pool = pool(3);
        let kernel = Shapes {
            blocks: 64,
            nap: std::time::Duration::ZERO,
            panic_at: Some(40),
        };
        for _ in 0..3 {
            let error = reduce(&pool, 3, &kernel, 0..64).err().unwrap();
            assert!(error.to_string().contains("block 40 fails"), "{error}");
        }
        let fine = Shapes {
            blocks: 64,
            nap: std::time::Duration::ZERO,
            panic_at: None,
        };
        assert_eq!(
            reduce(&pool, 3, &fine, 0..64)
                .unwrap()
                .unwrap()
                .combine(Shape("x".into()))
                .0,
            format!("({} x)", tree(0, 64))
        );
    }

    #[test]
    fn a_run_inside_the_pool_does_not_wait_for_its_own_helpers() {
        // Two threads: the pool's only thread runs the run, and the helper it spawns is queued behind it,
        // so it can only finish alone. One thread: no helper at all.
        for threads in [1, 2] {
            let pool = pool(threads);
            let kernel = Shapes {
                blocks: 32,
                nap: std::time::Duration::ZERO,
                panic_at: None,
            };
            let got = pool
                .install(|| reduce(&pool, threads, &kernel, 0..32))
                .unwrap()
                .unwrap();
            assert_eq!(got.0, tree(0, 32));
        }
    }
}
