//! HTTP throughput and cached-rerun benchmarks against the scripted test server.
//!
//! `cargo bench --bench http` prints, for concurrency 16, 64 and 256 against a server with a fixed
//! 50 ms latency, the median requests per second of several rounds and the client's CPU time per
//! request (getrusage of this process; the server runs in a child process so it is not counted),
//! then times a rerun of a finished 10,000-item `kasauti run` and a run of the same items from a
//! full cache into a new directory.
//!
//! Environment: `BENCH_ROUNDS` (default 5), `BENCH_ITEMS` (default 10000).

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{brain, Action, TestServer};
use kasauti::http::{Client, ClientConfig, Endpoint};
use serde_json::{json, Value};

const LATENCY_MS: u64 = 50;

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    if rc != 0 {
        return f64::NAN;
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// In the child: serve until stdin closes.
fn serve_child(latency_ms: u64) {
    let server = TestServer::start(
        Duration::from_millis(latency_ms),
        2,
        Arc::new(|_, _| Action::json(200, common::completion("m", "ok"))),
    );
    println!("{}", server.base_url());
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}

fn throughput(rounds: usize) {
    let exe = std::env::current_exe().expect("bench executable");
    let mut child = Command::new(exe)
        .env("KASAUTI_BENCH_SERVER", LATENCY_MS.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server process");
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("server url");
    let ep = Endpoint::new(url.trim(), None, "NONE");
    println!(
        "throughput against the test server with {LATENCY_MS} ms latency ({rounds} rounds each)"
    );
    println!("concurrency  requests  median req/s  target (90%)  ratio  CPU µs/request");
    for concurrency in [16usize, 64, 256] {
        let requests = concurrency * 40;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = Arc::new(
            Client::new(
                ClientConfig {
                    concurrency,
                    ..Default::default()
                },
                vec![],
            )
            .expect("client"),
        );
        let mut rates = Vec::new();
        let mut cpu = Vec::new();
        // One warm-up round opens the connections.
        for round in 0..=rounds {
            let cpu0 = cpu_seconds();
            let t0 = Instant::now();
            rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for n in 0..requests {
                    let (c, ep) = (client.clone(), ep.clone());
                    set.spawn(async move {
                        let body = json!({"model": "m", "messages": [{"role": "user",
                            "content": format!("round {round} request {n}")}]});
                        c.chat(&ep, &body, "", 10, |v: &Value| Ok(v.clone())).await
                    });
                }
                while let Some(r) = set.join_next().await {
                    if !matches!(r, Ok(Ok(_))) {
                        panic!("a request failed: {r:?}");
                    }
                }
            });
            let secs = t0.elapsed().as_secs_f64();
            if round > 0 {
                rates.push(requests as f64 / secs);
                cpu.push((cpu_seconds() - cpu0) / requests as f64 * 1e6);
            }
        }
        let ideal = concurrency as f64 / (LATENCY_MS as f64 / 1000.0);
        let rate = median(rates);
        println!(
            "{concurrency:>11}  {requests:>8}  {rate:>12.0}  {:>12.0}  {:>5.2}  {:>14.0}",
            ideal * 0.9,
            rate / ideal,
            median(cpu)
        );
    }
    drop(child.stdin.take());
    let _ = child.wait();
}

fn cached_rerun(rounds: usize, items: usize) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let questions = common::write_questions(tmp.path(), items);
    let server = TestServer::start(Duration::ZERO, 2, Arc::new(|r, _| brain(r)));
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let args = |out: &std::path::Path| -> Vec<String> {
        [
            "run",
            "--model",
            "answerer",
            "--base-url",
            &server.base_url(),
            "--judge-model",
            "judge",
            "--questions",
            questions.to_str().unwrap_or_default(),
            "--out",
            out.to_str().unwrap_or_default(),
            "--cache-dir",
            cache.to_str().unwrap_or_default(),
            "--concurrency",
            "256",
            "--format",
            "json,md,csv",
            "-q",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let time = |out: &std::path::Path| -> f64 {
        let t0 = Instant::now();
        let o = common::kasauti_cmd()
            .args(args(out))
            .output()
            .expect("run kasauti");
        assert!(o.status.success(), "{}", common::text(&o));
        t0.elapsed().as_secs_f64()
    };
    let first = time(&out);
    let sent = server.requests();
    println!(
        "\n{items}-item run (hybrid judge: 1 model + 3 judge requests per item): first run {first:.1} s, {sent} requests"
    );
    let reruns: Vec<f64> = (0..rounds).map(|_| time(&out)).collect();
    assert_eq!(
        server.requests(),
        sent,
        "a rerun of a finished run sends nothing"
    );
    println!(
        "rerun of the finished run: median {:.3} s (min {:.3}, max {:.3})",
        median(reruns.clone()),
        reruns.iter().cloned().fold(f64::INFINITY, f64::min),
        reruns.iter().cloned().fold(0.0, f64::max)
    );
    let fresh: Vec<f64> = (0..rounds)
        .map(|r| time(&tmp.path().join(format!("fresh{r}"))))
        .collect();
    assert_eq!(server.requests(), sent, "every request came from the cache");
    println!(
        "same items into a new run directory, all from the cache: median {:.3} s",
        median(fresh)
    );
}

fn main() {
    if let Ok(ms) = std::env::var("KASAUTI_BENCH_SERVER") {
        serve_child(ms.parse().unwrap_or(LATENCY_MS));
        return;
    }
    // `cargo test --benches` runs this with --bench absent; keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("run with `cargo bench --bench http`");
        return;
    }
    let rounds = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let items = std::env::var("BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    throughput(rounds);
    cached_rerun(rounds, items);
}
