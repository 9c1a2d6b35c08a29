//! Tenant policies: password rules, required MFA (enrollment at sign-in), `acr_values`
//! step-up, and token lifetime overrides.

use serde_json::Value;
use tessera::config::TenantRouting;

use crate::attacks_support::tokens;
use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::flow::{authorize_url, exchange, pkce, register_rp, Rp};
use crate::helpers::{eventually, stderr, Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const RP: &str = "http://127.0.0.1:9";

use crate::attacks_support::claims;

fn current_code(page: &Page) -> String {
    crate::attacks_support::totp_code(&crate::attacks_support::manual_key(&page.html), 0)
}

async fn password_policy(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let policy = app.cli_json(&[
        "tenant",
        "policy",
        "acme",
        "--password-min-length",
        "16",
        "--json",
    ]);
    assert_eq!(policy["password_min_length"], 16);
    let short = app.cli(&[
        "account",
        "create",
        "--tenant",
        "acme",
        "--email",
        EMAIL,
        "--password",
        "fourteen chars",
    ]);
    assert!(
        stderr(&short).contains("at least 16 characters"),
        "{}",
        stderr(&short)
    );
    app.cli_json(&[
        "tenant",
        "policy",
        "acme",
        "--password-min-length",
        "12",
        "--json",
    ]);
    let common = app.cli(&[
        "account",
        "create",
        "--tenant",
        "acme",
        "--email",
        EMAIL,
        "--password",
        "Password1234",
    ]);
    assert!(
        stderr(&common).contains("too common"),
        "{}",
        stderr(&common)
    );
    app.create_account("acme", EMAIL, PASSWORD);
    for bad in [
        &["--password-min-length", "6"][..],
        &["--mfa", "sometimes"],
        &["--access-token-secs", "-5"],
    ] {
        let mut args = vec!["tenant", "policy", "acme"];
        args.extend_from_slice(bad);
        assert!(!app.cli(&args).status.success(), "{bad:?}");
    }
}
both_engines!(password_policy);

/// Follows a sign-in that must enroll a second factor; returns the redirect to the RP.
async fn enroll_during_sign_in(browser: &Browser, page: Page) -> Page {
    assert!(
        page.location
            .as_deref()
            .unwrap_or_default()
            .contains("/mfa/setup?challenge="),
        "{:?}",
        page.location
    );
    let setup = browser.get(page.location.as_deref().unwrap()).await;
    assert!(setup.html.contains("needs two-step verification"));
    // A wrong code starts the set-up over with a new key.
    let again = browser
        .follow(browser.submit(&setup, &[("code", "000000")]).await, RP)
        .await;
    assert!(again.html.contains("manual-key"));
    let codes = browser
        .submit(&again, &[("code", &current_code(&again))])
        .await;
    assert_eq!(codes.html.matches("<li><code>").count(), 10);
    browser.submit(&codes, &[]).await
}

async fn required_mfa_enrolls_at_sign_in(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    app.cli_json(&["tenant", "policy", "acme", "--mfa", "required", "--json"]);
    let (verifier, challenge) = pkce();
    let url = authorize_url(&app, "acme", &rp, &challenge, &[]);
    let browser = Browser::default();
    let mut page = browser.follow(browser.get(&url).await, RP).await;
    // The policy reaches the running node within the cache TTL (1 s).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    page = browser
        .submit(&page, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    let back = enroll_during_sign_in(&browser, page).await;
    let code = back
        .query_param("code")
        .unwrap_or_else(|| panic!("{:?} {}", back.location, back.html));
    let issued = tokens(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await;
    let id = claims(issued["id_token"].as_str().unwrap());
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp"]));
    assert_eq!(id["acr"], "urn:tessera:acr:mfa");
}
both_engines!(required_mfa_enrolls_at_sign_in);

async fn acr_values_step_up(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp: Rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let browser = Browser::default();
    // A password is enough without acr_values.
    let (verifier, challenge) = pkce();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&app, "acme", &rp, &challenge, &[]))
                .await,
            RP,
        )
        .await;
    let back = browser
        .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
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
    assert_eq!(
        claims(issued["id_token"].as_str().unwrap())["acr"],
        "urn:tessera:acr:pwd"
    );

    // Asking for MFA: a silent request cannot step up; an interactive one signs in again.
    let mfa = [("acr_values", "urn:tessera:acr:mfa")];
    let (_, challenge) = pkce();
    let silent = browser
        .get(&authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[mfa[0], ("prompt", "none")],
        ))
        .await;
    assert_eq!(
        silent.query_param("error").as_deref(),
        Some("login_required")
    );
    // Without a second factor the requirement cannot be met: the client is told so, and no
    // set-up is offered (whoever holds the password must not enrol their own authenticator).
    let (_, challenge) = pkce();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&app, "acme", &rp, &challenge, &mfa))
                .await,
            RP,
        )
        .await;
    assert!(
        login.html.contains("name=\"password\""),
        "step-up must sign in again"
    );
    let unmet = browser
        .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(
        unmet.query_param("error").as_deref(),
        Some("unmet_authentication_requirements"),
        "{:?} {}",
        unmet.location,
        unmet.html
    );
    assert_eq!(unmet.query_param("state").as_deref(), Some("st4te"));

    // With a factor (set up by the account holder in the console), step-up asks for a code.
    let key = enroll_in_console(&app).await;
    let (verifier, challenge) = pkce();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&app, "acme", &rp, &challenge, &mfa))
                .await,
            RP,
        )
        .await;
    let code_page = browser
        .follow(
            browser
                .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
                .await,
            RP,
        )
        .await;
    assert!(
        code_page.html.contains("name=\"code\""),
        "{}",
        code_page.html
    );
    let next_step = crate::attacks_support::totp_code(&key, 30);
    let back = browser.submit(&code_page, &[("code", &next_step)]).await;
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
    assert_eq!(
        claims(issued["id_token"].as_str().unwrap())["acr"],
        "urn:tessera:acr:mfa"
    );
    // Now the session is strong enough: no new sign-in.
    let (_, challenge) = pkce();
    let again = browser
        .get(&authorize_url(&app, "acme", &rp, &challenge, &mfa))
        .await;
    assert!(again.query_param("code").is_some(), "{:?}", again.location);
}

