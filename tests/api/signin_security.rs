//! Holes in sign-in found in a review, each seen from the attacker's side: a second-factor
//! code accepted while the account is locked, parallel codes racing past the attempt limit,
//! step-up used to enrol the attacker's own authenticator, every user behind a proxy sharing
//! one rate-limit bucket, and unlimited guesses at the current password. Plus: enrolling and
//! removing a factor is audited wherever it happens.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;
use tessera::db::Db;
use tessera::domain::TenantId;

use crate::attacks_support::{manual_key, totp_code};
use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::flow::{authorize_url, pkce, register_rp, Rp};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const RP: &str = "http://127.0.0.1:9";

async fn app(engine: Engine, adjust: impl FnOnce(&mut tessera::config::Settings)) -> TestApp {
    TestApp::spawn_with(engine, |s| {
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        adjust(s);
    })
    .await
}

/// The account console of `browser`, signed in.
async fn console(app: &TestApp, browser: &Browser, password: &str) -> Page {
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let done = browser
        .submit(&login, &[("email", EMAIL), ("password", password)])
        .await;
    browser.follow(done, RP).await
}

async fn account_post(
    app: &TestApp,
    browser: &Browser,
    page: &Page,
    action: &str,
    fields: &[(&str, &str)],
) -> Page {
    let csrf = page.field("csrf_token").expect("csrf");
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    let url = app.tenant_url("acme", &format!("/account/{action}"));
    browser.follow(browser.post(&url, &form).await, RP).await
}

/// Turns on a second factor from the account console; returns its key.
async fn enrol(app: &TestApp, browser: &Browser) -> String {
    let page = console(app, browser, PASSWORD).await;
    let start = account_post(app, browser, &page, "mfa/start", &[]).await;
    let key = manual_key(&start.html);
    let done = account_post(
        app,
        browser,
        &start,
        "mfa/confirm",
        &[("code", &totp_code(&key, 0))],
    )
    .await;
    assert_eq!(done.html.matches("<li><code>").count(), 10, "{}", done.html);
    key
}

/// A browser at `address`, signed in with the password up to the page after it.
async fn password_step(
    app: &TestApp,
    rp: &Rp,
    address: &str,
    extra: &[(&str, &str)],
) -> (Browser, Page) {
    let browser = Browser::at(address);
    let (_, challenge) = pkce();
    let url = authorize_url(app, "acme", rp, &challenge, extra);
    let login = browser.follow(browser.get(&url).await, RP).await;
    let next = browser
        .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    let page = browser.follow(next, RP).await;
    (browser, page)
}

fn account_row(app: &TestApp, tenant_id: &str) -> tessera::db::accounts::AccountRow {
    crate::helpers::account_row(app, tenant_id, EMAIL)
}

