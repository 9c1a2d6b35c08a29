//! Flow variants: private_key_jwt (inline JWKS and jwks_uri), form_post, public clients,
//! loopback redirect ports, offline_access, ES256 tokens, the refresh grace window.

use std::net::TcpListener;

use actix_web::{web, App, HttpResponse, HttpServer};
use josekit::jwk::KeyPair;
use openidconnect::core::{
    CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{ClientId, IssuerUrl, Nonce};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::TenantRouting;
use tessera::domain::unix_now;

use crate::attacks_support::{error_of, tokens};
use crate::both_engines;
use crate::browser::Browser;
use crate::flow::{authorize_url, exchange, pkce, register_rp, sign_in, Rp};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub struct ClientKey {
    pair: josekit::jwk::alg::ec::EcKeyPair,
    kid: String,
}

impl Default for ClientKey {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientKey {
    pub fn new() -> ClientKey {
        ClientKey {
            pair: josekit::jws::ES256.generate_key_pair().unwrap(),
            kid: tessera::crypto::random_token(),
        }
    }

    pub fn jwks(&self) -> Value {
        let mut jwk = self.pair.to_jwk_public_key();
        jwk.set_key_id(&self.kid);
        jwk.set_algorithm("ES256");
        json!({ "keys": [serde_json::from_str::<Value>(&jwk.to_string()).unwrap()] })
    }

    pub fn assertion(&self, client_id: &str, aud: &str, exp_in: i64, jti: &str) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({ "iss": client_id, "sub": client_id, "aud": aud, "exp": now + exp_in, "iat": now, "jti": jti });
        let mut header = josekit::jws::JwsHeader::new();
        header.set_key_id(&self.kid);
        let signer = josekit::jws::ES256
            .signer_from_der(self.pair.to_der_private_key())
            .unwrap();
        josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &signer).unwrap()
    }
}

pub async fn assertion_token(
    app: &TestApp,
    assertion: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    form.extend_from_slice(extra);
    app.post_form("acme", "/token", &form, None).await
}

async fn private_key_jwt_with_registered_jwks(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let key = ClientKey::new();
    let jwks_file = app.db.dir.path().join("client-jwks.json");
    std::fs::write(&jwks_file, key.jwks().to_string()).unwrap();
    let created = app.create_client(
        "acme",
        &[
            "--grant",
            "client_credentials",
            "--auth-method",
            "private_key_jwt",
            "--jwks",
            jwks_file.to_str().unwrap(),
        ],
    );
    assert!(created.get("client_secret").is_none());
    let id = created["client_id"].as_str().unwrap();
    let token_endpoint = app.issuer("acme") + "/token";

    let assertion = key.assertion(id, &token_endpoint, 60, "jti-1");
    let ok = assertion_token(&app, &assertion, &[]).await;
    assert_eq!(tokens(ok).await["token_type"], "Bearer");
    // The issuer is an accepted audience too.
    let by_issuer = key.assertion(id, &app.issuer("acme"), 60, "jti-issuer");
    assert_eq!(
        assertion_token(&app, &by_issuer, &[]).await.status(),
        StatusCode::OK
    );

    // Replay, wrong audience, expired, too long-lived, foreign key: all invalid_client.
    let other_key = ClientKey {
        kid: key.kid.clone(),
        ..ClientKey::new()
    };
    let cases = [
        assertion,
        key.assertion(id, "https://elsewhere.example/token", 60, "jti-2"),
        key.assertion(id, &token_endpoint, -120, "jti-3"),
        key.assertion(id, &token_endpoint, 7200, "jti-4"),
        other_key.assertion(id, &token_endpoint, 60, "jti-5"),
        "not.a.jwt".to_owned(),
        // exp at the end of time: must not overflow the expiry arithmetic.
        key.assertion(id, &token_endpoint, i64::MAX - unix_now() - 10, "jti-7"),
    ];
    for bad in &cases {
        let response = assertion_token(&app, bad, &[]).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(error_of(response).await, "invalid_client");
    }
    // Two authentication methods at once.
    let both = key.assertion(id, &token_endpoint, 60, "jti-6");
    let response = assertion_token(&app, &both, &[("client_id", id), ("client_secret", "x")]).await;
    assert_eq!(error_of(response).await, "invalid_request");
}
both_engines!(private_key_jwt_with_registered_jwks);

