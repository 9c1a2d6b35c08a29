//! The write path under concurrency: many people signing in at the same moment, and the races
//! that decide who gets a token. Every test asserts counts and outcomes, never times.

use std::sync::Arc;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;
use tessera::db::Db;

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::flow::{authorize_url, exchange, pkce, register_rp, Rp};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// An app that believes X-Forwarded-For from the test (each simulated user has an address of
/// its own), with cheap password hashing: these tests are about the database.
async fn app(engine: Engine, adjust: impl FnOnce(&mut tessera::config::Settings)) -> TestApp {
    TestApp::spawn_with(engine, |s| {
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        s.server.workers = 2;
        s.argon2.memory_kib = 8;
        s.argon2.iterations = 1;
        adjust(s);
    })
    .await
}

fn email(n: usize) -> String {
    format!("user{n}@example.com")
}

/// What one full sign-in produced, or why it failed.
struct Flow {
    consented: bool,
    tokens: Value,
}

/// authorize → hosted login → consent when shown → code → token → refresh → userinfo, in a new
/// browser at `address`.
async fn full_flow(app: &TestApp, rp: &Rp, address: &str, email: &str) -> Result<Flow, String> {
    let browser = Browser::at(address);
    let (verifier, challenge) = pkce();
    let url = authorize_url(app, "acme", rp, &challenge, &[]);
    let login = browser.follow(browser.get(&url).await, REDIRECT).await;
    if !login.html.contains("name=\"password\"") {
        return Err(format!("no login page: {} {}", login.status, login.html));
    }
    let submitted = browser
        .submit(&login, &[("email", email), ("password", PASSWORD)])
        .await;
    let mut page = browser.follow(submitted, REDIRECT).await;
    let mut consented = false;
    if page.html.contains("value=\"allow\"") {
        page = browser.submit(&page, &[("decision", "allow")]).await;
        consented = true;
    }
    let code = code_of(&page)?;
    let response = exchange(app, "acme", rp, &code, Some(&verifier)).await;
    let tokens = json_ok(response, "code exchange").await?;
    let refresh_token = tokens["refresh_token"].as_str().ok_or("no refresh token")?;
    let refreshed = refresh(app, rp, refresh_token).await;
    let refreshed = json_ok(refreshed, "refresh").await?;
    let access_token = refreshed["access_token"]
        .as_str()
        .ok_or("no access token")?;
    let userinfo = app.get_bearer("acme", "/userinfo", access_token).await;
    json_ok(userinfo, "userinfo").await?;
    Ok(Flow {
        consented,
        tokens: refreshed,
    })
}

fn code_of(page: &Page) -> Result<String, String> {
    page.query_param("code").ok_or_else(|| {
        format!(
            "no code: {} {:?} {}",
            page.status,
            page.location,
            &page.html[..page.html.len().min(400)]
        )
    })
}

