//! Clock skew between nodes (issue 20 item 4): each node compares its clock with
//! PostgreSQL's, the clock all nodes share; SQLite has no second clock to compare with.

use tessera::config::TenantRouting;
use tessera::db::Db;

use crate::both_engines;
use crate::helpers::{Engine, TestApp};

async fn the_clock_is_compared_with_the_database(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let db = Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    let mut conn = db.conn().unwrap();
    let measured = tessera::clock::measure(&mut conn).unwrap();
    match engine {
        // Same machine, same clock: well inside the warning threshold.
        Engine::Postgres => {
            let skew = measured.expect("PostgreSQL has a clock to compare with");
            assert!(skew.abs() < tessera::clock::WARN_SECS, "{skew}");
            assert_eq!(tessera::clock::classify(skew), tessera::clock::Skew::Fine);
        }
        Engine::Sqlite => assert_eq!(measured, None),
    }
}

both_engines!(the_clock_is_compared_with_the_database);

/// libfaketime shifts a process's clock (Debian's `faketime`); CI installs it.
const FAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// A second node, `tessera serve` as a process on the same database, whose clock is
/// `offset` off (libfaketime); its log lines are collected as they come.
struct SkewedNode {
    child: std::process::Child,
    port: u16,
    lines: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

impl SkewedNode {
    fn start(app: &TestApp, offset: &str) -> SkewedNode {
        use std::io::{BufRead, BufReader};
        let mut command =
            crate::helpers::cli_command(&app.db, &app.settings, Some(&app.master_key), &["serve"]);
        command
            .env("TESSERA_SERVER__LISTEN", "127.0.0.1:0")
            .env("TESSERA_LOG__FORMAT", "json")
            .env("TESSERA_MAINTENANCE__PURGE_INTERVAL_SECS", "1")
            .env("LD_PRELOAD", FAKETIME)
            .env("FAKETIME", offset)
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let port = crate::serve::banner_port(&mut stdout);
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        // Log lines may come on either stream; both are read to the end.
        let stderr = BufReader::new(child.stderr.take().unwrap());
        for stream in [
            Box::new(stdout) as Box<dyn BufRead + Send>,
            Box::new(stderr) as Box<dyn BufRead + Send>,
        ] {
            let sink = lines.clone();
            std::thread::spawn(move || {
                for line in stream.lines().map_while(Result::ok) {
                    if let Ok(value) = serde_json::from_str(&line) {
                        sink.lock().unwrap().push(value);
                    }
                }
            });
        }
        SkewedNode { child, port, lines }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/t/acme{path}", self.port)
    }

    /// The skew it logged at `level`, once it has.
    async fn logged_skew(&self, level: &str) -> f64 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let found = self.lines.lock().unwrap().iter().find_map(|line| {
                (line["level"] == level)
                    .then(|| line["fields"]["skew_secs"].as_f64())
                    .flatten()
            });
            if let Some(skew) = found {
                return skew;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {level} about the clock: {:?}",
                self.lines.lock().unwrap()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SkewedNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two nodes on one database, one of them 20 s ahead: tokens each issues work at the other,
/// and the skewed node warns with the skew it measured; a node an hour off logs an error.
#[tokio::test]
async fn nodes_with_skewed_clocks_still_agree_on_tokens() {
    if !std::path::Path::new(FAKETIME).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs Debian's faketime ({FAKETIME})"
        );
        eprintln!("skipped: libfaketime is not installed (apt install faketime)");
        return;
    }
    let Some(_) = crate::helpers::postgres_admin_url() else {
        eprintln!("skipped: the skew is measured against PostgreSQL's clock");
        return;
    };
    let app = TestApp::spawn(Engine::Postgres, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (machine, token_from_a) =
        crate::admin_matrix::machine_admin(&app, "acme", &["clients:read"]).await;
    let secret = app.cli_json(&[
        "client",
        "rotate-secret",
        "--tenant",
        "acme",
        &machine,
        "--json",
    ])["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let ahead = SkewedNode::start(&app, "+20s");
    let http = reqwest::Client::new();

    // A token from the node 20 s ahead works on the node with the right time…
    let issued: serde_json::Value = http
        .post(ahead.url("/token"))
        .basic_auth(&machine, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token_from_b = issued["access_token"]
        .as_str()
        .expect("a token from node B")
        .to_owned();
    let claims = crate::attacks_support::claims(&token_from_b);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        claims["iat"].as_i64().unwrap() >= now + 15,
        "node B's clock is ahead: {claims}"
    );
    let (status, _, _) = crate::admin_matrix::call(
        &app,
        reqwest::Method::GET,
        "acme",
        "/clients",
        Some(&token_from_b),
        None,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    // …and the other way round.
    let answer = http
        .get(ahead.url("/admin/api/v1/clients"))
        .bearer_auth(&token_from_a)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::OK);

    // It says so: a warning with the skew it measured against the database.
    let skew = ahead.logged_skew("WARN").await;
    assert!((15.0..25.0).contains(&skew), "{skew}");

    // An hour off is an error.
    let far = SkewedNode::start(&app, "+3600s");
    let skew = far.logged_skew("ERROR").await;
    assert!((3500.0..3700.0).contains(&skew), "{skew}");
}
