//! The shared HTTP client against the scripted server: retry policy, Retry-After, the run-wide
//! pause on 429, the concurrency limit, rate limits, the cache and credentials.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use kasauti::http::{Cache, CallError, Client, ClientConfig, Endpoint, Secret, Stats};
use serde_json::{json, Value};

fn config() -> ClientConfig {
    ClientConfig {
        retry_base: Duration::from_millis(5),
        timeout: Duration::from_millis(500),
        ..Default::default()
    }
}

fn body(n: usize) -> Value {
    json!({"model": "m", "messages": [{"role": "user", "content": format!("request {n}")}]})
}

fn content(v: &Value) -> Result<String, String> {
    v.pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| "no content".to_string())
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn ok() -> Action {
    Action::json(200, completion("m", "fine"))
}

#[test]
fn transient_failures_are_retried_and_permanent_ones_are_not() {
    // Each request number n gets its own failure sequence before succeeding.
    let script: Script = Arc::new(|req: &Request, attempt: usize| {
        let n: usize = req.json().unwrap()["messages"][0]["content"]
            .as_str()
            .unwrap()
            .trim_start_matches("request ")
            .parse()
            .unwrap();
        let fail = |s: u16| Action::json(s, json!({"error": {"message": format!("status {s}")}}));
        match (n, attempt) {
            (0, a) if a <= 5 => fail([408, 429, 500, 502, 503][a - 1]),
            (1, 1) => Action::Reset,
            (1, 2) => Action::Stall(Duration::from_secs(2)),
            (1, 3) => Action::Truncate {
                status: 200,
                body: completion("m", "fine").to_string(),
                keep: 30,
            },
            (1, 4) => Action::Reply {
                status: 200,
                headers: vec![],
                body: "not json".into(),
            },
            (1, 5) => Action::json(200, json!({"error": {"message": "upstream overloaded"}})),
            (2, _) => fail(500),
            (3, _) => fail(400),
            (4, _) => fail(404),
            (5, _) => fail(422),
            _ => ok(),
        }
    });
    let server = TestServer::start(Duration::ZERO, 1, script);
    let ep = Endpoint::new(&server.base_url(), None, "KEY");
    let client = Client::new(
        ClientConfig {
            max_retries: 5,
            ..config()
        },
        vec![],
    )
    .unwrap();
    rt().block_on(async {
        let r = client.chat(&ep, &body(0), "", 10, content).await.unwrap();
        assert_eq!(r.value, "fine");
        let r = client.chat(&ep, &body(1), "", 10, content).await.unwrap();
        assert_eq!(r.value, "fine");
        let e = client
            .chat(&ep, &body(2), "", 10, content)
            .await
            .unwrap_err();
        assert_eq!(
            e,
            CallError::Failed("gave up after 5 retries: HTTP 500: status 500".into())
        );
        for (n, code) in [(3, 400), (4, 404), (5, 422)] {
            let e = client
                .chat(&ep, &body(n), "", 10, content)
                .await
                .unwrap_err();
            assert_eq!(e, CallError::Failed(format!("HTTP {code}: status {code}")));
        }
    });
    let per = |n: usize| {
        let h = Request {
            method: String::new(),
            path: String::new(),
            headers: vec![],
            body: serde_json::to_vec(&body(n)).unwrap(),
        }
        .body_hash();
        server.count("/v1/chat/completions", &h)
    };
    assert_eq!(per(0), 6, "five retryable statuses, then success");
    assert_eq!(
        per(1),
        6,
        "reset, stall, truncated, not JSON, a 200 error body, then success"
    );
    assert_eq!(per(2), 6, "first attempt and 5 retries");
    assert_eq!((per(3), per(4), per(5)), (1, 1, 1));
    assert_eq!(Stats::get(&client.stats.retries), 5 + 5 + 5);
    assert_eq!(Stats::get(&client.stats.sent), 6 + 6 + 6 + 3);
}