async fn json_ok(response: reqwest::Response, what: &str) -> Result<Value, String> {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status != StatusCode::OK {
        return Err(format!("{what}: {status} {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("{what}: {e}"))
}

async fn refresh(app: &TestApp, rp: &Rp, token: &str) -> reqwest::Response {
    app.post_form(
        "acme",
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
        Some((&rp.id, &rp.secret)),
    )
    .await
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

/// The tenant's audit entries, all chained (the export chains what is pending first).
fn audit_actions(app: &TestApp) -> Vec<String> {
    let output = app.cli(&["audit", "export", "--tenant", "acme"]);
    assert!(
        output.status.success(),
        "{}",
        crate::helpers::stderr(&output)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn stored_consents(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    let db = Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    tessera::db::schema::consents::table
        .count()
        .get_result(&mut *db.conn().unwrap())
        .unwrap()
}

fn count(actions: &[String], action: &str) -> usize {
    actions.iter().filter(|a| *a == action).count()
}

/// 16 browsers at once, each running three full sign-ins: 12 distinct accounts, and 4 browsers
/// sharing one account. Nothing may fail, and every audited action must be in the chain.
async fn concurrent_full_sign_ins(engine: Engine) {
    const DISTINCT: usize = 12;
    const SHARING: usize = 4;
    const ROUNDS: usize = 3;
    let app = app(engine, |_| {}).await;
    app.create_tenant("acme");
    for n in 0..=DISTINCT {
        app.create_account("acme", &email(n), PASSWORD);
    }
    let rp = register_rp(&app, "acme", &[]);
    let before = audit_actions(&app);

    let app = Arc::new(app);
    let rp = Arc::new(rp);
    let workers = (0..DISTINCT + SHARING).map(|worker| {
        let (app, rp) = (app.clone(), rp.clone());
        // Workers past the distinct accounts all sign in as the shared one.
        let account = email(worker.min(DISTINCT));
        async move {
            let mut outcomes = Vec::new();
            for round in 0..ROUNDS {
                let address = format!("10.0.{worker}.{round}");
                outcomes.push(full_flow(&app, &rp, &address, &account).await);
            }
            outcomes
        }
    });
    let outcomes: Vec<Result<Flow, String>> =
        join_all(workers).await.into_iter().flatten().collect();

    let failures: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} flows failed: {failures:#?}",
        failures.len(),
        outcomes.len()
    );
    let flows = outcomes.len();
    assert_eq!(flows, (DISTINCT + SHARING) * ROUNDS);
    let consent_pages = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(f) if f.consented))
        .count();
    assert!(
        consent_pages > DISTINCT,
        "every account was asked at least once"
    );
    // A browser that was asked while another browser of the account consented finds the
    // consent on record when it answers: the stored rows are the actions.
    let consents = stored_consents(&app);
    assert!((DISTINCT as i64 + 1..=consent_pages as i64).contains(&consents));
    let consents = consents as usize;
    for outcome in outcomes.iter().flatten() {
        assert!(outcome.tokens["id_token"].is_string());
    }

    // Every audited action is in the log, once.
    let after = audit_actions(&app);
    let new = &after[before.len()..];
    assert_eq!(count(new, "signin.success"), flows);
    assert_eq!(count(new, "consent.grant"), consents);
    assert_eq!(
        count(new, "token.issue"),
        2 * flows,
        "code exchange and refresh"
    );
    assert_eq!(
        new.len(),
        flows + consents + 2 * flows,
        "nothing else: {new:?}"
    );
    let verified = app.cli_json(&["audit", "verify", "--tenant", "acme", "--json"]);
    assert_eq!(verified["broken"], Value::Null, "{verified}");
    assert_eq!(verified["entries"].as_u64(), Some(after.len() as u64));
}
both_engines!(concurrent_full_sign_ins);

/// Eight browsers of one account signing in at the same instant all succeed, each with its own
/// session.
async fn one_account_in_many_browsers(engine: Engine) {
    const BROWSERS: usize = 8;
    let app = app(engine, |_| {}).await;
    app.create_tenant("acme");
    app.create_account("acme", &email(0), PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let flows = (0..BROWSERS).map(|n| {
        let address = format!("10.1.0.{n}");
        let (app, rp) = (&app, &rp);
        async move { full_flow(app, rp, &address, &email(0)).await }
    });
    let outcomes = join_all(flows).await;
    let failures: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let sids: std::collections::HashSet<String> = outcomes
        .iter()
        .flatten()
        .map(|f| {
            claims(f.tokens["access_token"].as_str().unwrap())["sid"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(sids.len(), BROWSERS, "one session per browser");
}
both_engines!(one_account_in_many_browsers);

/// The payload of a JWT, unverified (the tests only compare claims).
fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A code and its verifier from a fresh sign-in.
async fn code(app: &TestApp, rp: &Rp, address: &str) -> (String, String) {
    let browser = Browser::at(address);
    let (verifier, challenge) = pkce();
    let url = authorize_url(app, "acme", rp, &challenge, &[]);
    let back = crate::flow::sign_in(&browser, &url, &email(0), PASSWORD).await;
    (code_of(&back).unwrap(), verifier)
}

/// Two redemptions of one code at the same instant: exactly one gets tokens, and the replay
/// revokes everything issued from the code.
async fn one_code_redeemed_twice_at_once(engine: Engine) {
    let app = app(engine, |_| {}).await;
    app.create_tenant("acme");
    app.create_account("acme", &email(0), PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    for round in 0..4 {
        let (code, verifier) = code(&app, &rp, &format!("10.2.0.{round}")).await;
        let (a, b) = tokio::join!(
            exchange(&app, "acme", &rp, &code, Some(&verifier)),
            exchange(&app, "acme", &rp, &code, Some(&verifier)),
        );
        let mut answers = vec![(a.status(), a.json::<Value>().await.unwrap())];
        answers.push((b.status(), b.json::<Value>().await.unwrap()));
        let won: Vec<&Value> = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::OK)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(won.len(), 1, "exactly one redemption wins: {answers:?}");
        let lost = answers.iter().find(|(s, _)| *s != StatusCode::OK).unwrap();
        assert_eq!(lost.0, StatusCode::BAD_REQUEST);
        assert_eq!(lost.1["error"], "invalid_grant");
        // The replay revoked the grant: the winner's tokens are dead too.
        assert!(!active(&app, &rp, won[0]["access_token"].as_str().unwrap()).await);
        let again = refresh(&app, &rp, won[0]["refresh_token"].as_str().unwrap()).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    }
}
both_engines!(one_code_redeemed_twice_at_once);

/// Tokens from a fresh sign-in and code exchange.
async fn signed_in_tokens(app: &TestApp, rp: &Rp, address: &str) -> Value {
    let (code, verifier) = code(app, rp, address).await;
    json_ok(
        exchange(app, "acme", rp, &code, Some(&verifier)).await,
        "code exchange",
    )
    .await
    .unwrap()
}

/// Inside the grace window two refreshes of one token at once both get tokens, of one family;
/// outside it the second one revokes the family.
async fn one_refresh_token_used_twice_at_once(engine: Engine) {
    let graceful = app(engine, |s| s.tokens.refresh_token_reuse_grace_secs = 60).await;
    graceful.create_tenant("acme");
    graceful.create_account("acme", &email(0), PASSWORD);
    let rp = register_rp(&graceful, "acme", &["--consent", "skip"]);
    for round in 0..3 {
        let tokens = signed_in_tokens(&graceful, &rp, &format!("10.3.0.{round}")).await;
        let token = tokens["refresh_token"].as_str().unwrap();
        let (a, b) = tokio::join!(
            refresh(&graceful, &rp, token),
            refresh(&graceful, &rp, token)
        );
        let a = json_ok(a, "first refresh").await.unwrap();
        let b = json_ok(b, "second refresh").await.unwrap();
        let family = |t: &Value| claims(t["access_token"].as_str().unwrap())["grant_id"].clone();
        assert_eq!(family(&a), family(&b), "one family");
        assert_eq!(family(&a), family(&tokens));
        for issued in [&a, &b] {
            assert!(active(&graceful, &rp, issued["access_token"].as_str().unwrap()).await);
        }
    }

    let strict = app(engine, |s| s.tokens.refresh_token_reuse_grace_secs = 0).await;
    strict.create_tenant("acme");
    strict.create_account("acme", &email(0), PASSWORD);
    let rp = register_rp(&strict, "acme", &["--consent", "skip"]);
    for round in 0..3 {
        let tokens = signed_in_tokens(&strict, &rp, &format!("10.3.1.{round}")).await;
        let token = tokens["refresh_token"].as_str().unwrap();
        let (a, b) = tokio::join!(refresh(&strict, &rp, token), refresh(&strict, &rp, token));
        let answers = [
            (a.status(), a.json::<Value>().await.unwrap()),
            (b.status(), b.json::<Value>().await.unwrap()),
        ];
        let won: Vec<&Value> = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::OK)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(
            won.len(),
            1,
            "one rotation wins, the other is reuse: {answers:?}"
        );
        // The reuse revoked the family, including what the winner just got.
        assert!(!active(&strict, &rp, won[0]["access_token"].as_str().unwrap()).await);
        assert!(!active(&strict, &rp, tokens["access_token"].as_str().unwrap()).await);
        let again = refresh(&strict, &rp, won[0]["refresh_token"].as_str().unwrap()).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    }
}
both_engines!(one_refresh_token_used_twice_at_once);

/// A refresh racing the revocation of its token: whatever the order, nothing issued outlives
/// the revocation.
async fn refresh_racing_revocation(engine: Engine) {
    let app = app(engine, |_| {}).await;
    app.create_tenant("acme");
    app.create_account("acme", &email(0), PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    for round in 0..4 {
        let tokens = signed_in_tokens(&app, &rp, &format!("10.4.0.{round}")).await;
        let token = tokens["refresh_token"].as_str().unwrap();
        let form = [("token", token), ("token_type_hint", "refresh_token")];
        let revoke = app.post_form("acme", "/revoke", &form, Some((&rp.id, &rp.secret)));
        let (revoked, refreshed) = tokio::join!(revoke, refresh(&app, &rp, token));
        assert_eq!(revoked.status(), StatusCode::OK);
        if refreshed.status() == StatusCode::OK {
            let issued: Value = refreshed.json().await.unwrap();
            assert!(!active(&app, &rp, issued["access_token"].as_str().unwrap()).await);
            let next = refresh(&app, &rp, issued["refresh_token"].as_str().unwrap()).await;
            assert_eq!(next.status(), StatusCode::BAD_REQUEST);
        } else {
            assert_eq!(refreshed.status(), StatusCode::BAD_REQUEST);
        }
        assert!(!active(&app, &rp, tokens["access_token"].as_str().unwrap()).await);
    }
}
both_engines!(refresh_racing_revocation);

fn failed_logins(app: &TestApp, tenant_id: &str) -> (i64, bool) {
    let row = crate::helpers::account_row(app, tenant_id, &email(0));
    (row.failed_logins, row.locked_until.is_some())
}

async fn wrong_passwords(app: &TestApp, rp: &Rp, prefix: &str, n: usize) {
    let attempts = (0..n).map(|i| async move {
        let browser = Browser::at(&format!("{prefix}.{i}"));
        let (_, challenge) = pkce();
        let url = authorize_url(app, "acme", rp, &challenge, &[]);
        let login = browser.follow(browser.get(&url).await, REDIRECT).await;
        let page = browser
            .submit(
                &login,
                &[
                    ("email", &email(0)),
                    ("password", "not the password at all"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        assert!(page.html.contains("incorrect"), "{}", page.html);
    });
    join_all(attempts).await;
}

/// Concurrent wrong passwords for one account are each counted exactly once, and none is
/// counted once the lock is on.
async fn concurrent_wrong_passwords_count_exactly(engine: Engine) {
    let app = app(engine, |s| {
        s.security.lockout_threshold = 5;
        s.security.lockout_base_secs = 600;
    })
    .await;
    let tenant = app.create_tenant("acme");
    let tenant_id = tenant["id"].as_str().unwrap();
    app.create_account("acme", &email(0), PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);

    wrong_passwords(&app, &rp, "10.5.0", 4).await;
    assert_eq!(
        failed_logins(&app, tenant_id),
        (4, false),
        "four failures, no lock yet"
    );
    wrong_passwords(&app, &rp, "10.5.1", 12).await;
    assert_eq!(
        failed_logins(&app, tenant_id),
        (5, true),
        "the fifth failure locks; attempts after it are not counted"
    );
}
both_engines!(concurrent_wrong_passwords_count_exactly);

/// Another connection holding the locks the app needs, until dropped or released.
struct LockHolder(tessera::db::Conn);

impl LockHolder {
    fn take(app: &TestApp, engine: Engine) -> LockHolder {
        use diesel::connection::SimpleConnection;
        let db = Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
        let mut conn = db.conn().unwrap();
        match engine {
            // The one SQLite writer lock.
            Engine::Sqlite => conn.batch_execute("BEGIN IMMEDIATE").unwrap(),
            // Even readers of these tables wait.
            Engine::Postgres => conn
                .batch_execute(
                    "BEGIN; LOCK TABLE rate_limits, authorization_codes IN ACCESS EXCLUSIVE MODE",
                )
                .unwrap(),
        }
        LockHolder(conn)
    }

    fn release(mut self) {
        use diesel::connection::SimpleConnection;
        self.0.batch_execute("ROLLBACK").unwrap();
    }
}

/// A database too busy to answer within the lock timeout: pages and protocol endpoints answer
/// 503 with Retry-After (never 500), nothing is half done, and the same requests succeed once
/// the database is free.
async fn busy_database_answers_503_and_loses_nothing(engine: Engine) {
    let app = app(engine, |s| s.database.lock_timeout_ms = 300).await;
    app.create_tenant("acme");
    app.create_account("acme", &email(0), PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let (code, verifier) = code(&app, &rp, "10.6.0.1").await;
    let browser = Browser::at("10.6.0.2");
    let (_, challenge) = pkce();
    let url = authorize_url(&app, "acme", &rp, &challenge, &[]);
    let login = browser.follow(browser.get(&url).await, REDIRECT).await;
    assert!(login.html.contains("name=\"password\""));

    let lock = LockHolder::take(&app, engine);
    let page = browser
        .submit(&login, &[("email", &email(0)), ("password", PASSWORD)])
        .await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.html
    );
    assert_eq!(page.headers["retry-after"], "1");
    assert!(page.html.contains("try again"), "{}", page.html);
    let token = exchange(&app, "acme", &rp, &code, Some(&verifier)).await;
    assert_eq!(token.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(token.headers()["retry-after"], "1");
    assert_eq!(token.headers()["cache-control"], "no-store");
    let body: Value = token.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    lock.release();

    // Nothing was spent or half written: the same form and the same code work now.
    let page = browser
        .submit(&login, &[("email", &email(0)), ("password", PASSWORD)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let page = browser.follow(page, REDIRECT).await;
    assert!(code_of(&page).is_ok());
    let token = exchange(&app, "acme", &rp, &code, Some(&verifier)).await;
    assert_eq!(token.status(), StatusCode::OK);
}
both_engines!(busy_database_answers_503_and_loses_nothing);
