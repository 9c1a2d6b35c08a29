//! Whatever a client sends, Tessera answers with a clear 4xx, never a 5xx or a crash.

use reqwest::{Method, StatusCode};
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::helpers::{Engine, TestApp};

const PATHS: &[&str] = &[
    "/authorize",
    "/token",
    "/introspect",
    "/revoke",
    "/userinfo",
    "/logout",
    "/login",
    "/consent",
    "/select-profile",
    "/mfa",
    "/mfa/setup",
    "/mfa/continue",
    "/reset",
    "/reset/confirm",
    "/signup",
    "/verify",
    "/account",
    "/account/profile/create",
    "/account/password",
    "/jwks.json",
    "/.well-known/openid-configuration",
    "/admin",
    "/admin/profile",
    "/admin/clients",
    "/admin/clients/x/update",
    "/admin/accounts",
    "/admin/accounts/x/suspend",
    "/admin/roles/grant",
    "/admin/settings/policy",
    "/admin/keys/rotate",
    "/admin/audit",
    "/admin/audit/export",
    "/admin/api/v1/clients",
    "/admin/api/v1/clients/x",
    "/admin/api/v1/roles",
    "/admin/api/v1/settings/policy",
    "/admin/api/v1/keys/rotate",
    "/admin/api/v1/audit",
    "/admin/api/v1/openapi.json",
];

/// Platform console paths, on the root host.
const PLATFORM_PATHS: &[&str] = &[
    "/platform",
    "/platform/login",
    "/platform/setup",
    "/platform/tenants",
    "/platform/tenants/acme",
    "/platform/tenants/acme/delete",
    "/platform/security",
    "/platform/mfa/start",
    "/platform/logout",
];

async fn garbage_never_causes_server_errors(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (id, secret) = app.machine_client("acme");
    // Before the garbage below gets this address rate-limited at the token endpoint.
    let (_, admin) = crate::admin_matrix::machine_admin(&app, "acme", &["tenant:admin"]).await;
    let long = "x".repeat(20_000);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/x-www-form-urlencoded", Vec::new()),
        ("application/x-www-form-urlencoded", b"%%%&&&===".to_vec()),
        (
            "application/x-www-form-urlencoded",
            vec![0xff, 0xfe, b'=', 0x80],
        ),
        (
            "application/x-www-form-urlencoded",
            format!("grant_type=client_credentials&scope={long}").into_bytes(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"token=a.b.c&csrf_token=x&request=y&challenge=z&code=1".to_vec(),
        ),
        ("application/json", b"{\"grant_type\": 1}".to_vec()),
        ("text/plain", b"\0\0\0".to_vec()),
    ];
    let queries = [
        "",
        "?",
        "?client_id=%ff",
        "?request=../../etc",
        "?token=&challenge=&next=account",
        "?response_type=code&client_id=x&redirect_uri=javascript:alert(1)",
    ];
    let urls = PATHS.iter().map(|path| app.tenant_url("acme", path)).chain(
        PLATFORM_PATHS
            .iter()
            .map(|path| format!("{}{path}", app.address)),
    );
    for base in urls {
        let path = base.as_str();
        for query in queries {
            let url = format!("{path}{query}");
            let response = app
                .client
                .get(&url)
                .header("authorization", "Bearer not.a.token")
                .send()
                .await
                .unwrap();
            assert!(
                response.status() < StatusCode::INTERNAL_SERVER_ERROR,
                "GET {path}{query}: {}",
                response.status()
            );
        }
        for (content_type, body) in &bodies {
            for auth in [None, Some("Basic !!!"), Some("Basic "), Some("Bearer")] {
                let mut request = app
                    .client
                    .request(Method::POST, path)
                    .header("content-type", *content_type)
                    .body(body.clone());
                if let Some(auth) = auth {
                    request = request.header("authorization", auth);
                }
                let response = request.send().await.unwrap();
                assert!(
                    response.status() < StatusCode::INTERNAL_SERVER_ERROR,
                    "POST {path} {content_type} {auth:?}: {}",
                    response.status()
                );
            }
        }
    }
    // The admin API parses bodies only after authorizing: garbage from a real administrator.
    for (method, path) in [
        (Method::POST, "/clients"),
        (Method::PATCH, "/clients/x"),
        (Method::POST, "/roles"),
        (Method::PATCH, "/settings/policy"),
        (Method::PUT, "/settings/branding"),
        (Method::POST, "/keys/rotate"),
        (Method::GET, "/audit?limit=-1&after=zz&from=x"),
        (Method::GET, "/accounts?limit=999999999999999999999"),
    ] {
        for (content_type, body) in &bodies {
            let response = app
                .client
                .request(
                    method.clone(),
                    app.tenant_url("acme", &format!("/admin/api/v1{path}")),
                )
                .bearer_auth(&admin)
                .header("content-type", *content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            // An empty body is a valid "rotate every algorithm"; anything else here is refused.
            let valid = path == "/keys/rotate" && body.is_empty();
            assert!(
                response.status().is_client_error() || (valid && response.status().is_success()),
                "{method} {path} {content_type}: {}",
                response.status()
            );
        }
    }
    // The service still works afterwards (the token endpoint may now rate-limit this address:
    // the garbage included many failed client authentications).
    assert_eq!(
        app.get_tenant("acme", "/.well-known/openid-configuration")
            .await
            .status(),
        StatusCode::OK
    );
    let token = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&id, &secret)),
        )
        .await;
    assert!(
        [StatusCode::OK, StatusCode::TOO_MANY_REQUESTS].contains(&token.status()),
        "{}",
        token.status()
    );
}
both_engines!(garbage_never_causes_server_errors);
