//! Real measurements with candle (in progress; see the issue "aellm-harness").
#![deny(missing_docs)]

pub mod quant;
