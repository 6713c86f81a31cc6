//! The text ↔ token interface the tasks and metrics use ([`Vocabulary`]),
//! and the built-in character-level tokenizer shared by every synthetic task.

use crate::error::{HarnessError, Result};

/// Every character the tasks use; the index is the token id. `_` pads,
/// `.` ends an answer.
const CHARS: &str = "_.0123456789abcdefghijklmnopqrstuvwxyz+-=:,|? ";

/// Maps characters to token ids and back.
///
/// ```
/// use aellm_harness::tasks::Tokenizer;
/// let t = Tokenizer;
/// let ids = t.encode("12+30=").unwrap();
/// assert_eq!(t.decode(&ids), "12+30=");
/// assert!(t.encode("A").is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokenizer;

impl Tokenizer {
    /// The padding token.
    pub const PAD: u32 = 0;
    /// The end-of-answer token.
    pub const END: u32 = 1;

    /// Number of distinct tokens.
    pub fn vocab(&self) -> usize {
        CHARS.len()
    }

    /// Token ids of `text`; an error names the first character outside the alphabet.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        text.chars()
            .map(|c| {
                CHARS.find(c).map(|i| i as u32).ok_or_else(|| {
                    HarnessError::Invalid(format!(
                        "character {c:?} in {text:?} is not in the task alphabet {CHARS:?}"
                    ))
                })
            })
            .collect()
    }

    /// The text of `ids`; ids outside the vocabulary decode to `?`.
    pub fn decode(&self, ids: &[u32]) -> String {
        ids.iter()
            .map(|&i| CHARS.as_bytes().get(i as usize).map_or('?', |&b| b as char))
            .collect()
    }
}

/// Text to token ids and back: what the tasks and the accuracy metric need
/// of a tokenizer. The built-in [`Tokenizer`] is one; a real checkpoint's
/// tokenizer is another.
pub trait Vocabulary {
    /// Number of distinct tokens.
    fn vocab(&self) -> usize;
    /// Token ids of `text`; an error names what cannot be encoded.
    fn encode(&self, text: &str) -> Result<Vec<u32>>;
    /// The text of `ids`.
    fn decode(&self, ids: &[u32]) -> String;
    /// The token that ends a generated answer.
    fn end(&self) -> u32;
    /// The token that pads a batch (never scored).
    fn pad(&self) -> u32;
}

impl Vocabulary for Tokenizer {
    fn vocab(&self) -> usize {
        Tokenizer::vocab(self)
    }
    fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Tokenizer::encode(self, text)
    }
    fn decode(&self, ids: &[u32]) -> String {
        Tokenizer::decode(self, ids)
    }
    fn end(&self) -> u32 {
        Tokenizer::END
    }
    fn pad(&self) -> u32 {
        Tokenizer::PAD
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_text_over_the_alphabet_round_trips(idx in proptest::collection::vec(0usize..CHARS.len(), 0..40)) {
            let text: String = idx.iter().map(|&i| CHARS.as_bytes()[i] as char).collect();
            let ids = Tokenizer.encode(&text).unwrap();
            prop_assert_eq!(ids.len(), text.len());
            prop_assert!(ids.iter().all(|&i| (i as usize) < Tokenizer.vocab()));
            prop_assert_eq!(Tokenizer.decode(&ids), text);
        }
    }
}
