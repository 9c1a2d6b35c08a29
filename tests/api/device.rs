//! The device authorization grant (RFC 8628, issue 17 item 4): a device gets a code pair,
//! the person types the user code at `/device` in another browser and signs in through the
//! usual pages (always asked to confirm, shown the code), and the device polls until then,
//! with `authorization_pending`, `slow_down`, `access_denied` and `expired_token` as the RFC
//! says. The device side is written to the RFC in this file.

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;
use tessera::db::Db;

use crate::attacks_support::{error_of, tokens};
use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A public client that may use the device grant (and refresh tokens).
fn tv(app: &TestApp) -> String {
    let created = app.create_client(
        "acme",
        &["--public", "--grant", "device_code,refresh_token"],
    );
    created["client_id"].as_str().unwrap().to_owned()
}

async fn start(app: &TestApp, client: &str, scope: &str) -> reqwest::Response {
    app.post_form(
        "acme",
        "/device_authorization",
        &[("client_id", client), ("scope", scope)],
        None,
    )
    .await
}

async fn poll(app: &TestApp, client: &str, device_code: &str) -> reqwest::Response {
    app.post_form(
        "acme",
        "/token",
        &[
            ("grant_type", GRANT),
            ("device_code", device_code),
            ("client_id", client),
        ],
        None,
    )
    .await
}

/// Types `code` at /device, signs in, and lands on the confirmation page.
async fn enter_code(app: &TestApp, browser: &Browser, code: &str) -> Page {
    let form = browser.get(&app.tenant_url("acme", "/device")).await;
    assert_eq!(form.status, StatusCode::OK);
    let after = browser.submit(&form, &[("user_code", code)]).await;
    let login = browser.follow(after, "http://unused.invalid").await;
    if login.html.contains("name=\"password\"") {
        let signed_in = browser
            .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
            .await;
        return browser.follow(signed_in, "http://unused.invalid").await;
    }
    login
}

/// The whole flow: codes, pending and slow_down while the person signs in elsewhere, the
/// confirmation naming the code, tokens once, and nothing the second time.
async fn a_device_signs_in_through_another_browser(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let client = tv(&app);
    let issuer = app.issuer("acme");
    let discovery: Value = app
        .get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["device_authorization_endpoint"],
        format!("{issuer}/device_authorization")
    );
    assert!(discovery["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&Value::from(GRANT)));

    let response = start(&app, &client, "openid profile offline_access").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let codes = tokens(response).await;
    let device_code = codes["device_code"].as_str().unwrap().to_owned();
    let user_code = codes["user_code"].as_str().unwrap().to_owned();
    assert_eq!(user_code.len(), 9, "{codes}");
    assert_eq!(&user_code[4..5], "-");
    assert_eq!(codes["verification_uri"], format!("{issuer}/device"));
    assert_eq!(
        codes["verification_uri_complete"],
        format!("{issuer}/device?user_code={user_code}")
    );
    assert_eq!(codes["expires_in"], 600);
    assert_eq!(codes["interval"], 5);

    // The person has not decided: pending, and polling again at once is too fast.
    assert_eq!(
        error_of(poll(&app, &client, &device_code).await).await,
        "authorization_pending"
    );
    assert_eq!(
        error_of(poll(&app, &client, &device_code).await).await,
        "slow_down"
    );

    // The complete URI prefills the code; a wrong code is refused on the page.
    let browser = Browser::default();
    let prefilled = browser
        .get(codes["verification_uri_complete"].as_str().unwrap())
        .await;
    assert_eq!(
        prefilled.field("user_code").as_deref(),
        Some(user_code.as_str())
    );
    let wrong = browser
        .submit(&prefilled, &[("user_code", "BBBB-BBBB")])
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.html.contains("not valid"), "{}", wrong.html);

    // Typed in lower case without the dash, it still counts.
    let typed = user_code.replace('-', "").to_lowercase();
    let confirm = enter_code(&app, &browser, &typed).await;
    assert!(confirm.html.contains("value=\"allow\""), "{}", confirm.html);
    assert!(confirm.html.contains(&user_code), "{}", confirm.html);
    let done = browser.submit(&confirm, &[("decision", "allow")]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("device is connected"), "{}", done.html);

    let issued = tokens(poll(&app, &client, &device_code).await).await;
    assert_eq!(issued["token_type"], "Bearer");
    assert!(issued["id_token"].is_string(), "{issued}");
    assert!(issued["refresh_token"].is_string(), "{issued}");
    let access = issued["access_token"].as_str().unwrap();
    let userinfo = app.get_bearer("acme", "/userinfo", access).await;
    assert_eq!(userinfo.status(), StatusCode::OK);

    // Used once; the code no longer opens anything at /device either.
    let again = poll(&app, &client, &device_code).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(again).await, "invalid_grant");
    let form = browser.get(&app.tenant_url("acme", "/device")).await;
    let reused = browser.submit(&form, &[("user_code", &user_code)]).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
}

