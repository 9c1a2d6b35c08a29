//! Every attack on the authorization code flow that must fail (RFC 9700), on both engines.

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::attacks_support::{error_of, tokens};
use crate::both_engines;
use crate::browser::Browser;
use crate::flow::{authorize_url, exchange, pkce, register_rp, sign_in, Rp};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";

/// A tenant "acme" with one account and one confidential client.
async fn setup(engine: Engine) -> (TestApp, Rp) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &[]);
    (app, rp)
}

/// Runs the browser part of the flow; returns (code, verifier).
async fn code_for(
    app: &TestApp,
    rp: &Rp,
    browser: &Browser,
    extra: &[(&str, &str)],
) -> (String, String) {
    let (verifier, challenge) = pkce();
    let back = sign_in(
        browser,
        &authorize_url(app, "acme", rp, &challenge, extra),
        EMAIL,
        PASSWORD,
    )
    .await;
    let code = back
        .query_param("code")
        .unwrap_or_else(|| panic!("no code: {:?} {}", back.location, back.html));
    (code, verifier)
}

async fn active(app: &TestApp, rp: &Rp, token: &str) -> bool {
    let response = app
        .post_form(
            "acme",
            "/introspect",
            &[("token", token)],
            Some((&rp.id, &rp.secret)),
        )
        .await;
    response.json::<Value>().await.unwrap()["active"] == true
}

async fn unregistered_redirect_uri_is_never_redirected(engine: Engine) {
    let (app, rp) = setup(engine).await;
    let (_, challenge) = pkce();
    let browser = Browser::default();
    for evil in [
        "https://evil.example/cb",
        "http://127.0.0.1:9/callback/../evil",
        "http://127.0.0.1:9/callback?x=1",
    ] {
        let url = authorize_url(&app, "acme", &rp, &challenge, &[]).replace(
            &url::form_urlencoded::byte_serialize(b"http://127.0.0.1:9/callback")
                .collect::<String>(),
            &url::form_urlencoded::byte_serialize(evil.as_bytes()).collect::<String>(),
        );
        let page = browser.get(&url).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{evil}");
        assert!(page.location.is_none(), "{evil} redirected");
        assert!(page.html.contains("redirect_uri mismatch"), "{evil}");
    }
    // Unknown client and a parameter sent twice: also a page.
    let unknown = browser.get(&app.tenant_url("acme", "/authorize?response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Fevil.example%2F")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.location.is_none());
    let twice = browser
        .get(&format!(
            "{}&state=a&state=b",
            authorize_url(&app, "acme", &rp, &challenge, &[])
        ))
        .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert!(twice.location.is_none());
}
both_engines!(unregistered_redirect_uri_is_never_redirected);

async fn pkce_is_required_and_plain_refused(engine: Engine) {
    let (app, rp) = setup(engine).await;
    let browser = Browser::default();
    let without = authorize_url(&app, "acme", &rp, "x", &[]);
    let without = without
        .split('&')
        .filter(|p| !p.starts_with("code_challenge"))
        .collect::<Vec<_>>()
        .join("&");
    let page = browser.get(&without).await;
    assert_eq!(
        page.query_param("error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(page.query_param("state").as_deref(), Some("st4te"));
    assert!(page.query_param("iss").is_some());

    let (verifier, _) = pkce();
    let plain = authorize_url(&app, "acme", &rp, &verifier, &[])
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let page = browser.get(&plain).await;
    assert_eq!(
        page.query_param("error").as_deref(),
        Some("invalid_request")
    );
    assert!(page
        .query_param("error_description")
        .unwrap()
        .contains("S256"));
}
both_engines!(pkce_is_required_and_plain_refused);

async fn wrong_or_missing_verifier_is_invalid_grant(engine: Engine) {
    let (app, rp) = setup(engine).await;
    let browser = Browser::default();
    let (code, _) = code_for(&app, &rp, &browser, &[]).await;
    let (other_verifier, _) = pkce();
    assert_eq!(
        error_of(exchange(&app, "acme", &rp, &code, Some(&other_verifier)).await).await,
        "invalid_grant"
    );
    let (code, _) = code_for(&app, &rp, &browser, &[]).await;
    assert_eq!(
        error_of(exchange(&app, "acme", &rp, &code, None).await).await,
        "invalid_grant"
    );
    let (code, verifier) = code_for(&app, &rp, &browser, &[]).await;
    // The redirect URI must be repeated exactly.
    let mismatched = app
        .post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9/other"),
                ("code_verifier", &verifier),
            ],
            Some((&rp.id, &rp.secret)),
        )
        .await;
    assert_eq!(error_of(mismatched).await, "invalid_grant");
}
both_engines!(wrong_or_missing_verifier_is_invalid_grant);

