//! Liveness and readiness probes.

use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::helpers::{Engine, TestApp};

async fn probes_report_alive_and_ready(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let alive = app.get("/healthz").await;
    assert_eq!(alive.status(), StatusCode::OK);
    assert!(alive.headers().contains_key("x-request-id"));
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.headers()["cache-control"], "no-store");
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}
both_engines!(probes_report_alive_and_ready);

/// PostgreSQL only: an embedded SQLite file cannot become unreachable while the process holds
/// it open, whereas a database server can go away under a running node.
#[tokio::test]
async fn readyz_is_503_when_the_database_is_unreachable() {
    if crate::helpers::postgres_admin_url().is_none() {
        return;
    }
    let app = TestApp::spawn(Engine::Postgres, TenantRouting::Path).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);

    app.db.drop_postgres_database();

    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["reason"], "database unreachable");
    // Liveness is about the process, not the database.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

/// PostgreSQL only: after the server drops every connection (a restart, a failover), broken
/// pooled connections are discarded and the node recovers by itself.
#[tokio::test]
async fn recovers_after_the_database_drops_its_connections() {
    if crate::helpers::postgres_admin_url().is_none() {
        return;
    }
    let app = TestApp::spawn(Engine::Postgres, TenantRouting::Path).await;
    // Put several connections in the pool.
    for _ in 0..4 {
        assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    }
    app.db.terminate_postgres_connections();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.get("/readyz").await.status());
    }
    assert_eq!(statuses.last(), Some(&StatusCode::OK), "{statuses:?}");
    let failures = statuses.iter().filter(|s| !s.is_success()).count();
    // The request that finds a dead connection fails; from then on every checkout tests
    // its connection first, so the other dead ones are dropped without failing anyone.
    assert!(
        failures <= 1,
        "one request finds out, the rest are spared: {statuses:?}"
    );
}
