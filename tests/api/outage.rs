//! Database restarts and outages under load (issue 20, item 2), on a PostgreSQL server of the
//! test's own: while the database restarts, is down, or is unreachable, every request is
//! answered, with `503` and `Retry-After` where it needed the database (never `500`, never a
//! hang past the bound); `/readyz` says not ready; afterwards the node heals by itself and no
//! acknowledged write is lost.
//!
//! The outage lasts `TESSERA_FAULT_OUTAGE_SECS` (5 s by default; the README's fault command
//! runs 30 s).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::keys::MasterKey;

use crate::admin_matrix::machine_admin;
use crate::helpers::{TestApp, TestDb};
use crate::private_postgres::{Blackhole, PrivatePostgres};

/// No request may take longer than this, whatever the database does. Tessera's own bound is
/// about four times `connect_timeout_secs` (2 s here): waiting for a pooled connection, a
/// new one, and one unanswered round trip.
const BOUND: Duration = Duration::from_secs(20);

fn outage() -> Duration {
    let seconds = std::env::var("TESSERA_FAULT_OUTAGE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    Duration::from_secs(seconds)
}

/// One answer the load saw.
#[derive(Debug, Clone)]
enum Outcome {
    Answered {
        what: &'static str,
        status: StatusCode,
        retry_after: bool,
    },
    /// No answer within [`BOUND`], or the connection to Tessera failed.
    Unanswered { what: &'static str, error: String },
}

struct Node {
    app: TestApp,
    client_id: String,
    secret: String,
    admin_token: String,
}

async fn node(postgres: &PrivatePostgres) -> Node {
    let db = TestDb::postgres_on(&postgres.admin_url());
    let app = TestApp::spawn_on_with(db, &MasterKey::generate(), |settings| {
        settings.database.connect_timeout_secs = 2;
    })
    .await;
    app.create_tenant("acme");
    let (client_id, secret) = app.machine_client("acme");
    let (_, admin_token) = machine_admin(&app, "acme", &["clients:write"]).await;
    Node {
        app,
        client_id,
        secret,
        admin_token,
    }
}

/// Six clients in a loop: an admin write (registering a client), a `client_credentials`
/// token, and the readiness probe.
struct Load {
    stop: Arc<AtomicBool>,
    outcomes: Arc<Mutex<Vec<Outcome>>>,
    acknowledged: Arc<Mutex<Vec<String>>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(node: &Node) -> Load {
        let http = reqwest::Client::builder().timeout(BOUND).build().unwrap();
        let load = Load {
            stop: Arc::default(),
            outcomes: Arc::default(),
            acknowledged: Arc::default(),
            workers: Vec::new(),
        };
        let workers = (0..6)
            .map(|worker| {
                let (stop, outcomes, acknowledged) = (
                    load.stop.clone(),
                    load.outcomes.clone(),
                    load.acknowledged.clone(),
                );
                let http = http.clone();
                let clients = node.app.tenant_url("acme", "/admin/api/v1/clients");
                let token_url = node.app.tenant_url("acme", "/token");
                let ready = format!("{}/readyz", node.app.address);
                let (admin, id, secret) = (
                    node.admin_token.clone(),
                    node.client_id.clone(),
                    node.secret.clone(),
                );
                tokio::spawn(async move {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let write = http
                            .post(&clients)
                            .bearer_auth(&admin)
                            .json(&json!({
                                "name": format!("w{worker}-{n}"),
                                "grant_types": ["client_credentials"],
                            }))
                            .send()
                            .await;
                        if let Some(body) = record(&outcomes, "admin write", write).await {
                            let id = body["client"]["client_id"].as_str().unwrap().to_owned();
                            acknowledged.lock().unwrap().push(id);
                        }
                        let token = http
                            .post(&token_url)
                            .basic_auth(&id, Some(&secret))
                            .form(&[("grant_type", "client_credentials")])
                            .send()
                            .await;
                        record(&outcomes, "token", token).await;
                        record(&outcomes, "readyz", http.get(&ready).send().await).await;
                    }
                })
            })
            .collect();
        Load { workers, ..load }
    }

    fn acknowledged(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    /// Waits until `more` writes beyond the current count are acknowledged.
    async fn until_more_acknowledged(&self, more: usize, postgres: &PrivatePostgres) {
        let target = self.acknowledged() + more;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while self.acknowledged() < target {
            assert!(
                std::time::Instant::now() < deadline,
                "writes did not resume within 60 s: {:?}\n{}",
                summary(&self.outcomes.lock().unwrap()),
                postgres.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(self) -> (Vec<Outcome>, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for worker in self.workers {
            worker.await.unwrap();
        }
        let outcomes = self.outcomes.lock().unwrap().clone();
        let acknowledged = self.acknowledged.lock().unwrap().clone();
        (outcomes, acknowledged)
    }
}

/// Records an answer; the body of a successful write.
async fn record(
    outcomes: &Mutex<Vec<Outcome>>,
    what: &'static str,
    sent: reqwest::Result<reqwest::Response>,
) -> Option<Value> {
    let outcome = match sent {
        Ok(response) => {
            let status = response.status();
            let retry_after = response.headers().contains_key("retry-after");
            let body = response.json::<Value>().await.ok();
            outcomes.lock().unwrap().push(Outcome::Answered {
                what,
                status,
                retry_after,
            });
            return (status == StatusCode::CREATED).then_some(body).flatten();
        }
        Err(e) => Outcome::Unanswered {
            what,
            error: e.to_string(),
        },
    };
    outcomes.lock().unwrap().push(outcome);
    None
}

/// Counts per (request, status) for failure messages.
fn summary(outcomes: &[Outcome]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for outcome in outcomes {
        let key = match outcome {
            Outcome::Answered { what, status, .. } => format!("{what} {}", status.as_u16()),
            Outcome::Unanswered { what, error } => format!("{what} unanswered: {error}"),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// Every request was answered within the bound, and every failure was a 503 with
/// `Retry-After` (the readiness probe answers 503 without it: it is not asking to be retried).
fn assert_only_clean_failures(outcomes: &[Outcome]) {
    eprintln!("answers: {:?}", summary(outcomes));
    for outcome in outcomes {
        match outcome {
            Outcome::Answered {
                what,
                status,
                retry_after,
            } => {
                let fine = match *what {
                    "admin write" => *status == StatusCode::CREATED,
                    _ => *status == StatusCode::OK,
                };
                if !fine {
                    assert_eq!(
                        *status,
                        StatusCode::SERVICE_UNAVAILABLE,
                        "{what}: {}",
                        serde_json::to_string(&summary(outcomes)).unwrap()
                    );
                    assert!(
                        *retry_after || *what == "readyz",
                        "{what}: 503 without Retry-After"
                    );
                }
            }
            Outcome::Unanswered { .. } => {
                panic!("a request went unanswered: {:?}", summary(outcomes))
            }
        }
    }
}

/// Every acknowledged client is there, each with its audit entry, and the chain verifies.
async fn assert_nothing_acknowledged_was_lost(node: &Node, acknowledged: &[String]) {
    for client_id in acknowledged {
        let response = node
            .app
            .client
            .get(
                node.app
                    .tenant_url("acme", &format!("/admin/api/v1/clients/{client_id}")),
            )
            .bearer_auth(&node.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged client {client_id} lost"
        );
    }
    let verified = node
        .app
        .cli_json(&["audit", "verify", "--tenant", "acme", "--json"]);
    assert!(verified["broken"].is_null(), "{verified}");
    let exported = String::from_utf8(
        node.app
            .cli(&["audit", "export", "--tenant", "acme"])
            .stdout,
    )
    .unwrap();
    for client_id in acknowledged {
        assert!(
            exported
                .lines()
                .any(|l| l.contains("client.create") && l.contains(client_id.as_str())),
            "no audit entry for acknowledged client {client_id}"
        );
    }
}

/// Runs blocking control of the database server off the runtime the load runs on.
async fn control(postgres: &Arc<PrivatePostgres>, act: fn(&PrivatePostgres)) {
    let postgres = postgres.clone();
    tokio::task::spawn_blocking(move || act(&postgres))
        .await
        .unwrap();
}

/// A restart (`pg_ctl restart -m fast`) while six clients write, ask for tokens and probe
/// readiness: nothing but 200/201 and 503 + Retry-After, writes resume by themselves, and
/// every acknowledged write survives with its audit entry.
#[tokio::test]
async fn a_database_restart_under_load_loses_nothing_and_answers_only_503s() {
    let Some(postgres) = PrivatePostgres::start() else {
        return;
    };
    let postgres = Arc::new(postgres);
    let node = node(&postgres).await;
    let load = Load::start(&node);
    load.until_more_acknowledged(10, &postgres).await;

    control(&postgres, PrivatePostgres::restart).await;

    load.until_more_acknowledged(10, &postgres).await;
    let (outcomes, acknowledged) = load.stop().await;
    assert_only_clean_failures(&outcomes);
    assert_nothing_acknowledged_was_lost(&node, &acknowledged).await;
}

#[derive(Clone, Copy)]
enum Fault {
    /// The server crashed (`pg_ctl stop -m immediate`): connections cut, new ones refused.
    Down,
    /// Packets to the server are dropped: nothing is refused, nothing answers.
    Unreachable,
}

async fn an_outage_answers_503_and_heals_by_itself(fault: Fault) {
    let Some(postgres) = PrivatePostgres::start() else {
        return;
    };
    let postgres = Arc::new(postgres);
    let node = node(&postgres).await;
    let load = Load::start(&node);
    load.until_more_acknowledged(5, &postgres).await;

    let cut = match fault {
        Fault::Down => {
            control(&postgres, |p| p.stop("immediate")).await;
            None
        }
        Fault::Unreachable => match Blackhole::cut(postgres.port) {
            Some(cut) => Some(cut),
            None => return,
        },
    };
    // Writes in flight at the cut may still be acknowledged (their commit was); no others.
    let before = load.acknowledged();
    let http = reqwest::Client::builder().timeout(BOUND).build().unwrap();
    let started = std::time::Instant::now();
    // The probe says not ready, and a write asked of the node now is refused cleanly.
    let ready = http
        .get(format!("{}/readyz", node.app.address))
        .send()
        .await
        .expect("readyz answers within the bound");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let write = http
        .post(node.app.tenant_url("acme", "/admin/api/v1/clients"))
        .bearer_auth(&node.admin_token)
        .json(&json!({ "name": "during the outage", "grant_types": ["client_credentials"] }))
        .send()
        .await
        .expect("a write answers within the bound");
    assert_eq!(write.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(write.headers().contains_key("retry-after"));
    assert_eq!(write.headers()["cache-control"], "no-store");
    let body: Value = write.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    tokio::time::sleep(outage().saturating_sub(started.elapsed())).await;
    // Nothing the database had to confirm was acknowledged while it could not.
    let during = load.acknowledged();
    assert!(
        during <= before + 6,
        "at most the writes in flight at the cut"
    );

    match fault {
        Fault::Down => control(&postgres, PrivatePostgres::start_again).await,
        Fault::Unreachable => drop(cut),
    }
    load.until_more_acknowledged(10, &postgres).await;
    let (outcomes, acknowledged) = load.stop().await;
    assert_only_clean_failures(&outcomes);
    let refused = outcomes
        .iter()
        .filter(|o| {
            matches!(o, Outcome::Answered { what: "admin write", status, .. }
                if *status == StatusCode::SERVICE_UNAVAILABLE)
        })
        .count();
    assert!(refused > 0, "the load saw the outage");

    // Healed: the pool holds only live connections again.
    for _ in 0..12 {
        assert_eq!(
            http.get(format!("{}/readyz", node.app.address))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
    assert_nothing_acknowledged_was_lost(&node, &acknowledged).await;
}

#[tokio::test]
async fn a_crashed_database_answers_503_and_heals_by_itself() {
    an_outage_answers_503_and_heals_by_itself(Fault::Down).await;
}

#[tokio::test]
async fn an_unreachable_database_answers_503_within_the_bound_and_heals() {
    an_outage_answers_503_and_heals_by_itself(Fault::Unreachable).await;
}
