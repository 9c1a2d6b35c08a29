//! Change events and webhooks (issue 16): each change is one event in the outbox, delivered
//! to a real HTTP receiver started here, signed so that the Standard Webhooks reference
//! verifier accepts it, retried until the receiver takes it, kept as a dead letter when it
//! never does, and sent again on request.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera::config::Settings;

use crate::admin_matrix::{call, machine_admin};
use crate::both_engines;
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    /// What the receiver answered.
    pub status: u16,
}

impl Received {
    fn id(&self) -> &str {
        self.headers["webhook-id"].to_str().unwrap()
    }

    fn event(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook receiver on a port of its own: it answers 500 to its first `failures`
/// requests, then `status`, and records every request.
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    pub status: Arc<AtomicUsize>,
    server: actix_web::dev::ServerHandle,
}

struct ReceiverState {
    got: Arc<Mutex<Vec<Received>>>,
    failures: Arc<AtomicUsize>,
    status: Arc<AtomicUsize>,
}

async fn receive(
    state: web::Data<ReceiverState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let failing = state
        .failures
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let status = if failing {
        500
    } else {
        state.status.load(Ordering::SeqCst) as u16
    };
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in req.headers() {
        headers.insert(
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    state.got.lock().unwrap().push(Received {
        headers,
        body: body.to_vec(),
        status,
    });
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl Receiver {
    pub async fn start(failures: usize) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(AtomicUsize::new(failures));
        let status = Arc::new(AtomicUsize::new(204));
        let state = web::Data::new(ReceiverState {
            got: got.clone(),
            failures: failures.clone(),
            status: status.clone(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/hook", web::post().to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            got,
            status,
            server: handle,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Accepted deliveries (2xx answers) whose event is about `account`.
    fn accepted_for(&self, account: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .filter(|r| r.event()["data"]["account_id"] == account)
            .collect()
    }

    /// Waits (as long as a slow machine may need; counts are asserted, never times) until
    /// `done` holds for what was received.
    pub async fn until(&self, what: &str, done: impl Fn(&[Received]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done(&self.received()) {
            assert!(Instant::now() < deadline, "{what}: {:#?}", self.received());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let server = self.server.clone();
        tokio::spawn(async move { server.stop(false).await });
    }
}

/// Delivery polls often and retries soon, and the receiver on loopback may be contacted.
pub fn quick(s: &mut Settings) {
    s.webhooks.poll_interval_ms = 50;
    s.webhooks.retry_base_ms = 50;
    s.webhooks.retry_max_secs = 1;
    s.outbound.allow_networks = vec!["127.0.0.0/8".parse().unwrap()];
    s.outbound.timeout_ms = 3000;
}

/// Verifies a delivery with the Standard Webhooks reference library.
fn verifies(secret: &str, received: &Received) -> bool {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&received.body, &received.headers)
        .is_ok()
}

async fn subscribe(app: &TestApp, token: &str, body: Value) -> (String, String) {
    let (status, created, _) = call(
        app,
        Method::POST,
        "acme",
        "/webhooks",
        Some(token),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    (
        created["subscription"]["id"].as_str().unwrap().to_owned(),
        secret,
    )
}

/// The deliveries of a subscription as the admin API lists them.
async fn deliveries(app: &TestApp, token: &str, webhook: &str, query: &str) -> Vec<Value> {
    let path = format!("/webhooks/{webhook}/deliveries{query}");
    let (status, list, _) = call(app, Method::GET, "acme", &path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

/// The deliveries in `state` once there is one: the receiver answers before the deliverer
/// records the outcome, so a test that saw the answer must wait for the record (bounded).
async fn deliveries_once_recorded(
    app: &TestApp,
    token: &str,
    webhook: &str,
    state: &str,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = deliveries(app, token, webhook, &format!("?state={state}")).await;
        if !list.is_empty() {
            return list;
        }
        assert!(Instant::now() < deadline, "no delivery recorded as {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every change to an account is one event, delivered once, in the order the changes were
/// made, signed so that the reference verifier accepts it, and without personal values.
/// The subscription is made with the CLI; the feed shows the same events in the same order.
async fn every_change_is_one_signed_event_in_order(engine: Engine) {
    let app = TestApp::spawn_with(engine, quick).await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(
        &app,
        "acme",
        &["webhooks:write", "accounts:write", "roles:write"],
    )
    .await;
    let receiver = Receiver::start(0).await;
    let created = app.cli_json(&[
        "webhook",
        "create",
        "--tenant",
        "acme",
        "--url",
        &receiver.url,
        "--events",
        "*",
        "--json",
    ]);
    let secret = created["secret"].as_str().unwrap().to_owned();

    let account = app.create_account("acme", "ada@example.com", PASSWORD);
    let id = account["id"].as_str().unwrap().to_owned();
    let profile = account["profiles"][0]["id"].as_str().unwrap().to_owned();
    for verb in ["suspend", "resume"] {
        let path = format!("/accounts/{id}/{verb}");
        let (status, body, _) = call(&app, Method::POST, "acme", &path, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    app.cli_json(&["role", "create", "--tenant", "acme", "editor", "--json"]);
    let held = format!("/roles/editor/profiles/{profile}");
    for method in [Method::PUT, Method::PUT, Method::DELETE] {
        // The second grant changes nothing, so it is no event.
        let (status, body, _) = call(&app, method, "acme", &held, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let work = app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        &id,
        "--name",
        "Work",
        "--json",
    ]);
    let (status, body, _) = call(
        &app,
        Method::DELETE,
        "acme",
        &format!("/accounts/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let expected = [
        ("account.created", None),
        ("profile.created", Some(profile.as_str())),
        ("account.updated", None),
        ("account.updated", None),
        ("role.granted", Some(profile.as_str())),
        ("role.revoked", Some(profile.as_str())),
        ("profile.created", work["id"].as_str()),
        ("account.erased", None),
    ];
    receiver
        .until("every change delivered", |got| {
            got.iter()
                .filter(|r| r.event()["data"]["account_id"] == id.as_str())
                .count()
                >= expected.len()
        })
        .await;
    // A moment more: nothing else (no duplicate, no event for the no-op grant) arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.accepted_for(&id);
    let seen: Vec<(String, Option<String>)> = got
        .iter()
        .map(|r| {
            let event = r.event();
            (
                event["type"].as_str().unwrap().to_owned(),
                event["data"]["profile_id"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let wanted: Vec<(String, Option<String>)> = expected
        .iter()
        .map(|(t, p)| (t.to_string(), p.map(str::to_owned)))
        .collect();
    assert_eq!(seen, wanted);
    let statuses: Vec<Value> = got
        .iter()
        .filter(|r| r.event()["type"] == "account.updated")
        .map(|r| r.event()["data"]["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("suspended"), json!("active")]);

    let ids: HashSet<&str> = got.iter().map(Received::id).collect();
    assert_eq!(ids.len(), got.len(), "each event delivered once");
    for received in &got {
        let event = received.event();
        assert_eq!(received.id(), event["id"], "webhook-id is the event id");
        assert_eq!(event["schema"], "tessera.event/1");
        assert!(verifies(&secret, received), "{event}");
        let mut forged = received.clone();
        forged.body = received
            .body
            .iter()
            .map(|b| if *b == b'1' { b'2' } else { *b })
            .collect();
        if forged.body != received.body {
            assert!(
                !verifies(&secret, &forged),
                "a changed body must not verify"
            );
        }
        let text = String::from_utf8_lossy(&received.body);
        assert!(
            !text.contains("ada@example.com"),
            "no personal values: {text}"
        );
    }
    assert!(
        !verifies("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &got[0]),
        "another secret fails"
    );

    // The feed lists the same events, in the same order.
    let (status, feed, _) = call(
        &app,
        Method::GET,
        "acme",
        "/events?after=0&limit=200",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    let fed: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["data"]["account_id"] == id.as_str())
        .map(|e| e["event"]["id"].as_str().unwrap())
        .collect();
    let delivered: Vec<&str> = got.iter().map(Received::id).collect();
    assert_eq!(fed, delivered);
    let positions: Vec<i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let (status, only, _) = call(
        &app,
        Method::GET,
        "acme",
        "/events?type=account.erased",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(only["items"].as_array().unwrap().len(), 1, "{only}");
}

both_engines!(every_change_is_one_signed_event_in_order);

/// A receiver that fails three times still gets the event: the same `webhook-id` each time,
/// then the delivery is recorded as delivered after four attempts.
async fn a_receiver_that_fails_three_times_gets_the_event_later(engine: Engine) {
    let app = TestApp::spawn_with(engine, quick).await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["webhooks:write"]).await;
    let receiver = Receiver::start(3).await;
    let (webhook, secret) = subscribe(
        &app,
        &token,
        json!({ "url": receiver.url, "event_types": ["account.created"] }),
    )
    .await;
    let account = app.create_account("acme", "ada@example.com", PASSWORD);
    let id = account["id"].as_str().unwrap();
    receiver
        .until("accepted after three failures", |got| {
            got.iter()
                .any(|r| r.status == 204 && r.event()["data"]["account_id"] == id)
        })
        .await;
    let attempts: Vec<Received> = receiver
        .received()
        .into_iter()
        .filter(|r| r.event()["data"]["account_id"] == id)
        .collect();
    let statuses: Vec<u16> = attempts.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 500, 204]);
    assert!(
        attempts.iter().all(|r| r.id() == attempts[0].id()),
        "one webhook-id"
    );
    assert!(attempts.iter().all(|r| verifies(&secret, r)));
    let list = deliveries_once_recorded(&app, &token, &webhook, "delivered").await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["attempts"], 4);
    assert_eq!(list[0]["last_status"], 204);
    // The attempts are counted in /metrics, and nothing waits any more.
    let m = crate::metrics::scrape(&app).await;
    let count = |result| {
        let labels = [("kind", "webhook"), ("result", result)];
        crate::metrics::value(&m, "tessera_event_deliveries_total", &labels)
    };
    assert_eq!(
        (count("failed"), count("delivered"), count("dead")),
        (3.0, 1.0, 0.0)
    );
    let pending = [("state", "pending")];
    assert_eq!(
        crate::metrics::value(&m, "tessera_event_deliveries_waiting", &pending),
        0.0
    );
}

both_engines!(a_receiver_that_fails_three_times_gets_the_event_later);

/// A delivery that fails every attempt becomes a dead letter; once the receiver works again
/// it is sent on request (API), and delivered. Only dead letters can be sent again.
async fn dead_letters_are_sent_again_on_request(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| {
        quick(s);
        s.webhooks.max_attempts = 2;
    })
    .await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["webhooks:write"]).await;
    let receiver = Receiver::start(0).await;
    receiver.status.store(503, Ordering::SeqCst);
    let (webhook, _) = subscribe(
        &app,
        &token,
        json!({ "url": receiver.url, "event_types": ["account.*"] }),
    )
    .await;
    let account = app.create_account("acme", "ada@example.com", PASSWORD);
    let id = account["id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let dead = loop {
        let dead = deliveries(&app, &token, &webhook, "?state=dead").await;
        if !dead.is_empty() {
            break dead;
        }
        assert!(Instant::now() < deadline, "never given up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["attempts"], 2);
    assert_eq!(dead[0]["last_status"], 503);
    assert_eq!(receiver.received().len(), 2, "no attempt after the last");
    let (_, view, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/webhooks/{webhook}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(view["backlog"], json!({ "pending": 0, "dead": 1 }));

    receiver.status.store(200, Ordering::SeqCst);
    let path = format!("/webhooks/{webhook}/redeliver");
    let delivery = dead[0]["id"].as_str().unwrap();
    let (status, body, _) = call(
        &app,
        Method::POST,
        "acme",
        &path,
        Some(&token),
        Some(json!({ "delivery": delivery })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["requeued"], 1);
    receiver
        .until("sent again", |got| {
            got.iter()
                .any(|r| r.status == 200 && r.event()["data"]["account_id"] == id)
        })
        .await;
    let delivered = deliveries_once_recorded(&app, &token, &webhook, "delivered").await;
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let (status, body, _) = call(
        &app,
        Method::POST,
        "acme",
        &path,
        Some(&token),
        Some(json!({ "delivery": delivery })),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a delivered one is not sent again: {body}"
    );
}

both_engines!(dead_letters_are_sent_again_on_request);

/// Personal values travel only to a subscription allowed them, read from the profile store
/// when delivered (sensitive attributes masked); others get ids and field names.
async fn personal_values_go_only_where_allowed(engine: Engine) {
    let app = TestApp::spawn_with(engine, quick).await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["webhooks:write"]).await;
    let plain = Receiver::start(0).await;
    let allowed = Receiver::start(0).await;
    subscribe(
        &app,
        &token,
        json!({ "url": plain.url, "event_types": ["profile.created"] }),
    )
    .await;
    subscribe(
        &app,
        &token,
        json!({ "url": allowed.url, "event_types": ["profile.created"], "include_personal_data": true }),
    )
    .await;
    let account = app.create_account("acme", "ada@example.com", PASSWORD);
    let id = account["id"].as_str().unwrap();
    for receiver in [&plain, &allowed] {
        receiver
            .until("delivered", |got| {
                got.iter().any(|r| r.event()["data"]["account_id"] == id)
            })
            .await;
    }
    let plain_event = plain.accepted_for(id)[0].event();
    assert!(plain_event["data"].get("values").is_none(), "{plain_event}");
    let allowed_event = allowed.accepted_for(id)[0].event();
    assert_eq!(
        allowed_event["data"]["values"]["name"], "ada",
        "{allowed_event}"
    );
}

both_engines!(personal_values_go_only_where_allowed);

/// An attacker with `webhooks:write` points a subscription at the server's own network: the
/// delivery is refused by the outbound policy and nothing reaches the address. (The receiver
/// listens on loopback; this app does not allow loopback.)
async fn a_subscription_cannot_reach_private_addresses(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| {
        quick(s);
        s.outbound.allow_networks.clear();
    })
    .await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["webhooks:write"]).await;
    let receiver = Receiver::start(0).await;
    let (webhook, _) = subscribe(
        &app,
        &token,
        json!({ "url": receiver.url, "event_types": ["*"] }),
    )
    .await;
    app.create_account("acme", "ada@example.com", PASSWORD);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let tried = deliveries(&app, &token, &webhook, "").await;
        if let Some(d) = tried
            .iter()
            .find(|d| d["attempts"].as_i64().unwrap_or(0) >= 1)
        {
            let error = d["last_error"].as_str().unwrap_or_default();
            assert!(error.contains("refused"), "{d}");
            break;
        }
        assert!(Instant::now() < deadline, "never attempted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(receiver.received().is_empty());

    // Other URLs are refused when subscribing.
    for (url, why) in [
        ("ftp://example.com/hook", "must be https"),
        ("http://example.com/hook", "must be https"),
        ("https://user:pw@example.com/hook", "credentials"),
        ("not a url", "not a URL"),
    ] {
        let body = json!({ "url": url, "event_types": ["*"] });
        let (status, answer, _) = call(
            &app,
            Method::POST,
            "acme",
            "/webhooks",
            Some(&token),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(why),
            "{url}: {answer}"
        );
    }
    for types in [json!([]), json!(["profile.nope"]), json!(["nope.*"])] {
        let body = json!({ "url": "https://example.com/hook", "event_types": types });
        let (status, answer, _) = call(
            &app,
            Method::POST,
            "acme",
            "/webhooks",
            Some(&token),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{types}: {answer}");
    }
}

both_engines!(a_subscription_cannot_reach_private_addresses);

/// Concurrent changes on two nodes: each is one event, and with both nodes delivering, each
/// event reaches the receiver exactly once, in order per account (the outbox position).
async fn two_nodes_deliver_concurrent_changes_once_each_in_order(engine: Engine) {
    let first = TestApp::spawn_with(engine, quick).await;
    // One issuer for both nodes, as behind a load balancer: tokens from one work on the other.
    let issuer = first.settings.server.public_url.clone();
    let second = TestApp::spawn_on_with(first.db.clone(), &first.master(), |s| {
        quick(s);
        s.server.public_url = issuer;
    })
    .await;
    first.create_tenant("acme");
    let (_, token) = machine_admin(
        &first,
        "acme",
        &["webhooks:write", "roles:write", "audit:read"],
    )
    .await;
    let receiver = Receiver::start(0).await;
    subscribe(
        &first,
        &token,
        json!({ "url": receiver.url, "event_types": ["role.*"] }),
    )
    .await;
    const ROLES: usize = 4;
    const ACCOUNTS: usize = 4;
    for r in 0..ROLES {
        first.cli_json(&[
            "role",
            "create",
            "--tenant",
            "acme",
            &format!("role{r}"),
            "--json",
        ]);
    }
    let mut profiles = Vec::new();
    for a in 0..ACCOUNTS {
        let account = first.create_account("acme", &format!("p{a}@example.com"), PASSWORD);
        profiles.push((
            account["id"].as_str().unwrap().to_owned(),
            account["profiles"][0]["id"].as_str().unwrap().to_owned(),
        ));
    }
    let calls = profiles.iter().flat_map(|(_, profile)| {
        (0..ROLES).map(move |r| (format!("/roles/role{r}/profiles/{profile}"), r))
    });
    let answers = futures_util::future::join_all(calls.map(|(path, r)| {
        let (node, token) = (if r % 2 == 0 { &first } else { &second }, token.clone());
        async move {
            call(node, Method::PUT, "acme", &path, Some(&token), None)
                .await
                .0
        }
    }))
    .await;
    assert!(answers.iter().all(|s| *s == StatusCode::OK), "{answers:?}");

    let total = ROLES * ACCOUNTS;
    let ours = |r: &Received| {
        profiles
            .iter()
            .any(|(a, _)| r.event()["data"]["account_id"] == a.as_str())
    };
    receiver
        .until("every grant delivered", |got| {
            got.iter().filter(|r| ours(r)).count() >= total
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got: Vec<Received> = receiver
        .received()
        .into_iter()
        .filter(|r| ours(r))
        .collect();
    assert_eq!(got.len(), total, "each event exactly once");
    let ids: HashSet<&str> = got.iter().map(Received::id).collect();
    assert_eq!(ids.len(), total);

    // Per account, deliveries arrived in outbox order.
    let (_, feed, _) = call(
        &first,
        Method::GET,
        "acme",
        "/events?type=role.granted&limit=200",
        Some(&token),
        None,
    )
    .await;
    let position: BTreeMap<String, i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"]["id"].as_str().unwrap().to_owned(),
                e["position"].as_i64().unwrap(),
            )
        })
        .collect();
    for (account, _) in &profiles {
        let order: Vec<i64> = got
            .iter()
            .filter(|r| r.event()["data"]["account_id"] == account.as_str())
            .map(|r| position[r.id()])
            .collect();
        assert_eq!(order.len(), ROLES);
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "{account}: {order:?}"
        );
    }
    // And every grant was audited once.
    let (_, audit, _) = call(
        &first,
        Method::GET,
        "acme",
        "/audit?action=role.grant&limit=200",
        Some(&token),
        None,
    )
    .await;
    let audited = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            profiles
                .iter()
                .any(|(_, p)| e.to_string().contains(p.as_str()))
        })
        .count();
    assert_eq!(audited, total, "{audit}");
}

both_engines!(two_nodes_deliver_concurrent_changes_once_each_in_order);

/// The console's webhooks section: subscribe (the secret shown once), see a dead letter and
/// send it again, pause; a bad URL is refused inline. Each action is audited.
async fn webhooks_in_the_console(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| {
        quick(s);
        s.webhooks.max_attempts = 1;
    })
    .await;
    app.create_tenant("acme");
    let admin = app.create_account("acme", "admin@example.com", PASSWORD);
    crate::admin_console::grant(&app, "acme", &admin, &["webhooks:write"]);
    let (browser, landed) =
        crate::admin_console::console_sign_in(&app, "acme", "admin@example.com").await;
    assert!(landed.html.contains("Webhooks"), "{}", landed.html);
    let url = |path: &str| app.tenant_url("acme", path);
    let page = browser.get(&url("/admin/webhooks")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("No subscriptions yet."), "{}", page.html);
    let csrf = page.field("csrf_token").unwrap();

    let refused = browser
        .post(
            &url("/admin/webhooks"),
            &[
                ("csrf_token", &csrf),
                ("url", "http://example.com/x"),
                ("event_types", "*"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.html);
    assert!(refused.html.contains("must be https"), "{}", refused.html);

    let receiver = Receiver::start(0).await;
    receiver.status.store(500, Ordering::SeqCst);
    let created = browser
        .post(
            &url("/admin/webhooks"),
            &[
                ("csrf_token", &csrf),
                ("url", &receiver.url),
                ("event_types", "account.created, profile.*"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.html);
    assert!(created.html.contains("whsec_"), "the secret is shown once");
    let listed = app.cli_json(&["webhook", "list", "--tenant", "acme", "--json"]);
    let webhook = listed[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        listed[0]["event_types"],
        json!(["account.created", "profile.*"])
    );
    let again = browser.get(&url("/admin/webhooks")).await;
    assert!(!again.html.contains("whsec_"), "and never again");

    let someone = app.create_account("acme", "grace@example.com", PASSWORD);
    let id = someone["id"].as_str().unwrap();
    receiver
        .until("tried", |got| {
            got.iter()
                .filter(|r| r.event()["data"]["account_id"] == id)
                .count()
                >= 2
        })
        .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let dead = loop {
        let dead = app.cli_json(&[
            "webhook",
            "deliveries",
            "--tenant",
            "acme",
            &webhook,
            "--state",
            "dead",
            "--json",
        ]);
        if dead.as_array().unwrap().len() == 2 {
            break dead;
        }
        assert!(Instant::now() < deadline, "{dead}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let page = browser.get(&url("/admin/webhooks")).await;
    assert!(page.html.contains("Dead letters"), "{}", page.html);
    assert!(page.html.contains("Send again"));
    assert!(page.html.contains("answered 500"), "{}", page.html);

    receiver.status.store(200, Ordering::SeqCst);
    let delivery = dead[0]["id"].as_str().unwrap();
    let sent = browser
        .post(
            &url("/admin/webhooks/redeliver"),
            &[
                ("csrf_token", &csrf),
                ("webhook_id", &webhook),
                ("delivery_id", delivery),
            ],
        )
        .await;
    assert!(sent
        .location
        .unwrap_or_default()
        .ends_with("done=webhook_redelivered"));
    receiver
        .until("sent again", |got| got.iter().any(|r| r.status == 200))
        .await;
    let paused = browser
        .post(
            &url("/admin/webhooks/pause"),
            &[("csrf_token", &csrf), ("webhook_id", &webhook)],
        )
        .await;
    assert!(paused
        .location
        .unwrap_or_default()
        .ends_with("done=webhook_paused"));
    let listed = app.cli_json(&["webhook", "list", "--tenant", "acme", "--json"]);
    assert_eq!(listed[0]["enabled"], false);
    let audit = app.cli(&["audit", "export", "--tenant", "acme"]);
    let audit = String::from_utf8_lossy(&audit.stdout);
    for action in ["webhook.create", "webhook.redeliver", "webhook.update"] {
        assert!(audit.contains(action), "{action} audited");
    }
}

both_engines!(webhooks_in_the_console);

/// Administrators subscribing at the same moment: the per-tenant limit holds (20), every
/// subscription that was answered 201 exists, and each is audited once.
async fn concurrent_subscriptions_respect_the_limit(engine: Engine) {
    let app = TestApp::spawn_with(engine, quick).await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["webhooks:write", "audit:read"]).await;
    let attempts = futures_util::future::join_all((0..25).map(|i| {
        let (app, token) = (&app, token.clone());
        async move {
            let body = json!({
                "url": format!("https://hooks.example.com/{i}"),
                "event_types": ["*"],
            });
            call(
                app,
                Method::POST,
                "acme",
                "/webhooks",
                Some(&token),
                Some(body),
            )
            .await
            .0
        }
    }))
    .await;
    let created = attempts
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = attempts
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!((created, refused), (20, 5), "{attempts:?}");
    let (_, listed, _) = call(
        &app,
        Method::GET,
        "acme",
        "/webhooks?limit=200",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 20);
    let (_, audit, _) = call(
        &app,
        Method::GET,
        "acme",
        "/audit?action=webhook.create&limit=200",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 20, "{audit}");
}

both_engines!(concurrent_subscriptions_respect_the_limit);
