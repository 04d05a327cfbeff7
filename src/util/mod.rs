//! Small helpers shared by several modules, with no dependency on the rest of the crate.

pub mod escape;
