//! Changing the sign-in email from `/account`: a recent sign-in, confirmation at the new
//! address, a revert link to the old one, and nothing that lets the freed address in.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{data_dir, Engine, TestApp};
use crate::reset::decode_quoted_printable;

const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a brand new passphrase";
const EMAIL: &str = "ada@example.com";
const NEW_EMAIL: &str = "ada@new.example.org";
const RP: &str = "http://127.0.0.1:9";

fn mail_dir(app: &TestApp) -> PathBuf {
    data_dir(&app.db).join("mail")
}

/// Every link containing `path` in complete messages to `to`, oldest message first.
fn links_to(dir: &Path, to: &str, path: &str) -> Vec<String> {
    let mut found: Vec<(std::time::SystemTime, String, String)> = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if !raw.trim_end().ends_with("--") {
            continue;
        }
        let text = decode_quoted_printable(&raw);
        if !text.lines().any(|l| l.starts_with("To:") && l.contains(to)) {
            continue;
        }
        let modified = entry.metadata().and_then(|m| m.modified()).unwrap();
        for line in text.lines() {
            let Some(start) = line.find("http") else {
                continue;
            };
            let rest = &line[start..];
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
                .unwrap_or(rest.len());
            if rest[..end].contains(path) {
                let name = entry.file_name().to_string_lossy().into_owned();
                found.push((modified, name, rest[..end].to_owned()));
                break;
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, _, link)| link).collect()
}

