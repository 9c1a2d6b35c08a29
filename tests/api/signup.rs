//! Self sign-up and email verification (accounts and profile emails), through the file
//! transport; sign-up answers alike for new and existing addresses.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{data_dir, Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";

/// Complete messages in the file transport's directory, quoted-printable decoded.
/// Opens a mailed confirmation link (which only shows a button) and presses the button.
pub async fn confirm(url: &str) -> Page {
    let browser = Browser::default();
    let shown = browser.get(url).await;
    if !shown.html.contains("Confirm the address") {
        return shown;
    }
    browser.submit(&shown, &[]).await
}

pub(crate) fn mails(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter(|raw| raw.trim_end().ends_with("--"))
        .map(|raw| {
            let joined = raw.replace("=\r\n", "").replace("=\n", "");
            let mut out = Vec::new();
            let bytes = joined.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' && i + 2 < bytes.len() {
                    if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8_lossy(&out).into_owned()
        })
        .collect()
}

/// Waits for a message to `to` whose subject contains `subject`; returns it.
pub(crate) async fn mail_to(app: &TestApp, to: &str, subject: &str) -> String {
    let dir = data_dir(&app.db).join("mail");
    for _ in 0..50 {
        if let Some(mail) = mails(&dir)
            .into_iter()
            .find(|m| m.contains(&format!("To: {to}")) && m.contains(subject))
        {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mail to {to} about {subject}");
}

pub(crate) fn link(mail: &str, fragment: &str) -> String {
    let start = mail
        .find("http")
        .and_then(|_| mail.find(fragment))
        .expect("a link");
    let begin = mail[..start].rfind("http").unwrap();
    let end = mail[begin..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .unwrap()
        + begin;
    mail[begin..end].to_owned()
}

async fn sign_up(app: &TestApp, email: &str) -> Page {
    let browser = Browser::default();
    let form = browser.get(&app.tenant_url("acme", "/signup")).await;
    browser
        .submit(&form, &[("email", email), ("password", PASSWORD)])
        .await
}

async fn sign_up_and_verify(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let closed = Browser::default()
        .get(&app.tenant_url("acme", "/signup"))
        .await;
    assert_eq!(closed.status, StatusCode::NOT_FOUND);
    app.cli_json(&[
        "tenant",
        "policy",
        "acme",
        "--self-signup",
        "true",
        "--json",
    ]);
    tokio::time::sleep(Duration::from_millis(1100)).await; // the tenant cache TTL

    app.create_account("acme", "taken@example.com", PASSWORD);
    let new = sign_up(&app, "new@example.com").await;
    let existing = sign_up(&app, "taken@example.com").await;
    assert_eq!(new.status, StatusCode::OK);
    assert!(new.html.contains("Check your inbox"));
    assert_eq!(
        (new.status, &new.html),
        (existing.status, &existing.html),
        "new and existing answer alike"
    );
    // Rules that do not depend on the address are shown openly.
    let weak = sign_up(&app, "other@example.com").await;
    assert!(weak.html.contains("Check your inbox"));
    let browser = Browser::default();
    let form = browser.get(&app.tenant_url("acme", "/signup")).await;
    let short = browser
        .submit(&form, &[("email", "x@example.com"), ("password", "short")])
        .await;
    assert!(short.html.contains("at least 12 characters"));

    // The owner of the taken address learns it by mail, not the page.
    mail_to(&app, "taken@example.com", "Your acme Inc. account").await;
    let verify = mail_to(&app, "new@example.com", "Confirm your email address").await;
    let shown = app.cli_json(&[
        "account",
        "show",
        "--tenant",
        "acme",
        "new@example.com",
        "--json",
    ]);
    assert_eq!(shown["email_verified"], false);
    let confirmed = confirm(&link(&verify, "/verify?token=")).await;
    assert!(
        confirmed.html.contains("Address confirmed"),
        "{}",
        confirmed.html
    );
    let shown = app.cli_json(&[
        "account",
        "show",
        "--tenant",
        "acme",
        "new@example.com",
        "--json",
    ]);
    assert_eq!(shown["email_verified"], true);
    let again = Browser::default()
        .get(&link(&verify, "/verify?token="))
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "single use");
}
both_engines!(sign_up_and_verify);

async fn required_verification_blocks_sign_in_until_confirmed(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "ada@example.com", PASSWORD);
    app.cli_json(&[
        "tenant",
        "policy",
        "acme",
        "--email-verification",
        "required",
        "--json",
    ]);
    tokio::time::sleep(Duration::from_millis(1100)).await; // the tenant cache TTL
    let attempt = || async {
        let browser = Browser::default();
        let login = browser
            .get(&app.tenant_url("acme", "/login?next=account"))
            .await;
        browser
            .submit(
                &login,
                &[("email", "ada@example.com"), ("password", PASSWORD)],
            )
            .await
    };
    let blocked = attempt().await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN);
    assert!(blocked.html.contains("Confirm your email address"));
    let verify = mail_to(&app, "ada@example.com", "Confirm your email address").await;
    confirm(&link(&verify, "/verify?token=")).await;
    let allowed = attempt().await;
    assert!(
        allowed
            .location
            .as_deref()
            .is_some_and(|l| l.ends_with("/account")),
        "{:?}",
        allowed.location
    );
}
both_engines!(required_verification_blocks_sign_in_until_confirmed);

