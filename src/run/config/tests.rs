use super::*;
use crate::error::Error;
use crate::judge::{JudgeApi, JudgeKind};

fn usage_text(r: crate::error::Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(Error::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

fn judged(models: &[&str]) -> JudgeOptions {
    JudgeOptions {
        models: models.iter().map(|m| m.to_string()).collect(),
        base_urls: vec!["http://127.0.0.1:9/v1".into()],
        api_key_envs: vec!["KASAUTI_CONFIG_TEST_NO_SUCH_KEY".into()],
        ..JudgeOptions::default()
    }
}

#[test]
fn judge_kind_defaults_follow_the_models_named() {
    let (kind, panel) = JudgeOptions::default().panel(None).unwrap();
    assert_eq!(kind, JudgeKind::Rules);
    assert!(panel.is_none());
    let (kind, panel) = judged(&["a"]).panel(None).unwrap();
    assert_eq!(kind, JudgeKind::Hybrid);
    let panel = panel.unwrap();
    assert_eq!(panel.jurors.len(), 1);
    assert_eq!(panel.jurors[0].endpoint.base_url, "http://127.0.0.1:9/v1");
    assert_eq!(panel.jurors[0].temperature, None);
    let gated = JudgeOptions {
        kind: Some(JudgeKind::Gated),
        ..judged(&["a", "b"])
    };
    let (kind, panel) = gated.panel(None).unwrap();
    assert_eq!(kind, JudgeKind::Gated);
    // One URL given serves every juror.
    let urls: Vec<_> = panel
        .unwrap()
        .jurors
        .iter()
        .map(|j| j.endpoint.base_url.clone())
        .collect();
    assert_eq!(urls, ["http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1"]);
}

#[test]
fn judge_options_are_checked_with_the_flags_named() {
    let llm = JudgeOptions {
        kind: Some(JudgeKind::Llm),
        ..JudgeOptions::default()
    };
    assert!(llm.asks_a_model());
    assert!(!JudgeOptions::default().asks_a_model());
    assert_eq!(
        usage_text(llm.panel(None)),
        "--judge llm needs --judge-model"
    );
    let twice = judged(&["a", "a"]);
    assert!(usage_text(twice.panel(None)).starts_with("--judge-model a is given twice"));
    let three_urls = JudgeOptions {
        base_urls: vec![
            "http://a/v1".into(),
            "http://b/v1".into(),
            "http://c/v1".into(),
        ],
        ..judged(&["a", "b"])
    };
    assert!(
        usage_text(three_urls.panel(None)).starts_with("--judge-base-url is given 3 times for 2")
    );
    let hot = JudgeOptions {
        temperature: Some(-1.0),
        ..judged(&["a"])
    };
    assert_eq!(
        usage_text(hot.panel(None)),
        "--judge-temperature must be a number >= 0"
    );
    let silent = JudgeOptions {
        max_tokens: Some(0),
        ..judged(&["a"])
    };
    assert_eq!(
        usage_text(silent.panel(None)),
        "--judge-max-tokens must be at least 1"
    );
}

#[test]
fn judges_share_the_model_service_only_on_the_same_api() {
    let service = SharedService {
        api: JudgeApi::Anthropic,
        base_url: "http://model.example/v1".into(),
        key_env: "KASAUTI_CONFIG_TEST_NO_SUCH_KEY".into(),
    };
    let bare = JudgeOptions {
        models: vec!["j".into()],
        ..JudgeOptions::default()
    };
    let (_, panel) = bare.panel(Some(service.clone())).unwrap();
    let juror = &panel.unwrap().jurors[0];
    assert_eq!(juror.api, JudgeApi::Anthropic);
    assert_eq!(juror.endpoint.base_url, "http://model.example/v1");
    let openai = JudgeOptions {
        api: Some(JudgeApi::OpenAi),
        api_key_envs: vec!["KASAUTI_CONFIG_TEST_NO_SUCH_KEY".into()],
        base_urls: vec!["http://judge.example/v1".into()],
        ..bare
    };
    let (_, panel) = openai.panel(Some(service)).unwrap();
    assert_eq!(
        panel.unwrap().jurors[0].endpoint.base_url,
        "http://judge.example/v1"
    );
}

#[test]
fn several_judge_samples_default_to_a_warm_temperature() {
    let sampled = JudgeOptions {
        samples: 3,
        ..judged(&["a"])
    };
    let (_, panel) = sampled.panel(None).unwrap();
    assert_eq!(panel.unwrap().jurors[0].temperature, Some(0.7));
}

#[test]
fn http_options_are_checked_and_recorded() {
    let bad = HttpOptions {
        timeout_s: 0.0,
        ..HttpOptions::default()
    };
    assert_eq!(
        usage_text(bad.client_config()),
        "--timeout must be a positive number of seconds"
    );
    let bad = HttpOptions {
        rpm: Some(f64::NAN),
        ..HttpOptions::default()
    };
    assert_eq!(
        usage_text(bad.client_config()),
        "--rpm must be a positive number"
    );
    let opts = HttpOptions {
        concurrency: 3,
        timeout_s: 2.5,
        no_cache: true,
        ..HttpOptions::default()
    };
    let c = opts.client_config().unwrap();
    assert_eq!(c.concurrency, 3);
    assert_eq!(c.timeout, std::time::Duration::from_millis(2500));
    assert!(c.cache.is_none());
    let mut s = std::collections::BTreeMap::new();
    opts.record(&mut s);
    assert_eq!(s["concurrency"], 3);
    assert_eq!(s["timeout_s"], 2.5);
    assert_eq!(s["cache"], false);
}

#[test]
fn a_model_needs_a_name_and_an_http_url() {
    let unnamed = ModelOptions::default();
    assert_eq!(usage_text(unnamed.side()), "--model must not be empty");
    let ftp = ModelOptions {
        model: "m".into(),
        base_url: Some("ftp://host/v1".into()),
        api_key_env: Some("KASAUTI_CONFIG_TEST_NO_SUCH_KEY".into()),
        ..ModelOptions::default()
    };
    let zero = ModelOptions {
        max_tokens: Some(0),
        ..ftp.clone()
    };
    assert_eq!(usage_text(zero.side()), "--max-tokens must be at least 1");
    assert!(usage_text(ftp.side()).contains("is not an http(s) base URL"));
    let local = ModelOptions {
        base_url: Some("http://127.0.0.1:8000/v1/".into()),
        samples: 2,
        ..ftp
    };
    let side = local.side().unwrap();
    // The trailing slash is dropped so URLs and cache keys agree.
    assert_eq!(side.endpoint.base_url, "http://127.0.0.1:8000/v1");
    assert_eq!(side.params.samples, 2);
    assert!(side.endpoint.key.is_none());
    let shared = local.shared_service(&side).unwrap();
    assert_eq!(shared.base_url, "http://127.0.0.1:8000/v1");
    assert_eq!(shared.key_env, "KASAUTI_CONFIG_TEST_NO_SUCH_KEY");
}
