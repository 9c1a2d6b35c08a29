//! Pushed authorization requests (RFC 9126, issue 17): a client pushes its request, gets a
//! short-lived `request_uri`, and the browser signs in with only that; each MUST of the RFC
//! has its refusal here. The client side is written to the RFC in this file.

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;
use tessera::db::Db;

use crate::both_engines;
use crate::browser::Browser;
use crate::flow::{exchange, pkce, register_rp, sign_in, Rp, REDIRECT};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";

/// The authorization parameters a client pushes (PKCE, state, nonce).
fn request(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("redirect_uri", REDIRECT.into()),
        ("scope", "openid profile".into()),
        ("state", "pushed-state".into()),
        ("nonce", "pushed-nonce".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

async fn push(
    app: &TestApp,
    rp: &Rp,
    form: &[(&str, String)],
    auth: Option<(&str, &str)>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _ = rp;
    let response = app.post_form("acme", "/par", &form, auth).await;
    let (status, headers) = (response.status(), response.headers().clone());
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

fn authorize_with(app: &TestApp, client_id: &str, request_uri: &str, extra: &str) -> String {
    let mut url = url::Url::parse(&app.tenant_url("acme", "/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("request_uri", request_uri);
    format!("{url}{extra}")
}

/// A pushed request signs the user in once: the code comes back with the pushed `state`,
/// whatever the browser's URL adds, the ID token has the pushed `nonce`, and the
/// `request_uri` cannot be used again.
async fn a_pushed_request_signs_in_once(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let discovery: Value = app
        .get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["pushed_authorization_request_endpoint"],
        app.tenant_url("acme", "/par")
    );
    let (verifier, challenge) = pkce();
    let (status, headers, pushed) =
        push(&app, &rp, &request(&challenge), Some((&rp.id, &rp.secret))).await;
    assert_eq!(status, StatusCode::CREATED, "{pushed}");
    assert_eq!(headers["cache-control"], "no-store");
    let request_uri = pushed["request_uri"].as_str().unwrap().to_owned();
    assert!(
        request_uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{pushed}"
    );
    let expires_in = pushed["expires_in"].as_i64().unwrap();
    assert!((1..=60).contains(&expires_in), "{pushed}");

    // Parameters added outside the pushed request are ignored (RFC 9126 §4).
    let browser = Browser::default();
    let url = authorize_with(&app, &rp.id, &request_uri, "&state=evil&scope=openid+email");
    let back = sign_in(&browser, &url, EMAIL, PASSWORD).await;
    assert_eq!(
        back.query_param("state").as_deref(),
        Some("pushed-state"),
        "{:?}",
        back.location
    );
    let code = back.query_param("code").expect("a code");
    let response = exchange(&app, "acme", &rp, &code, Some(&verifier)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["scope"], "openid profile", "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims = crate::hardening::jwt_claims(id_token);
    assert_eq!(claims["nonce"], "pushed-nonce");

    // Used once: the same request_uri again is refused on a page, redirecting nowhere.
    let again = browser
        .get(&authorize_with(&app, &rp.id, &request_uri, ""))
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.location.is_none());
    assert!(again.html.contains("no longer valid"), "{}", again.html);
}

both_engines!(a_pushed_request_signs_in_once);

/// The pushed authorization request endpoint refuses what RFC 9126 forbids, with the token
/// endpoint's error format; `/authorize` refuses a request_uri of another client, an expired
/// one, and a client that must push but did not.
async fn pushed_requests_refuse_what_the_rfc_forbids(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let rp = register_rp(&app, "acme", &["--require-par"]);
    let other = register_rp(&app, "acme", &[]);
    let (_, challenge) = pkce();
    let auth = Some((rp.id.as_str(), rp.secret.as_str()));

    // §2: the client authenticates as at the token endpoint.
    let (status, _, body) = push(&app, &rp, &request(&challenge), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client");
    let (status, _, body) = push(
        &app,
        &rp,
        &request(&challenge),
        Some((&rp.id, "wrong secret")),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // §2.1: no request_uri inside a pushed request; client_id, if sent, is the client's.
    let mut with_uri = request(&challenge);
    with_uri.push(("request_uri", "urn:ietf:params:oauth:request_uri:x".into()));
    let (status, headers, body) = push(&app, &rp, &with_uri, auth).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request")),
        "{body}"
    );
    assert_eq!(headers["cache-control"], "no-store");
    let mut impostor = request(&challenge);
    impostor.push(("client_id", other.id.clone()));
    let (status, _, body) = push(&app, &rp, &impostor, auth).await;
    // Two client identities in one request fail client authentication, as at /token.
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client")),
        "{body}"
    );

    // §2.3: the request is validated as /authorize would, errors as JSON.
    let broken = |name: &'static str, value: &str| {
        let mut form = request(&challenge);
        form.retain(|(n, _)| *n != name);
        if !value.is_empty() {
            form.push((name, value.to_owned()));
        }
        form
    };
    for (form, error) in [
        (broken("code_challenge", ""), "invalid_request"),
        (
            broken("redirect_uri", "https://evil.example/cb"),
            "invalid_request",
        ),
        (broken("scope", "openid wishes"), "invalid_scope"),
        (
            broken("response_type", "token"),
            "unsupported_response_type",
        ),
    ] {
        let (status, _, body) = push(&app, &rp, &form, auth).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], error, "{form:?}");
    }
    let wrong_method = app
        .client
        .get(app.tenant_url("acme", "/par"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);

    // A client that must push cannot send its request through the browser (§6).
    let browser = Browser::default();
    let direct = crate::flow::authorize_url(&app, "acme", &rp, &challenge, &[]);
    let refused = browser.get(&direct).await;
    let location = refused.location.clone().unwrap_or_default();
    assert!(location.starts_with(REDIRECT), "{location}");
    assert!(location.contains("error=invalid_request"), "{location}");

    // Another client's request_uri is nothing to this one.
    let (_, _, pushed) = push(&app, &rp, &request(&challenge), auth).await;
    let request_uri = pushed["request_uri"].as_str().unwrap();
    let stolen = browser
        .get(&authorize_with(&app, &other.id, request_uri, ""))
        .await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);
    assert!(stolen.location.is_none());

    // Expired (moved past its lifetime in the database): refused.
    let (_, _, pushed) = push(&app, &rp, &request(&challenge), auth).await;
    let request_uri = pushed["request_uri"].as_str().unwrap();
    let db = Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    db.conn()
        .unwrap()
        .batch_execute("UPDATE pushed_authorization_requests SET expires_at = 0")
        .unwrap();
    let late = browser
        .get(&authorize_with(&app, &rp.id, request_uri, ""))
        .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(late.html.contains("no longer valid"), "{}", late.html);
}

both_engines!(pushed_requests_refuse_what_the_rfc_forbids);

/// Two browsers racing with one request_uri: exactly one gets to sign in.
async fn a_request_uri_is_used_once_under_concurrency(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let (_, challenge) = pkce();
    let auth = Some((rp.id.as_str(), rp.secret.as_str()));
    let (_, _, pushed) = push(&app, &rp, &request(&challenge), auth).await;
    let url = authorize_with(&app, &rp.id, pushed["request_uri"].as_str().unwrap(), "");
    let browsers: Vec<Browser> = (0..6).map(|_| Browser::default()).collect();
    let pages = futures_util::future::join_all(browsers.iter().map(|b| b.get(&url))).await;
    let refused = pages
        .iter()
        .filter(|p| p.status == StatusCode::BAD_REQUEST)
        .count();
    let statuses: Vec<StatusCode> = pages.iter().map(|p| p.status).collect();
    assert_eq!(refused, 5, "{statuses:?}");
    assert!(
        pages
            .iter()
            .any(|p| p.status != StatusCode::BAD_REQUEST && p.status.as_u16() < 500),
        "{statuses:?}"
    );
}

both_engines!(a_request_uri_is_used_once_under_concurrency);
