//! Real measurements with candle (not yet implemented; see the issue "aellm-harness").
#![deny(missing_docs)]