fn audit(app: &TestApp, slug: &str) -> Vec<Value> {
    let output = app.cli(&["audit", "export", "--tenant", slug]);
    assert!(
        output.status.success(),
        "{}",
        crate::helpers::stderr(&output)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The attacker knows the password and races the lock: once the account is locked (here by
/// wrong passwords from elsewhere), a challenge opened before the lock must not accept even
/// the right code.
async fn codes_are_refused_while_locked(engine: Engine) {
    let app = app(engine, |s| {
        s.security.lockout_threshold = 3;
        s.security.lockout_base_secs = 600;
    })
    .await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let key = enrol(&app, &Browser::at("10.7.0.1")).await;

    let (browser, mfa_page) = password_step(&app, &rp, "10.7.0.2", &[]).await;
    assert!(mfa_page.html.contains("name=\"code\""), "{}", mfa_page.html);
    for n in 0..3 {
        let other = Browser::at(&format!("10.7.1.{n}"));
        let (_, challenge) = pkce();
        let login = other
            .follow(
                other
                    .get(&authorize_url(&app, "acme", &rp, &challenge, &[]))
                    .await,
                RP,
            )
            .await;
        other
            .submit(
                &login,
                &[("email", EMAIL), ("password", "not the password!!")],
            )
            .await;
    }
    let refused = browser
        .submit(&mfa_page, &[("code", &totp_code(&key, 30))])
        .await;
    // The lock voided the challenge: the sign-in is over, whatever the code.
    assert!(refused.status.is_client_error(), "{}", refused.html);
    assert!(refused.html.contains("expired"), "{}", refused.html);
    assert!(
        refused.location.is_none(),
        "no redirect to the client: {:?}",
        refused.location
    );
}
both_engines!(codes_are_refused_while_locked);

/// Ten codes sent at once on one challenge: only five are ever checked.
async fn parallel_codes_cannot_pass_the_attempt_limit(engine: Engine) {
    let app = app(engine, |s| s.security.lockout_threshold = 1000).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let key = enrol(&app, &Browser::at("10.8.0.1")).await;
    let before = audit(&app, "acme");

    let (browser, mfa_page) = password_step(&app, &rp, "10.8.0.2", &[]).await;
    let wrong: Vec<String> = (0..10)
        .map(|n| format!("{:06}", (n * 7919 + 13) % 1_000_000))
        .collect();
    let right_now = totp_code(&key, 0);
    let guesses = wrong
        .iter()
        .filter(|code| {
            **code != right_now && **code != totp_code(&key, -30) && **code != totp_code(&key, 30)
        })
        .map(|code| {
            let (browser, page) = (&browser, &mfa_page);
            async move { browser.submit(page, &[("code", code)]).await }
        });
    join_all(guesses).await;
    let checked = audit(&app, "acme")[before.len()..]
        .iter()
        .filter(|e| e["action"] == "mfa.failure")
        .count();
    assert_eq!(
        checked, 5,
        "exactly the five attempts a challenge allows were checked"
    );
    // The challenge is spent: even the right code is refused now.
    let late = browser
        .submit(&mfa_page, &[("code", &totp_code(&key, 30))])
        .await;
    assert!(late.query_param("code").is_none(), "{:?}", late.location);
}
both_engines!(parallel_codes_cannot_pass_the_attempt_limit);

/// A client asking for step-up (`acr_values`) for an account without a second factor gets
/// `unmet_authentication_requirements`; the password holder is never offered to enrol one.
async fn step_up_without_a_factor_enrols_nothing(engine: Engine) {
    let app = app(engine, |_| {}).await;
    let tenant = app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let (browser, page) = password_step(
        &app,
        &rp,
        "10.9.0.1",
        &[("acr_values", "urn:tessera:acr:mfa")],
    )
    .await;
    assert_eq!(
        page.query_param("error").as_deref(),
        Some("unmet_authentication_requirements"),
        "{:?} {}",
        page.location,
        page.html
    );
    assert!(!page.location.unwrap_or_default().contains("/mfa/setup"));
    // Nothing to set up was started, and /mfa/setup has nothing to offer this browser.
    let setup = browser
        .get(&app.tenant_url("acme", "/mfa/setup?challenge=x"))
        .await;
    assert!(!setup.html.contains("manual-key"));
    let db = Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    let account = account_row(&app, tenant["id"].as_str().unwrap());
    let factor = tessera::db::mfa::find_totp(
        &mut db.conn().unwrap(),
        &TenantId::from_stored(tenant["id"].as_str().unwrap().into()),
        &tessera::domain::AccountId::from_stored(account.id),
    )
    .unwrap();
    assert!(factor.is_none(), "no factor was created");
}
both_engines!(step_up_without_a_factor_enrols_nothing);

/// Behind a trusted proxy, the sign-in limit counts per client address, not per proxy: one
/// noisy client is limited, the next one is not.
async fn sign_in_limit_is_per_client_behind_a_proxy(engine: Engine) {
    let app = app(engine, |s| s.security.login_attempts_per_minute = 3).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let noisy = Browser::at("203.0.113.7");
    let (_, challenge) = pkce();
    let login = noisy
        .follow(
            noisy
                .get(&authorize_url(&app, "acme", &rp, &challenge, &[]))
                .await,
            RP,
        )
        .await;
    let mut last = StatusCode::OK;
    for _ in 0..4 {
        last = noisy
            .submit(
                &login,
                &[("email", EMAIL), ("password", "not the password!!")],
            )
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let (_, page) = password_step(&app, &rp, "198.51.100.9", &[]).await;
    assert!(
        page.query_param("code").is_some(),
        "{} {:?}",
        page.status,
        page.location
    );
}
both_engines!(sign_in_limit_is_per_client_behind_a_proxy);

/// A stolen session cannot guess the current password without limit: wrong current
/// passwords count toward the account's lockout like wrong sign-ins.
async fn current_password_guesses_count_toward_lockout(engine: Engine) {
    let app = app(engine, |s| {
        s.security.lockout_threshold = 3;
        s.security.lockout_base_secs = 600;
    })
    .await;
    let tenant = app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let thief = Browser::at("10.10.0.1");
    let page = console(&app, &thief, PASSWORD).await;
    for guess in ["guess number one!", "guess number two!"] {
        let answer = account_post(
            &app,
            &thief,
            &page,
            "password",
            &[
                ("current_password", guess),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
        assert!(answer.html.contains("not correct"), "{}", answer.html);
    }
    let answer = account_post(
        &app,
        &thief,
        &page,
        "mfa/disable",
        &[("current_password", "guess number three")],
    )
    .await;
    assert!(answer.html.contains("not correct"), "{}", answer.html);
    let row = account_row(&app, tenant["id"].as_str().unwrap());
    assert_eq!(row.failed_logins, 3);
    assert!(
        row.locked_until.is_some(),
        "three wrong current passwords lock the account"
    );
    // Locked: even the right password signs in no one now.
    let owner = Browser::at("10.10.0.2");
    let again = console(&app, &owner, PASSWORD).await;
    assert!(again.html.contains("incorrect"), "{}", again.html);
}
both_engines!(current_password_guesses_count_toward_lockout);

/// Turning a second factor on and off is audited on every surface: the account console and
/// the set-up a tenant policy requires at sign-in (the platform console and an
/// administrator's reset are covered with their surfaces).
async fn factor_changes_are_audited_everywhere(engine: Engine) {
    let app = app(engine, |_| {}).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let account_id = account["id"].as_str().unwrap();
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);

    // The account console: on, then off with the password.
    let browser = Browser::at("10.11.0.1");
    enrol(&app, &browser).await;
    let page = console(&app, &browser, PASSWORD).await;
    let off = account_post(
        &app,
        &browser,
        &page,
        "mfa/disable",
        &[("current_password", PASSWORD)],
    )
    .await;
    assert!(off.html.contains("off"), "{}", off.html);

    // Set-up during sign-in, where the tenant requires a factor.
    app.cli_json(&["tenant", "policy", "acme", "--mfa", "required", "--json"]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (browser, setup) = password_step(&app, &rp, "10.11.0.2", &[]).await;
    assert!(setup.html.contains("manual-key"), "{}", setup.html);
    let key = manual_key(&setup.html);
    let codes = browser
        .submit(&setup, &[("code", &totp_code(&key, 0))])
        .await;
    assert_eq!(
        codes.html.matches("<li><code>").count(),
        10,
        "{}",
        codes.html
    );

    let events = audit(&app, "acme");
    let by_account = |action: &str| {
        events
            .iter()
            .filter(|e| e["action"] == action && e["target"] == account_id)
            .count()
    };
    assert_eq!(
        by_account("mfa.enroll"),
        2,
        "console and sign-in: {events:#?}"
    );
    assert_eq!(by_account("mfa.disable"), 1);
    for event in events
        .iter()
        .filter(|e| e["action"] == "mfa.enroll" || e["action"] == "mfa.disable")
    {
        assert_eq!(event["actor"], account_id, "the account holder did it");
    }
}
both_engines!(factor_changes_are_audited_everywhere);
