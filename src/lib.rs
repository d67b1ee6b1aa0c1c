//! tongbao turns monthly statistics kept as YAML into a GB/T 9704-2012 circular (通报) as PDF.
//!
//! The modules follow the data flow: [`load`] → [`check`] → [`aggregate`] → [`render`] →
//! [`typeset`] → [`output`], run in order by [`pipeline`]; [`cli`], [`cmd`] and [`preview`] are thin
//! layers on top.

#![warn(missing_docs)]

pub mod aggregate;
pub mod audit;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod diag;
pub mod load;
pub mod output;
pub mod pipeline;
pub mod preview;
pub mod project;
pub mod provenance;
pub mod render;
pub mod typeset;
