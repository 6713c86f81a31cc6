//! A general NSGA-II engine (not yet implemented; see the issue "aellm-nsga2").
#![deny(missing_docs)]
