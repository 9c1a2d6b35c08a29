//! Changes seen on every node at once (issue 19, item 3): on PostgreSQL a change committed
//! anywhere (another node, the CLI) reaches every node's tenant and client caches through
//! LISTEN/NOTIFY. The caches here live ten minutes, so only the notice can explain a node
//! seeing the change.

use reqwest::StatusCode;
use tessera::config::Settings;

use crate::helpers::{eventually, postgres_admin_url, Engine, TestApp};

fn long_cache(s: &mut Settings) {
    s.cache.ttl_ms = 600_000;
}

async fn discovery(app: &TestApp) -> StatusCode {
    app.get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .status()
}

async fn client_token(app: &TestApp, id: &str, secret: &str) -> StatusCode {
    app.post_form(
        "acme",
        "/token",
        &[("grant_type", "client_credentials")],
        Some((id, secret)),
    )
    .await
    .status()
}

#[tokio::test]
async fn three_nodes_see_suspension_and_deletion_at_once() {
    if postgres_admin_url().is_none() {
        return;
    }
    let a = TestApp::spawn_with(Engine::Postgres, long_cache).await;
    let issuer = a.settings.server.public_url.clone();
    let node = |issuer: url::Url| {
        move |s: &mut Settings| {
            long_cache(s);
            s.server.public_url = issuer;
        }
    };
    let b = TestApp::spawn_on_with(a.db.clone(), &a.master(), node(issuer.clone())).await;
    let c = TestApp::spawn_on_with(a.db.clone(), &a.master(), node(issuer)).await;
    a.create_tenant("acme");
    let (id, secret) = a.machine_client("acme");
    for app in [&b, &c] {
        assert_eq!(discovery(app).await, StatusCode::OK);
        assert_eq!(client_token(app, &id, &secret).await, StatusCode::OK);
    }

    // Suspended from the CLI (another process): every node refuses the tenant.
    a.cli_json(&["tenant", "suspend", "acme", "--json"]);
    for app in [&b, &c] {
        eventually("the suspension", || async {
            discovery(app).await == StatusCode::FORBIDDEN
        })
        .await;
    }
    a.cli_json(&["tenant", "resume", "acme", "--json"]);
    for app in [&b, &c] {
        eventually("the resumption", || async {
            discovery(app).await == StatusCode::OK
        })
        .await;
    }

    // A deleted client stops working everywhere.
    a.cli_json(&["client", "delete", "--tenant", "acme", &id, "--json"]);
    for app in [&b, &c] {
        eventually("the deletion", || async {
            client_token(app, &id, &secret).await == StatusCode::UNAUTHORIZED
        })
        .await;
    }
}
