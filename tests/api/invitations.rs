//! Invitations: their own mail and page, valid for 7 days, re-sendable from the platform and
//! tenant consoles, the API and the CLI; accepting one lands the new owner signed in through
//! the ordinary sign-in rules (second factor where required); a link works once, and only
//! the newest one does, even when submitted or re-sent concurrently.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{data_dir, Engine, TestApp};
use crate::reset::decode_quoted_printable;

const PASSWORD: &str = "correct horse battery staple";

pub struct Mail {
    pub subject: String,
    pub link: String,
    pub text: String,
}

/// The invitation mails to `to` written so far by the file transport.
fn invitation_mails(app: &TestApp, to: &str) -> Vec<Mail> {
    let dir = data_dir(&app.db).join("mail");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut mails = Vec::new();
    for entry in entries.flatten() {
        let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
        // Only a complete message (it ends with the closing MIME boundary).
        if !raw.trim_end().ends_with("--") {
            continue;
        }
        let text = decode_quoted_printable(&raw);
        if !text.lines().any(|l| l.trim() == format!("To: {to}")) {
            continue;
        }
        let Some(start) = text.find("http") else {
            continue;
        };
        let Some(link) = text[start..]
            .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .next()
            .filter(|l| l.contains("/invitation?token="))
            .map(str::to_owned)
        else {
            continue;
        };
        let subject = text
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default()
            .to_owned();
        mails.push(Mail {
            subject,
            link,
            text,
        });
    }
    mails
}

