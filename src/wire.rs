//! How a partial travels between processes (and, later, to files): as a fixed number of 64-bit words.
//! A leaf of the library: each kernel implements [`Wire`] for its own partial, beside its other traits.

use crate::ExactSum;
use crate::tree::Partial;

/// A partial that can travel between processes as a fixed number of 64-bit words.
pub trait Wire: Partial {
    /// Words of every encoding of this type.
    const WORDS: usize;
    /// Whether combining two partials is adding their words (wrapping), so that an MPI sum-allreduce
    /// combines them. Integer counts are; floating partials are gathered and combined in rank order.
    const SUMMABLE: bool = false;
    /// The encoding, [`Self::WORDS`] words long.
    fn to_words(&self) -> Vec<u64>;
    /// The partial `words` encodes, or `None` if they are not an encoding.
    fn from_words(words: &[u64]) -> Option<Self>;
}

impl Wire for u64 {
    const WORDS: usize = 1;
    const SUMMABLE: bool = true;
    fn to_words(&self) -> Vec<u64> {
        vec![*self]
    }
    fn from_words(words: &[u64]) -> Option<Self> {
        words.first().copied()
    }
}

impl Wire for ExactSum {
    const WORDS: usize = ExactSum::WORDS;
    fn to_words(&self) -> Vec<u64> {
        ExactSum::to_words(self)
    }
    fn from_words(words: &[u64]) -> Option<Self> {
        ExactSum::from_words(words)
    }
}
