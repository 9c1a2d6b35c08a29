//! `kill -9` of one of three nodes on one PostgreSQL database under load (issue 20, item 1):
//! clients keep signing in, refreshing and asking for machine tokens, retrying on another node
//! (client-side round robin) when one does not answer. Nothing acknowledged before or during
//! the kill is lost: unredeemed authorization codes redeem, refresh tokens refresh, browser
//! sessions stay signed in, and the audit chain verifies after the node is back.
//!
//! Nodes run with `tokens.refresh_token_reuse_grace_secs = 10`: a rotation the dying node
//! committed but never answered leaves the client holding the old token, and without a grace
//! window its retry is indistinguishable from token theft and revokes the family (see the
//! README on running several nodes).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::browser::Browser;
use crate::flow::{authorize_url, pkce, register_rp, sign_in, Rp, REDIRECT};
use crate::helpers::{postgres_admin_url, Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const GRACE: &str = "10";

/// `tessera serve` on the first node's database, key and public URL.
fn start_node(app: &TestApp) -> (crate::faults::Served, u16) {
    let mut command =
        crate::helpers::cli_command(&app.db, &app.settings, Some(&app.master_key), &["serve"]);
    command
        .env("TESSERA_SERVER__LISTEN", "127.0.0.1:0")
        .env("TESSERA_LOG__FORMAT", "json")
        .env("TESSERA_TOKENS__REFRESH_TOKEN_REUSE_GRACE_SECS", GRACE)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    crate::faults::watch(command.spawn().unwrap())
}

/// The nodes' origins, as clients know them; the killed node's entry changes when it is back.
#[derive(Clone)]
struct Nodes(Arc<Mutex<Vec<String>>>);

impl Nodes {
    fn origin(&self, node: usize) -> String {
        self.0.lock().unwrap()[node].clone()
    }

    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Sends `request` to node `first`, and on no answer or a 503 to the next, round and
    /// round for a while: what a client behind a load balancer sees. The first other answer.
    async fn send_anywhere(
        &self,
        first: usize,
        request: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> reqwest::Response {
        for attempt in 0..30 {
            let origin = self.origin((first + attempt) % self.len());
            match request(&format!("{origin}/t/acme")).send().await {
                Ok(response) if response.status() != StatusCode::SERVICE_UNAVAILABLE => {
                    return response
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        panic!("no node answered in 30 attempts");
    }
}

async fn ok_json(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// A sign-in in a browser of its own, through `origin`: the browser (its session) and the
/// unredeemed code with its verifier.
async fn signed_in(app: &TestApp, rp: &Rp, origin: &str, user: usize) -> (Browser, String, String) {
    let browser = Browser::at(&format!("10.20.0.{user}"));
    let (verifier, challenge) = pkce();
    let url = authorize_url(app, "acme", rp, &challenge, &[]).replace(&app.address, origin);
    let page = sign_in(&browser, &url, &format!("user{user}@example.com"), PASSWORD).await;
    let code = page
        .query_param("code")
        .unwrap_or_else(|| panic!("no code: {} {:?}", page.status, page.location));
    (browser, code, verifier)
}

fn exchange(
    http: &reqwest::Client,
    rp: &Rp,
    base: &str,
    code: &str,
    verifier: &str,
) -> reqwest::RequestBuilder {
    http.post(format!("{base}/token"))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
}

fn refresh(http: &reqwest::Client, rp: &Rp, base: &str, token: &str) -> reqwest::RequestBuilder {
    http.post(format!("{base}/token"))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
}

/// The browser's session, on `origin`: a silent authorization gets a code, not a login page.
async fn still_signed_in(app: &TestApp, rp: &Rp, browser: &Browser, origin: &str) -> bool {
    let (_, challenge) = pkce();
    let url = authorize_url(app, "acme", rp, &challenge, &[("prompt", "none")])
        .replace(&app.address, origin);
    let page = browser.follow(browser.get(&url).await, REDIRECT).await;
    page.query_param("code").is_some()
}

#[tokio::test]
async fn kill_9_of_one_of_three_postgres_nodes_loses_nothing_acknowledged() {
    if postgres_admin_url().is_none() {
        return;
    }
    let app = TestApp::spawn_with(Engine::Postgres, |s| {
        s.tokens.refresh_token_reuse_grace_secs = GRACE.parse().unwrap();
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    app.create_tenant("acme");
    for user in 1..=12 {
        app.create_account("acme", &format!("user{user}@example.com"), PASSWORD);
    }
    let rp = Arc::new(register_rp(&app, "acme", &["--consent", "skip"]));
    let (machine_id, machine_secret) = app.machine_client("acme");
    let (mut b, b_port) = start_node(&app);
    let (_c, c_port) = start_node(&app);
    // "localhost" for every node: cookies ignore ports, so a session is the browser's on all
    // three, as behind one load balancer.
    let nodes = Nodes(Arc::new(Mutex::new(vec![
        app.address.clone(),
        format!("http://localhost:{b_port}"),
        format!("http://localhost:{c_port}"),
    ])));
    let http = reqwest::Client::new();

    // Before the kill: six users sign in, two through each node. Half redeem their code on
    // the next node (a refresh token each), half keep it for later.
    let mut browsers = Vec::new();
    let mut kept_codes = Vec::new();
    let mut refresh_tokens = Vec::new();
    for user in 1..=6 {
        let origin = nodes.origin(user % 3);
        let (browser, code, verifier) = signed_in(&app, &rp, &origin, user).await;
        browsers.push(browser);
        if user % 2 == 0 {
            let next = format!("{}/t/acme", nodes.origin((user + 1) % 3));
            let tokens = ok_json(
                exchange(&http, &rp, &next, &code, &verifier)
                    .send()
                    .await
                    .unwrap(),
                "code exchange",
            )
            .await;
            refresh_tokens.push(tokens["refresh_token"].as_str().unwrap().to_owned());
        } else {
            kept_codes.push((code, verifier));
        }
    }

    // Load: refresh loops (one per token), machine tokens, and sign-ins through the nodes
    // that stay up; every answer must be a success, wherever it came from.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let mut loops = Vec::new();
    for (n, token) in refresh_tokens.into_iter().enumerate() {
        let (nodes, http, rp, stop, done) = (
            nodes.clone(),
            http.clone(),
            rp.clone(),
            stop.clone(),
            done.clone(),
        );
        loops.push(tokio::spawn(async move {
            let mut token = token;
            let mut turn = n;
            while !stop.load(Ordering::Relaxed) {
                turn += 1;
                let current = token.clone();
                let response = nodes
                    .send_anywhere(turn, |base| refresh(&http, &rp, base, &current))
                    .await;
                let tokens = ok_json(response, "refresh").await;
                token = tokens["refresh_token"].as_str().unwrap().to_owned();
                done.fetch_add(1, Ordering::Relaxed);
            }
            token
        }));
    }
    let machines: Vec<_> = (0..2)
        .map(|n| {
            let (nodes, http, stop, done) =
                (nodes.clone(), http.clone(), stop.clone(), done.clone());
            let (id, secret) = (machine_id.clone(), machine_secret.clone());
            tokio::spawn(async move {
                let mut turn = n;
                while !stop.load(Ordering::Relaxed) {
                    turn += 1;
                    let response = nodes
                        .send_anywhere(turn, |base| {
                            http.post(format!("{base}/token"))
                                .basic_auth(&id, Some(&secret))
                                .form(&[("grant_type", "client_credentials")])
                        })
                        .await;
                    ok_json(response, "client_credentials").await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let wait_for = |target: usize| {
        let done = done.clone();
        async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while done.load(Ordering::Relaxed) < target {
                assert!(std::time::Instant::now() < deadline, "the load stalled");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(30).await;
    b.kill(); // SIGKILL, mid-load
              // Sign-ins go on through the nodes that are up, and the load keeps succeeding.
    for user in 7..=10 {
        let origin = nodes.origin(if user % 2 == 0 { 0 } else { 2 });
        let (browser, code, verifier) = signed_in(&app, &rp, &origin, user).await;
        browsers.push(browser);
        kept_codes.push((code, verifier));
    }
    wait_for(done.load(Ordering::Relaxed) + 60).await;

    // The node comes back (on a new port) and takes its share again.
    let (_b, b_port) = start_node(&app);
    nodes.0.lock().unwrap()[1] = format!("http://localhost:{b_port}");
    wait_for(done.load(Ordering::Relaxed) + 60).await;
    stop.store(true, Ordering::Relaxed);
    let mut final_tokens = Vec::new();
    for handle in loops {
        final_tokens.push(handle.await.unwrap());
    }
    for handle in machines {
        handle.await.unwrap();
    }

    // Nothing acknowledged is lost, checked on the restarted node.
    let restarted = nodes.origin(1);
    let base = format!("{restarted}/t/acme");
    for (code, verifier) in &kept_codes {
        let response = exchange(&http, &rp, &base, code, verifier)
            .send()
            .await
            .unwrap();
        ok_json(response, "a code acknowledged before or during the kill").await;
    }
    for token in &final_tokens {
        let response = refresh(&http, &rp, &base, token).send().await.unwrap();
        ok_json(response, "the last refresh token of a loop").await;
    }
    for (n, browser) in browsers.iter().enumerate() {
        assert!(
            still_signed_in(&app, &rp, browser, &restarted).await,
            "browser {n} lost its session"
        );
    }
    let verified = app.cli_json(&["audit", "verify", "--tenant", "acme", "--json"]);
    assert!(verified["broken"].is_null(), "{verified}");
}
