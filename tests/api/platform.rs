//! The platform console: first administrator through the one-time setup link or the CLI,
//! tenants created (with an invited first administrator who then runs the tenant console),
//! suspended, resumed and deleted with typed confirmation; tenant sessions never open it.

use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";

fn url(app: &TestApp, path: &str) -> String {
    format!("{}/platform{path}", app.address)
}

/// Posts a platform form with this browser's CSRF token (from the sign-in form).
async fn post(app: &TestApp, browser: &Browser, path: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = browser
        .get(&url(app, "/login"))
        .await
        .field("csrf_token")
        .expect("CSRF token");
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    browser.post(&url(app, path), &form).await
}

async fn platform_console(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let browser = Browser::default();

    // No administrator yet: the console says how to create one.
    let first = browser.get(&url(&app, "")).await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    assert!(
        first.html.contains("no platform administrator yet"),
        "{}",
        first.html
    );

    // The one-time setup link: a weak password is refused, then the administrator exists.
    let link = app.cli_json(&["admin", "setup-link", "--json"]);
    assert_eq!(link["expires_in"], 3600);
    let link = link["setup_link"].as_str().unwrap().to_owned();
    let older = app.cli_json(&["admin", "setup-link", "--json"])["setup_link"]
        .as_str()
        .unwrap()
        .to_owned();
    let superseded = browser.get(&link).await;
    assert_eq!(
        superseded.status,
        StatusCode::GONE,
        "only the newest link works"
    );
    // The way on, in plain words: a new link from the CLI (no Markdown backticks).
    assert!(
        superseded.html.contains("tessera admin setup-link"),
        "{}",
        superseded.html
    );
    assert!(!superseded.html.contains('`'), "{}", superseded.html);
    let form = browser.get(&older).await;
    assert_eq!(form.status, StatusCode::OK);
    let weak = browser
        .submit(
            &form,
            &[("email", "root@example.com"), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    let created = browser
        .submit(
            &form,
            &[("email", "root@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    assert!(created.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Path=/platform"));
    let used = browser.get(&older).await;
    assert_eq!(used.status, StatusCode::GONE, "single use");
    assert!(used.html.contains("already"), "{}", used.html);
    assert!(
        used.html.contains("/platform/login"),
        "a way to sign in: {}",
        used.html
    );
    let again = app.cli(&["admin", "setup-link"]);
    assert!(
        !again.status.success(),
        "no setup link once an administrator exists"
    );

    // Signed in: the tenants list.
    let list = browser.get(&url(&app, "")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.html.contains("No tenants yet."));

    // Create a tenant and invite its first administrator.
    let bad = post(
        &app,
        &browser,
        "/tenants",
        &[("slug", "Not A Slug"), ("name", "x")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // What was typed stays in the form beside the error.
    assert!(bad.html.contains(r#"value="Not A Slug""#), "{}", bad.html);
    let made = post(
        &app,
        &browser,
        "/tenants",
        &[
            ("slug", "acme"),
            ("name", "Acme Corp"),
            ("admin_email", "boss@acme.example"),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
    let list = browser.get(made.location.as_deref().unwrap()).await;
    assert!(list.html.contains("mailed an invitation"), "{}", list.html);
    assert!(
        list.html.contains("<td>1</td>"),
        "one account: {}",
        list.html
    );
    let taken = post(
        &app,
        &browser,
        "/tenants",
        &[("slug", "acme"), ("name", "Again")],
    )
    .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.html.contains("already taken"));

    // The invited administrator chooses a password and lands signed in on the console.
    let mail = crate::invitations::next_invitation(&app, "boss@acme.example", &[]).await;
    assert!(
        mail.subject.contains("invited to administer Acme Corp"),
        "{}",
        mail.subject
    );
    let boss = Browser::default();
    let (_, landed) = crate::invitations::accept(&app, &boss, &mail.link, PASSWORD).await;
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.html);
    assert!(landed.html.contains("tenant:admin"));
    let shown = browser.get(&url(&app, "/tenants/acme")).await;
    assert!(shown.html.contains("Active"), "{}", shown.html);
    // …but never the platform console, with or without its own session cookie.
    assert_eq!(
        boss.get(&url(&app, "")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let tenant_cookie = app
        .client
        .get(url(&app, ""))
        .header("cookie", format!("tessera_platform={}", "x".repeat(43)))
        .send()
        .await
        .unwrap();
    assert_eq!(tenant_cookie.status(), StatusCode::UNAUTHORIZED);

    // A second administrator invited from the tenant's page, and the invitation re-sent
    // there: the first link stops working, the new one lands on the console.
    let invited = post(
        &app,
        &browser,
        "/tenants/acme/invite",
        &[("email", "deputy@acme.example")],
    )
    .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.html);
    let page = browser.get(invited.location.as_deref().unwrap()).await;
    assert!(page.html.contains("mailed an invitation"), "{}", page.html);
    assert!(page.html.contains("d••••@acme.example"), "{}", page.html);
    let first = crate::invitations::next_invitation(&app, "deputy@acme.example", &[]).await;
    let account = page
        .html
        .split("name=\"account\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a re-send button for the pending administrator")
        .to_owned();
    let resent = post(
        &app,
        &browser,
        "/tenants/acme/resend",
        &[("account", account.as_str())],
    )
    .await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER, "{}", resent.html);
    let page = browser.get(resent.location.as_deref().unwrap()).await;
    assert!(
        page.html.contains("A new invitation was mailed"),
        "{}",
        page.html
    );
    let second = crate::invitations::next_invitation(
        &app,
        "deputy@acme.example",
        std::slice::from_ref(&first.link),
    )
    .await;
    let deputy = Browser::default();
    let stale = deputy.get(&first.link).await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST, "{}", stale.html);
    let (_, landed) = crate::invitations::accept(&app, &deputy, &second.link, PASSWORD).await;
    assert!(landed.html.contains("tenant:admin"), "{}", landed.html);

    // Suspend, resume, delete (typed confirmation).
    let suspended = post(&app, &browser, "/tenants/acme/suspend", &[]).await;
    assert_eq!(suspended.status, StatusCode::SEE_OTHER);
    crate::helpers::eventually("the tenant is suspended", || async {
        discovery(&app).await == StatusCode::FORBIDDEN
    })
    .await;
    post(&app, &browser, "/tenants/acme/resume", &[]).await;
    crate::helpers::eventually("the tenant is back", || async {
        discovery(&app).await == StatusCode::OK
    })
    .await;
    let refused = post(
        &app,
        &browser,
        "/tenants/acme/delete",
        &[("confirm", "acm")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(discovery(&app).await, StatusCode::OK, "nothing deleted");
    let deleted = post(
        &app,
        &browser,
        "/tenants/acme/delete",
        &[("confirm", "acme")],
    )
    .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    crate::helpers::eventually("the tenant is gone", || async {
        discovery(&app).await == StatusCode::NOT_FOUND
    })
    .await;
    assert_eq!(
        browser.get(&url(&app, "/tenants/acme")).await.status,
        StatusCode::NOT_FOUND
    );
    let tenants = app.cli_json(&["tenant", "list", "--json"]);
    assert_eq!(
        tenants,
        serde_json::json!([]),
        "the internal tenant is never listed"
    );

    // Forms need the CSRF token; the platform's own audit chain holds it all and verifies.
    let forged = browser
        .post(
            &url(&app, "/tenants"),
            &[("slug", "evil"), ("name", "Evil")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let export = app.cli(&["audit", "export", "--tenant", "_platform"]);
    let actions: Vec<String> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for expected in [
        "platform.admin.create",
        "signin.success",
        "tenant.create",
        "tenant.suspend",
        "tenant.resume",
        "tenant.delete",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
    assert!(app
        .cli(&["audit", "verify", "--tenant", "_platform"])
        .status
        .success());
    assert!(!app.cli(&["tenant", "show", "_platform"]).status.success());
}
both_engines!(platform_console);

async fn platform_admin_from_the_cli(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Subdomain).await;
    let created = app.cli_input(
        &[
            "admin",
            "create",
            "--email",
            "ops@example.com",
            "--password-stdin",
            "--json",
        ],
        &[],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        created.status.success(),
        "{}",
        crate::helpers::stderr(&created)
    );
    let browser = Browser::default();
    let login = browser.get(&url(&app, "/login")).await;
    assert_eq!(login.status, StatusCode::OK);
    let wrong = browser
        .submit(
            &login,
            &[
                ("email", "ops@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("incorrect"));
    let signed_in = browser
        .submit(
            &login,
            &[("email", "ops@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get(&url(&app, "")).await.status, StatusCode::OK);

    // The administrator turns on a second factor; sign-in then needs a code.
    let security = browser.get(&url(&app, "/security")).await;
    assert!(security.html.contains("Off."), "{}", security.html);
    let started = post(&app, &browser, "/mfa/start", &[]).await;
    assert_eq!(started.status, StatusCode::OK);
    assert!(started.html.contains("<svg"), "a QR code");
    let key = started
        .html
        .split("<dt>Key</dt><dd>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    let wrong = post(&app, &browser, "/mfa/confirm", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let started = post(&app, &browser, "/mfa/start", &[]).await;
    let key = started
        .html
        .split("<dt>Key</dt><dd>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .map(str::to_owned)
        .unwrap_or(key);
    let on = post(
        &app,
        &browser,
        "/mfa/confirm",
        &[("code", &crate::attacks_support::totp_code(&key, 0))],
    )
    .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.html);
    let recovery = on
        .html
        .split("<td><code>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    post(&app, &browser, "/logout", &[]).await;
    assert_eq!(
        browser.get(&url(&app, "")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = browser.get(&url(&app, "/login")).await;
    let without = browser
        .submit(
            &login,
            &[("email", "ops@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        without.status,
        StatusCode::UNAUTHORIZED,
        "the password alone is not enough"
    );
    assert!(without.html.contains("password or code is incorrect"));
    let with = browser
        .submit(
            &login,
            &[
                ("email", "ops@example.com"),
                ("password", PASSWORD),
                ("code", &recovery),
            ],
        )
        .await;
    assert_eq!(with.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get(&url(&app, "")).await.status, StatusCode::OK);
    let export = app.cli(&["audit", "export", "--tenant", "_platform"]);
    assert!(String::from_utf8_lossy(&export.stdout).contains("\"mfa.enroll\""));

    // In subdomain mode the console answers on the root host only.
    app.create_tenant("acme");
    let on_tenant_host = app
        .get_with_host(&format!("acme.localhost:{}", app.port), "/platform/login")
        .await;
    assert_eq!(on_tenant_host.status(), StatusCode::NOT_FOUND);
    let spoofed = app
        .client
        .get(format!("{}/platform/login", app.address))
        .header("x-forwarded-host", format!("acme.localhost:{}", app.port))
        .send()
        .await
        .unwrap();
    assert_eq!(
        spoofed.status(),
        StatusCode::OK,
        "X-Forwarded-Host is not trusted"
    );

    // Knowing the password does not buy unlimited guesses at the code: wrong codes lock the
    // account like wrong passwords, and then even a right code is refused.
    let fresh = Browser::default();
    let login = fresh.get(&url(&app, "/login")).await;
    for _ in 0..5 {
        let guess = fresh
            .submit(
                &login,
                &[
                    ("email", "ops@example.com"),
                    ("password", PASSWORD),
                    ("code", "123456"),
                ],
            )
            .await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    let second_recovery = on
        .html
        .split("<td><code>")
        .nth(2)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    let locked = fresh
        .submit(
            &login,
            &[
                ("email", "ops@example.com"),
                ("password", PASSWORD),
                ("code", &second_recovery),
            ],
        )
        .await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED, "locked");
}
both_engines!(platform_admin_from_the_cli);

async fn discovery(app: &TestApp) -> StatusCode {
    app.get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .status()
}
