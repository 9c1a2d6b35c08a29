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
];

async fn garbage_never_causes_server_errors(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (id, secret) = app.machine_client("acme");
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
    for path in PATHS {
        for query in queries {
            let url = app.tenant_url("acme", &format!("{path}{query}"));
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
                    .request(Method::POST, app.tenant_url("acme", path))
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
