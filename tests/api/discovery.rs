//! Discovery documents (OIDC Discovery 1.0, RFC 8414) in both routing modes.

use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::helpers::{Engine, TestApp};

async fn fetch_json(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK, "{}", response.url());
    let headers = response.headers().clone();
    assert_eq!(headers["cache-control"], "public, max-age=300");
    assert_eq!(headers["access-control-allow-origin"], "*");
    response.json().await.expect("JSON")
}

/// The fields every OIDC provider document must have, with this tenant's issuer.
async fn check_document(app: &TestApp, slug: &str, document: &Value) {
    let issuer = app.issuer(slug);
    assert_eq!(document["issuer"], issuer.as_str());
    assert!(
        !issuer.ends_with('/'),
        "issuers compare exactly: no trailing slash"
    );
    assert_eq!(document["jwks_uri"], format!("{issuer}/jwks.json"));
    assert_eq!(
        document["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256", "EdDSA"])
    );
    assert_eq!(
        document["subject_types_supported"],
        serde_json::json!(["public", "pairwise"])
    );
    assert_eq!(
        document["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        document["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        document["authorization_response_iss_parameter_supported"],
        true
    );
    // Every language the hosted pages and mails are written in (tests/api/languages.rs).
    assert_eq!(
        document["ui_locales_supported"],
        serde_json::json!(["en", "de", "fr", "es"])
    );
    for endpoint in [
        "authorize",
        "token",
        "userinfo",
        "introspect",
        "revoke",
        "logout",
    ] {
        assert!(
            document
                .as_object()
                .unwrap()
                .values()
                .any(|v| v == &serde_json::json!(format!("{issuer}/{endpoint}"))),
            "{endpoint} not advertised"
        );
    }

    // Advertise only what is implemented: every URL in the document answers.
    for (field, value) in document.as_object().unwrap() {
        let Some(url) = value
            .as_str()
            .filter(|_| field.ends_with("_uri") || field.ends_with("_endpoint"))
        else {
            continue;
        };
        let path = url
            .strip_prefix(&issuer)
            .unwrap_or_else(|| panic!("{field} outside the issuer: {url}"));
        let response = app.get_tenant(slug, path).await;
        assert_ne!(
            response.status(),
            StatusCode::NOT_FOUND,
            "{field} = {url} is advertised but absent"
        );
    }
}

async fn discovery_in_path_mode(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_tenant("globex");

    let oidc = fetch_json(
        app.get_tenant("acme", "/.well-known/openid-configuration")
            .await,
    )
    .await;
    check_document(&app, "acme", &oidc).await;
    let oauth = fetch_json(
        app.get_tenant("acme", "/.well-known/oauth-authorization-server")
            .await,
    )
    .await;
    assert_eq!(oauth, oidc);
    // RFC 8414 §3 location for an issuer with a path component.
    let inserted = fetch_json(
        app.get("/.well-known/oauth-authorization-server/t/acme")
            .await,
    )
    .await;
    assert_eq!(inserted, oidc);

    let other = fetch_json(
        app.get_tenant("globex", "/.well-known/openid-configuration")
            .await,
    )
    .await;
    check_document(&app, "globex", &other).await;
    assert_ne!(other["issuer"], oidc["issuer"]);
}
both_engines!(discovery_in_path_mode);

async fn discovery_in_subdomain_mode(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Subdomain).await;
    app.create_tenant("acme");
    let oidc = fetch_json(
        app.get_tenant("acme", "/.well-known/openid-configuration")
            .await,
    )
    .await;
    assert_eq!(
        oidc["issuer"],
        format!("http://acme.localhost:{}", app.port)
    );
    check_document(&app, "acme", &oidc).await;
    let oauth = fetch_json(
        app.get_tenant("acme", "/.well-known/oauth-authorization-server")
            .await,
    )
    .await;
    assert_eq!(oauth, oidc);
}
both_engines!(discovery_in_subdomain_mode);
