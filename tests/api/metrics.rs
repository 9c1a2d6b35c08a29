//! Prometheus metrics (issue 16, item 4): `/metrics` parses as Prometheus text, and its
//! figures move exactly as a few requests should move them (each server keeps its own
//! registry, so the counts are this test's alone).

use prometheus_parse::{Scrape, Value};
use reqwest::StatusCode;
use tessera::config::Settings;

use crate::both_engines;
use crate::browser::Browser;
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";

pub async fn scrape_at(app: &TestApp, url: &str) -> Scrape {
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = response.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    Scrape::parse(lines).unwrap_or_else(|e| panic!("{e}: {text}"))
}

pub async fn scrape(app: &TestApp) -> Scrape {
    scrape_at(app, &format!("{}/metrics", app.address)).await
}

/// The value of the sample `name` whose labels include all of `labels` (0 when absent: a
/// counter not yet moved has no series).
pub fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => f64::NAN,
        })
        .collect();
    assert!(
        found.len() <= 1,
        "{name} {labels:?}: several series {found:?}"
    );
    found.first().copied().unwrap_or(0.0)
}

async fn failed_sign_in(app: &TestApp, email: &str) -> StatusCode {
    let browser = Browser::default();
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    browser
        .submit(
            &login,
            &[("email", email), ("password", "not the password at all")],
        )
        .await
        .status
}

fn settings(s: &mut Settings) {
    s.metrics.max_tenant_labels = 1;
    s.security.lockout_threshold = 3;
    s.security.login_attempts_per_minute = 4;
}

/// Tokens, requests, latency, sign-in outcomes, lockouts and rate-limit refusals move by
/// exactly what was done; tenants past the label bound share `other`, and a made-up tenant
/// never becomes a label.
async fn metrics_move_as_requests_do(engine: Engine) {
    let app = TestApp::spawn_with(engine, settings).await;
    app.create_tenant("acme");
    app.create_tenant("globex");
    let (id, secret) = app.machine_client("acme");
    for _ in 0..3 {
        let response = app
            .post_form(
                "acme",
                "/token",
                &[("grant_type", "client_credentials")],
                Some((&id, &secret)),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let refused = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&id, "wrong")),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    app.create_account("acme", "ada@example.com", PASSWORD);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(failed_sign_in(&app, "ada@example.com").await);
    }
    // Four attempts a minute from one address: the fifth is refused before any check.
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );

    for slug in ["globex", "nope"] {
        app.get_tenant(slug, "/.well-known/openid-configuration")
            .await;
    }

    let m = scrape(&app).await;
    let token_route = [("route", "/t/:tenant/token"), ("method", "POST")];
    assert_eq!(
        value(
            &m,
            "tessera_tokens_issued_total",
            &[("grant", "client_credentials")]
        ),
        3.0
    );
    let ok = [
        token_route[0],
        token_route[1],
        ("status", "2xx"),
        ("tenant", "acme"),
    ];
    assert_eq!(value(&m, "tessera_http_requests_total", &ok), 3.0);
    let bad = [
        token_route[0],
        token_route[1],
        ("status", "4xx"),
        ("tenant", "acme"),
    ];
    assert_eq!(value(&m, "tessera_http_requests_total", &bad), 1.0);
    let timed = [token_route[0], token_route[1], ("tenant", "acme")];
    assert_eq!(
        value(&m, "tessera_http_request_duration_seconds", &timed),
        4.0
    );

    assert_eq!(
        value(&m, "tessera_signins_total", &[("outcome", "failure")]),
        4.0
    );
    assert_eq!(
        value(&m, "tessera_signins_total", &[("outcome", "rate_limited")]),
        1.0
    );
    assert_eq!(value(&m, "tessera_account_lockouts_total", &[]), 1.0);
    let login = [("route", "/t/:tenant/login")];
    assert_eq!(value(&m, "tessera_rate_limited_total", &login), 1.0);

    // One tenant label allowed: acme took it, globex is "other", "nope" does not exist.
    let discovery = "/t/:tenant/.well-known/openid-configuration";
    let other = [("route", discovery), ("tenant", "other"), ("status", "2xx")];
    assert_eq!(value(&m, "tessera_http_requests_total", &other), 1.0);
    let unknown = [("route", discovery), ("tenant", ""), ("status", "4xx")];
    assert_eq!(value(&m, "tessera_http_requests_total", &unknown), 1.0);
    assert!(
        !m.samples
            .iter()
            .any(|s| s.labels.get("tenant") == Some("nope")),
        "a made-up tenant is never a label"
    );

    // Gauges read at scrape time are there.
    for gauge in [
        "tessera_outbox_backlog",
        "tessera_event_delivery_lag_seconds",
        "tessera_db_pool_waiting",
    ] {
        assert!(m.samples.iter().any(|s| s.metric == gauge), "{gauge}");
    }
    assert!(value(&m, "tessera_db_pool_connections", &[("state", "in_use")]) >= 0.0);
    // Account creation and the lockout made events; with no subscription, delivery hands
    // them to nobody, and the backlog drains to zero.
    let mut drained = false;
    for _ in 0..100 {
        if value(&scrape(&app).await, "tessera_outbox_backlog", &[]) == 0.0 {
            drained = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(drained, "the outbox backlog drains");
}

both_engines!(metrics_move_as_requests_do);

/// With `metrics.listen` set, `/metrics` moves to that address and the main listener no
/// longer answers it; with metrics off, it is not served at all.
async fn metrics_can_listen_elsewhere_or_be_off(engine: Engine) {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = free.local_addr().unwrap().to_string();
    drop(free);
    let listen = address.clone();
    let app = TestApp::spawn_with(engine, |s| s.metrics.listen = listen).await;
    let main = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), StatusCode::NOT_FOUND);
    let mut scraped = None;
    for _ in 0..50 {
        if let Ok(response) = app
            .client
            .get(format!("http://{address}/metrics"))
            .send()
            .await
        {
            scraped = Some(response.status());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(scraped, Some(StatusCode::OK));
    let m = scrape_at(&app, &format!("http://{address}/metrics")).await;
    // The main listener's 404 above was counted.
    let counted = [("route", "/metrics"), ("status", "4xx")];
    assert_eq!(value(&m, "tessera_http_requests_total", &counted), 1.0);

    let off = TestApp::spawn_with(engine, |s| s.metrics.enabled = false).await;
    let answer = off
        .client
        .get(format!("{}/metrics", off.address))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
}

both_engines!(metrics_can_listen_elsewhere_or_be_off);
