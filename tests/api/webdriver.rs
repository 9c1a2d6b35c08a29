//! A minimal W3C WebDriver client for headless Chromium through chromedriver (Debian's
//! `chromium` and `chromium-driver`, installed by `.ci/run`). Enough for the page tests:
//! navigate, fill and click, read the page, screenshots, phone-sized viewport emulation, and
//! the browser's console log.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where chromedriver and Chromium live (Debian's packages by default).
fn binaries() -> (String, String) {
    (
        std::env::var("TESSERA_TEST_CHROMEDRIVER")
            .unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
        std::env::var("TESSERA_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    )
}

/// Whether the browser tests can run here. Under CI=true a missing browser fails the test
/// (`.ci/run` installs it), so CI cannot pass with the browser tests silently skipped.
pub fn available() -> bool {
    let (driver, browser) = binaries();
    let present = std::path::Path::new(&driver).exists() && std::path::Path::new(&browser).exists();
    if !present && std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI=true but {driver} or {browser} is missing: install chromium and chromium-driver"
        );
    }
    present
}

pub struct Driver {
    process: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    /// Screenshots go to target/browser-screenshots/{name}/.
    shots: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    /// Starts chromedriver and a headless Chromium session.
    pub async fn start(test: &str) -> Driver {
        let (driver, browser) = binaries();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let process = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--no-first-run", "--no-default-browser-check"]
            },
            "goog:loggingPrefs": { "browser": "ALL" }
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/browser-screenshots")
            .join(test);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).expect("screenshot directory");
        Driver {
            process,
            base,
            session,
            http,
            shots,
        }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        self.command(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn source(&self) -> String {
        self.command(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The page source once it contains `marker` (navigations may still be settling).
    pub async fn source_with(&self, marker: &str) -> String {
        for _ in 0..100 {
            let source = self.source().await;
            if source.contains(marker) {
                return source;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{marker} never appeared on {}", self.url().await)
    }

    /// The current URL once it contains `part`; on timeout a screenshot `timeout` is saved.
    pub async fn url_with(&self, part: &str) -> String {
        for _ in 0..100 {
            let url = self.url().await;
            if url.contains(part) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let shot = self.screenshot("timeout").await;
        panic!(
            "never reached {part}: at {} (see {})",
            self.url().await,
            shot.display()
        )
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .command(
                reqwest::Method::POST,
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no {css}"))
            .to_owned()
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn delete_cookies(&self) {
        self.command(reqwest::Method::DELETE, "/cookie", None).await;
    }

    pub async fn script(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// Saves a PNG of the viewport as `{n}-{name}.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let data = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("PNG");
        let count = std::fs::read_dir(&self.shots)
            .map(|d| d.count())
            .unwrap_or(0);
        let path = self.shots.join(format!("{count:02}-{name}.png"));
        std::fs::write(&path, png).expect("screenshot written");
        path
    }

    /// Emulates a phone's viewport (CSS pixels), or the desktop one with `None`.
    pub async fn viewport(&self, width: Option<u32>) {
        let body = match width {
            Some(width) => json!({ "cmd": "Emulation.setDeviceMetricsOverride",
                "params": { "width": width, "height": 812, "deviceScaleFactor": 2, "mobile": true } }),
            None => json!({ "cmd": "Emulation.clearDeviceMetricsOverride", "params": {} }),
        };
        self.command(reqwest::Method::POST, "/goog/cdp/execute", Some(body))
            .await;
    }

    /// The browser console's messages since the last call (errors are level SEVERE).
    pub async fn console(&self) -> Vec<Value> {
        self.command(
            reqwest::Method::POST,
            "/se/log",
            Some(json!({ "type": "browser" })),
        )
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
    }

    /// Fails on any console error (CSP violations, failed loads, script errors).
    pub async fn assert_no_console_errors(&self, page: &str) {
        let errors: Vec<Value> = self
            .console()
            .await
            .into_iter()
            .filter(|m| m["level"] == "SEVERE")
            .collect();
        assert!(errors.is_empty(), "console errors on {page}: {errors:?}");
    }

    /// Checks the page is usable on a 375 px wide phone: nothing wider than the screen, every
    /// visible form control inside it and labelled. Saves a screenshot of it.
    pub async fn assert_usable_on_phone(&self, name: &str) {
        self.viewport(Some(375)).await;
        let report = self
            .script(
                r#"
                const width = window.innerWidth;
                const problems = [];
                if (document.documentElement.scrollWidth > width + 1) {
                    problems.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + width);
                }
                for (const el of document.querySelectorAll('input, select, textarea, button')) {
                    if (el.type === 'hidden') continue;
                    const box = el.getBoundingClientRect();
                    if (box.width === 0) continue;
                    if (el.closest('.table-wrap')) continue; // tables scroll inside their box
                    if (box.left < -1 || box.right > width + 1) problems.push((el.name || el.textContent.trim()) + ' is outside the screen');
                    if (el.tagName !== 'BUTTON' && el.labels && el.labels.length === 0) problems.push((el.name || el.id) + ' has no label');
                    if (el.tagName === 'BUTTON' && box.height < 24) problems.push('button ' + el.textContent.trim() + ' is too small to tap');
                }
                return problems;
                "#,
            )
            .await;
        self.screenshot(&format!("{name}-375px")).await;
        self.viewport(None).await;
        assert_eq!(report, json!([]), "{name} at 375 px");
    }

    pub async fn quit(self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}
