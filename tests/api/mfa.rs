//! TOTP two-step verification: enrollment from the account console, sign-in with a code or a
//! recovery code, replay refused, `amr`, and turning it off with the password.

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;

use crate::attacks_support::tokens;
use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::flow::{authorize_url, exchange, pkce, register_rp};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const RP: &str = "http://127.0.0.1:9";

pub(crate) fn code_at(key: &str, offset_secs: i64) -> String {
    crate::attacks_support::totp_code(key, offset_secs)
}

pub(crate) fn manual_key(page: &Page) -> String {
    crate::attacks_support::manual_key(&page.html)
}

pub(crate) async fn console(app: &TestApp, browser: &Browser) -> Page {
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let done = browser
        .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    browser.follow(done, RP).await
}

pub(crate) async fn post(
    app: &TestApp,
    browser: &Browser,
    page: &Page,
    action: &str,
    fields: &[(&str, &str)],
) -> Page {
    let csrf = page.field("csrf_token").expect("csrf");
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = browser
        .post(
            &app.tenant_url("acme", &format!("/account/{action}")),
            &form,
        )
        .await;
    browser.follow(response, RP).await
}

/// Signs in through the authorization flow up to the MFA page.
async fn to_mfa_page(browser: &Browser, challenge: &str) -> Page {
    let login = browser.follow(browser.get(challenge).await, RP).await;
    let next = browser
        .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    browser.follow(next, RP).await
}

async fn totp_enrollment_and_sign_in(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);

    // Enroll: a wrong code is refused, a current one turns it on and shows 10 recovery codes.
    let laptop = Browser::default();
    let page = console(&app, &laptop).await;
    assert!(page.html.contains("Two-step verification"));
    let enroll = post(&app, &laptop, &page, "mfa/start", &[]).await;
    assert!(enroll.html.contains("<svg"), "QR code");
    let refused = post(&app, &laptop, &enroll, "mfa/confirm", &[("code", "000000")]).await;
    assert!(refused.html.contains("did not match"), "{}", refused.html);
    let enroll = post(&app, &laptop, &refused, "mfa/start", &[]).await;
    let key = manual_key(&enroll);
    let codes_page = post(
        &app,
        &laptop,
        &enroll,
        "mfa/confirm",
        &[("code", &code_at(&key, 0))],
    )
    .await;
    let recovery: Vec<String> = codes_page
        .html
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10, "{}", codes_page.html);

    // Sign in to a client: password, then the code; amr says both.
    let phone = Browser::default();
    let (verifier, challenge) = pkce();
    let mfa_page = to_mfa_page(&phone, &authorize_url(&app, "acme", &rp, &challenge, &[])).await;
    assert!(mfa_page.html.contains("name=\"code\""), "{}", mfa_page.html);
    let wrong = phone.submit(&mfa_page, &[("code", "123456")]).await;
    assert!(wrong.html.contains("not valid"));
    let next_step = code_at(&key, 30);
    let back = phone.submit(&wrong, &[("code", &next_step)]).await;
    let code = back
        .query_param("code")
        .unwrap_or_else(|| panic!("{:?} {}", back.location, back.html));
    let issued = tokens(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await;
    let payload = issued["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp"]));

    // The same code (same time step) is refused the second time, and so is an older step.
    let tablet = Browser::default();
    let (_, challenge) = pkce();
    let mfa_page = to_mfa_page(&tablet, &authorize_url(&app, "acme", &rp, &challenge, &[])).await;
    let replay = tablet.submit(&mfa_page, &[("code", &next_step)]).await;
    assert!(replay.html.contains("not valid"), "replayed code accepted");
    let older = tablet.submit(&replay, &[("code", &code_at(&key, 0))]).await;
    assert!(older.html.contains("not valid"), "older step accepted");
    // A recovery code works once.
    let recovered = tablet.submit(&older, &[("code", &recovery[0])]).await;
    assert!(
        recovered.query_param("code").is_some(),
        "{:?}",
        recovered.location
    );
    let other = Browser::default();
    let (_, challenge) = pkce();
    let mfa_page = to_mfa_page(&other, &authorize_url(&app, "acme", &rp, &challenge, &[])).await;
    let reused = other.submit(&mfa_page, &[("code", &recovery[0])]).await;
    assert!(reused.html.contains("not valid"), "recovery code reused");

    // Turning it off needs the password.
    let page = laptop.get(&app.tenant_url("acme", "/account")).await;
    let page = post(
        &app,
        &laptop,
        &page,
        "mfa/disable",
        &[("current_password", "wrong password!!")],
    )
    .await;
    assert!(page.html.contains("current password is not correct"));
    let page = post(
        &app,
        &laptop,
        &page,
        "mfa/disable",
        &[("current_password", PASSWORD)],
    )
    .await;
    assert!(page.html.contains("turned off"));
    let plain = Browser::default();
    let signed_in = console(&app, &plain).await;
    assert_eq!(signed_in.status, StatusCode::OK);
    assert!(signed_in.html.contains("Your account"));
}
both_engines!(totp_enrollment_and_sign_in);

async fn wrong_codes_void_the_challenge(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let browser = Browser::default();
    let page = console(&app, &browser).await;
    let enroll = post(&app, &browser, &page, "mfa/start", &[]).await;
    let key = manual_key(&enroll);
    post(
        &app,
        &browser,
        &enroll,
        "mfa/confirm",
        &[("code", &code_at(&key, 0))],
    )
    .await;

    let attacker = Browser::default();
    let login = attacker
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let form_page = attacker
        .follow(
            attacker
                .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
                .await,
            RP,
        )
        .await;
    assert!(form_page.html.contains("name=\"code\""));
    let mut last = None;
    let mut page = None;
    for guess in ["111111", "222222", "333333", "444444", "555555"] {
        let response = attacker.submit(&form_page, &[("code", guess)]).await;
        last = Some(response.status);
        page = Some(response);
    }
    assert_eq!(last, Some(StatusCode::FORBIDDEN));
    assert!(page.unwrap().html.contains("Too many wrong codes"));
    // Even the right code is useless now.
    let late = attacker
        .submit(&form_page, &[("code", &code_at(&key, 30))])
        .await;
    assert!(late.html.contains("expired"), "{}", late.html);
}
both_engines!(wrong_codes_void_the_challenge);
