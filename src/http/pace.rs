//! Pacing and stopping: spacing request starts within per-minute budgets, and the handle that
//! stops a run.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Stops a run: new requests are refused and waits are cut short; requests in flight finish.
#[derive(Debug, Clone)]
pub struct StopHandle {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for StopHandle {
    fn default() -> Self {
        StopHandle {
            tx: Arc::new(watch::channel(false).0),
        }
    }
}

impl StopHandle {
    /// Stops the run.
    pub fn stop(&self) {
        self.tx.send_replace(true);
    }

    /// Whether the run is stopping.
    pub fn is_stopped(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once the run is stopping.
    pub async fn stopped(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }
}

/// Spaces request starts so that a per-minute budget is never exceeded: each request books the
/// next free instant and waits for it. Booking is strict (no bursts), which is what servers that
/// count per minute expect of a polite client.
#[derive(Debug)]
pub(super) struct Pacer {
    next: Mutex<Instant>,
}

impl Pacer {
    pub(super) fn new() -> Self {
        Pacer {
            next: Mutex::new(Instant::now()),
        }
    }

    /// Books `cost` worth of time and returns when the request may start.
    pub(super) fn book(&self, cost: Duration) -> Instant {
        let now = Instant::now();
        let mut next = match self.next.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let at = (*next).max(now);
        *next = at + cost;
        at
    }
}
