//! The configuration space of LLM efficiency techniques.
#![deny(missing_docs)]