/// Waits for an invitation mail to `to` whose link is not among `seen`.
pub async fn next_invitation(app: &TestApp, to: &str, seen: &[String]) -> Mail {
    for _ in 0..100 {
        if let Some(mail) = invitation_mails(app, to)
            .into_iter()
            .find(|m| !seen.contains(&m.link))
        {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no new invitation mail to {to}");
}

/// Opens an invitation link, chooses `password`, and follows where it leads: the answer to
/// the form, and the page it lands on.
pub async fn accept(app: &TestApp, browser: &Browser, link: &str, password: &str) -> (Page, Page) {
    let _ = app;
    let form = browser.get(link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    let answer = browser.submit(&form, &[("password", password)]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    let landed = browser
        .get(answer.location.as_deref().expect("a redirect"))
        .await;
    (answer, landed)
}

fn audit_actions(app: &TestApp, slug: &str) -> Vec<Value> {
    let export = app.cli(&["audit", "export", "--tenant", slug]);
    assert!(export.status.success());
    String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn count(entries: &[Value], action: &str) -> usize {
    entries.iter().filter(|e| e["action"] == action).count()
}

async fn an_invited_administrator_lands_on_the_console(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let created = app.cli_json(&[
        "tenant",
        "create",
        "acme",
        "--name",
        "Acme Corp",
        "--admin-email",
        "Boss@Acme.example",
        "--json",
    ]);
    let invitation = &created["admin_invitation"];
    assert_eq!(invitation["email"], "boss@acme.example");
    assert_eq!(invitation["mailed"], true);
    // Valid for seven days.
    let expires = time::OffsetDateTime::parse(
        invitation["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        (7 * 86_400 - 120..=7 * 86_400 + 5).contains(&(expires - now)),
        "{invitation}"
    );

    // Its own mail: an invitation, not a password reset.
    let mail = next_invitation(&app, "boss@acme.example", &[]).await;
    assert_eq!(
        mail.subject,
        "You have been invited to administer Acme Corp"
    );
    assert!(mail.text.contains("7 days"), "{}", mail.text);
    assert!(!mail.text.contains("reset"), "{}", mail.text);

    // The page names the tenant and the address; a weak password is refused and the link
    // still works afterwards.
    let boss = Browser::default();
    let form = boss.get(&mail.link).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.html.contains("invited to administer Acme Corp"));
    assert!(form.html.contains("boss@acme.example"));
    let weak = boss.submit(&form, &[("password", "short")]).await;
    assert_eq!(weak.status, StatusCode::OK);
    assert!(weak.html.contains("too short"), "{}", weak.html);
    // Signed in on the console at once.
    let (answer, landed) = accept(&app, &boss, &mail.link, PASSWORD).await;
    assert_eq!(
        answer.location.as_deref(),
        Some(app.tenant_url("acme", "/admin").as_str())
    );
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.html);
    assert!(landed.html.contains("tenant:admin"), "{}", landed.html);

    // Single use: the link now says so and offers the ways on.
    let used = Browser::default().get(&mail.link).await;
    assert_eq!(used.status, StatusCode::BAD_REQUEST);
    assert!(used.html.contains("no longer works"), "{}", used.html);
    assert!(used.html.contains("login?next=admin"), "{}", used.html);
    assert!(used.html.contains("/reset"), "{}", used.html);

    // The chosen password signs in; the address is confirmed; all of it is audited.
    let (_, console) =
        crate::admin_console::console_sign_in(&app, "acme", "boss@acme.example").await;
    assert_eq!(console.status, StatusCode::OK);
    let shown = app.cli_json(&[
        "account",
        "show",
        "--tenant",
        "acme",
        "boss@acme.example",
        "--json",
    ]);
    assert_eq!(shown["email_verified"], true, "{shown}");
    // The first profile is named after the address, not "Default".
    assert_eq!(shown["profiles"][0]["name"], "boss", "{shown}");
    let entries = audit_actions(&app, "acme");
    for action in [
        "account.invite",
        "role.grant",
        "account.invitation_accepted",
    ] {
        assert_eq!(count(&entries, action), 1, "{action} in {entries:?}");
    }
    assert_eq!(count(&entries, "signin.success"), 2);
    assert!(app
        .cli(&["audit", "verify", "--tenant", "acme"])
        .status
        .success());
}
both_engines!(an_invited_administrator_lands_on_the_console);

async fn invitations_are_resent_and_only_the_newest_link_works(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "admin@example.com", PASSWORD);
    app.cli_json(&["role", "create", "--tenant", "acme", "staff", "--json"]);
    app.cli_json(&[
        "role",
        "permit",
        "--tenant",
        "acme",
        "staff",
        "documents:read",
        "--json",
    ]);
    // One command makes a tenant administrator, naming the person by email.
    let granted = app.cli_json(&["role", "create", "--tenant", "acme", "admins", "--json"]);
    assert_eq!(granted["name"], "admins");
    app.cli_json(&[
        "role",
        "permit",
        "--tenant",
        "acme",
        "admins",
        "tenant:admin",
        "--json",
    ]);
    app.cli_json(&[
        "role",
        "grant",
        "--tenant",
        "acme",
        "admins",
        "--profile",
        "admin@example.com",
        "--json",
    ]);
    let (admin, _) = crate::admin_console::console_sign_in(&app, "acme", "admin@example.com").await;

    // The tenant console invites someone with a name and a role.
    let accounts = admin.get(&app.tenant_url("acme", "/admin/accounts")).await;
    assert!(
        accounts.html.contains("Invite someone"),
        "{}",
        accounts.html
    );
    let csrf = accounts.field("csrf_token").unwrap();
    let invited = admin
        .post(
            &app.tenant_url("acme", "/admin/accounts"),
            &[
                ("csrf_token", csrf.as_str()),
                ("email", "grace@example.com"),
                ("name", "Grace Hopper"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.html);
    let account_page = admin.get(invited.location.as_deref().unwrap()).await;
    assert!(
        account_page.html.contains("Invited"),
        "{}",
        account_page.html
    );
    assert!(account_page.html.contains("Re-send invitation"));
    assert!(account_page.html.contains("Grace Hopper"));
    let first = next_invitation(&app, "grace@example.com", &[]).await;
    assert_eq!(first.subject, "You have been invited to acme Inc.");

    // Four re-sends at once: each answers with a new link, and exactly one link works.
    let account_id = invited
        .location
        .as_deref()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let resend = app.tenant_url(
        "acme",
        &format!("/admin/accounts/{account_id}/resend-invitation"),
    );
    let csrf = account_page.field("csrf_token").unwrap();
    let form = &[("csrf_token", csrf.as_str())];
    let answers = futures_util::future::join_all((0..4).map(|_| admin.post(&resend, form))).await;
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    }
    let mut seen = vec![first.link.clone()];
    for _ in 0..4 {
        let next = next_invitation(&app, "grace@example.com", &seen).await;
        seen.push(next.link);
    }
    let mut live = Vec::new();
    for link in &seen {
        if Browser::default().get(link).await.status == StatusCode::OK {
            live.push(link.clone());
        }
    }
    assert_eq!(live.len(), 1, "only the newest link works: {live:?}");

    // The same link submitted four times at once: one acceptance, one sign-in.
    let browsers: Vec<Browser> = (0..4).map(|_| Browser::default()).collect();
    let mut forms = Vec::new();
    for browser in &browsers {
        forms.push(browser.get(&live[0]).await);
    }
    let submitted = futures_util::future::join_all(
        browsers
            .iter()
            .zip(&forms)
            .map(|(browser, form)| browser.submit(form, &[("password", PASSWORD)])),
    )
    .await;
    let signed_in = submitted
        .iter()
        .filter(|p| p.status == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(
        signed_in,
        1,
        "{:?}",
        submitted.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    for page in submitted
        .iter()
        .filter(|p| p.status != StatusCode::SEE_OTHER)
    {
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(page.html.contains("no longer works"), "{}", page.html);
    }
    let entries = audit_actions(&app, "acme");
    assert_eq!(count(&entries, "account.invitation_accepted"), 1);
    assert_eq!(count(&entries, "account.invitation_resent"), 4);
    // Not an administrator: the invitation landed on the account page.
    let landed = submitted
        .iter()
        .find(|p| p.status == StatusCode::SEE_OTHER)
        .unwrap();
    assert_eq!(
        landed.location.as_deref(),
        Some(app.tenant_url("acme", "/account").as_str())
    );

    // Accepted: nothing left to re-send (the API says 409 in words).
    let shown = app.cli_json(&[
        "account",
        "show",
        "--tenant",
        "acme",
        "grace@example.com",
        "--json",
    ]);
    assert_eq!(shown["profiles"][0]["name"], "Grace Hopper");
    let again = app.cli(&[
        "account",
        "resend-invitation",
        "--tenant",
        "acme",
        "grace@example.com",
    ]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no pending invitation"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(app
        .cli(&["audit", "verify", "--tenant", "acme"])
        .status
        .success());
}
both_engines!(invitations_are_resent_and_only_the_newest_link_works);

async fn an_invitation_goes_through_the_tenants_sign_in_rules(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.cli_json(&["tenant", "policy", "acme", "--mfa", "required", "--json"]);
    // The CLI invites with a role, and prints the link when asked.
    app.cli_json(&["role", "create", "--tenant", "acme", "ops", "--json"]);
    app.cli_json(&[
        "role",
        "permit",
        "--tenant",
        "acme",
        "ops",
        "clients:write",
        "--json",
    ]);
    let invited = app.cli_json(&[
        "account",
        "invite",
        "--tenant",
        "acme",
        "ops@example.com",
        "--role",
        "ops",
        "--print-link",
        "--json",
    ]);
    let link = invited["link"].as_str().unwrap().to_owned();
    let mail = next_invitation(&app, "ops@example.com", &[]).await;
    assert_eq!(mail.link, link);
    assert_eq!(
        mail.subject,
        "You have been invited to administer acme Inc."
    );

    // A suspended invitee's link stops working…
    app.cli_json(&[
        "account",
        "suspend",
        "--tenant",
        "acme",
        "ops@example.com",
        "--json",
    ]);
    let refused = Browser::default().get(&link).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    app.cli_json(&[
        "account",
        "resume",
        "--tenant",
        "acme",
        "ops@example.com",
        "--json",
    ]);
    // …and the tenant requires a second factor: accepting leads to setting one up, not
    // straight into the console.
    let browser = Browser::default();
    let form = browser.get(&link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    let answer = browser.submit(&form, &[("password", PASSWORD)]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    assert!(
        answer
            .location
            .as_deref()
            .unwrap()
            .contains("/mfa/setup?challenge="),
        "{:?}",
        answer.location
    );
    assert!(
        !answer
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("tessera_session=")),
        "no session before the second factor"
    );

    // `account create --name` names the first profile (tokens carry it as `name`).
    let named = app.cli_input(
        &[
            "account",
            "create",
            "--tenant",
            "acme",
            "--email",
            "ada@example.com",
            "--name",
            "Ada Lovelace",
            "--password-stdin",
            "--json",
        ],
        &[],
        PASSWORD,
    );
    assert!(
        named.status.success(),
        "{}",
        String::from_utf8_lossy(&named.stderr)
    );
    let named: Value = serde_json::from_slice(&named.stdout).unwrap();
    assert_eq!(named["profiles"][0]["name"], "Ada Lovelace");

    // An address that already has an account is not invited again.
    let taken = app.cli(&["account", "invite", "--tenant", "acme", "ops@example.com"]);
    assert!(!taken.status.success());
    assert!(String::from_utf8_lossy(&taken.stderr).contains("already exists"));
}
both_engines!(an_invitation_goes_through_the_tenants_sign_in_rules);