/// Turns on a second factor from the account console; returns its key.
async fn enroll_in_console(app: &TestApp) -> String {
    let browser = Browser::default();
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let console = browser
        .follow(
            browser
                .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
                .await,
            RP,
        )
        .await;
    let csrf = console.field("csrf_token").expect("csrf");
    let start = browser
        .post(
            &app.tenant_url("acme", "/account/mfa/start"),
            &[("csrf_token", &csrf)],
        )
        .await;
    let key = crate::attacks_support::manual_key(&start.html);
    let code = crate::attacks_support::totp_code(&key, 0);
    let done = browser
        .post(
            &app.tenant_url("acme", "/account/mfa/confirm"),
            &[("csrf_token", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(done.html.matches("<li><code>").count(), 10, "{}", done.html);
    key
}
both_engines!(acr_values_step_up);

async fn token_lifetime_override(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (id, secret) = app.machine_client("acme");
    app.cli_json(&[
        "tenant",
        "policy",
        "acme",
        "--access-token-secs",
        "60",
        "--json",
    ]);
    eventually("lifetime override", || async {
        let response = app
            .post_form(
                "acme",
                "/token",
                &[("grant_type", "client_credentials")],
                Some((&id, &secret)),
            )
            .await;
        response.json::<Value>().await.unwrap()["expires_in"] == 60
    })
    .await;
    app.cli_json(&[
        "tenant",
        "policy",
        "acme",
        "--access-token-secs",
        "0",
        "--json",
    ]);
    eventually("default lifetime", || async {
        let response = app
            .post_form(
                "acme",
                "/token",
                &[("grant_type", "client_credentials")],
                Some((&id, &secret)),
            )
            .await;
        response.json::<Value>().await.unwrap()["expires_in"] == 900
    })
    .await;
}
both_engines!(token_lifetime_override);
