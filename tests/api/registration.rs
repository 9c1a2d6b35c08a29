//! Dynamic client registration (RFC 7591) and management (RFC 7592), issue 17 item 5: the
//! tenant's policy (off, token, open) decides who registers; an open registration is only a
//! public client with loopback or https redirect URIs, rate-limited per address; the
//! registration access token reads, changes and deletes its client only; initial access
//! tokens are spent exactly as many times as they allow, also concurrently.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::admin_matrix::{call, machine_admin};
use crate::attacks_support::{error_of, tokens};
use crate::both_engines;
use crate::browser::Browser;
use crate::flow::pkce;
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const NATIVE: &str = "http://127.0.0.1:8765/callback";

async fn register(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.tenant_url("acme", "/register"))
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn manage(
    app: &TestApp,
    method: Method,
    uri: &str,
    token: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, uri).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

async fn json_of(response: reqwest::Response, expected: StatusCode) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, expected, "{body}");
    body
}

/// Sets the tenant's registration policy through the admin API (this node sees it at once).
async fn policy(app: &TestApp, admin: &str, value: &str) {
    let (status, body, headers) = call(
        app,
        Method::PATCH,
        "acme",
        "/settings/policy",
        Some(admin),
        Some(json!({ "client_registration": value })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["policy"]["client_registration"], value,
        "{body} {headers:?}"
    );
}

async fn initial_token(app: &TestApp, admin: &str, uses: i64) -> String {
    let (status, created, _) = call(
        app,
        Method::POST,
        "acme",
        "/registration-tokens",
        Some(admin),
        Some(json!({ "max_uses": uses, "description": "ci pipeline" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["token"].as_str().unwrap().to_owned()
}

async fn discovered(app: &TestApp) -> Value {
    app.get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap()
}

/// Off by default; with `token`, an initial access token registers a confidential client
/// once, the client works, and its registration access token reads, changes and deletes it.
async fn registration_with_an_initial_access_token(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (_, admin) = machine_admin(
        &app,
        "acme",
        &["settings:write", "clients:write", "audit:read"],
    )
    .await;
    let machine = json!({
        "client_name": "Build agent",
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_basic",
    });

    assert!(discovered(&app)
        .await
        .get("registration_endpoint")
        .is_none());
    let response = register(&app, None, &machine).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(response).await, "access_denied");

    policy(&app, &admin, "token").await;
    assert_eq!(
        discovered(&app).await["registration_endpoint"],
        format!("{}/register", app.issuer("acme"))
    );
    let response = register(&app, None, &machine).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));

    let token = initial_token(&app, &admin, 1).await;
    let created = json_of(
        register(&app, Some(&token), &machine).await,
        StatusCode::CREATED,
    )
    .await;
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let management = created["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = created["registration_client_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(uri, format!("{}/register/{client_id}", app.issuer("acme")));
    assert_eq!(created["client_secret_expires_at"], 0);
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(created["grant_types"], json!(["client_credentials"]));
    // The token was for one registration.
    let again = register(&app, Some(&token), &machine).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);

    // The client works.
    let issued = tokens(
        app.post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&client_id, &secret)),
        )
        .await,
    )
    .await;
    assert!(issued["access_token"].is_string());

    // RFC 7592: read, change, and the refusals.
    let read = json_of(
        manage(&app, Method::GET, &uri, &management, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["client_name"], "Build agent");
    assert!(read.get("client_secret").is_none());
    let wrong = manage(&app, Method::GET, &uri, "not-the-token", None).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let renamed = json!({
        "client_id": client_id,
        "client_name": "Release agent",
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_basic",
    });
    let changed = json_of(
        manage(&app, Method::PUT, &uri, &management, Some(&renamed)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["client_name"], "Release agent");
    let method_change = json!({ "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_post" });
    let refused = manage(&app, Method::PUT, &uri, &management, Some(&method_change)).await;
    assert_eq!(error_of(refused).await, "invalid_client_metadata");
    // Another client's registration URI with this token: nothing.
    let (other, _) = app.machine_client("acme");
    let foreign = format!("{}/register/{other}", app.issuer("acme"));
    let response = manage(&app, Method::GET, &foreign, &management, None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Delete: the client and its secret stop working.
    let deleted = manage(&app, Method::DELETE, &uri, &management, None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = manage(&app, Method::GET, &uri, &management, None).await;
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&client_id, &secret)),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Audited, and the token's use shows.
    let (_, audit, _) = call(
        &app,
        Method::GET,
        "acme",
        "/audit?action=client.",
        Some(&admin),
        None,
    )
    .await;
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == client_id.as_str())
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("client.delete", "registration"),
            ("client.update", "registration"),
            ("client.register", "registration")
        ],
        "{audit}"
    );
    let (_, listed, _) = call(
        &app,
        Method::GET,
        "acme",
        "/registration-tokens",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(listed[0]["uses"], 1, "{listed}");
    assert_eq!(listed[0]["max_uses"], 1, "{listed}");
    assert!(listed[0].get("token").is_none());
    let id = listed[0]["id"].as_str().unwrap();
    let (status, _, _) = call(
        &app,
        Method::DELETE,
        "acme",
        &format!("/registration-tokens/{id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

both_engines!(registration_with_an_initial_access_token);

/// Open registration: a public client with a loopback redirect registers without a token,
/// is marked as self-registered, and people are asked for consent; anything more is refused
/// with the RFC's error; an address registering too often gets 429.
async fn open_registration_is_for_public_clients(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| s.security.client_registrations_per_minute = 4).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let (_, admin) = machine_admin(&app, "acme", &["settings:write", "clients:write"]).await;
    policy(&app, &admin, "open").await;

    let native = json!({
        "client_name": "CLI agent",
        "redirect_uris": [NATIVE],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "logo_uri": "https://ignored.example/logo.png",
    });
    let created = json_of(register(&app, None, &native).await, StatusCode::CREATED).await;
    assert!(created.get("client_secret").is_none(), "{created}");
    assert_eq!(created["token_endpoint_auth_method"], "none");
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let management = created["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = created["registration_client_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, shown, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/clients/{client_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(shown["registration"], "open", "{shown}");
    assert_eq!(shown["consent"], "required", "{shown}");

    // People are asked before a self-registered client gets anything.
    let (_, challenge) = pkce();
    let mut url = url::Url::parse(&app.tenant_url("acme", "/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", NATIVE)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let browser = Browser::default();
    let login = browser
        .follow(browser.get(url.as_str()).await, NATIVE)
        .await;
    let consent = browser
        .follow(
            browser
                .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
                .await,
            NATIVE,
        )
        .await;
    assert!(consent.html.contains("value=\"allow\""), "{}", consent.html);
    assert!(consent.html.contains("CLI agent"), "{}", consent.html);

    let refusals = [
        (
            json!({"redirect_uris": [NATIVE]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["http://evil.example/cb"], "token_endpoint_auth_method": "none"}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["com.example.app:/cb"], "token_endpoint_auth_method": "none"}),
            "invalid_redirect_uri",
        ),
        (
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [NATIVE], "token_endpoint_auth_method": "none", "backchannel_logout_uri": "https://rp.example/bc"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [NATIVE], "token_endpoint_auth_method": "none", "response_types": ["token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [NATIVE], "token_endpoint_auth_method": "none", "grant_types": ["implicit"]}),
            "invalid_client_metadata",
        ),
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
    ];
    for (body, expected) in refusals {
        let response = register(&app, None, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_of(response).await, expected, "{body}");
    }
    let not_json = app
        .client
        .post(app.tenant_url("acme", "/register"))
        .form(&[("client_name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(not_json).await, "invalid_client_metadata");

    // Its registration access token cannot turn it into more than an open client.
    let confidential =
        json!({ "redirect_uris": [NATIVE], "token_endpoint_auth_method": "client_secret_basic" });
    let refused = manage(&app, Method::PUT, &uri, &management, Some(&confidential)).await;
    assert_eq!(error_of(refused).await, "invalid_client_metadata");
    let widened = json!({ "redirect_uris": [NATIVE, "http://evil.example/cb"], "token_endpoint_auth_method": "none" });
    let refused = manage(&app, Method::PUT, &uri, &management, Some(&widened)).await;
    assert_eq!(error_of(refused).await, "invalid_redirect_uri");

    // Per address: past the limit (4 a minute here) registration answers 429. Counted, not
    // timed: a minute boundary may reset the count once.
    let mut registered = 0;
    let mut limited = None;
    for _ in 0..12 {
        let response = register(&app, None, &native).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), StatusCode::CREATED);
        registered += 1;
    }
    let limited = limited.unwrap_or_else(|| panic!("no limit after {registered} registrations"));
    assert!(limited.headers().contains_key("retry-after"));
    assert!(registered <= 8, "{registered}");
}

both_engines!(open_registration_is_for_public_clients);

/// Concurrency: an initial access token for three registrations, presented eight times at
/// once, registers exactly three clients (and audits three).
async fn initial_access_tokens_under_concurrency(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (_, admin) = machine_admin(
        &app,
        "acme",
        &["settings:write", "clients:write", "audit:read"],
    )
    .await;
    policy(&app, &admin, "token").await;
    let token = initial_token(&app, &admin, 3).await;
    let body = json!({ "client_name": "Agent", "grant_types": ["client_credentials"] });
    let answers =
        futures_util::future::join_all((0..8).map(|_| register(&app, Some(&token), &body))).await;
    let created = answers
        .iter()
        .filter(|r| r.status() == StatusCode::CREATED)
        .count();
    let refused = answers
        .iter()
        .filter(|r| r.status() == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!((created, refused), (3, 5));
    let (_, audit, _) = call(
        &app,
        Method::GET,
        "acme",
        "/audit?action=client.register&limit=100",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 3, "{audit}");
}

both_engines!(initial_access_tokens_under_concurrency);
