//! Gradient-boosted regression trees for linfa (not yet implemented; see the issue "aellm-surrogate").
#![deny(missing_docs)]
