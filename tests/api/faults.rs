//! Faults (issue 20): `kill -9` of the single SQLite node in the middle of concurrent writes
//! loses nothing it acknowledged, and the audit chain still verifies after the restart.

use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::serve::{banner_port, cli_in as cli, serve_in};

pub fn cli_json(dir: &std::path::Path, args: &[&str]) -> Value {
    serde_json::from_slice(&cli(dir, args).stdout).unwrap()
}

/// A `tessera serve` process, killed when dropped (a failing test leaves no server behind).
pub struct Served(pub std::process::Child);

impl Served {
    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tessera serve` in `dir` and returns it with its port.
pub fn start(dir: &std::path::Path) -> (Served, u16) {
    watch(serve_in(dir, &[]))
}

/// A started `tessera serve` (stdout and stderr piped) and its port, once it printed its
/// banner; its output is read to the end in the background.
pub fn watch(child: std::process::Child) -> (Served, u16) {
    let mut child = Served(child);
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let port = banner_port(&mut stdout);
    // Keep reading so the server never blocks on a full pipe; TEST_LOG=1 shows its log.
    let show = std::env::var_os("TEST_LOG").is_some();
    let stderr = BufReader::new(child.0.stderr.take().unwrap());
    std::thread::spawn(move || drain(stdout, show));
    std::thread::spawn(move || drain(stderr, show));
    (child, port)
}

fn drain(output: impl BufRead, show: bool) {
    for line in output.lines().map_while(Result::ok) {
        if show {
            eprintln!("{line}");
        }
    }
}

pub async fn admin_token(http: &reqwest::Client, port: u16, id: &str, secret: &str) -> String {
    let issued: Value = http
        .post(format!("http://127.0.0.1:{port}/t/acme/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    issued["access_token"].as_str().unwrap().to_owned()
}

/// A tenant `acme` and a machine client allowed to register clients: (id, secret).
pub fn operator(dir: &std::path::Path) -> (String, String) {
    cli(dir, &["tenant", "create", "acme"]);
    let machine = cli_json(
        dir,
        &[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "ops",
            "--grant",
            "client_credentials",
            "--json",
        ],
    );
    let (id, secret) = (
        machine["client_id"].as_str().unwrap().to_owned(),
        machine["client_secret"].as_str().unwrap().to_owned(),
    );
    for args in [
        vec!["role", "create", "--tenant", "acme", "ops", "--json"],
        vec![
            "role",
            "permit",
            "--tenant",
            "acme",
            "ops",
            "clients:write",
            "--json",
        ],
        vec![
            "role",
            "grant",
            "--tenant",
            "acme",
            "ops",
            "--client",
            id.as_str(),
            "--json",
        ],
    ] {
        cli(dir, &args);
    }
    (id, secret)
}

/// Eight writers register clients through the admin API; after 40 acknowledged
/// registrations the process is killed with SIGKILL. Restarted on the same files, every
/// client that was acknowledged exists, each has its audit entry, and the chain verifies.
#[tokio::test]
async fn kill_9_loses_no_acknowledged_write_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = start(dir.path());
    let (id, secret) = operator(dir.path());
    let http = reqwest::Client::new();
    let token = admin_token(&http, port, &id, &secret).await;

    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (http, token, acknowledged) = (http.clone(), token.clone(), acknowledged.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let answer = http
                        .post(format!("http://127.0.0.1:{port}/t/acme/admin/api/v1/clients"))
                        .bearer_auth(&token)
                        .json(&json!({ "name": format!("w{writer}-{n}"), "grant_types": ["client_credentials"] }))
                        .send()
                        .await;
                    // The process is gone: this writer is done. Unacknowledged writes may or
                    // may not have landed; only acknowledged ones are promised.
                    let Ok(answer) = answer else { break };
                    if answer.status() != reqwest::StatusCode::CREATED {
                        continue;
                    }
                    let Ok(body) = answer.json::<Value>().await else { break };
                    let client_id = body["client"]["client_id"].as_str().unwrap().to_owned();
                    acknowledged.lock().unwrap().push(client_id);
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 40 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill(); // SIGKILL
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 40);

    let (mut server, port) = start(dir.path());
    let token = admin_token(&http, port, &id, &secret).await;
    for client_id in &acknowledged {
        let status = http
            .get(format!(
                "http://127.0.0.1:{port}/t/acme/admin/api/v1/clients/{client_id}"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            status,
            reqwest::StatusCode::OK,
            "acknowledged client {client_id} lost"
        );
    }
    let verified = cli_json(
        dir.path(),
        &["audit", "verify", "--tenant", "acme", "--json"],
    );
    assert!(verified["broken"].is_null(), "{verified}");
    let exported =
        String::from_utf8(cli(dir.path(), &["audit", "export", "--tenant", "acme"]).stdout)
            .unwrap();
    for client_id in &acknowledged {
        assert!(
            exported
                .lines()
                .any(|l| l.contains("client.create") && l.contains(client_id.as_str())),
            "no audit entry for acknowledged client {client_id}"
        );
    }
    server.kill();
}
