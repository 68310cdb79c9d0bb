//! Ctrl-C (SIGINT) and SIGTERM, the signals a user or a scheduler (`timeout`, Slurm, Kubernetes) sends to
//! stop a run: the first one raises the stop flag that runs, calibrations and comparisons watch, so they
//! stop cleanly and print what they completed. The exit code says which signal it was: 128 + its number
//! (130 for SIGINT, 143 for SIGTERM).
//!
//! A second Ctrl-C, a second or more after the first, ends the process at once. Sooner than that it is
//! taken for the same one: `timeout` sends its signal both to the command and to its process group, so a
//! process can see one signal twice. A second SIGTERM changes nothing: schedulers follow it with SIGKILL.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT).
pub(super) const EXIT_SIGINT: u8 = 130;
/// Exit code of a run stopped by SIGTERM (128 + SIGTERM).
pub(super) const EXIT_SIGTERM: u8 = 143;

/// The process's stop flag and the signal that raised it.
pub(super) struct Signals {
    stop: Arc<AtomicBool>,
    /// The number of the first signal received, 0 before any.
    which: Arc<AtomicUsize>,
}

impl Signals {
    /// The handlers, installed on first use (once per process).
    pub(super) fn get() -> &'static Signals {
        static SIGNALS: OnceLock<Signals> = OnceLock::new();
        SIGNALS.get_or_init(|| {
            let signals = Signals {
                stop: Arc::new(AtomicBool::new(false)),
                which: Arc::new(AtomicUsize::new(0)),
            };
            signals.install();
            signals
        })
    }

    #[cfg(unix)]
    fn install(&self) {
        use signal_hook::consts::{SIGINT, SIGTERM};
        use std::sync::atomic::AtomicU64;
        use std::time::Instant;
        /// When the first Ctrl-C came, in milliseconds after `START` plus one; 0 before any.
        static FIRST_SIGINT: AtomicU64 = AtomicU64::new(0);
        static START: OnceLock<Instant> = OnceLock::new();
        let start = *START.get_or_init(Instant::now);
        for signal in [SIGINT, SIGTERM] {
            let (stop, which) = (Arc::clone(&self.stop), Arc::clone(&self.which));
            let action = move || {
                if signal == SIGINT {
                    let now = start.elapsed().as_millis() as u64 + 1;
                    match FIRST_SIGINT.load(Ordering::SeqCst) {
                        0 => FIRST_SIGINT.store(now, Ordering::SeqCst),
                        first if now - first >= 1000 => signal_hook::low_level::exit(i32::from(EXIT_SIGINT)),
                        _ => {}
                    }
                }
                // The first signal names the exit code.
                let _ = which.compare_exchange(0, signal as usize, Ordering::SeqCst, Ordering::SeqCst);
                stop.store(true, Ordering::SeqCst);
            };
            // SAFETY: the action only reads a clock and touches atomics: no allocation, no lock, nothing
            // that is not async-signal-safe. Registration fails only for signals that cannot be handled,
            // which these are not; without a handler the signal keeps its default action.
            let _ = unsafe { signal_hook::low_level::register(signal, action) };
        }
    }

    #[cfg(not(unix))]
    fn install(&self) {
        let (stop, which) = (Arc::clone(&self.stop), Arc::clone(&self.which));
        // Only fails when a handler is set already, which this process never does twice.
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(EXIT_SIGINT));
            }
            which.store(2, Ordering::SeqCst);
        });
    }

    /// The flag a [`hetero::Control`] watches.
    pub(super) fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Whether a signal has asked to stop.
    pub(super) fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Says on stderr that the signal stopped `what` (`": blocks 0..k of n completed"`, `" during the
    /// calibration of pi"`…) and returns the exit code that says which signal it was.
    pub(super) fn report(&self, what: &str) -> u8 {
        super::say("interrupted", &format!("by {}{what}", self.name()));
        self.exit_code()
    }

    /// The exit code of a run the signal stopped.
    pub(super) fn exit_code(&self) -> u8 {
        match self.which.load(Ordering::SeqCst) {
            15 => EXIT_SIGTERM,
            _ => EXIT_SIGINT,
        }
    }

    /// The signal's name, for messages.
    pub(super) fn name(&self) -> &'static str {
        match self.which.load(Ordering::SeqCst) {
            15 => "SIGTERM",
            _ => "Ctrl-C",
        }
    }
}