#[test]
fn retry_after_is_honoured_and_pauses_the_whole_run() {
    // The first request to arrive is told to wait 1 s; the others are fine.
    let first = Arc::new(AtomicUsize::new(0));
    let f = first.clone();
    let script: Script = Arc::new(move |_req: &Request, _| {
        if f.fetch_add(1, Ordering::SeqCst) == 0 {
            Action::json(429, json!({"error": {"message": "rate limited"}}))
                .with_header("retry-after", "1")
        } else {
            ok()
        }
    });
    let server = TestServer::start(Duration::from_millis(20), 1, script);
    let ep = Endpoint::new(&server.base_url(), None, "KEY");
    let client = Arc::new(
        Client::new(
            ClientConfig {
                concurrency: 2,
                ..config()
            },
            vec![],
        )
        .unwrap(),
    );
    let start = Instant::now();
    rt().block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for n in 0..8 {
            let (c, ep) = (client.clone(), ep.clone());
            set.spawn(async move { c.chat(&ep, &body(n), "", 10, content).await });
        }
        while let Some(r) = set.join_next().await {
            assert!(r.unwrap().is_ok());
        }
    });
    assert!(start.elapsed() >= Duration::from_secs(1));
    let log = server.log();
    let limited_at = log[0].at;
    // Requests sent after the 429 reached the client (latency 20 ms) wait out the whole second:
    // the run pauses, not just the task that was told. The one other request in flight may
    // arrive a little after the 429 on a loaded machine, hence the 150 ms of grace.
    let during_pause: Vec<_> = log
        .iter()
        .skip(1)
        .filter(|l| l.at > limited_at + Duration::from_millis(150))
        .filter(|l| l.at < limited_at + Duration::from_millis(990))
        .collect();
    assert!(during_pause.is_empty(), "{during_pause:?}");
    assert_eq!(Stats::get(&client.stats.rate_limited), 1);
}

#[test]
fn retry_after_as_an_http_date() {
    let script: Script = Arc::new(|_req: &Request, attempt: usize| {
        if attempt == 1 {
            let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
            Action::json(503, json!({})).with_header("retry-after", &at)
        } else {
            ok()
        }
    });
    let server = TestServer::start(Duration::ZERO, 1, script);
    let ep = Endpoint::new(&server.base_url(), None, "KEY");
    let client = Client::new(config(), vec![]).unwrap();
    let start = Instant::now();
    rt().block_on(async {
        client.chat(&ep, &body(0), "", 10, content).await.unwrap();
    });
    // The date has whole-second precision: at least one second of the two remains.
    assert!(
        start.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.requests(), 2);
}

#[test]
fn concurrency_is_one_limit_for_everything() {
    let server = TestServer::start(Duration::from_millis(30), 2, Arc::new(|_, _| ok()));
    let ep = Endpoint::new(&server.base_url(), None, "KEY");
    let judge_ep = Endpoint::new(&server.base_url(), None, "OTHER_KEY");
    let client = Arc::new(
        Client::new(
            ClientConfig {
                concurrency: 3,
                ..config()
            },
            vec![],
        )
        .unwrap(),
    );
    rt().block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for n in 0..24 {
            let c = client.clone();
            let ep = if n % 2 == 0 {
                ep.clone()
            } else {
                judge_ep.clone()
            };
            set.spawn(async move { c.chat(&ep, &body(n), "", 10, content).await });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap().unwrap();
        }
    });
    assert_eq!(server.max_in_flight(), 3);
}