async fn private_key_jwt_with_jwks_uri(engine: Engine) {
    // The client's key server runs on loopback, which only an explicit allow-list reaches.
    let app = TestApp::spawn_with(engine, |s| {
        s.outbound.allow_networks = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    app.create_tenant("acme");
    let key = ClientKey::new();
    let jwks = key.jwks();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let jwks = jwks.clone();
        App::new().route(
            "/jwks",
            web::get().to(move || {
                let jwks = jwks.clone();
                async move { HttpResponse::Ok().json(jwks) }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    let jwks_uri = format!("http://127.0.0.1:{port}/jwks");
    let created = app.create_client(
        "acme",
        &[
            "--grant",
            "client_credentials",
            "--auth-method",
            "private_key_jwt",
            "--jwks-uri",
            &jwks_uri,
        ],
    );
    let id = created["client_id"].as_str().unwrap();
    let assertion = key.assertion(id, &(app.issuer("acme") + "/token"), 60, "uri-1");
    let response = assertion_token(&app, &assertion, &[]).await;
    assert_eq!(tokens(response).await["token_type"], "Bearer");
    let wrong = ClientKey::new().assertion(id, &(app.issuer("acme") + "/token"), 60, "uri-2");
    assert_eq!(
        error_of(assertion_token(&app, &wrong, &[]).await).await,
        "invalid_client"
    );
}
both_engines!(private_key_jwt_with_jwks_uri);

async fn form_post_response_mode(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let browser = Browser::default();
    let (verifier, challenge) = pkce();
    let page = sign_in(
        &browser,
        &authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[("response_mode", "form_post")],
        ),
        EMAIL,
        PASSWORD,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.form_action().as_deref(),
        Some("http://127.0.0.1:9/callback")
    );
    assert_eq!(page.field("state").as_deref(), Some("st4te"));
    assert_eq!(
        page.field("iss").as_deref(),
        Some(app.issuer("acme").as_str())
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("form-action http://127.0.0.1:9"), "{csp}");
    assert!(csp.contains("script-src 'nonce-"), "{csp}");
    assert!(page.html.contains("<noscript>"), "works without JavaScript");
    let code = page.field("code").expect("code");
    assert_eq!(
        exchange(&app, "acme", &rp, &code, Some(&verifier))
            .await
            .status(),
        StatusCode::OK
    );
}
both_engines!(form_post_response_mode);

async fn public_client_with_loopback_port(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let created = app.create_client(
        "acme",
        &["--public", "--redirect-uri", "http://127.0.0.1/native"],
    );
    let id = created["client_id"].as_str().unwrap().to_owned();
    let browser = Browser::default();
    let (verifier, challenge) = pkce();
    let mut url = url::Url::parse(&app.tenant_url("acme", "/authorize")).unwrap();
    // A native app's ephemeral port differs from the registered one (RFC 8252 §7.3).
    let redirect = "http://127.0.0.1:53124/native";
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &id)
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let mut page = browser
        .follow(browser.get(url.as_str()).await, "http://127.0.0.1:53124")
        .await;
    page = browser
        .submit(&page, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    page = browser.follow(page, "http://127.0.0.1:53124").await;
    if page.html.contains("value=\"allow\"") {
        page = browser.submit(&page, &[("decision", "allow")]).await;
    }
    let code = page
        .query_param("code")
        .unwrap_or_else(|| panic!("{:?}", page.location));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", verifier.as_str()),
        ("client_id", id.as_str()),
    ];
    let response = app.post_form("acme", "/token", &form, None).await;
    let issued = tokens(response).await;
    assert!(issued["id_token"].is_string());
    // A public client cannot use client_credentials, nor pretend to have a secret.
    let cc = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", &id)],
            None,
        )
        .await;
    assert_eq!(error_of(cc).await, "unauthorized_client");
}
both_engines!(public_client_with_loopback_port);

async fn offline_access_outlives_the_session(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let browser = Browser::default();
    let mut refresh_tokens = Vec::new();
    // Scopes come back as a sorted set.
    for scope in ["openid", "offline_access openid"] {
        let (verifier, challenge) = pkce();
        let url = authorize_url(&app, "acme", &rp, &challenge, &[]).replace(
            "scope=openid+email+profile",
            &format!("scope={}", scope.replace(' ', "+")),
        );
        let back = sign_in(&browser, &url, EMAIL, PASSWORD).await;
        let code = back.query_param("code").unwrap();
        let issued = tokens(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await;
        assert_eq!(issued["scope"], scope);
        refresh_tokens.push(issued["refresh_token"].as_str().unwrap().to_owned());
    }
    // Sign out (confirmed on the page).
    let confirm = browser.get(&app.tenant_url("acme", "/logout")).await;
    browser.submit(&confirm, &[]).await;
    let refresh = |token: String| {
        let app = &app;
        let rp: &Rp = &rp;
        async move {
            app.post_form(
                "acme",
                "/token",
                &[("grant_type", "refresh_token"), ("refresh_token", &token)],
                Some((&rp.id, &rp.secret)),
            )
            .await
        }
    };
    assert_eq!(
        error_of(refresh(refresh_tokens[0].clone()).await).await,
        "invalid_grant",
        "session-bound token survived logout"
    );
    assert_eq!(
        refresh(refresh_tokens[1].clone()).await.status(),
        StatusCode::OK,
        "offline token died with the session"
    );
}
both_engines!(offline_access_outlives_the_session);

async fn es256_client_tokens_verify(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(
        &app,
        "acme",
        &["--consent", "skip", "--signing-alg", "ES256"],
    );
    let browser = Browser::default();
    let (verifier, challenge) = pkce();
    let back = sign_in(
        &browser,
        &authorize_url(&app, "acme", &rp, &challenge, &[]),
        EMAIL,
        PASSWORD,
    )
    .await;
    let issued = tokens(
        exchange(
            &app,
            "acme",
            &rp,
            &back.query_param("code").unwrap(),
            Some(&verifier),
        )
        .await,
    )
    .await;
    let jwks: CoreJsonWebKeySet = app
        .get_tenant("acme", "/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let verifier = CoreIdTokenVerifier::new_confidential_client(
        ClientId::new(rp.id.clone()),
        openidconnect::ClientSecret::new(rp.secret.clone()),
        IssuerUrl::new(app.issuer("acme")).unwrap(),
        jwks,
    )
    .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let id_token: CoreIdToken = issued["id_token"].as_str().unwrap().parse().unwrap();
    let claims = id_token
        .claims(&verifier, &Nonce::new("n0nce".into()))
        .expect("ES256 ID token verifies");
    assert_eq!(claims.issuer().as_str(), app.issuer("acme"));
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            issued["access_token"]
                .as_str()
                .unwrap()
                .split('.')
                .next()
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256");
}
both_engines!(es256_client_tokens_verify);

async fn refresh_grace_window_allows_parallel_retries(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| s.tokens.refresh_token_reuse_grace_secs = 60).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let browser = Browser::default();
    let (verifier, challenge) = pkce();
    let back = sign_in(
        &browser,
        &authorize_url(&app, "acme", &rp, &challenge, &[]),
        EMAIL,
        PASSWORD,
    )
    .await;
    let issued = tokens(
        exchange(
            &app,
            "acme",
            &rp,
            &back.query_param("code").unwrap(),
            Some(&verifier),
        )
        .await,
    )
    .await;
    let token = issued["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", token)];
    let first = app
        .post_form("acme", "/token", &form, Some((&rp.id, &rp.secret)))
        .await;
    let second = app
        .post_form("acme", "/token", &form, Some((&rp.id, &rp.secret)))
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        second.status(),
        StatusCode::OK,
        "a retry within the grace window is not reuse"
    );
}
both_engines!(refresh_grace_window_allows_parallel_retries);

async fn eddsa_client_tokens_verify(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let created = app.create_client(
        "acme",
        &["--grant", "client_credentials", "--signing-alg", "EdDSA"],
    );
    let (id, secret) = (
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap(),
    );
    let issued = tokens(
        app.post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((id, secret)),
        )
        .await,
    )
    .await;
    let token = issued["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    // Verified through the published JWKS, by introspection.
    let (rs_id, rs_secret) = app.resource_server("acme");
    let answer: Value = app
        .post_form(
            "acme",
            "/introspect",
            &[("token", token)],
            Some((&rs_id, &rs_secret)),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["active"], true);
}
both_engines!(eddsa_client_tokens_verify);
