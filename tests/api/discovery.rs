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

async fn get_with(app: &TestApp, path: &str, if_none_match: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.tenant_url("acme", path));
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    request.send().await.unwrap()
}

/// Discovery and JWKS carry an entity tag: a client holding the current version gets 304
/// without a body; a new key set is a new tag, so a client holding the old one gets the new
/// keys.
async fn documents_carry_entity_tags(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    for path in ["/.well-known/openid-configuration", "/jwks.json"] {
        let first = get_with(&app, path, None).await;
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        assert_eq!(first.headers()["cache-control"], "public, max-age=300");
        let body = first.bytes().await.unwrap();
        assert!(!body.is_empty());
        for held in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
        ] {
            let again = get_with(&app, path, Some(&held)).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path} {held}");
            assert_eq!(again.headers()["etag"], etag.as_str());
            assert!(again.bytes().await.unwrap().is_empty());
        }
        let stale = get_with(&app, path, Some("\"not-this-one\"")).await;
        assert_eq!(stale.status(), StatusCode::OK);
        assert_eq!(stale.bytes().await.unwrap(), body);
    }

    let before = get_with(&app, "/jwks.json", None).await;
    let old_tag = before.headers()["etag"].to_str().unwrap().to_owned();
    let old_keys = before.json::<Value>().await.unwrap()["keys"]
        .as_array()
        .unwrap()
        .len();
    app.cli_json(&[
        "keys", "rotate", "--tenant", "acme", "--alg", "ES256", "--json",
    ]);
    let mut refreshed = None;
    for _ in 0..50 {
        let response = get_with(&app, "/jwks.json", Some(&old_tag)).await;
        if response.status() == StatusCode::OK {
            let tag = response.headers()["etag"].to_str().unwrap().to_owned();
            refreshed = Some((tag, response.json::<Value>().await.unwrap()));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (new_tag, keys) = refreshed.expect("the rotated key set is served");
    assert_ne!(new_tag, old_tag);
    assert_eq!(keys["keys"].as_array().unwrap().len(), old_keys + 1);
    let current = get_with(&app, "/jwks.json", Some(&new_tag)).await;
    assert_eq!(current.status(), StatusCode::NOT_MODIFIED);
}

both_engines!(documents_carry_entity_tags);