async fn profile_email_verification(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "ada@example.com", PASSWORD);
    let work = app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        "ada@example.com",
        "--name",
        "Work",
        "--email",
        "ada@work.example",
        "--json",
    ]);
    assert_eq!(work["email_verified"], false);
    let browser = Browser::default();
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let page = browser
        .follow(
            browser
                .submit(
                    &login,
                    &[("email", "ada@example.com"), ("password", PASSWORD)],
                )
                .await,
            "http://127.0.0.1:9",
        )
        .await;
    assert!(page.html.contains("Send a confirmation link"));
    let csrf = page.field("csrf_token").unwrap();
    let sent = browser
        .post(
            &app.tenant_url("acme", "/account/profile/verify"),
            &[
                ("csrf_token", &csrf),
                ("profile_id", work["id"].as_str().unwrap()),
            ],
        )
        .await;
    let page = browser.follow(sent, "http://127.0.0.1:9").await;
    assert!(page.html.contains("We sent a confirmation link"));
    let mail = mail_to(&app, "ada@work.example", "Confirm your email address").await;
    let confirmed = confirm(&link(&mail, "/verify?token=")).await;
    assert!(
        confirmed.html.contains("email address is confirmed"),
        "{}",
        confirmed.html
    );
    let list = app.cli_json(&[
        "profile",
        "list",
        "--tenant",
        "acme",
        "--account",
        "ada@example.com",
        "--json",
    ]);
    let work = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Work")
        .unwrap();
    assert_eq!(work["email_verified"], true);
}
both_engines!(profile_email_verification);

fn stored_rows(app: &TestApp) -> (i64, i64) {
    use diesel::prelude::*;
    use tessera::db::schema::{accounts, profiles};
    let db = tessera::db::Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    let mut conn = db.conn().unwrap();
    (
        accounts::table.count().get_result(&mut *conn).unwrap(),
        profiles::table.count().get_result(&mut *conn).unwrap(),
    )
}

/// Eight browsers sign up the same new address at the same instant: one account with one
/// profile, one audit entry, one verification mail and seven "you already have an account"
/// notes, and every browser sees the same page.
async fn concurrent_sign_ups_of_one_address(engine: Engine) {
    const BROWSERS: usize = 8;
    let app = TestApp::spawn_with(engine, |s| {
        s.argon2.memory_kib = 8;
        s.argon2.iterations = 1;
        s.security.login_attempts_per_minute = 100;
    })
    .await;
    app.create_tenant("acme");
    app.cli_json(&[
        "tenant",
        "policy",
        "acme",
        "--self-signup",
        "true",
        "--json",
    ]);
    tokio::time::sleep(Duration::from_millis(1100)).await; // the tenant cache TTL
    let before = stored_rows(&app);

    let pages =
        futures_util::future::join_all((0..BROWSERS).map(|_| sign_up(&app, "same@example.com")))
            .await;
    for page in &pages {
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        assert!(page.html.contains("Check your inbox"), "{}", page.html);
    }
    let after = stored_rows(&app);
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, 1));

    let dir = data_dir(&app.db).join("mail");
    let to_same = || {
        mails(&dir)
            .into_iter()
            .filter(|m| m.contains("To: same@example.com"))
            .collect::<Vec<_>>()
    };
    crate::helpers::eventually("every sign-up mailed", || {
        let n = to_same().len();
        async move { n >= BROWSERS }
    })
    .await;
    let sent = to_same();
    assert_eq!(sent.len(), BROWSERS);
    let verify = sent
        .iter()
        .filter(|m| m.contains("Confirm your email address"))
        .count();
    let exists = sent
        .iter()
        .filter(|m| m.contains("Your acme Inc. account"))
        .count();
    assert_eq!((verify, exists), (1, BROWSERS - 1));

    let export = app.cli(&["audit", "export", "--tenant", "acme"]);
    let signups = String::from_utf8_lossy(&export.stdout)
        .lines()
        .filter(|line| line.contains("\"account.signup\""))
        .count();
    assert_eq!(signups, 1);
}
both_engines!(concurrent_sign_ups_of_one_address);