both_engines!(a_device_signs_in_through_another_browser);

/// Declined, expired, foreign and unknown codes, a client without the grant, a bad scope,
/// and guessing user codes (rate-limited like passwords).
async fn device_refusals(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| {
        s.security.login_attempts_per_minute = 3;
        s.security.authorization_requests_per_minute = 6;
    })
    .await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let client = tv(&app);
    let other = tv(&app);

    // Declined at the confirmation: access_denied for the device.
    let codes = tokens(start(&app, &client, "openid").await).await;
    let browser = Browser::default();
    let confirm = enter_code(&app, &browser, codes["user_code"].as_str().unwrap()).await;
    let declined = browser.submit(&confirm, &[("decision", "deny")]).await;
    assert_eq!(declined.status, StatusCode::OK, "{}", declined.html);
    assert!(declined.html.contains("not connected"), "{}", declined.html);
    let device_code = codes["device_code"].as_str().unwrap();
    assert_eq!(
        error_of(poll(&app, &client, device_code).await).await,
        "access_denied"
    );

    // Another client's device code, an unknown one.
    let codes = tokens(start(&app, &client, "openid").await).await;
    let device_code = codes["device_code"].as_str().unwrap().to_owned();
    assert_eq!(
        error_of(poll(&app, &other, &device_code).await).await,
        "invalid_grant"
    );
    assert_eq!(
        error_of(poll(&app, &client, "made-up").await).await,
        "invalid_grant"
    );

    // Expired: the device hears expired_token, and the person cannot use the code.
    let db = Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    db.conn()
        .unwrap()
        .batch_execute("UPDATE device_authorizations SET expires_at = 0")
        .unwrap();
    assert_eq!(
        error_of(poll(&app, &client, &device_code).await).await,
        "expired_token"
    );

    // A client without the grant, and a scope nobody defined.
    let (machine, secret) = app.machine_client("acme");
    let response = app
        .post_form(
            "acme",
            "/device_authorization",
            &[("scope", "openid")],
            Some((&machine, &secret)),
        )
        .await;
    assert_eq!(error_of(response).await, "unauthorized_client");
    assert_eq!(
        error_of(start(&app, &client, "openid orders:read").await).await,
        "invalid_scope"
    );

    // Guessing: past the per-address limit (3 a minute here) the page refuses outright, with
    // Retry-After. Counted, not timed: a minute boundary may reset the count once.
    let guesser = Browser::default();
    let mut wrong = 0;
    let mut limited = None;
    for guess in 0..12 {
        let form = guesser.get(&app.tenant_url("acme", "/device")).await;
        let code = format!("BBBB-BBB{}", ["B", "C", "D", "F"][guess % 4]);
        let page = guesser.submit(&form, &[("user_code", &code)]).await;
        match page.status {
            StatusCode::BAD_REQUEST => wrong += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited = Some(page);
                break;
            }
            other => panic!("{other}: {}", page.html),
        }
    }
    let limited = limited.unwrap_or_else(|| panic!("no limit after {wrong} wrong codes"));
    assert!(limited.headers.contains_key("retry-after"));

    // Each device request is stored for ten minutes: one address may only ask so often.
    let mut stored = 0;
    let mut refused = None;
    for _ in 0..14 {
        let response = start(&app, &client, "openid").await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(response);
            break;
        }
        assert_eq!(response.status(), StatusCode::OK);
        stored += 1;
    }
    let refused = refused.unwrap_or_else(|| panic!("no limit after {stored} device requests"));
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(error_of(refused).await, "temporarily_unavailable");
    assert!(wrong <= 6, "{wrong} wrong codes before the limit");
}

both_engines!(device_refusals);

/// Concurrency: eight devices asking at once get eight distinct user codes; after approval,
/// eight polls at the same instant get the tokens exactly once.
async fn device_polls_under_concurrency(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let client = tv(&app);

    let started =
        futures_util::future::join_all((0..8).map(|_| start(&app, &client, "openid"))).await;
    let mut user_codes = Vec::new();
    let mut device_codes = Vec::new();
    for response in started {
        let codes = tokens(response).await;
        user_codes.push(codes["user_code"].as_str().unwrap().to_owned());
        device_codes.push(codes["device_code"].as_str().unwrap().to_owned());
    }
    let mut distinct = user_codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 8, "{user_codes:?}");

    let browser = Browser::default();
    let confirm = enter_code(&app, &browser, &user_codes[0]).await;
    let done = browser.submit(&confirm, &[("decision", "allow")]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    let polls =
        futures_util::future::join_all((0..8).map(|_| poll(&app, &client, &device_codes[0]))).await;
    let ok = polls
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    let refused = polls
        .iter()
        .filter(|r| r.status() == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!((ok, refused), (1, 7));
}

both_engines!(device_polls_under_concurrency);
