//! The cost model's data, and its file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Backend;
use crate::gpu::AdapterChoice;

/// What a backend costs for one kernel, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Cost {
    /// Paid by every run whatever its size: waking threads, a GPU submission and readback.
    pub overhead: f64,
    /// Paid per block.
    pub per_block: f64,
    /// Paid once per engine before the first run: opening the GPU device and compiling the pipeline.
    pub first_use: f64,
    /// Blocks computed at once (the thread count of a CPU pool, 1 otherwise): a run of fewer blocks
    /// leaves workers idle and costs as much as this many.
    #[serde(default = "one")]
    pub width: u64,
    /// Measured time of a one-block run, which the line through larger runs misjudges (rayon computes a
    /// lone block on the calling thread, without waking its pool); 0 when not measured.
    #[serde(default)]
    pub single: f64,
    /// The [`Kernel::cost_scale`](crate::Kernel::cost_scale) of the kernel these costs were measured on:
    /// a kernel of the same key and another scale is predicted by [`Cost::scaled`]. 0 for a cost made by
    /// [`Cost::new`] without [`Cost::with_scale`]: taken as it is for every kernel of its key. A file's
    /// costs without a scale (written before scales were kept) are dropped when it is loaded, and
    /// measured again.
    #[serde(default)]
    pub scale: f64,
}

fn one() -> u64 {
    1
}

impl Cost {
    /// A cost from its parts (see the fields).
    pub fn new(overhead: f64, per_block: f64, first_use: f64, width: u64, single: f64) -> Self {
        Cost {
            overhead,
            per_block,
            first_use,
            width,
            single,
            scale: 0.0,
        }
    }

    /// These costs, measured on a kernel of [`scale`](Cost::scale), marked as such.
    pub fn with_scale(self, scale: f64) -> Self {
        Cost { scale, ..self }
    }

    /// The costs of a kernel of the same key whose [`Kernel::cost_scale`](crate::Kernel::cost_scale) is
    /// `scale`: its blocks cost `scale / self.scale` times as much; the one-block run changes by what its
    /// block does on one thread (`width` times the per-block time of a pool of `width` threads); the
    /// overhead and first use are the backend's, whatever the kernel. A cost without a scale, or a scale
    /// that is not a positive number, is returned as it is.
    ///
    /// ```
    /// use hetero::dispatch::Cost;
    ///
    /// // Two threads: a block takes 4 ms on one of them, 2 ms per block when both work.
    /// let measured = Cost::new(1e-4, 2e-3, 0.0, 2, 4.2e-3).with_scale(10.0);
    /// let heavier = measured.scaled(25.0);
    /// assert_eq!(heavier.per_block, 5e-3);
    /// assert_eq!(heavier.overhead, 1e-4);
    /// assert!((heavier.single - 10.2e-3).abs() < 1e-15);
    /// assert_eq!(heavier.scale, 25.0);
    /// ```
    ///
    /// A cost made without a scale is not scaled:
    ///
    /// ```
    /// use hetero::dispatch::Cost;
    ///
    /// let old = Cost::new(1e-4, 2e-3, 0.0, 2, 0.0);
    /// assert_eq!(old.scaled(25.0), old);
    /// ```
    pub fn scaled(&self, scale: f64) -> Cost {
        let ratio = scale / self.scale;
        if !(ratio.is_finite() && ratio > 0.0) || self.scale <= 0.0 {
            return *self;
        }
        let per_block = self.per_block * ratio;
        // One block runs on one thread: `width` times the per-block time of `width` threads.
        let one_thread = self.width.max(1) as f64;
        let single = match self.single > 0.0 {
            true => (self.single + one_thread * (per_block - self.per_block)).max(one_thread * per_block),
            false => 0.0,
        };
        Cost {
            per_block,
            single,
            scale,
            ..*self
        }
    }

    /// Predicted seconds for `blocks` blocks, first use aside: `overhead + per_block · blocks` with
    /// `blocks` rounded up to a multiple of `width`, or the measured `single` for one block.
    pub fn predict(&self, blocks: u64) -> f64 {
        if blocks == 1 && self.single > 0.0 {
            return self.single;
        }
        self.overhead + blocks.next_multiple_of(self.width.max(1)) as f64 * self.per_block
    }

    fn is_sane(&self) -> bool {
        [self.overhead, self.per_block, self.first_use, self.single, self.scale]
            .iter()
            .all(|x| x.is_finite() && *x >= 0.0)
    }
}

/// Calibrated costs by kernel, backend and thread count, and which GPU (if any) they were measured on.
///
/// The file is JSON, written whole to a temporary file and renamed into place. It carries hetero's
/// version: a file from another version, or one that does not parse, is ignored (and so rebuilt), never
/// an error; so is a cost in it without its [`scale`](Cost::scale).
///
/// ```
/// use hetero::{Backend, dispatch::{Cost, CostModel}};
///
/// let mut model = CostModel::default();
/// model.insert("pi", Backend::Rayon, 2, Cost::new(2e-5, 6e-5, 0.0, 2, 0.0).with_scale(1.0));
/// let dir = std::env::temp_dir().join(format!("hetero-doc-{}", std::process::id()));
/// let path = dir.join("costs.json");
/// model.save(&path)?;
/// assert_eq!(CostModel::load(&path), Some(model.clone()));
/// // A cost without its scale (a file written before scales were kept) is dropped, to be measured again.
/// model.insert("simpson/expr", Backend::Serial, 1, Cost::new(0.0, 1e-4, 0.0, 1, 0.0));
/// model.save(&path)?;
/// let loaded = CostModel::load(&path).unwrap();
/// assert!(loaded.get("simpson/expr", Backend::Serial, 1).is_none() && loaded.get("pi", Backend::Rayon, 2).is_some());
/// std::fs::write(&path, "{ not json")?;
/// assert_eq!(CostModel::load(&path), None);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostModel {
    version: String,
    /// `kernel/backend/threads` → cost.
    costs: BTreeMap<String, Cost>,
    /// Adapter choice → the adapter's name, or `None` when no adapter was found.
    adapters: BTreeMap<String, Option<String>>,
}