/// Waits for the `n`th (1-based) message to `to` with a link containing `path`.
async fn nth_link(app: &TestApp, to: &str, path: &str, n: usize) -> String {
    for _ in 0..100 {
        let links = links_to(&mail_dir(app), to, path);
        if links.len() >= n {
            return links[n - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no message {n} to {to} with {path}");
}

/// Signs in at the account console; returns the account page, or the page where it stopped.
async fn sign_in(app: &TestApp, browser: &Browser, email: &str, password: &str) -> Page {
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let done = browser
        .submit(&login, &[("email", email), ("password", password)])
        .await;
    browser.follow(done, RP).await
}

fn is_account_page(page: &Page) -> bool {
    page.status == StatusCode::OK && page.html.contains("name=\"new_password\"")
}

/// Posts an account-page action with the page's CSRF token; returns the page it lands on.
async fn act(
    app: &TestApp,
    browser: &Browser,
    page: &Page,
    action: &str,
    fields: &[(&str, &str)],
) -> Page {
    let csrf = page.field("csrf_token").expect("csrf token");
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    let url = app.tenant_url("acme", &format!("/account/{action}"));
    let response = browser.post(&url, &form).await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{action}: {}",
        response.html
    );
    browser.follow(response, RP).await
}

/// Opens a mailed link in a fresh browser (the mailbox may be on another device) and
/// submits its form with `fields`.
async fn open_and_submit(link: &str, fields: &[(&str, &str)]) -> Page {
    let browser = Browser::default();
    let form = browser.get(link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    browser.submit(&form, fields).await
}

/// `open_and_submit` racing other uses of the same link: the link may be spent before its
/// form is even shown, which answers `400` with the expired-link page (returned as it is).
async fn open_and_submit_racing(link: &str, fields: &[(&str, &str)]) -> Page {
    let browser = Browser::default();
    let form = browser.get(link).await;
    if form.status == StatusCode::BAD_REQUEST && form.html.contains("This link has expired") {
        return form;
    }
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    browser.submit(&form, fields).await
}

fn audit_actions(app: &TestApp) -> Vec<String> {
    let entries = app.audit_entries("acme");
    entries
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

async fn change_confirm_and_revert(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let account_id = account["id"].as_str().unwrap().to_owned();
    // A reset link mailed to the old address before the change must not work after it.
    let asker = Browser::default();
    let reset = asker.get(&app.tenant_url("acme", "/reset")).await;
    asker.submit(&reset, &[("email", EMAIL)]).await;
    let old_reset_link = nth_link(&app, EMAIL, "/reset/confirm?token=", 1).await;

    let laptop = Browser::default();
    let page = sign_in(&app, &laptop, EMAIL, PASSWORD).await;
    assert!(is_account_page(&page), "{}", page.html);
    assert!(
        page.html.contains("id=\"new-email\""),
        "the change form is open after a fresh sign-in"
    );
    let phone = Browser::default();
    assert!(is_account_page(
        &sign_in(&app, &phone, EMAIL, PASSWORD).await
    ));

    // Nothing happens until the new address confirms.
    let page = act(&app, &laptop, &page, "email", &[("email", NEW_EMAIL)]).await;
    assert!(page.html.contains("Check the new address"), "{}", page.html);
    assert!(is_account_page(
        &sign_in(&app, &Browser::default(), EMAIL, PASSWORD).await
    ));
    let confirm = nth_link(&app, NEW_EMAIL, "/email-change/confirm?token=", 1).await;
    // Opening the link shows the address and a button; only the button changes anything.
    let scanner = Browser::default().get(&confirm).await;
    assert!(scanner.html.contains(NEW_EMAIL), "{}", scanner.html);
    assert!(is_account_page(
        &sign_in(&app, &Browser::default(), EMAIL, PASSWORD).await
    ));
    let done = open_and_submit(&confirm, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("Sign-in email changed"), "{}", done.html);
    // Spent: a second use is refused.
    assert_eq!(
        Browser::default().get(&confirm).await.status,
        StatusCode::BAD_REQUEST
    );

    // The freed address signs nobody in, and what was mailed to it is void.
    let old = sign_in(&app, &Browser::default(), EMAIL, PASSWORD).await;
    assert!(
        !is_account_page(&old) && old.html.contains("The email or password is incorrect"),
        "{}",
        old.html
    );
    assert!(is_account_page(
        &sign_in(&app, &Browser::default(), NEW_EMAIL, PASSWORD).await
    ));
    assert_eq!(
        Browser::default().get(&old_reset_link).await.status,
        StatusCode::BAD_REQUEST
    );
    // The sessions go on (the change was the owner's, as far as anyone knows yet).
    let on_laptop = laptop.get(&app.tenant_url("acme", "/account")).await;
    assert!(on_laptop.html.contains(NEW_EMAIL), "{}", on_laptop.html);

    // Whoever holds the account now turns on a second factor: the revert removes it.
    let console = laptop.get(&app.tenant_url("acme", "/account")).await;
    let csrf = console.field("csrf_token").unwrap();
    let start = laptop
        .post(
            &app.tenant_url("acme", "/account/mfa/start"),
            &[("csrf_token", &csrf)],
        )
        .await;
    let key = crate::attacks_support::manual_key(&start.html);
    let code = crate::attacks_support::totp_code(&key, 0);
    let enrolled = laptop
        .post(
            &app.tenant_url("acme", "/account/mfa/confirm"),
            &[("csrf_token", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(
        enrolled.html.matches("<li><code>").count(),
        10,
        "{}",
        enrolled.html
    );

    // The old address was told, with a revert link that asks no code (the account had no
    // second factor when the change was confirmed).
    let revert = nth_link(&app, EMAIL, "/email-change/revert?token=", 1).await;
    let browser = Browser::default();
    let form = browser.get(&revert).await;
    assert!(
        form.html.contains(EMAIL) && !form.html.contains("name=\"code\""),
        "{}",
        form.html
    );
    // A refused password costs nothing: the link still works.
    let weak = browser.submit(&form, &[("password", "short")]).await;
    assert!(
        weak.html.contains("name=\"password\"") && weak.html.contains("role=\"alert\""),
        "{}",
        weak.html
    );
    let restored = browser.submit(&weak, &[("password", NEW_PASSWORD)]).await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.html);
    assert!(
        restored.html.contains("Address restored"),
        "{}",
        restored.html
    );
    assert_eq!(
        Browser::default().get(&revert).await.status,
        StatusCode::BAD_REQUEST
    );

    // Every session ended; only the old address with the new password signs in, and without
    // the second factor enrolled after the change.
    for browser in [&laptop, &phone] {
        let page = browser.get(&app.tenant_url("acme", "/account")).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "a session survived the revert"
        );
    }
    assert!(!is_account_page(
        &sign_in(&app, &Browser::default(), EMAIL, PASSWORD).await
    ));
    assert!(!is_account_page(
        &sign_in(&app, &Browser::default(), NEW_EMAIL, NEW_PASSWORD).await
    ));
    assert!(is_account_page(
        &sign_in(&app, &Browser::default(), EMAIL, NEW_PASSWORD).await
    ));

    let actions = audit_actions(&app);
    for action in [
        "account.email_change.request",
        "account.email_change.confirm",
        "account.email_change.revert",
    ] {
        assert_eq!(
            actions.iter().filter(|a| *a == action).count(),
            1,
            "{action} in {actions:?}"
        );
    }
    // The person's export shows the change and how it ended.
    let export = app.cli_json(&["account", "export", "--tenant", "acme", &account_id]);
    let changes = export["email_changes"].as_array().expect("email_changes");
    assert_eq!(changes.len(), 1, "{export}");
    assert_eq!(changes[0]["old_email"], EMAIL);
    assert_eq!(changes[0]["new_email"], NEW_EMAIL);
    assert_eq!(changes[0]["end_reason"], "reverted");
}

both_engines!(change_confirm_and_revert);

/// An old sign-in gets no change form; an address another account holds is told instead,
/// and the page says the same as for a free one.
async fn a_stale_sign_in_and_a_taken_address(engine: Engine) {
    use diesel::prelude::*;
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    app.create_account("acme", NEW_EMAIL, PASSWORD);
    let laptop = Browser::default();
    let page = sign_in(&app, &laptop, EMAIL, PASSWORD).await;

    // Another account's address: the same notice, a different mail, nothing changed.
    let page = act(&app, &laptop, &page, "email", &[("email", NEW_EMAIL)]).await;
    assert!(page.html.contains("Check the new address"), "{}", page.html);
    let taken = nth_link(&app, NEW_EMAIL, "/login?next=account", 1).await;
    assert!(taken.ends_with("/login?next=account"), "{taken}");
    assert!(links_to(&mail_dir(&app), NEW_EMAIL, "/email-change/confirm").is_empty());
    // Its own address, and an invalid one.
    let same = act(&app, &laptop, &page, "email", &[("email", EMAIL)]).await;
    assert!(
        same.html.contains("already your sign-in email"),
        "{}",
        same.html
    );
    let invalid = act(
        &app,
        &laptop,
        &same,
        "email",
        &[("email", "not an address")],
    )
    .await;
    assert!(invalid.html.contains("not valid"), "{}", invalid.html);

    // The sign-in grows old: no form, and a forged post is refused all the same.
    let db = tessera::db::Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    let mut conn = db.conn().unwrap();
    diesel::sql_query("UPDATE sessions SET auth_time = auth_time - 301")
        .execute(&mut *conn)
        .unwrap();
    let stale = laptop.get(&app.tenant_url("acme", "/account")).await;
    assert!(!stale.html.contains("id=\"new-email\""), "{}", stale.html);
    assert!(stale.html.contains("Sign in again"), "{}", stale.html);
    let refused = act(
        &app,
        &laptop,
        &stale,
        "email",
        &[("email", "ada@third.example")],
    )
    .await;
    assert!(
        refused.html.contains("sign in again before changing"),
        "{}",
        refused.html
    );
    assert!(links_to(&mail_dir(&app), "ada@third.example", "/email-change/").is_empty());
    // Signing in again opens it.
    let fresh = sign_in(&app, &laptop, EMAIL, PASSWORD).await;
    assert!(fresh.html.contains("id=\"new-email\""), "{}", fresh.html);
}

both_engines!(a_stale_sign_in_and_a_taken_address);

/// The account had a second factor when its address changed: the old address may have
/// changed hands, so the revert asks for a code, and guessing ends the link.
async fn a_revert_asks_for_the_second_factor(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let laptop = Browser::default();
    let page = sign_in(&app, &laptop, EMAIL, PASSWORD).await;
    let csrf = page.field("csrf_token").unwrap();
    let start = laptop
        .post(
            &app.tenant_url("acme", "/account/mfa/start"),
            &[("csrf_token", &csrf)],
        )
        .await;
    let key = crate::attacks_support::manual_key(&start.html);
    let code = crate::attacks_support::totp_code(&key, 0);
    let codes = laptop
        .post(
            &app.tenant_url("acme", "/account/mfa/confirm"),
            &[("csrf_token", &csrf), ("code", &code)],
        )
        .await;
    let recovery: Vec<String> = codes
        .html
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);

    // Two changes, each confirmed: the first revert link guesses, the second does it right.
    let mut reverts = Vec::new();
    for (n, address) in ["ada@one.example", "ada@two.example"]
        .into_iter()
        .enumerate()
    {
        let page = laptop.get(&app.tenant_url("acme", "/account")).await;
        act(&app, &laptop, &page, "email", &[("email", address)]).await;
        let confirm = nth_link(&app, address, "/email-change/confirm?token=", 1).await;
        let done = open_and_submit(&confirm, &[]).await;
        assert!(done.html.contains("Sign-in email changed"), "{}", done.html);
        let old = if n == 0 { EMAIL } else { "ada@one.example" };
        reverts.push(nth_link(&app, old, "/email-change/revert?token=", 1).await);
    }

    // The second change's revert (to ada@one): a code is asked; wrong ones end the link.
    let browser = Browser::default();
    let mut form = browser.get(&reverts[1]).await;
    assert!(form.html.contains("name=\"code\""), "{}", form.html);
    let missing = browser.submit(&form, &[("password", NEW_PASSWORD)]).await;
    assert!(missing.html.contains("did not match"), "{}", missing.html);
    form = missing;
    for attempt in 1..=tessera::identity::email_change::MAX_CODE_FAILURES {
        form = browser
            .submit(&form, &[("password", NEW_PASSWORD), ("code", "000000")])
            .await;
        if attempt < tessera::identity::email_change::MAX_CODE_FAILURES {
            assert!(
                form.html.contains("did not match"),
                "attempt {attempt}: {}",
                form.html
            );
        }
    }
    assert_eq!(
        form.status,
        StatusCode::BAD_REQUEST,
        "the link ends after too many codes: {}",
        form.html
    );
    assert_eq!(
        Browser::default().get(&reverts[1]).await.status,
        StatusCode::BAD_REQUEST
    );

    // The first change's revert (to the original address), with a recovery code: it also
    // voids everything after it.
    let restored = open_and_submit(
        &reverts[0],
        &[("password", NEW_PASSWORD), ("code", &recovery[0])],
    )
    .await;
    assert!(
        restored.html.contains("Address restored"),
        "{}",
        restored.html
    );
    // The factor from before the change stays: sign-in asks for it.
    let login = Browser::default();
    let page = sign_in(&app, &login, EMAIL, NEW_PASSWORD).await;
    assert!(page.html.contains("name=\"code\""), "{}", page.html);
    let actions = audit_actions(&app);
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "account.email_change.revert")
            .count(),
        1
    );
}

both_engines!(a_revert_asks_for_the_second_factor);

/// Two confirmations of one link, two accounts confirming one address, two reverts of one
/// link: each takes effect exactly once.
async fn concurrent_confirmations_and_reverts(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let accounts = ["a@example.com", "b@example.com"];
    let mut browsers = Vec::new();
    for email in accounts {
        app.create_account("acme", email, PASSWORD);
        let browser = Browser::default();
        let page = sign_in(&app, &browser, email, PASSWORD).await;
        browsers.push((browser, page));
    }
    // Both ask for the same new address.
    let shared = "shared@example.com";
    for (browser, page) in &browsers {
        act(&app, browser, page, "email", &[("email", shared)]).await;
    }
    let first = nth_link(&app, shared, "/email-change/confirm?token=", 1).await;
    let second = nth_link(&app, shared, "/email-change/confirm?token=", 2).await;
    assert_ne!(first, second);

    // One link twice at once, and the other account's link at the same moment.
    let (x, y, z) = tokio::join!(
        open_and_submit_racing(&first, &[]),
        open_and_submit_racing(&first, &[]),
        open_and_submit_racing(&second, &[]),
    );
    let statuses = [x.status, y.status, z.status];
    let changed = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(
        changed, 1,
        "exactly one change took the address: {statuses:?}"
    );
    let taken = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    let spent = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!(taken + spent, 2, "{statuses:?}");
    // Exactly one account signs in with it.
    assert!(is_account_page(
        &sign_in(&app, &Browser::default(), shared, PASSWORD).await
    ));
    let mut still = Vec::new();
    for email in accounts {
        still.push(is_account_page(
            &sign_in(&app, &Browser::default(), email, PASSWORD).await,
        ));
    }
    assert_eq!(still.iter().filter(|s| **s).count(), 1, "{still:?}");
    let old = accounts[still.iter().position(|s| !s).unwrap()];

    // Its revert link twice at once: restored once.
    let revert = nth_link(&app, old, "/email-change/revert?token=", 1).await;
    let (r1, r2) = tokio::join!(
        open_and_submit_racing(&revert, &[("password", NEW_PASSWORD)]),
        open_and_submit_racing(&revert, &[("password", "another new passphrase")]),
    );
    let restored = [&r1, &r2]
        .iter()
        .filter(|p| p.html.contains("Address restored"))
        .count();
    assert_eq!(restored, 1, "{} / {}", r1.html, r2.html);
    let actions = audit_actions(&app);
    let count = |action: &str| actions.iter().filter(|a| *a == action).count();
    assert_eq!(count("account.email_change.request"), 2);
    assert_eq!(count("account.email_change.confirm"), 1);
    assert_eq!(count("account.email_change.revert"), 1);
    assert!(!is_account_page(
        &sign_in(&app, &Browser::default(), shared, PASSWORD).await
    ));
}

both_engines!(concurrent_confirmations_and_reverts);
