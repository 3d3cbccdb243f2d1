//! The page in a real headless Chromium, driven over WebDriver (chromedriver) with a plain
//! HTTP client: search a ticker, open the security, change "as known at", see the value a
//! late correction changed. A screenshot is left in `target/browser/`.
//!
//! Without Chromium and chromedriver the test says so and passes, unless
//! `SECMASTER_REQUIRE_BROWSER` is set (as `.ci/run` sets it): then it fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use secmaster_server::Config;
use serde_json::{Value as Json, json};

use crate::common::{client, eventually, sample_store, start};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn binary(var: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    path.is_file().then_some(path)
}

/// chromedriver, killed when dropped.
struct Driver {
    child: Child,
    url: String,
    agent: ureq::Agent,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self
            .agent
            .delete(format!("{}/session/{}", self.url, self.session))
            .call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start(chromedriver: &Path, chromium: &Path, profile: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let agent = client();
        let mut driver = Driver {
            child,
            url,
            agent,
            session: String::new(),
        };
        let ready = eventually(Duration::from_secs(20), || {
            driver
                .agent
                .get(format!("{}/status", driver.url))
                .call()
                .is_ok_and(|r| r.status() == 200)
        });
        assert!(ready, "chromedriver did not start on port {port}");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let session = driver.call("POST", "/session", Some(capabilities));
        driver.session = session["sessionId"].as_str().unwrap().to_string();
        driver
    }

    /// A WebDriver command; its `value`.
    fn call(&self, method: &str, path: &str, body: Option<Json>) -> Json {
        self.try_call(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// A WebDriver command; its `value`, or the error it answered (an element the page has
    /// since replaced is "stale").
    fn try_call(&self, method: &str, path: &str, body: Option<Json>) -> Result<Json, Json> {
        let url = if path == "/session" {
            format!("{}{path}", self.url)
        } else {
            format!("{}/session/{}{path}", self.url, self.session)
        };
        let response = match method {
            "GET" => self.agent.get(&url).call(),
            _ => self.agent.post(&url).send_json(body.unwrap_or(json!({}))),
        }
        .unwrap();
        let status = response.status();
        let value: Json = response.into_body().read_json().unwrap();
        if status.is_success() {
            Ok(value["value"].clone())
        } else {
            Err(value)
        }
    }

    fn find(&self, css: &str) -> Option<String> {
        let url = format!("{}/session/{}/element", self.url, self.session);
        let response = self
            .agent
            .post(&url)
            .send_json(json!({"using": "css selector", "value": css}))
            .unwrap();
        if !response.status().is_success() {
            return None;
        }
        let value: Json = response.into_body().read_json().unwrap();
        value["value"][ELEMENT].as_str().map(str::to_string)
    }

    /// The element `css` selects, once there is one.
    fn wait_for(&self, css: &str) -> String {
        let mut found = None;
        eventually(Duration::from_secs(20), || {
            found = self.find(css);
            found.is_some()
        });
        found.unwrap_or_else(|| panic!("no `{css}` on the page"))
    }

    /// The text of `css`, once `ready` holds for it.
    fn text_when(&self, css: &str, ready: impl Fn(&str) -> bool) -> String {
        let mut text = String::new();
        eventually(Duration::from_secs(20), || {
            text = self
                .find(css)
                .and_then(|e| {
                    self.try_call("GET", &format!("/element/{e}/text"), None)
                        .ok()
                })
                .and_then(|t| t.as_str().map(str::to_string))
                .unwrap_or_default();
            ready(&text)
        });
        text
    }

    fn attribute(&self, element: &str, name: &str) -> Json {
        self.call("GET", &format!("/element/{element}/attribute/{name}"), None)
    }

    fn click(&self, element: &str) {
        self.call("POST", &format!("/element/{element}/click"), None);
    }

    fn type_into(&self, element: &str, text: &str) {
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        );
    }

    fn script(&self, script: &str) -> Json {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn screenshot(&self, path: &Path) {
        let png = self.call("GET", "/screenshot", None);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, base64(png.as_str().unwrap())).unwrap();
    }
}

/// Standard base64, decoded.
fn base64(text: &str) -> Vec<u8> {
    let digit = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(digit)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | (u32::from(d) << (18 - 6 * i)));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(base64("aGVsbG8="), b"hello");
    assert_eq!(base64("aGVsbG8hIQ=="), b"hello!!");
    assert_eq!(base64("YWJj"), b"abc");
}

