//! Headless Chromium for the tests that render report pages: finding it, running it with a fresh
//! profile and no network side-traffic, and checking that a page references nothing outside
//! itself. Without Chromium a test says it skipped the browser part, except under `CI=true`,
//! where that is a failure.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use regex::Regex;

/// Says that the browser part was skipped; under `CI=true` a missing browser is a failure, so CI
/// never passes without having rendered the page.
pub fn skipped(why: &str) {
    super::skipped_unless_ci(why, "the rendered-report test");
}

pub fn chromium() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("KASAUTI_CHROMIUM") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec!["chromium".into(), "chromium-browser".into()],
    };
    candidates.into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    })
}

/// Chromium with no network side-traffic and a fresh profile, as the project runs it.
pub fn chrome(exe: &Path, profile: &Path, extra: &[String], url: &str) -> std::process::Output {
    chrome_command(exe, profile, extra, url)
        .output()
        .expect("run chromium")
}

/// The command [`chrome`] runs, for a test that starts the browser and stops it itself.
pub fn chrome_command(exe: &Path, profile: &Path, extra: &[String], url: &str) -> Command {
    let mut cmd = Command::new(exe);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url);
    cmd
}

pub fn dump_dom(exe: &Path, tmp: &Path, name: &str, url: &str) -> String {
    let out = chrome(exe, &tmp.join(name), &["--dump-dom".to_string()], url);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn attr(tag: &str, name: &str) -> Option<String> {
    let re = Regex::new(&format!(r#"\s{name}="([^"]*)""#)).unwrap();
    re.captures(tag).map(|c| {
        c[1].replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    })
}

/// Every reference the page makes (src, href and the like, CSS url() and @import) stays inside
/// the page: only `#fragment` links are allowed, and no script calls a network API.
pub fn assert_self_contained(html: &str) {
    let refs = Regex::new(
        r#"(?i)\s(src|href|xlink:href|action|formaction|poster|srcset|background)\s*=\s*"([^"]*)""#,
    )
    .unwrap();
    // Attributes live inside tags; text (where `<` is escaped) may mention anything.
    let tags = Regex::new(r"<[a-zA-Z][^>]*>").unwrap();
    for tag in tags.find_iter(html) {
        for c in refs.captures_iter(tag.as_str()) {
            assert!(
                c[2].starts_with('#'),
                "external reference {}=\"{}\"",
                &c[1],
                &c[2]
            );
        }
    }
    let lower = html.to_ascii_lowercase();
    // CSS lives in <style> elements and style attributes; a script may name the URL API
    // (createObjectURL) without fetching anything, which the next check covers.
    let css = Regex::new(r#"(?is)<style[^>]*>.*?</style>|\sstyle\s*=\s*"[^"]*""#).unwrap();
    for c in css.find_iter(&lower) {
        assert!(!c.as_str().contains("url("), "CSS url() found");
    }
    // No script asks the network for anything.
    let scripts = Regex::new(r"(?is)<script[^>]*>(.*?)</script>").unwrap();
    for s in scripts.captures_iter(&lower) {
        for api in [
            "fetch(",
            "xmlhttprequest",
            "websocket",
            "sendbeacon",
            "eventsource",
            "import(",
            ".src",
            "window.open",
            "location.href",
        ] {
            assert!(!s[1].contains(api), "a script uses {api}");
        }
    }
    assert!(!lower.contains("@import"), "CSS @import found");
    assert!(!lower.contains("<link"), "<link> found");
    assert!(!lower.contains("<iframe"), "<iframe> found");
}
