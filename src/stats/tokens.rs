//! Token counts and costs of a run, per model: what the model answering and its judge spent.

use serde::{Deserialize, Serialize};

use crate::util::sum_opt;

/// Token counts and cost of one side (the model answering, or the judge).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenCount {
    pub prompt: u64,
    pub completion: u64,
    pub requests: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
}

/// Tokens for the model and its judge, apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tokens {
    pub model: TokenCount,
    pub judge: TokenCount,
}

impl Tokens {
    /// Adds another run's counts to these (costs stay unknown only when both are).
    pub fn add(&mut self, v: &Tokens) {
        self.model.prompt += v.model.prompt;
        self.model.completion += v.model.completion;
        self.model.requests += v.model.requests;
        self.judge.prompt += v.judge.prompt;
        self.judge.completion += v.judge.completion;
        self.judge.requests += v.judge.requests;
        self.model.cost = sum_opt(self.model.cost, v.model.cost);
        self.judge.cost = sum_opt(self.judge.cost, v.judge.cost);
    }
}