impl Default for CostModel {
    /// An empty model of this version of hetero.
    fn default() -> Self {
        CostModel {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            costs: BTreeMap::new(),
            adapters: BTreeMap::new(),
        }
    }
}

fn key(kernel: &str, backend: Backend, threads: usize) -> String {
    format!("{kernel}/{backend}/{threads}")
}

fn adapter_key(choice: &AdapterChoice) -> String {
    match choice {
        AdapterChoice::Auto => "auto".to_owned(),
        AdapterChoice::Index(i) => format!("index {i}"),
        AdapterChoice::Name(name) => format!("name {name}"),
    }
}

impl CostModel {
    /// The cost of `kernel` on `backend` with `threads` threads, if calibrated.
    pub fn get(&self, kernel: &str, backend: Backend, threads: usize) -> Option<Cost> {
        self.costs.get(&key(kernel, backend, threads)).copied()
    }

    /// Records a cost.
    pub fn insert(&mut self, kernel: &str, backend: Backend, threads: usize, cost: Cost) {
        self.costs.insert(key(kernel, backend, threads), cost);
    }

    /// What calibration found for the adapter `choice`: `Some(Some(name))`, `Some(None)` for no adapter,
    /// `None` when it has not looked.
    pub fn gpu_adapter(&self, choice: &AdapterChoice) -> Option<Option<String>> {
        self.adapters.get(&adapter_key(choice)).cloned()
    }

    /// Records what calibration found for the adapter `choice`. A different adapter than before drops the
    /// GPU costs measured on the old one.
    pub fn set_gpu_adapter(&mut self, choice: &AdapterChoice, name: Option<String>) {
        let previous = self.adapters.insert(adapter_key(choice), name.clone());
        if previous.is_some_and(|p| p != name) {
            self.costs
                .retain(|k, _| !k.contains("/gpu/") && !k.contains("/hybrid/"));
        }
    }

    /// The file the command line and Python keep the model in: `$HETERO_CACHE_DIR/cost-model.json` when that is set,
    /// else `hetero/cost-model.json` in the platform's cache directory (`~/.cache` on Linux).
    pub fn default_path() -> Option<PathBuf> {
        let dir = match std::env::var_os("HETERO_CACHE_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => dirs::cache_dir()?.join("hetero"),
        };
        Some(dir.join("cost-model.json"))
    }

    /// The model in `path`, or `None` when there is none, it does not parse, it holds a negative or
    /// non-finite cost, or it was written by another version of hetero.
    pub fn load(path: &Path) -> Option<CostModel> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut model: CostModel = serde_json::from_str(&text).ok()?;
        let current = model.version == env!("CARGO_PKG_VERSION");
        // Costs measured before scales were kept would predict every expression as the one measured.
        model.costs.retain(|_, cost| cost.scale > 0.0);
        (current && model.costs.values().all(Cost::is_sane)).then_some(model)
    }

    /// Adds this model's costs and adapters to those in the file at `path` (replacing entries for the same
    /// kernel, backend and thread count, and keeping the others) and writes the result back atomically,
    /// under a lock on `path` + `.lock`: processes that calibrate different kernels at once all keep their
    /// costs. A missing, corrupt or stale file counts as empty.
    ///
    /// ```
    /// use hetero::{Backend, dispatch::{Cost, CostModel}};
    ///
    /// let dir = std::env::temp_dir().join(format!("hetero-doc-merge-{}", std::process::id()));
    /// let path = dir.join("costs.json");
    /// let mut pi = CostModel::default();
    /// pi.insert("pi", Backend::Serial, 1, Cost::new(0.0, 1e-4, 0.0, 1, 0.0).with_scale(1.0));
    /// let mut leibniz = CostModel::default();
    /// leibniz.insert("leibniz", Backend::Serial, 1, Cost::new(0.0, 2e-5, 0.0, 1, 0.0).with_scale(1.0));
    /// pi.merge_into(&path)?;
    /// leibniz.merge_into(&path)?;
    /// let both = CostModel::load(&path).unwrap();
    /// assert!(both.get("pi", Backend::Serial, 1).is_some() && both.get("leibniz", Backend::Serial, 1).is_some());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn merge_into(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path.with_extension("lock"))?;
        lock.lock()?;
        let mut merged = CostModel::load(path).unwrap_or_default();
        for (choice, name) in &self.adapters {
            let previous = merged.adapters.insert(choice.clone(), name.clone());
            if previous.is_some_and(|p| p != *name) {
                merged
                    .costs
                    .retain(|k, _| !k.contains("/gpu/") && !k.contains("/hybrid/"));
            }
        }
        merged.costs.extend(self.costs.iter().map(|(k, c)| (k.clone(), *c)));
        let written = merged.save(path);
        let _ = lock.unlock();
        written
    }

    /// Writes the model to `path` (creating its directory), atomically: readers see the old file or the
    /// new one, never half of one. It replaces the file's contents ([`CostModel::merge_into`] keeps them).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, path)
    }
}