async fn code_reuse_revokes_everything_issued_from_it(engine: Engine) {
    let (app, rp) = setup(engine).await;
    let browser = Browser::default();
    let (code, verifier) = code_for(&app, &rp, &browser, &[]).await;
    let first = tokens(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await;
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    assert!(active(&app, &rp, access).await);

    assert_eq!(
        error_of(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await,
        "invalid_grant"
    );
    assert!(
        !active(&app, &rp, access).await,
        "access token survived code reuse"
    );
    assert!(
        !active(&app, &rp, refresh).await,
        "refresh token survived code reuse"
    );
    let refreshed = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
            Some((&rp.id, &rp.secret)),
        )
        .await;
    assert_eq!(error_of(refreshed).await, "invalid_grant");
    let userinfo = app.get_bearer("acme", "/userinfo", access).await;
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
}
both_engines!(code_reuse_revokes_everything_issued_from_it);

async fn refresh_reuse_revokes_the_family(engine: Engine) {
    let (app, rp) = setup(engine).await;
    let browser = Browser::default();
    let (code, verifier) = code_for(&app, &rp, &browser, &[]).await;
    let first = tokens(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await;
    let original = first["refresh_token"].as_str().unwrap();
    let refresh = |token: String| {
        let app = &app;
        let rp = &rp;
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
    let second = tokens(refresh(original.to_owned()).await).await;
    let newer = second["refresh_token"].as_str().unwrap().to_owned();
    let newer_access = second["access_token"].as_str().unwrap().to_owned();
    assert!(second["id_token"].is_string());

    // The attacker replays the rotated token: the whole family dies, the legitimate one too.
    assert_eq!(
        error_of(refresh(original.to_owned()).await).await,
        "invalid_grant"
    );
    assert_eq!(
        error_of(refresh(newer.clone()).await).await,
        "invalid_grant"
    );
    assert!(!active(&app, &rp, &newer_access).await);

    // Wrong secret: 401 with a Basic challenge.
    let wrong = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "refresh_token"), ("refresh_token", &newer)],
            Some((&rp.id, "wrong")),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().contains_key("www-authenticate"));
}
both_engines!(refresh_reuse_revokes_the_family);

