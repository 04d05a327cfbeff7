//! API keys: held in a type that never prints them, and scrubbed from anything a server says.

/// An API key. `Debug` and `Display` show only that a key is there, so a key can never reach a
/// log line, a manifest or an error message by accident; [`Secret::expose`] is used only to
/// build the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The key itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// Replaces every occurrence of every key in `text` with `[REDACTED]`.
pub fn redact(text: &str, secrets: &[Secret]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        let k = s.expose().trim();
        if !k.is_empty() && out.contains(k) {
            out = out.replace(k, "[REDACTED]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed_and_scrubbed() {
        let s = Secret::new("sk-abc123");
        assert!(!format!("{s:?} {s}").contains("abc123"));
        assert_eq!(
            redact("bad key sk-abc123 (sk-abc123)", &[s]),
            "bad key [REDACTED] ([REDACTED])"
        );
        assert_eq!(redact("x", &[Secret::new("")]), "x");
    }
}
