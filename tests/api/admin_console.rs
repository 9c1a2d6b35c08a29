//! The tenant console over HTTP (the real-browser tests drive the same pages in Chromium):
//! 401 without a session, 403 without the page's permission, 404 for another tenant's
//! objects, CSRF on every form, masked sensitive values, and the console's actions.

use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;

use crate::admin_matrix::machine_token;
use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{eventually, Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";

/// Signs in to the tenant console; returns the browser and the page it landed on.
pub async fn console_sign_in(app: &TestApp, slug: &str, email: &str) -> (Browser, Page) {
    let browser = Browser::default();
    let login = browser
        .get(&app.tenant_url(slug, "/login?next=admin"))
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let done = browser
        .submit(&login, &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(
        done.location.as_deref(),
        Some(app.tenant_url(slug, "/admin").as_str())
    );
    let landed = browser.get(&app.tenant_url(slug, "/admin")).await;
    (browser, landed)
}

/// Gives a profile a fresh role holding `permissions`.
pub fn grant(app: &TestApp, slug: &str, account: &Value, permissions: &[&str]) {
    let profile = account["profiles"][0]["id"].as_str().unwrap();
    let role = format!("r-{profile}");
    app.cli_json(&["role", "create", "--tenant", slug, &role, "--json"]);
    for permission in permissions {
        app.cli_json(&[
            "role", "permit", "--tenant", slug, &role, permission, "--json",
        ]);
    }
    app.cli_json(&[
        "role",
        "grant",
        "--tenant",
        slug,
        &role,
        "--profile",
        profile,
        "--json",
    ]);
}

/// Posts a console form with this browser's CSRF token (taken from the profile-choice form,
/// which every signed-in user can open).
async fn post(browser: &Browser, page: &Page, url: &str, fields: &[(&str, &str)]) -> Page {
    let _ = page;
    let choice = url.split("/admin").next().unwrap().to_owned() + "/admin/profile";
    let csrf = browser
        .get(&choice)
        .await
        .field("csrf_token")
        .expect("a CSRF token on the page");
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    browser.post(url, &form).await
}

async fn console_authorization(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_tenant("globex");
    let admin = app.create_account("acme", "admin@example.com", PASSWORD);
    let clerk = app.create_account("acme", "clerk@example.com", PASSWORD);
    let nobody = app.create_account("acme", "nobody@example.com", PASSWORD);
    app.create_account("globex", "admin@example.com", PASSWORD);
    grant(&app, "acme", &admin, &["tenant:admin"]);
    grant(&app, "acme", &clerk, &["accounts:read"]);
    let client = app.create_client("acme", &["--redirect-uri", "https://rp.example.com/cb"]);
    let client_id = client["client_id"].as_str().unwrap();
    let user_id = nobody["id"].as_str().unwrap();
    let globex_client =
        app.create_client("globex", &["--redirect-uri", "https://rp.example.com/cb"]);
    let globex_account = app.create_account("globex", "x@example.com", PASSWORD);

    let pages: Vec<(String, Option<&str>)> = vec![
        ("/admin".into(), None),
        ("/admin/clients".into(), Some("clients")),
        (format!("/admin/clients/{client_id}"), Some("clients")),
        ("/admin/accounts".into(), Some("accounts")),
        (format!("/admin/accounts/{user_id}"), Some("accounts")),
        ("/admin/roles".into(), Some("roles")),
        ("/admin/settings".into(), Some("settings")),
        ("/admin/keys".into(), Some("keys")),
        ("/admin/audit".into(), Some("audit")),
        ("/admin/audit/export".into(), Some("audit")),
    ];
    // 401 without a session, with a way to sign in.
    let anonymous = Browser::default();
    for (path, _) in &pages {
        let page = anonymous.get(&app.tenant_url("acme", path)).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(page.html.contains("login?next=admin"), "{path}");
        assert_eq!(page.headers["cache-control"], "no-store");
    }
    // 403 for a profile without any administration permission.
    let (nobody_browser, landed) = console_sign_in(&app, "acme", "nobody@example.com").await;
    assert_eq!(landed.status, StatusCode::FORBIDDEN);
    for (path, _) in &pages {
        let page = nobody_browser.get(&app.tenant_url("acme", path)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    // The clerk sees accounts only.
    let (clerk_browser, landed) = console_sign_in(&app, "acme", "clerk@example.com").await;
    assert_eq!(landed.status, StatusCode::OK);
    assert!(landed.html.contains("/admin/accounts"));
    assert!(
        !landed.html.contains("/admin/keys"),
        "no links to forbidden sections"
    );
    for (path, section) in &pages {
        let page = clerk_browser.get(&app.tenant_url("acme", path)).await;
        let expected = match section {
            None | Some("accounts") => StatusCode::OK,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(page.status, expected, "{path}");
    }
    // Sensitive values are masked until asked for.
    let list = clerk_browser
        .get(&app.tenant_url("acme", "/admin/accounts"))
        .await;
    assert!(list.html.contains("n••••@example.com"), "{}", list.html);
    assert!(!list.html.contains("nobody@example.com"));
    // Without pii:read there is nothing to reveal, whatever the address says.
    assert!(!list.html.contains("Show personal data"), "{}", list.html);
    let refused = clerk_browser
        .get(&app.tenant_url("acme", "/admin/accounts?reveal=1&reason=curious"))
        .await;
    assert!(!refused.html.contains("nobody@example.com"));
    // With it, showing asks why and leaves an audit entry with the reason.
    app.cli_json(&["role", "create", "--tenant", "acme", "privacy", "--json"]);
    app.cli_json(&[
        "role", "permit", "--tenant", "acme", "privacy", "pii:read", "--json",
    ]);
    app.cli_json(&[
        "role",
        "grant",
        "--tenant",
        "acme",
        "privacy",
        "--profile",
        clerk["profiles"][0]["id"].as_str().unwrap(),
        "--json",
    ]);
    let list = clerk_browser
        .get(&app.tenant_url("acme", "/admin/accounts"))
        .await;
    assert!(list.html.contains("Show personal data"), "{}", list.html);
    let no_reason = clerk_browser
        .get(&app.tenant_url("acme", "/admin/accounts?reveal=1"))
        .await;
    assert!(!no_reason.html.contains("nobody@example.com"));
    let revealed = clerk_browser
        .get(&app.tenant_url("acme", "/admin/accounts?reveal=1&reason=ticket%204711"))
        .await;
    assert!(
        revealed.html.contains("nobody@example.com"),
        "{}",
        revealed.html
    );
    let log = String::from_utf8_lossy(&app.cli(&["audit", "export", "--tenant", "acme"]).stdout)
        .into_owned();
    assert_eq!(log.matches("\"pii.reveal\"").count(), 1, "{log}");
    assert!(log.contains("ticket 4711"), "{log}");
    // Emails are sealed: search finds a whole address (any case), and a part of one gets a
    // clear answer instead of a silent empty list.
    let exact = clerk_browser
        .get(&app.tenant_url(
            "acme",
            "/admin/accounts?email=NOBODY@example.com&reveal=1&reason=ticket%204712",
        ))
        .await;
    assert!(exact.html.contains("nobody@example.com"), "{}", exact.html);
    assert!(!exact.html.contains("admin@example.com"), "{}", exact.html);
    let partial = clerk_browser
        .get(&app.tenant_url("acme", "/admin/accounts?email=example"))
        .await;
    assert_eq!(partial.status, StatusCode::OK);
    assert!(
        partial.html.contains("whole email address"),
        "{}",
        partial.html
    );
    assert!(
        partial.html.contains("value=\"example\""),
        "{}",
        partial.html
    );
    // Read access does not let the clerk act, even with a valid CSRF token.
    let acted = post(
        &clerk_browser,
        &list,
        &app.tenant_url("acme", &format!("/admin/accounts/{user_id}/suspend")),
        &[],
    )
    .await;
    assert_eq!(acted.status, StatusCode::FORBIDDEN);

    // The administrator sees everything; another tenant's objects are not found.
    let (admin_browser, landed) = console_sign_in(&app, "acme", "admin@example.com").await;
    assert_eq!(landed.status, StatusCode::OK);
    for (path, _) in &pages {
        let page = admin_browser.get(&app.tenant_url("acme", path)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
    }
    for path in [
        format!(
            "/admin/clients/{}",
            globex_client["client_id"].as_str().unwrap()
        ),
        format!("/admin/accounts/{}", globex_account["id"].as_str().unwrap()),
        "/admin/clients/nonexistent".into(),
    ] {
        let page = admin_browser.get(&app.tenant_url("acme", &path)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
    }
    let foreign = post(
        &admin_browser,
        &landed,
        &app.tenant_url(
            "acme",
            &format!(
                "/admin/accounts/{}/suspend",
                globex_account["id"].as_str().unwrap()
            ),
        ),
        &[],
    )
    .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    // Acme's administrator has no session at globex: its console is closed to them.
    let other = admin_browser.get(&app.tenant_url("globex", "/admin")).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    // Every form needs the CSRF token.
    for path in [
        "/admin/clients".to_owned(),
        format!("/admin/clients/{client_id}/delete"),
        format!("/admin/accounts/{user_id}/suspend"),
        "/admin/roles".into(),
        "/admin/settings/branding".into(),
        "/admin/keys/rotate".into(),
        "/admin/profile".into(),
    ] {
        let page = admin_browser
            .post(&app.tenant_url("acme", &path), &[("name", "x")])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    let account = app.cli_json(&["account", "show", "--tenant", "acme", user_id, "--json"]);
    assert_eq!(
        account["status"], "active",
        "nothing was changed by refused requests"
    );
}
both_engines!(console_authorization);

async fn console_actions(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let admin = app.create_account("acme", "admin@example.com", PASSWORD);
    let user = app.create_account("acme", "user@example.com", PASSWORD);
    grant(&app, "acme", &admin, &["tenant:admin"]);
    let admin_profile = admin["profiles"][0]["id"].as_str().unwrap();
    let (browser, landed) = console_sign_in(&app, "acme", "admin@example.com").await;
    let url = |path: &str| app.tenant_url("acme", path);

    // Create a machine client: the secret is shown once and works.
    let created = post(
        &browser,
        &landed,
        &url("/admin/clients"),
        &[
            ("name", "Reports"),
            ("client_type", "confidential"),
            ("grant_client_credentials", "on"),
            ("consent", "required"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.html);
    let client_id = created
        .html
        .split("<dt>Client ID</dt><dd>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the client id")
        .to_owned();
    let secret = created
        .html
        .split("<code>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret")
        .to_owned();
    machine_token(&app, "acme", &client_id, &secret).await;
    // Invalid input shows the form again with the reason.
    let refused = post(
        &browser,
        &landed,
        &url("/admin/clients"),
        &[
            ("name", "Web"),
            ("grant_authorization_code", "on"),
            ("redirect_uris", "http://evil.example.com/cb"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.html.contains("https"), "{}", refused.html);
    // Deleting needs the typed name.
    let page = browser
        .get(&url(&format!("/admin/clients/{client_id}")))
        .await;
    let wrong = post(
        &browser,
        &page,
        &url(&format!("/admin/clients/{client_id}/delete")),
        &[("name", "Report")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let shown = app.cli_json(&["client", "show", "--tenant", "acme", &client_id, "--json"]);
    assert_eq!(shown["name"], "Reports");
    let deleted = post(
        &browser,
        &page,
        &url(&format!("/admin/clients/{client_id}/delete")),
        &[("name", "Reports")],
    )
    .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let list = browser.get(deleted.location.as_deref().unwrap()).await;
    assert!(list.html.contains("The client was deleted."));

    // Suspend an account: its owner is refused at sign-in.
    let user_id = user["id"].as_str().unwrap();
    let suspended = post(
        &browser,
        &landed,
        &url(&format!("/admin/accounts/{user_id}/suspend")),
        &[],
    )
    .await;
    assert_eq!(suspended.status, StatusCode::SEE_OTHER);
    let login = Browser::default();
    let form = login.get(&url("/login?next=account")).await;
    let refused = login
        .submit(
            &form,
            &[("email", "user@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.html.contains("cannot sign in"));

    // Rotate the keys: more keys are listed.
    let keys_before = app.cli_json(&["keys", "list", "--tenant", "acme", "--json"]);
    let rotated = post(
        &browser,
        &landed,
        &url("/admin/keys/rotate"),
        &[("alg", "ES256")],
    )
    .await;
    assert_eq!(rotated.status, StatusCode::SEE_OTHER);
    let keys_after = app.cli_json(&["keys", "list", "--tenant", "acme", "--json"]);
    assert_eq!(
        keys_after.as_array().unwrap().len(),
        keys_before.as_array().unwrap().len() + 1
    );

    // Branding reaches the hosted pages.
    let branded = post(
        &browser,
        &landed,
        &url("/admin/settings/branding"),
        &[
            ("name", "Acme Corp"),
            ("accent_color", "#123456"),
            ("logo_url", ""),
            (
                "texts",
                "en login-submit = Enter Acme\r\n\r\nes login-title = Entrar",
            ),
        ],
    )
    .await;
    assert_eq!(branded.status, StatusCode::SEE_OTHER);
    // The tenant's own texts: shown back one per line, and on the sign-in page.
    let settings = browser.get(&url("/admin/settings")).await;
    assert!(
        settings
            .html
            .contains("en login-submit = Enter Acme\nes login-title = Entrar"),
        "{}",
        settings.html
    );
    let garbled = post(
        &browser,
        &landed,
        &url("/admin/settings/branding"),
        &[("name", "Acme Corp"), ("texts", "en login-submit Enter")],
    )
    .await;
    assert_eq!(garbled.status, StatusCode::BAD_REQUEST);
    assert!(garbled.html.contains("LANG ID = TEXT"), "{}", garbled.html);
    let bad = post(
        &browser,
        &landed,
        &url("/admin/settings/branding"),
        &[("name", "Acme"), ("accent_color", "blue")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    eventually("the accent colour", || {
        let app = &app;
        async move {
            app.get_tenant("acme", "/assets/brand.css")
                .await
                .text()
                .await
                .unwrap()
                .contains("#123456")
                && app
                    .get_tenant("acme", "/login?next=account")
                    .await
                    .text()
                    .await
                    .unwrap()
                    .contains(">Enter Acme</button>")
        }
    })
    .await;
    // Policies: the box left unchecked turns sign-up off; numbers are validated.
    let policy = post(
        &browser,
        &landed,
        &url("/admin/settings/policy"),
        &[
            ("password_min_length", "16"),
            ("mfa", "optional"),
            ("email_verification", "optional"),
        ],
    )
    .await;
    assert_eq!(policy.status, StatusCode::SEE_OTHER);
    let tenant = app.cli_json(&["tenant", "show", "acme", "--json"]);
    assert_eq!(tenant["policy"]["password_min_length"], 16, "{tenant}");
    let wrong = post(
        &browser,
        &landed,
        &url("/admin/settings/policy"),
        &[("password_min_length", "sixteen")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);

    // Roles: create one and give it to the user's profile.
    let user_profile = user["profiles"][0]["id"].as_str().unwrap();
    post(
        &browser,
        &landed,
        &url("/admin/roles"),
        &[("role", "auditors")],
    )
    .await;
    post(
        &browser,
        &landed,
        &url("/admin/roles/permit"),
        &[("role", "auditors"), ("permission", "audit:read")],
    )
    .await;
    let granted = post(
        &browser,
        &landed,
        &url("/admin/roles/grant"),
        &[
            ("role", "auditors"),
            ("holder", "profile"),
            ("holder_id", user_profile),
        ],
    )
    .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER);
    let shown = browser
        .get(&url(&format!("/admin/accounts/{user_id}")))
        .await;
    assert!(shown.html.contains("auditors"), "{}", shown.html);

    // The audit log shows it all, by this administrator, and exports it.
    let audit = browser
        .get(&url(&format!("/admin/audit?actor={admin_profile}")))
        .await;
    for action in [
        "client.create",
        "client.delete",
        "account.suspend",
        "keys.rotate",
        "settings.branding",
        "settings.policy",
        "role.create",
        "role.permit",
        "role.grant",
    ] {
        assert!(audit.html.contains(action), "{action} missing");
    }
    assert!(
        audit.html.contains("hidden"),
        "details are masked by default"
    );
    let export = browser
        .client
        .get(url("/admin/audit/export?action=client."))
        .send()
        .await
        .unwrap();
    assert_eq!(export.headers()["content-type"], "application/x-ndjson");
    let lines = export.text().await.unwrap();
    assert_eq!(lines.lines().count(), 2, "{lines}");
    assert!(!lines.contains(&secret), "no secrets in the log");
}
both_engines!(console_actions);

async fn console_profile_choice(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", "ada@example.com", PASSWORD);
    let id = account["id"].as_str().unwrap();
    let work = app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        id,
        "--name",
        "Work",
        "--json",
    ]);
    let work_id = work["id"].as_str().unwrap();
    // Only the Work profile administers.
    grant(
        &app,
        "acme",
        &serde_json::json!({ "profiles": [work] }),
        &["tenant:admin"],
    );
    let browser = Browser::default();
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=admin"))
        .await;
    browser
        .submit(
            &login,
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    // Two profiles: the console asks which one acts.
    let console = browser.get(&app.tenant_url("acme", "/admin")).await;
    assert_eq!(console.status, StatusCode::SEE_OTHER);
    let choice = browser.get(console.location.as_deref().unwrap()).await;
    assert_eq!(choice.status, StatusCode::OK);
    assert!(choice.html.contains("Work"));
    let default = account["profiles"][0]["id"].as_str().unwrap();
    let chosen = browser.submit(&choice, &[("profile_id", default)]).await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    let refused = browser.get(&app.tenant_url("acme", "/admin")).await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "the default profile has no role"
    );
    // A profile of another account cannot be chosen.
    let other = app.create_account("acme", "eve@example.com", PASSWORD);
    let foreign = browser
        .submit(
            &choice,
            &[("profile_id", other["profiles"][0]["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::OK, "the form is shown again");
    assert_eq!(
        browser.get(&app.tenant_url("acme", "/admin")).await.status,
        StatusCode::FORBIDDEN
    );
    browser.submit(&choice, &[("profile_id", work_id)]).await;
    let allowed = browser.get(&app.tenant_url("acme", "/admin")).await;
    assert_eq!(allowed.status, StatusCode::OK);
    assert!(allowed.html.contains(work_id), "acting as the Work profile");
    // Each accepted choice is audited, with the profile chosen; the refused one is not.
    let export = app.cli(&["audit", "export", "--tenant", "acme"]);
    let chosen: Vec<String> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|entry| entry["action"] == "profile.select")
        .map(|entry| entry["target"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(chosen, vec![default.to_owned(), work_id.to_owned()]);
}
both_engines!(console_profile_choice);