async fn prompt_none_and_max_age(engine: Engine) {
    let (app, rp) = setup(engine).await;
    let browser = Browser::default();
    let (_, challenge) = pkce();
    let silent = browser
        .get(&authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        silent.query_param("error").as_deref(),
        Some("login_required")
    );
    assert_eq!(silent.query_param("state").as_deref(), Some("st4te"));

    let (code, verifier) = code_for(&app, &rp, &browser, &[]).await;
    let first = tokens(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await;
    let first_auth_time = claims(first["id_token"].as_str().unwrap())["auth_time"]
        .as_i64()
        .unwrap();

    // With a session, prompt=none succeeds silently.
    let (_, challenge) = pkce();
    let silent = browser
        .get(&authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert!(
        silent.query_param("code").is_some(),
        "{:?}",
        silent.location
    );

    // max_age=0 forces a new login with a newer auth_time.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (verifier, challenge) = pkce();
    let forced = browser
        .get(&authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[("max_age", "0")],
        ))
        .await;
    assert!(
        forced
            .location
            .as_deref()
            .unwrap()
            .contains("/login?request="),
        "{:?}",
        forced.location
    );
    let back = sign_in(
        &browser,
        forced.location.as_deref().unwrap(),
        EMAIL,
        PASSWORD,
    )
    .await;
    let code = back.query_param("code").expect("code");
    let second = tokens(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await;
    let second_auth_time = claims(second["id_token"].as_str().unwrap())["auth_time"]
        .as_i64()
        .unwrap();
    assert!(
        second_auth_time > first_auth_time,
        "{second_auth_time} <= {first_auth_time}"
    );

    // prompt=login too.
    let (_, challenge) = pkce();
    let relogin = browser
        .get(&authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[("prompt", "login")],
        ))
        .await;
    assert!(relogin
        .location
        .as_deref()
        .unwrap()
        .contains("/login?request="));
    // Denying consent returns access_denied.
    let fresh = Browser::default();
    let (_, challenge) = pkce();
    let mut page = fresh
        .follow(
            fresh
                .get(&authorize_url(
                    &app,
                    "acme",
                    &rp,
                    &challenge,
                    &[("prompt", "consent")],
                ))
                .await,
            "http://127.0.0.1:9",
        )
        .await;
    page = fresh
        .follow(
            fresh
                .submit(&page, &[("email", EMAIL), ("password", PASSWORD)])
                .await,
            "http://127.0.0.1:9",
        )
        .await;
    let denied = fresh.submit(&page, &[("decision", "deny")]).await;
    assert_eq!(
        denied.query_param("error").as_deref(),
        Some("access_denied")
    );
}
both_engines!(prompt_none_and_max_age);

use crate::attacks_support::claims;

async fn tokens_are_bound_to_their_tenant(engine: Engine) {
    let (app, rp) = setup(engine).await;
    app.create_tenant("globex");
    let (other_id, other_secret) = app.machine_client("globex");
    let browser = Browser::default();
    let (code, verifier) = code_for(&app, &rp, &browser, &[]).await;
    let issued = tokens(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await;
    let access = issued["access_token"].as_str().unwrap();
    let refresh = issued["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.get_bearer("acme", "/userinfo", access).await.status(),
        StatusCode::OK
    );

    for token in [access, refresh] {
        let response = app
            .post_form(
                "globex",
                "/introspect",
                &[("token", token)],
                Some((&other_id, &other_secret)),
            )
            .await;
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({ "active": false })
        );
    }
    let foreign = app.get_bearer("globex", "/userinfo", access).await;
    assert_eq!(foreign.status(), StatusCode::UNAUTHORIZED);
    assert!(foreign.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    // The code itself is useless at another tenant.
    let (code, verifier) = code_for(&app, &rp, &browser, &[]).await;
    assert_eq!(
        error_of(exchange(&app, "globex", &rp, &code, Some(&verifier)).await).await,
        "invalid_client"
    );
}
both_engines!(tokens_are_bound_to_their_tenant);

async fn forms_without_csrf_token_are_rejected(engine: Engine) {
    let (app, rp) = setup(engine).await;
    let browser = Browser::default();
    let (_, challenge) = pkce();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&app, "acme", &rp, &challenge, &[]))
                .await,
            "http://127.0.0.1:9",
        )
        .await;
    let request = login.field("request").unwrap();
    let action = login.form_action().unwrap();
    for csrf in [None, Some("forged")] {
        let mut form = vec![
            ("request", request.as_str()),
            ("email", EMAIL),
            ("password", PASSWORD),
        ];
        if let Some(token) = csrf {
            form.push(("csrf_token", token));
        }
        let page = browser.post(&action, &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{csrf:?}");
        assert!(page.location.is_none());
    }
    // Another browser (no cookies) with a stolen token and request id gets nowhere either.
    let other = Browser::default();
    let stolen = other
        .post(
            &action,
            &[
                ("request", &request),
                ("csrf_token", &login.field("csrf_token").unwrap()),
                ("email", EMAIL),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::FORBIDDEN);
    // Wrong password: one generic message, no redirect.
    let wrong = browser
        .submit(
            &login,
            &[("email", EMAIL), ("password", "wrong password!!")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert!(wrong.html.contains("email or password is incorrect"));
    let unknown = browser
        .submit(
            &login,
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong password!!"),
            ],
        )
        .await;
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(
        unknown.html.replace("nobody@example.com", ""),
        wrong.html.replace(EMAIL, ""),
        "known and unknown emails must answer alike"
    );
}
both_engines!(forms_without_csrf_token_are_rejected);

/// A token with `alg: none`, or HS256 keyed with the tenant's public key, is not an ID token
/// from this issuer.
async fn tampered_id_token_hints_are_rejected(engine: Engine) {
    let (app, rp) = setup(engine).await;
    let jwks: Value = app
        .get_tenant("acme", "/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let rsa = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kty"] == "RSA")
        .unwrap()
        .clone();
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let payload = json!({ "iss": app.issuer("acme"), "sub": "someone", "aud": rp.id, "exp": 4_000_000_000i64, "iat": 0 });

    let none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "kid": rsa["kid"] })),
        b64(&payload)
    );
    let mut header = josekit::jws::JwsHeader::new();
    header.set_key_id(rsa["kid"].as_str().unwrap());
    let hmac_key = rsa.to_string();
    let signer = josekit::jws::HS256
        .signer_from_bytes(hmac_key.as_bytes())
        .unwrap();
    let hs256 =
        josekit::jws::serialize_compact(payload.to_string().as_bytes(), &header, &signer).unwrap();

    let browser = Browser::default();
    for forged in [none, hs256] {
        let (_, challenge) = pkce();
        let page = browser
            .get(&authorize_url(
                &app,
                "acme",
                &rp,
                &challenge,
                &[("id_token_hint", &forged)],
            ))
            .await;
        assert_eq!(
            page.query_param("error").as_deref(),
            Some("invalid_request"),
            "{forged}"
        );
        // At logout, a forged hint is no hint: the user is asked to confirm.
        let mut logout = url::Url::parse(&app.tenant_url("acme", "/logout")).unwrap();
        logout
            .query_pairs_mut()
            .append_pair("id_token_hint", &forged);
        let page = browser.get(logout.as_str()).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("Sign out?"));
    }
}
both_engines!(tampered_id_token_hints_are_rejected);

