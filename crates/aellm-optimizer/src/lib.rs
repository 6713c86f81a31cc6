//! The AE-LLM search (not yet implemented; see the issue "aellm-optimizer").
#![deny(missing_docs)]