#[test]
fn requests_per_minute_are_spaced() {
    let server = TestServer::start(Duration::ZERO, 1, Arc::new(|_, _| ok()));
    let ep = Endpoint::new(&server.base_url(), None, "KEY");
    let client = Arc::new(
        Client::new(
            ClientConfig {
                rpm: Some(600.0),
                ..config()
            },
            vec![],
        )
        .unwrap(),
    );
    rt().block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for n in 0..5 {
            let (c, ep) = (client.clone(), ep.clone());
            set.spawn(async move { c.chat(&ep, &body(n), "", 10, content).await });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap().unwrap();
        }
    });
    let mut at: Vec<Instant> = server.log().iter().map(|l| l.at).collect();
    at.sort();
    // 600 per minute: one start every 100 ms. Arrivals jitter by connection set-up, so the span is
    // checked, and that no two arrive together.
    assert!(
        at[4] - at[0] >= Duration::from_millis(380),
        "{:?}",
        at[4] - at[0]
    );
    for w in at.windows(2) {
        assert!(
            w[1] - w[0] >= Duration::from_millis(25),
            "{:?}",
            w[1] - w[0]
        );
    }
}

#[test]
fn only_usable_replies_are_cached_and_samples_stay_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(
        Duration::ZERO,
        1,
        Arc::new(|_r: &Request, attempt| {
            if attempt == 1 {
                Action::json(200, json!({"choices": []}))
            } else {
                ok()
            }
        }),
    );
    let ep = Endpoint::new(&server.base_url(), Some(Secret::new("k1")), "KEY");
    let client = Client::new(
        ClientConfig {
            cache: Some(Cache::new(tmp.path())),
            ..config()
        },
        vec![],
    )
    .unwrap();
    rt().block_on(async {
        let e = client
            .chat(&ep, &body(0), "s0", 10, content)
            .await
            .unwrap_err();
        assert!(matches!(e, CallError::Unusable { .. }));
        let r = client.chat(&ep, &body(0), "s0", 10, content).await.unwrap();
        assert!(!r.cached);
        let r = client.chat(&ep, &body(0), "s0", 10, content).await.unwrap();
        assert!(r.cached, "the usable reply is cached");
        assert_eq!(r.value, "fine");
        // Another sample of the same request is another entry.
        let r = client.chat(&ep, &body(0), "s1", 10, content).await.unwrap();
        assert!(!r.cached);
        // Another key, same request: the key is not part of the cache entry.
        let ep2 = Endpoint::new(&server.base_url(), Some(Secret::new("k2")), "KEY");
        assert!(
            client
                .chat(&ep2, &body(0), "s0", 10, content)
                .await
                .unwrap()
                .cached
        );
    });
    assert_eq!(server.requests(), 3);
    assert_eq!(Stats::get(&client.stats.cache_hits), 2);
}

#[test]
fn refused_credentials_stop_everything_at_once() {
    let server = TestServer::start(
        Duration::from_millis(10),
        1,
        Arc::new(|req: &Request, _| {
            let auth = req.header("authorization").unwrap_or("").to_string();
            Action::json(
                401,
                json!({"error": {"message": format!("invalid key {auth}")}}),
            )
        }),
    );
    let key = Secret::new("sk-live-abcdef123456");
    let ep = Endpoint::new(&server.base_url(), Some(key.clone()), "MY_KEY");
    let client = Arc::new(
        Client::new(
            ClientConfig {
                concurrency: 1,
                ..config()
            },
            vec![key],
        )
        .unwrap(),
    );
    let errors = rt().block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for n in 0..10 {
            let (c, ep) = (client.clone(), ep.clone());
            set.spawn(async move { c.chat(&ep, &body(n), "", 10, content).await });
        }
        let mut errors = Vec::new();
        while let Some(r) = set.join_next().await {
            errors.push(r.unwrap().unwrap_err());
        }
        errors
    });
    assert_eq!(server.requests(), 1, "no retry, and nothing else is sent");
    let cred: Vec<_> = errors
        .iter()
        .filter_map(|e| match e {
            CallError::Credentials(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(cred.len(), 1);
    assert!(
        cred[0].contains("invalid key Bearer [REDACTED]"),
        "{}",
        cred[0]
    );
    assert!(cred[0].contains("MY_KEY"));
    assert_eq!(
        errors.iter().filter(|e| **e == CallError::Stopped).count(),
        9
    );
    assert!(client.credentials_failed());
}
