//! The serial backend: the calling thread, blocks in order. The oracle.

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::kernel::reduce_serial;
use crate::{Error, Kernel, Result};

pub(crate) fn reduce<K: Kernel>(kernel: &K, range: Range<u64>) -> Result<Option<K::Partial>> {
    catch_unwind(AssertUnwindSafe(|| reduce_serial(kernel, range))).map_err(|p| Error::from_panic("serial", p))
}
