//! An OpenAI-compatible test server on 127.0.0.1 with a random port: raw tokio TCP and a tiny
//! HTTP/1.1 parser, so that faults a real framework would hide (resets, truncated bodies, stalls)
//! can be injected. A script decides each reply from the request and how many times that exact
//! request (path and body) has been seen. Shared by the tests and `benches/http.rs`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// SHA-256 of the body, hex.
    pub fn body_hash(&self) -> String {
        Sha256::digest(&self.body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Action {
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Reset the connection (RST) without replying.
    Reset,
    /// Say nothing for this long, then close.
    Stall(Duration),
    /// Announce the whole body's length but send only the first `keep` bytes, then close.
    Truncate {
        status: u16,
        body: String,
        keep: usize,
    },
}

impl Action {
    pub fn json(status: u16, body: Value) -> Action {
        Action::Reply {
            status,
            headers: vec![],
            body: body.to_string(),
        }
    }

    pub fn with_header(self, k: &str, v: &str) -> Action {
        match self {
            Action::Reply {
                status,
                mut headers,
                body,
            } => {
                headers.push((k.into(), v.into()));
                Action::Reply {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }

    /// Marks a 2xx reply that a correct client must find unusable (it does not count as a
    /// success in [`TestServer::repeated_after_success`]).
    pub fn unusable(self) -> Action {
        self.with_header("x-test-unusable", "1")
    }

    /// Whether this is a usable 2xx reply.
    pub fn is_success(&self) -> bool {
        matches!(self, Action::Reply { status, headers, .. }
            if (200..300).contains(status) && !headers.iter().any(|(k, _)| k == "x-test-unusable"))
    }
}

/// Decides a reply: the request, and how many times this (path, body) has arrived (1 = first).
pub type Script = Arc<dyn Fn(&Request, usize) -> Action + Send + Sync>;

/// One logged request.
#[derive(Debug, Clone)]
pub struct Logged {
    pub path: String,
    pub body_hash: String,
    pub model: String,
    pub attempt: usize,
    pub at: Instant,
    pub authorization: Option<String>,
    /// The reply was a 2xx.
    pub success: bool,
}

/// A running test server; it stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    counts: Arc<Mutex<HashMap<(String, String), usize>>>,
    log: Arc<Mutex<Vec<Logged>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct State {
    script: Script,
    latency: Duration,
    counts: Arc<Mutex<HashMap<(String, String), usize>>>,
    log: Arc<Mutex<Vec<Logged>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl TestServer {
    /// Starts a server on its own thread (with `threads` tokio workers), replying after `latency`.
    pub fn start(latency: Duration, threads: usize, script: Script) -> TestServer {
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let state = Arc::new(State {
            script,
            latency,
            counts: counts.clone(),
            log: log.clone(),
            in_flight: in_flight.clone(),
            max_in_flight: max_in_flight.clone(),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads.max(1))
                .enable_all()
                .build()
                .expect("test server runtime");
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                addr_tx.send(listener.local_addr().expect("addr")).ok();
                let accept = async {
                    loop {
                        let Ok((sock, _)) = listener.accept().await else {
                            continue;
                        };
                        let _ = sock.set_nodelay(true);
                        tokio::spawn(serve(sock, state.clone()));
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = rx => {}
                }
            });
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        let addr = addr_rx.recv().expect("server address");
        TestServer {
            addr,
            counts,
            log,
            in_flight,
            max_in_flight,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request so far.
    pub fn log(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }

    pub fn requests(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// How many requests had this body hash.
    pub fn count(&self, path: &str, body_hash: &str) -> usize {
        self.counts
            .lock()
            .unwrap()
            .get(&(path.to_string(), body_hash.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// The most requests ever handled at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Requests for bodies that had already succeeded, each with the first success (should be
    /// none, except for replies a killed client never received).
    pub fn repeated_after_success(&self) -> Vec<(Logged, Logged)> {
        let mut done: HashMap<(String, String), Logged> = HashMap::new();
        let mut out = Vec::new();
        for l in self.log() {
            let key = (l.path.clone(), l.body_hash.clone());
            if let Some(first) = done.get(&key) {
                out.push((first.clone(), l.clone()));
            }
            if l.success {
                done.entry(key).or_insert(l);
            }
        }
        out
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one request from a keep-alive connection; `None` at the end of the connection.
async fn read_request(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 8192];
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let start = head_end + 4;
    while buf.len() < start + len {
        let mut chunk = [0u8; 8192];
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[start..start + len].to_vec();
    buf.drain(..start + len);
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn head(status: u16, headers: &[(String, String)], len: usize) -> String {
    let mut h = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n",
        reason(status)
    );
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    h
}

async fn serve(mut sock: TcpStream, st: Arc<State>) {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut sock, &mut buf).await {
        let now = st.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        st.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let hash = req.body_hash();
        let attempt = {
            let mut c = st.counts.lock().unwrap();
            let e = c.entry((req.path.clone(), hash.clone())).or_insert(0);
            *e += 1;
            *e
        };
        let action = (st.script)(&req, attempt);
        st.log.lock().unwrap().push(Logged {
            path: req.path.clone(),
            body_hash: hash,
            model: req
                .json()
                .and_then(|v| v.get("model").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_default(),
            attempt,
            at: Instant::now(),
            authorization: req.header("authorization").map(str::to_string),
            success: action.is_success(),
        });
        if !st.latency.is_zero() {
            tokio::time::sleep(st.latency).await;
        }
        let keep_open = match action {
            Action::Reply {
                status,
                headers,
                body,
            } => {
                let mut out = head(status, &headers, body.len()).into_bytes();
                out.extend_from_slice(body.as_bytes());
                sock.write_all(&out).await.is_ok()
            }
            Action::Reset => {
                #[allow(deprecated)]
                let _ = sock.set_linger(Some(Duration::ZERO));
                false
            }
            Action::Stall(d) => {
                tokio::time::sleep(d).await;
                false
            }
            Action::Truncate { status, body, keep } => {
                let mut out = head(status, &[], body.len()).into_bytes();
                out.extend_from_slice(&body.as_bytes()[..keep.min(body.len())]);
                let _ = sock.write_all(&out).await;
                let _ = sock.flush().await;
                false
            }
        };
        st.in_flight.fetch_sub(1, Ordering::SeqCst);
        if !keep_open {
            return;
        }
    }
}

/// A chat completion body with this content.
pub fn completion(model: &str, content: &str) -> Value {
    serde_json::json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": content.len() / 4 + 1,
                  "total_tokens": 10 + content.len() / 4 + 1}
    })
}
