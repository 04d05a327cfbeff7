//! Configs of the jobs, as plain values a Rust program fills in the way the command line does
//! from its arguments: the HTTP behaviour ([`HttpOptions`]), the answering model
//! ([`ModelOptions`]), the judge ([`JudgeOptions`]) and the live jobs built from them
//! ([`GenerateConfig`], [`RunConfig`], [`JudgedGradeConfig`]). Each is checked when it is turned
//! into what the jobs run, before any request.

mod http;
mod jobs;
mod judge;
mod model;
mod service;

pub use http::HttpOptions;
pub use jobs::{GenerateConfig, GivenAnswers, JudgedGradeConfig, RunConfig};
pub use judge::JudgeOptions;
pub use model::{ModelOptions, SharedService};

#[cfg(test)]
mod tests;
