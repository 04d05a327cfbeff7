//! The response cache: content-addressed, one file per usable response, written atomically.
//!
//! The key is the SHA-256 of the base URL, the model, the exact request body and a salt (the
//! sample index); the API key is never part of it, so the same request with a new key hits the
//! same entry, and nothing secret is ever stored.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// A cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The cache key of a request.
pub fn key(base_url: &str, model: &str, body: &[u8], salt: &str) -> String {
    let mut h = Sha256::new();
    // Lengths first, so no two different tuples can hash the same bytes.
    for part in [base_url.as_bytes(), model.as_bytes(), body, salt.as_bytes()] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    crate::util::hex(&h.finalize())
}

impl Cache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Cache { dir: dir.into() }
    }

    /// The default location: the platform's cache directory (`~/.cache/kasauti` on Linux).
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("kasauti"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> PathBuf {
        let shard = key.get(..2).unwrap_or("00");
        self.dir.join(shard).join(format!("{key}.json"))
    }

    /// A cached response body, if there is a readable one.
    pub fn get(&self, key: &str) -> Option<Value> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores a response body: written to a unique temporary file, then renamed, so concurrent
    /// writers and killed processes never leave half an entry.
    pub fn put(&self, key: &str, body: &Value) -> std::io::Result<()> {
        let path = self.path(key);
        let Some(parent) = path.parent() else {
            return Ok(());
        };
        std::fs::create_dir_all(parent)?;
        let tmp = parent.join(format!(
            ".{key}.{}.{}.tmp",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(
            &tmp,
            serde_json::to_vec(body).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, &path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_what_differs() {
        let k = key("http://a/v1", "m", b"{}", "0");
        assert_eq!(k.len(), 64);
        assert_ne!(k, key("http://a/v1", "m", b"{}", "1"));
        assert_ne!(k, key("http://b/v1", "m", b"{}", "0"));
        assert_ne!(k, key("http://a/v1", "m2", b"{}", "0"));
        assert_ne!(key("ab", "c", b"", ""), key("a", "bc", b"", ""));
        assert_eq!(k, key("http://a/v1", "m", b"{}", "0"));
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::new(dir.path());
        let k = key("u", "m", b"{}", "");
        assert_eq!(c.get(&k), None);
        c.put(&k, &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(c.get(&k), Some(serde_json::json!({"a": 1})));
        // No temporary files are left behind.
        let sub = std::fs::read_dir(dir.path().join(&k[..2])).unwrap().count();
        assert_eq!(sub, 1);
    }
}
