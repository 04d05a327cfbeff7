//! Compiling a rubric's checks: phrases replaced by indices into one phrase index, regexes
//! built once, and the prompt's word runs hashed for finding echoes.

use std::hash::Hasher;

use regex::Regex;

use crate::dataset::Check;
use crate::text::Script;

/// A check with its phrases replaced by indices into the rubric's phrase index.
#[derive(Debug, Clone)]
pub(super) enum Compiled {
    Mentions {
        ids: Vec<usize>,
        all: bool,
        affirmed: bool,
    },
    Regex(Regex),
    Number {
        value: f64,
        tolerance: f64,
        near: Vec<usize>,
        within: u32,
        affirmed: bool,
    },
    Script {
        script: Script,
        min_share: f64,
    },
    Words {
        min: Option<u64>,
        max: Option<u64>,
    },
    All(Vec<Compiled>),
    Any(Vec<Compiled>),
    Not(Box<Compiled>),
    Near {
        items: Vec<Compiled>,
        within: u32,
    },
}

/// Compiles the checks of one rubric, collecting their phrases and numbers.
pub(super) struct Compiler<'a> {
    pub phrases: &'a mut Vec<String>,
    pub numbers: &'a mut Vec<(f64, f64)>,
    /// Whether any check counts only affirmed occurrences (negation markers are then scanned).
    pub needs_negation: bool,
}

impl Compiler<'_> {
    fn add(&mut self, list: &[String]) -> Vec<usize> {
        list.iter()
            .map(|p| {
                self.phrases.push(p.clone());
                self.phrases.len() - 1
            })
            .collect()
    }

    /// Compiles one check; `affirmed` says whether only asserted occurrences count.
    pub(super) fn compile(&mut self, check: &Check, affirmed: bool) -> Result<Compiled, String> {
        if affirmed
            && matches!(
                check,
                Check::Mentions(_) | Check::MentionsAll(_) | Check::Number { .. }
            )
        {
            self.needs_negation = true;
        }
        Ok(match check {
            Check::Mentions(p) => Compiled::Mentions {
                ids: self.add(p),
                all: false,
                affirmed,
            },
            Check::MentionsAll(p) => Compiled::Mentions {
                ids: self.add(p),
                all: true,
                affirmed,
            },
            Check::Regex(r) => Compiled::Regex(Regex::new(r).map_err(|e| e.to_string())?),
            Check::Number {
                value,
                tolerance,
                near,
                within,
            } => {
                self.numbers.push((*value, *tolerance));
                Compiled::Number {
                    value: *value,
                    tolerance: *tolerance,
                    near: self.add(near),
                    within: *within,
                    affirmed,
                }
            }
            Check::Script { script, min_share } => Compiled::Script {
                script: *script,
                min_share: *min_share,
            },
            Check::Words { min, max } => Compiled::Words {
                min: *min,
                max: *max,
            },
            Check::All(c) => Compiled::All(
                c.iter()
                    .map(|c| self.compile(c, affirmed))
                    .collect::<Result<_, _>>()?,
            ),
            Check::Any(c) => Compiled::Any(
                c.iter()
                    .map(|c| self.compile(c, affirmed))
                    .collect::<Result<_, _>>()?,
            ),
            // What a `not` rules out is an assertion: "does not claim X" is not broken by
            // "X is a myth".
            Check::Not(c) => Compiled::Not(Box::new(self.compile(c, true)?)),
            Check::Near { all, within } => Compiled::Near {
                items: all
                    .iter()
                    .map(|c| self.compile(c, affirmed))
                    .collect::<Result<_, _>>()?,
                within: *within,
            },
            Check::Affirmed(c, on) => self.compile(c, *on)?,
        })
    }
}

/// One word's hash, for finding runs of words copied from the prompt.
pub(super) fn token_hash(t: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(t.as_bytes());
    h.finish()
}

/// The hash of a run of word hashes.
pub(super) fn run_hash(hashes: &[u64]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    for &x in hashes {
        h.write_u64(x);
    }
    h.finish()
}
