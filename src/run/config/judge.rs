//! The judge as plain options, turned into a [`JudgeKind`] and its [`Panel`] of judge models.

use std::path::PathBuf;

use super::model::SharedService;
use super::service::{check_url, default_base_url, default_key_env, key_from};
use crate::error::{Error, Result};
use crate::http::Endpoint;
use crate::judge::{
    JudgeApi, JudgeKind, JudgeMode, JudgeSide, Panel, Reference, Template, VoteRule,
};

/// The judge, as the command line's judge options describe it. The defaults are the command
/// line's: the rule judge, or hybrid once a judge model is named.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgeOptions {
    /// The judge (`None`: rules without judge models, hybrid with them).
    pub kind: Option<JudgeKind>,
    /// The judge models: one, or several for a jury (distinct names).
    pub models: Vec<String>,
    /// The API judges are asked through (`None`: the answering model's, else OpenAI's).
    pub api: Option<JudgeApi>,
    /// Base URLs: none (the model's, or the API's default), one for every juror, or one per
    /// judge model in the same order.
    pub base_urls: Vec<String>,
    /// Variables holding the judges' keys, given like `base_urls`.
    pub api_key_envs: Vec<String>,
    /// How a jury decides each criterion.
    pub vote: VoteRule,
    /// Verdicts asked of each judge model per criterion (the majority decides).
    pub samples: u32,
    /// Sampling temperature (`None`: 0, or 0.7 when `samples` is above 1).
    pub temperature: Option<f64>,
    /// What the prompt shows of the question's reference.
    pub reference: Reference,
    /// A prompt template file (`None`: the built-in template of `mode`).
    pub template: Option<PathBuf>,
    /// One call per criterion or one per answer.
    pub mode: JudgeMode,
    /// How many times an unusable reply is asked again before the verdict is null.
    pub retries: u32,
    /// Send the reply's JSON schema as `response_format` (OpenAI-style APIs only).
    pub structured: bool,
    /// `max_tokens` of judge requests (`None`: sized to the criteria asked).
    pub max_tokens: Option<u64>,
    /// Price of the judge's prompt tokens, per million.
    pub price_prompt: Option<f64>,
    /// Price of the judge's completion tokens, per million.
    pub price_completion: Option<f64>,
}

impl Default for JudgeOptions {
    fn default() -> Self {
        JudgeOptions {
            kind: None,
            models: Vec::new(),
            api: None,
            base_urls: Vec::new(),
            api_key_envs: Vec::new(),
            vote: VoteRule::Majority,
            samples: 1,
            temperature: None,
            reference: Reference::Ideal,
            template: None,
            mode: JudgeMode::PerCriterion,
            retries: 3,
            structured: false,
            max_tokens: None,
            price_prompt: None,
            price_completion: None,
        }
    }
}

impl JudgeOptions {
    /// Whether these options ask a judge model (a named model, or a judge that needs one).
    pub fn asks_a_model(&self) -> bool {
        !self.models.is_empty()
            || matches!(
                self.kind,
                Some(JudgeKind::Llm | JudgeKind::Hybrid | JudgeKind::Gated)
            )
    }

    /// The judge kind and its judge models, checked: names, counts of URLs and key variables,
    /// the temperature, the template file and the URLs, and every key is read. `model` is the
    /// answering model's service, which the judges use unless told otherwise (and when their
    /// API is the same).
    pub fn panel(&self, model: Option<SharedService>) -> Result<(JudgeKind, Option<Panel>)> {
        let usage = |m: String| Error::Usage(m);
        let named = !self.models.is_empty();
        let kind = match (self.kind, named) {
            (None, false) | (Some(JudgeKind::Rules), _) => JudgeKind::Rules,
            (None, true) => JudgeKind::Hybrid,
            (Some(k), true) => k,
            (Some(k), false) => {
                return Err(usage(format!("--judge {} needs --judge-model", k.as_str())));
            }
        };
        if kind == JudgeKind::Rules {
            return Ok((kind, None));
        }
        let n = self.models.len();
        for (flag, given) in [
            ("--judge-base-url", self.base_urls.len()),
            ("--judge-api-key-env", self.api_key_envs.len()),
        ] {
            if given > 1 && given != n {
                return Err(usage(format!(
                    "{flag} is given {given} times for {n} --judge-model: give it once (for every \
                     juror) or once per --judge-model, in the same order"
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for m in &self.models {
            if m.trim().is_empty() {
                return Err(usage("--judge-model must not be empty".into()));
            }
            if !seen.insert(m.as_str()) {
                return Err(usage(format!(
                    "--judge-model {m} is given twice; each juror needs its own name (to ask one \
                     model several times, use --judge-samples)"
                )));
            }
        }
        if self
            .temperature
            .is_some_and(|t| !(t.is_finite() && t >= 0.0))
        {
            return Err(usage("--judge-temperature must be a number >= 0".into()));
        }
        if self.max_tokens == Some(0) {
            return Err(usage("--judge-max-tokens must be at least 1".into()));
        }
        let api = self
            .api
            .or(model.as_ref().map(|m| m.api))
            .unwrap_or_default();
        // The model's URL and key serve the judge only when both speak the same API.
        let shared = model.filter(|m| m.api == api);
        if self.structured && api == JudgeApi::Anthropic {
            return Err(usage(
                "--judge-structured sends an OpenAI response_format, which Anthropic's Messages \
                 API does not take; leave it out with --judge-api anthropic (replies are parsed \
                 leniently and asked again when unusable)"
                    .into(),
            ));
        }
        let template = self.template()?;
        let temperature = self.temperature.or((self.samples > 1).then_some(0.7));
        let pick = |list: &[String], i: usize| list.get(i).or(list.first()).cloned();
        let mut jurors = Vec::with_capacity(n);
        for (i, name) in self.models.iter().enumerate() {
            let url = pick(&self.base_urls, i).unwrap_or_else(|| match &shared {
                Some(s) => s.base_url.clone(),
                None => default_base_url(api),
            });
            check_url(&url)?;
            let env = pick(&self.api_key_envs, i).unwrap_or_else(|| match &shared {
                Some(s) => s.key_env.clone(),
                None => default_key_env(api).to_string(),
            });
            jurors.push(JudgeSide {
                endpoint: Endpoint::new(&url, key_from(&env)?, &env),
                api,
                model: name.clone(),
                mode: self.mode,
                template: template.clone(),
                retries: self.retries,
                structured: self.structured,
                max_tokens: self.max_tokens,
                reference: self.reference,
                temperature,
            });
        }
        Ok((
            kind,
            Some(Panel {
                jurors,
                vote: self.vote,
                samples: self.samples,
            }),
        ))
    }

    /// The prompt template: the file's, checked for the placeholders `mode` needs, or the
    /// built-in one.
    fn template(&self) -> Result<Template> {
        let Some(p) = &self.template else {
            return Ok(Template::builtin(self.mode));
        };
        let bytes = crate::jsonl::read_file(p)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::Usage(format!("{}: the judge template is not UTF-8", p.display()))
        })?;
        Template::from_text(text, self.mode)
            .map_err(|e| Error::Usage(format!("{}: {e}", p.display())))
    }
}
