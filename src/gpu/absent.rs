//! Built without the `gpu` feature: no adapter exists, so no [`Gpu`] can be opened and the GPU and hybrid
//! backends answer with [`Error::NoGpu`]. The types stay, so that code naming them builds either way.

use std::convert::Infallible;
use std::ops::Range;
use std::time::Duration;

use super::{AdapterChoice, AdapterSummary, GpuCaps, GpuReport, Precision, RangeSource, WgslProgram};
use crate::control::Control;
use crate::error::{GpuError, GpuErrorKind};
use crate::program::GpuKernel;
use crate::{Error, Result};

/// Why there is no GPU.
const NOT_BUILT: &str = "hetero was built without its GPU backend (the cargo feature 'gpu'): rebuild with \
                         '--features gpu' to run on a GPU";

/// A GPU device: none can exist in a build without the `gpu` feature ([`Gpu::new`] says so).
#[derive(Debug)]
pub struct Gpu {
    never: Infallible,
}

impl Gpu {
    /// Always [`Error::NoGpu`]: this build has no GPU backend.
    pub fn new(choice: &AdapterChoice) -> Result<Self> {
        let _ = choice;
        Err(Error::NoGpu(GpuError::new(GpuErrorKind::NoAdapter, NOT_BUILT)))
    }

    /// The adapter's name.
    pub fn name(&self) -> &str {
        match self.never {}
    }

    /// The graphics API.
    pub fn api(&self) -> String {
        match self.never {}
    }

    /// Whether the adapter is a software one.
    pub fn is_software(&self) -> bool {
        match self.never {}
    }

    /// How long finding the adapter and creating the device took.
    pub fn setup_time(&self) -> Duration {
        match self.never {}
    }

    /// What the device can run, for `requested` precision.
    pub fn caps(&self, requested: Option<Precision>) -> GpuCaps {
        let _ = requested;
        match self.never {}
    }

    pub(crate) fn is_compiled(&self, program: &WgslProgram) -> bool {
        let _ = program;
        match self.never {}
    }

    /// Pipelines compiled so far.
    pub fn compiled_pipelines(&self) -> usize {
        match self.never {}
    }
}

/// No adapters: this build has no GPU backend.
pub fn adapters() -> Vec<AdapterSummary> {
    Vec::new()
}

pub(crate) fn reduce<P: crate::Partial>(
    gpu: &Gpu,
    _: &dyn GpuKernel<Partial = P>,
    _: Range<u64>,
    _: Option<Precision>,
    _: &mut GpuReport,
) -> Result<Option<P>> {
    match gpu.never {}
}

pub(crate) fn reduce_watched<P: crate::Partial>(
    gpu: &Gpu,
    _: &dyn GpuKernel<Partial = P>,
    _: Range<u64>,
    _: Option<Precision>,
    _: &mut GpuReport,
    _: &Control,
) -> Result<(Option<P>, u64)> {
    match gpu.never {}
}

pub(crate) fn reduce_stream<P: crate::Partial>(
    gpu: &Gpu,
    _: &dyn GpuKernel<Partial = P>,
    _: &mut dyn RangeSource<P>,
    _: u64,
    _: Option<Precision>,
    _: &mut GpuReport,
    _: &Control,
) -> Result<Option<(Range<u64>, Option<P>)>> {
    match gpu.never {}
}