async fn logout_without_hint_asks_first(engine: Engine) {
    let (app, rp) = setup(engine).await;
    let browser = Browser::default();
    code_for(&app, &rp, &browser, &[]).await;
    let mut logout = url::Url::parse(&app.tenant_url("acme", "/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("client_id", &rp.id)
        .append_pair("post_logout_redirect_uri", "http://127.0.0.1:9/signed-out")
        .append_pair("state", "s1");
    let confirm = browser.get(logout.as_str()).await;
    assert!(confirm.html.contains("Sign out?"));
    // Still signed in until confirmed.
    let (_, challenge) = pkce();
    assert!(browser
        .get(&authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[("prompt", "none")]
        ))
        .await
        .query_param("code")
        .is_some());
    let done = browser.submit(&confirm, &[]).await;
    assert_eq!(
        done.location.as_deref(),
        Some("http://127.0.0.1:9/signed-out?state=s1")
    );
    let (_, challenge) = pkce();
    let silent = browser
        .get(&authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        silent.query_param("error").as_deref(),
        Some("login_required")
    );

    // An unregistered post-logout URI is refused, not followed.
    let mut evil = url::Url::parse(&app.tenant_url("acme", "/logout")).unwrap();
    evil.query_pairs_mut()
        .append_pair("client_id", &rp.id)
        .append_pair("post_logout_redirect_uri", "https://evil.example/");
    let refused = browser.get(evil.as_str()).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.location.is_none());
}
both_engines!(logout_without_hint_asks_first);