#[test]
fn the_page_shows_how_a_correction_changed_the_past() {
    let required = std::env::var_os("SECMASTER_REQUIRE_BROWSER").is_some();
    let chromedriver = binary("SECMASTER_CHROMEDRIVER", "/usr/bin/chromedriver");
    let chromium = binary("SECMASTER_CHROMIUM", "/usr/bin/chromium");
    let (Some(chromedriver), Some(chromium)) = (chromedriver, chromium) else {
        assert!(
            !required,
            "SECMASTER_REQUIRE_BROWSER is set but chromium or chromedriver is missing \
             (apt-get install chromium chromium-driver, or set SECMASTER_CHROMIUM and \
             SECMASTER_CHROMEDRIVER)"
        );
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "SKIPPED the browser test: no /usr/bin/chromium and /usr/bin/chromedriver \
                 (set SECMASTER_REQUIRE_BROWSER to make this a failure)"
            );
        }
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = sample_store(dir.path());
    let server = start(Config::new(&root, "127.0.0.1:0".parse().unwrap()));
    let driver = Driver::start(&chromedriver, &chromium, &dir.path().join("profile"));
    driver.call(
        "POST",
        "/url",
        Some(json!({"url": format!("http://{}/", server.addr())})),
    );
    driver.wait_for("body[data-ready=true]");
    assert_eq!(
        driver.text_when("#status", |t| t.contains("batch")),
        "Serving batch 3 of 3"
    );

    // Search the ticker, as of a day it carried it.
    let q = driver.wait_for("#q");
    driver.type_into(&q, "GRPH");
    driver.script("document.getElementById('search-on').value = '2024-02-01';");
    driver.click(&driver.wait_for("#search-button"));
    let open = driver.wait_for("a.open-security[data-id='1']");
    assert_eq!(
        driver.text_when("#results tbody", |t| t.contains("GRPH")),
        "1 GRPH Graphite bio equity"
    );
    driver.click(&open);

    // As known now (batch 3): the late correction, 110, set by batch 3 and highlighted.
    let cell = "td[data-attribute='market_cap'][data-start='2024-03-01']";
    assert_eq!(driver.text_when(cell, |t| !t.is_empty()), "110");
    let element = driver.wait_for(cell);
    assert_eq!(driver.attribute(&element, "data-batch"), json!("3"));
    assert!(
        driver
            .attribute(&element, "class")
            .as_str()
            .unwrap()
            .contains("changed"),
        "a value that changed from the period before is highlighted"
    );
    assert!(
        driver
            .text_when("#security-title", |t| t.contains("LENZ"))
            .contains("Security 1")
    );
    driver.click(&element);
    assert!(
        driver
            .text_when("#cell-detail", |t| t.contains("batch 3"))
            .contains("market_cap = 110: set by batch 3")
    );

    // As known at batch 2: the value before the correction.
    driver.click(&driver.wait_for("#known-at option[value='2']"));
    assert_eq!(driver.text_when(cell, |t| t == "100"), "100");
    let element = driver.wait_for(cell);
    assert_eq!(driver.attribute(&element, "data-batch"), json!("2"));
    let csv = driver.attribute(&driver.wait_for("#download-csv"), "href");
    assert!(
        csv.as_str()
            .unwrap()
            .ends_with("/api/v1/securities/1?as_known_at=2&format=csv"),
        "{csv}"
    );
    // As known at batch 1, security 1 had no period starting 2024-03-01.
    driver.click(&driver.wait_for("#known-at option[value='1']"));
    assert!(eventually(Duration::from_secs(20), || driver
        .find(cell)
        .is_none()));

    // Back to now, with the as-of day outlined, for the screenshot.
    driver.click(&driver.wait_for("#known-at option[value='2']"));
    driver.script(
        "const d = document.getElementById('as-of'); d.value = '2024-03-15'; \
         d.dispatchEvent(new Event('change'));",
    );
    driver.wait_for("tr.current[data-start='2024-03-01']");
    driver.click(&driver.wait_for(cell));
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser/page.png");
    driver.screenshot(&target);
    assert!(std::fs::metadata(&target).unwrap().len() > 10_000);
    drop(driver);
    server.stop().unwrap();
}
