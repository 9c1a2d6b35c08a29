//! Resolving the tenant of a request, in both routing modes.

use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::helpers::{eventually, Engine, TestApp};

const TENANT_PATHS: [&str; 3] = [
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/jwks.json",
];

async fn assert_error(response: reqwest::Response, status: StatusCode, code: &str) {
    assert_eq!(response.status(), status, "{}", response.url());
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["error"], code);
}

async fn path_mode_resolves_known_unknown_and_suspended(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_tenant("globex");

    for path in TENANT_PATHS {
        assert_eq!(app.get_tenant("acme", path).await.status(), StatusCode::OK);
        assert_error(
            app.get_tenant("nobody", path).await,
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        )
        .await;
        // Malformed slugs are just unknown tenants, never a server error.
        assert_error(
            app.get_tenant("NOT_A_SLUG", path).await,
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        )
        .await;
    }

    let suspended = app.cli_json(&["tenant", "suspend", "acme", "--json"]);
    assert_eq!(suspended["status"], "suspended");
    eventually("suspension", || async {
        app.get_tenant("acme", "/jwks.json").await.status() == StatusCode::FORBIDDEN
    })
    .await;
    for path in TENANT_PATHS {
        assert_error(
            app.get_tenant("acme", path).await,
            StatusCode::FORBIDDEN,
            "tenant_suspended",
        )
        .await;
        // Other tenants are unaffected.
        assert_eq!(
            app.get_tenant("globex", path).await.status(),
            StatusCode::OK
        );
    }
    assert_error(
        app.get("/.well-known/oauth-authorization-server/t/acme")
            .await,
        StatusCode::FORBIDDEN,
        "tenant_suspended",
    )
    .await;

    let resumed = app.cli_json(&["tenant", "resume", "acme", "--json"]);
    assert_eq!(resumed["status"], "active");
    eventually("resumption", || async {
        app.get_tenant("acme", "/jwks.json").await.status() == StatusCode::OK
    })
    .await;
}
both_engines!(path_mode_resolves_known_unknown_and_suspended);

async fn subdomain_mode_resolves_from_host(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Subdomain).await;
    app.create_tenant("acme");
    let port = app.port;

    let ok = app
        .get_with_host(&format!("acme.localhost:{port}"), "/jwks.json")
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    // Host names are case-insensitive.
    let upper = app
        .get_with_host(&format!("ACME.LocalHost:{port}"), "/jwks.json")
        .await;
    assert_eq!(upper.status(), StatusCode::OK);

    for host in [
        format!("nobody.localhost:{port}"),
        format!("localhost:{port}"),
        format!("a.acme.localhost:{port}"),
        format!("acme.example.com:{port}"),
        format!("127.0.0.1:{port}"),
    ] {
        assert_error(
            app.get_with_host(&host, "/jwks.json").await,
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        )
        .await;
    }
    // Path mode routes do not exist in subdomain mode.
    assert_error(
        app.get_with_host(&format!("acme.localhost:{port}"), "/t/acme/jwks.json")
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // X-Forwarded-Host is not trusted for tenant resolution.
    let forwarded = app
        .client
        .get(format!("{}/jwks.json", app.address))
        .header("host", format!("nobody.localhost:{port}"))
        .header("x-forwarded-host", format!("acme.localhost:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forwarded.status(), StatusCode::NOT_FOUND);

    app.cli_json(&["tenant", "suspend", "acme", "--json"]);
    eventually("suspension", || async {
        app.get_tenant("acme", "/jwks.json").await.status() == StatusCode::FORBIDDEN
    })
    .await;
    for path in TENANT_PATHS {
        assert_error(
            app.get_with_host(&format!("acme.localhost:{port}"), path)
                .await,
            StatusCode::FORBIDDEN,
            "tenant_suspended",
        )
        .await;
    }
}
both_engines!(subdomain_mode_resolves_from_host);

async fn unknown_routes_are_json_404s(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    for path in ["/nope", "/t/acme/nope", "/t/", "/t/acme/.well-known/other"] {
        assert_error(app.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
}
both_engines!(unknown_routes_are_json_404s);
