//! The threads backend: thread-per-task with an explicit reduction over a channel, the shape of a process
//! pool with a result queue.
//!
//! Each of `tasks` OS threads claims block indices from a shared counter, computes them, and sends
//! `(index, partial)` to the calling thread, which puts them back in block order (partials that arrive early
//! wait in a small reorder buffer) and feeds them to a [`TreeFold`]. A worker that panics raises a stop flag,
//! the others finish the block in hand and exit, and the caller gets an error: never a hang.

use std::collections::BTreeMap;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;

use crate::tree::TreeFold;
use crate::{Error, Kernel, Result};

pub(crate) fn reduce<K: Kernel>(kernel: &K, range: Range<u64>, tasks: usize) -> Result<Option<K::Partial>> {
    if range.is_empty() {
        return Ok(None);
    }
    // No more threads than blocks: a thread that would find nothing to do costs its start-up alone.
    let tasks = usize::try_from(range.end - range.start).map_or(tasks, |blocks| tasks.min(blocks));
    let next = AtomicU64::new(range.start);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel::<(u64, K::Partial)>();

    thread::scope(|scope| {
        let mut workers = Vec::with_capacity(tasks);
        let mut spawn_error = None;
        for t in 0..tasks {
            let sender = sender.clone();
            let (next, stop, end) = (&next, &stop, range.end);
            let worker =
                thread::Builder::new()
                    .name(format!("hetero-task-{t}"))
                    .spawn_scoped(scope, move || -> Result<()> {
                        while !stop.load(Ordering::Relaxed) {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            if index >= end {
                                break;
                            }
                            match catch_unwind(AssertUnwindSafe(|| kernel.block(index))) {
                                Ok(partial) => {
                                    if sender.send((index, partial)).is_err() {
                                        break; // the caller stopped listening
                                    }
                                }
                                Err(payload) => {
                                    stop.store(true, Ordering::Relaxed);
                                    return Err(Error::from_panic("threads", payload));
                                }
                            }
                        }
                        Ok(())
                    });
            match worker {
                Ok(handle) => workers.push(handle),
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    spawn_error = Some(Error::Threads(e.to_string()));
                    break;
                }
            }
        }
        drop(sender);

        let mut fold = TreeFold::new();
        let mut early = BTreeMap::new();
        let mut expected = range.start;
        for (index, partial) in receiver.iter() {
            early.insert(index, partial);
            while let Some(partial) = early.remove(&expected) {
                fold.push(partial);
                expected += 1;
            }
        }

        let mut first_error = spawn_error;
        for worker in workers {
            let outcome = worker.join().unwrap_or_else(|p| Err(Error::from_panic("threads", p)));
            if let Err(e) = outcome {
                first_error.get_or_insert(e);
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        if expected != range.end {
            return Err(Error::Threads(format!(
                "workers ended after block {expected} of {}..{}",
                range.start, range.end
            )));
        }
        Ok(fold.finish())
    })
}
