//! Real-browser tests: headless Chromium driven over WebDriver through the hosted pages and
//! the console. Each page is screenshotted under target/browser-screenshots/, checked for
//! console errors (CSP violations, failed loads) and for usability at 375 px.

use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::admin_console::grant;
use crate::attacks_support::{claims, manual_key, tokens, totp_code};
use crate::both_engines;
use crate::flow::pkce;
use crate::helpers::{Engine, TestApp};
use crate::webdriver::{self, Driver};

const PASSWORD: &str = "correct horse battery staple";

/// A relying party's callback: answers every request with a small page.
async fn relying_party() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>RP</title></head><body><p>Back at the application.</p></body></html>";
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    port
}

/// The text between `start` and the next `<` in the page source.
fn text_after(source: &str, start: &str) -> String {
    let from = source
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"))
        + start.len();
    source[from..from + source[from..].find('<').unwrap()].to_owned()
}

/// The ID token's claims for a code the browser brought back to the app.
async fn redeem(
    app: &TestApp,
    code: &str,
    callback: &str,
    verifier: &str,
    client: (&str, &str),
) -> Value {
    let response = app
        .post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", callback),
                ("code_verifier", verifier),
            ],
            Some(client),
        )
        .await;
    let issued = tokens(response).await;
    claims(issued["id_token"].as_str().unwrap())
}

/// Screenshot, console check and phone check of the current page.
async fn check(driver: &Driver, name: &str) {
    driver.screenshot(name).await;
    driver.assert_no_console_errors(name).await;
    driver.assert_usable_on_phone(name).await;
}

/// Forgets the tenant's session and browser cookies. WebDriver deletes only the cookies the
/// current page can see, and they are scoped to the tenant's path: go there first.
async fn clear_cookies(driver: &Driver, app: &TestApp) {
    driver
        .goto(&app.tenant_url("acme", "/assets/brand.css"))
        .await;
    driver.delete_cookies().await;
}

async fn sign_in_flow_and_console(engine: Engine) {
    if !webdriver::available() {
        return;
    }
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.cli_json(&["tenant", "policy", "acme", "--mfa", "required", "--json"]);
    let ada = app.create_account("acme", "ada@example.com", PASSWORD);
    let ada_id = ada["id"].as_str().unwrap().to_owned();
    let personal = app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        &ada_id,
        "--name",
        "Personal",
        "--json",
    ]);
    let personal_id = personal["id"].as_str().unwrap().to_owned();
    let rp_port = relying_party().await;
    let callback = format!("http://127.0.0.1:{rp_port}/cb");
    let client = app.create_client("acme", &["--redirect-uri", &callback]);
    let (client_id, secret) = (
        client["client_id"].as_str().unwrap().to_owned(),
        client["client_secret"].as_str().unwrap().to_owned(),
    );
    let driver = Driver::start(&format!("flow-{engine:?}").to_lowercase()).await;

    // First sign-in: password, then the required second factor is set up.
    let (verifier, challenge) = pkce();
    let authorize = format!(
        "{}?response_type=code&client_id={client_id}&redirect_uri={callback}&scope=openid%20profile&state=s1&nonce=n1&code_challenge={challenge}&code_challenge_method=S256",
        app.tenant_url("acme", "/authorize")
    );
    driver.goto(&authorize).await;
    driver.url_with("/login").await;
    check(&driver, "login").await;
    driver.fill("input[name=email]", "ada@example.com").await;
    driver.fill("input[name=password]", PASSWORD).await;
    driver.click("button[type=submit]").await;
    let source = driver.source_with("manual-key").await;
    check(&driver, "mfa-enroll").await;
    driver
        .fill("input[name=code]", &totp_code(&manual_key(&source), 0))
        .await;
    driver.click("button[type=submit]").await;
    let source = driver.source_with("<li><code>").await;
    check(&driver, "recovery-codes").await;
    let recovery = text_after(&source, "<li><code>");
    driver.click("button[type=submit]").await;
    // Several profiles: the picker asks.
    driver.url_with("/select-profile").await;
    check(&driver, "select-profile").await;
    driver
        .click(&format!("label[for=profile-{personal_id}]"))
        .await;
    driver.click("button[type=submit]").await;
    driver.url_with("/consent").await;
    check(&driver, "consent").await;
    driver.click("button[value=allow]").await;
    let back = url::Url::parse(&driver.url_with(&callback).await).unwrap();
    assert_eq!(back.port(), Some(rp_port), "{back}");
    let params: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "s1");
    assert_eq!(params["iss"], app.issuer("acme"));
    let id_token = redeem(
        &app,
        &params["code"],
        &callback,
        &verifier,
        (&client_id, &secret),
    )
    .await;
    assert_eq!(id_token["profile_id"], personal_id.as_str());
    assert_eq!(id_token["amr"], serde_json::json!(["pwd", "otp"]));

    // Second sign-in in a fresh browser state: the second factor is asked (a recovery code
    // here: the TOTP step just used is refused), then the picker and the redirect.
    clear_cookies(&driver, &app).await;
    driver
        .goto(&authorize.replace("state=s1", "state=s2"))
        .await;
    driver.fill("input[name=email]", "ada@example.com").await;
    driver.fill("input[name=password]", PASSWORD).await;
    driver.click("button[type=submit]").await;
    driver.url_with("/mfa").await;
    check(&driver, "mfa").await;
    driver.fill("input[name=code]", &recovery).await;
    driver.click("button[type=submit]").await;
    driver.url_with("/select-profile").await;
    check(&driver, "select-profile-again").await;
    // Consent was given for the Personal profile: choosing it again skips the question.
    driver
        .click(&format!("label[for=profile-{personal_id}]"))
        .await;
    driver.click("button[type=submit]").await;
    driver.url_with(&callback).await;
    let back = driver.url().await;
    assert!(
        back.starts_with(&callback) && back.contains("state=s2"),
        "consent remembered: {back}"
    );

    // The administrator: console sign-in, a new client, a suspension, a key rotation.
    let admin = app.create_account("acme", "admin@example.com", PASSWORD);
    grant(&app, "acme", &admin, &["tenant:admin"]);
    app.cli_json(&["tenant", "policy", "acme", "--mfa", "optional", "--json"]);
    // Policy changes reach the hosted pages within the tenant cache's second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    clear_cookies(&driver, &app).await;
    driver.goto(&app.tenant_url("acme", "/admin")).await;
    check_status_page(&driver, "console-signed-out").await;
    driver.click("a[href$='login?next=admin']").await;
    driver.fill("input[name=email]", "admin@example.com").await;
    driver.fill("input[name=password]", PASSWORD).await;
    driver.click("button[type=submit]").await;
    driver.url_with(&app.tenant_url("acme", "/admin")).await;
    driver.source_with("Administration").await;
    check(&driver, "console-overview").await;

    driver.goto(&app.tenant_url("acme", "/admin/clients")).await;
    check(&driver, "console-clients").await;
    driver.fill("#new-client-name", "Nightly export").await;
    driver.click("#new-client-grant_authorization_code").await;
    driver.click("#new-client-grant_refresh_token").await;
    driver.click("#new-client-grant_client_credentials").await;
    driver.click("form#new-client button[type=submit]").await;
    let source = driver.source_with("The client was created.").await;
    check(&driver, "console-client-created").await;
    let new_id = text_after(&source, "<dt>Client ID</dt><dd>");
    let new_secret = text_after(&source, "<p><code>");
    let machine = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&new_id, &new_secret)),
        )
        .await;
    assert_eq!(machine.status(), StatusCode::OK, "the new client works");

    driver
        .goto(&app.tenant_url("acme", "/admin/accounts?email=ada@example.com"))
        .await;
    check(&driver, "console-accounts").await;
    driver.click("td a").await;
    driver.url_with(&format!("/admin/accounts/{ada_id}")).await;
    check(&driver, "console-account").await;
    driver
        .click(&format!(
            "form[action$='/accounts/{ada_id}/suspend'] button"
        ))
        .await;
    driver.source_with("The account was suspended").await;
    check(&driver, "console-account-suspended").await;

    driver.goto(&app.tenant_url("acme", "/admin/keys")).await;
    let before = driver.source().await.matches("<tr>").count();
    driver.click("form#rotate button[type=submit]").await;
    let after = driver.source_with("New signing keys are active.").await;
    assert_eq!(
        after.matches("<tr>").count(),
        before + 3,
        "one new key per algorithm"
    );
    check(&driver, "console-keys").await;

    for page in ["roles", "settings", "audit"] {
        driver
            .goto(&app.tenant_url("acme", &format!("/admin/{page}")))
            .await;
        check(&driver, &format!("console-{page}")).await;
    }
    assert!(driver.source().await.contains("account.suspend"));

    // The suspended user is refused.
    clear_cookies(&driver, &app).await;
    driver
        .goto(&authorize.replace("state=s1", "state=s3"))
        .await;
    driver.fill("input[name=email]", "ada@example.com").await;
    driver.fill("input[name=password]", PASSWORD).await;
    driver.click("button[type=submit]").await;
    driver.source_with("cannot sign in").await;
    driver.url_with("/login").await;
    check(&driver, "login-refused").await;
    driver.quit().await;
}
both_engines!(sign_in_flow_and_console);

/// A page answered with an error status: Chromium logs the status itself as a console error,
/// so only other errors count.
async fn check_status_page(driver: &Driver, name: &str) {
    driver.screenshot(name).await;
    let errors: Vec<Value> = driver
        .console()
        .await
        .into_iter()
        .filter(|m| m["level"] == "SEVERE")
        .filter(|m| {
            !m["message"]
                .as_str()
                .unwrap_or_default()
                .contains("the server responded with a status of")
        })
        .collect();
    assert!(errors.is_empty(), "console errors on {name}: {errors:?}");
    driver.assert_usable_on_phone(name).await;
}

/// The newcomer's first hour in Chromium, each page checked like the hosted pages: the
/// platform's setup link, the tenants list, creating a tenant with an invited administrator,
/// the invitation, the console, the first application registered there, a user signing in
/// to it in German, and the platform administrator's second factor.
async fn platform_console_in_chromium(engine: Engine) {
    if !webdriver::available() {
        return;
    }
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let link = app.cli_json(&["admin", "setup-link", "--json"])["setup_link"]
        .as_str()
        .unwrap()
        .to_owned();
    let driver = Driver::start(&format!("platform-{engine:?}").to_lowercase()).await;
    driver.goto(&format!("{}/platform", app.address)).await;
    check_status_page(&driver, "platform-not-set-up").await;
    driver.goto(&link).await;
    check(&driver, "platform-setup").await;
    driver.fill("input[name=email]", "root@example.com").await;
    driver.fill("input[name=password]", PASSWORD).await;
    driver.click("form#setup button[type=submit]").await;
    driver.source_with("No tenants yet.").await;
    check(&driver, "platform-tenants-empty").await;
    driver.fill("#new-tenant-slug", "acme").await;
    driver.fill("#new-tenant-name", "Acme Corp").await;
    driver
        .fill("#new-tenant-admin_email", "boss@acme.example")
        .await;
    driver.click("form#new-tenant button[type=submit]").await;
    driver.source_with("mailed an invitation").await;
    check(&driver, "platform-tenants").await;
    driver.click("td a").await;
    driver.url_with("/platform/tenants/acme").await;
    check(&driver, "platform-tenant").await;
    // The invited administrator's page, then the console they land on.
    let mail = crate::invitations::next_invitation(&app, "boss@acme.example", &[]).await;
    driver.goto(&mail.link).await;
    driver.source_with("invited to administer Acme Corp").await;
    check(&driver, "invitation").await;
    driver.fill("input[name=password]", PASSWORD).await;
    driver.click("main form button[type=submit]").await;
    driver.url_with("/t/acme/admin").await;
    driver.source_with("tenant:admin").await;
    check(&driver, "console-after-invitation").await;

    // The new administrator registers the first application in the console.
    let rp_port = relying_party().await;
    let callback = format!("http://127.0.0.1:{rp_port}/cb");
    driver.goto(&app.tenant_url("acme", "/admin/clients")).await;
    driver.fill("#new-client-name", "Acme Shop").await;
    driver.fill("#new-client-redirect_uris", &callback).await;
    driver.click("form#new-client button[type=submit]").await;
    let source = driver.source_with("The client was created.").await;
    check(&driver, "console-first-client").await;
    let client_id = text_after(&source, "<dt>Client ID</dt><dd>");
    let secret = text_after(&source, "<p><code>");

    // A user signs in to it in German: the sign-in page's language switcher, then the
    // consent page in the same language, then back at the application with a code.
    app.create_account("acme", "lena@acme.example", PASSWORD);
    clear_cookies(&driver, &app).await;
    let (verifier, challenge) = pkce();
    driver
        .goto(&format!(
            "{}?response_type=code&client_id={client_id}&redirect_uri={callback}&scope=openid%20email&state=de1&nonce=n1&code_challenge={challenge}&code_challenge_method=S256",
            app.tenant_url("acme", "/authorize")
        ))
        .await;
    driver.url_with("/login").await;
    driver.click("a[hreflang=de]").await;
    driver.source_with(r#"<html lang="de">"#).await;
    driver.source_with("um mit Acme Shop fortzufahren").await;
    check(&driver, "login-de").await;
    driver.fill("input[name=email]", "lena@acme.example").await;
    driver.fill("input[name=password]", PASSWORD).await;
    driver.click("main form button[type=submit]").await;
    driver.url_with("/consent").await;
    driver.source_with("Acme Shop erlauben?").await;
    driver.source_with("Ihre E-Mail-Adresse sehen").await;
    check(&driver, "consent-de").await;
    driver.click("button[value=allow]").await;
    let back = url::Url::parse(&driver.url_with(&callback).await).unwrap();
    let params: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "de1");
    let id_token = redeem(
        &app,
        &params["code"],
        &callback,
        &verifier,
        (&client_id, &secret),
    )
    .await;
    assert_eq!(id_token["email"], "lena@acme.example");

    driver
        .goto(&format!("{}/platform/tenants/acme", app.address))
        .await;
    driver.source_with("Active").await;
    driver
        .goto(&format!("{}/platform/security", app.address))
        .await;
    check(&driver, "platform-security").await;
    driver.click("form#mfa-start button[type=submit]").await;
    driver.source_with("<svg").await;
    check(&driver, "platform-mfa-setup").await;
    driver.quit().await;
}
both_engines!(platform_console_in_chromium);

/// The privacy pages in Chromium: a person who signed in to an app sees it under connected
/// apps, reads their data as a page, removes the app's access, then deletes their account.
async fn privacy_pages_in_chromium(engine: Engine) {
    if !webdriver::available() {
        return;
    }
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "ada@example.com", PASSWORD);
    let rp_port = relying_party().await;
    let callback = format!("http://127.0.0.1:{rp_port}/cb");
    for (key, name, required, words) in [
        ("terms", "Terms of service", true, "Be kind to the machine."),
        (
            "marketing",
            "Marketing e-mail",
            false,
            "News about the engine, monthly.",
        ),
    ] {
        let mut args = vec![
            "purpose", "create", "--tenant", "acme", key, "--name", name, "--text", words, "--json",
        ];
        if required {
            args.push("--required");
        }
        app.cli_json(&args);
    }
    let client = app.create_client(
        "acme",
        &[
            "--redirect-uri",
            &callback,
            "--purpose",
            "terms",
            "--purpose",
            "marketing",
        ],
    );
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let driver = Driver::start(&format!("privacy-{engine:?}").to_lowercase()).await;

    let (_, challenge) = pkce();
    driver
        .goto(&format!(
            "{}?response_type=code&client_id={client_id}&redirect_uri={callback}&scope=openid%20profile&state=s1&nonce=n1&code_challenge={challenge}&code_challenge_method=S256",
            app.tenant_url("acme", "/authorize")
        ))
        .await;
    driver.url_with("/login").await;
    driver.fill("input[name=email]", "ada@example.com").await;
    driver.fill("input[name=password]", PASSWORD).await;
    driver.click("button[type=submit]").await;
    driver.url_with("/consent").await;
    let consent = driver.source_with("Terms of service").await;
    assert!(consent.contains("Be kind to the machine."));
    assert!(consent.contains("Choosing Allow accepts the required terms above."));
    check(&driver, "consent-purposes").await;
    // The optional purpose is ticked through its label, as a person would.
    driver.click("label[for=accept-marketing]").await;
    driver.click("button[value=allow]").await;
    driver.url_with(&callback).await;

    driver.goto(&app.tenant_url("acme", "/account")).await;
    driver.source_with("Test client").await;
    let account = driver.source_with("Your consents").await;
    assert!(account.contains("Accepted version 1"), "{account}");
    check(&driver, "account-privacy").await;
    driver
        .click("form[action$='/account/purposes/withdraw'] button")
        .await;
    driver.source_with("Your consent was withdrawn").await;
    let account = driver.source_with("Withdrawn version 1").await;
    assert!(
        !account.contains("/account/purposes/withdraw"),
        "nothing left to withdraw"
    );

    driver.fill("#export-password", PASSWORD).await;
    driver.click("button[value=html]").await;
    // The account page has a "Your data" heading too: wait for the export's own words.
    let source = driver
        .source_with("Everything acme Inc. holds about your account")
        .await;
    assert!(source.contains("ada@example.com"));
    assert!(source.contains("consent.grant"), "the activity is listed");
    check(&driver, "export").await;

    driver.goto(&app.tenant_url("acme", "/account")).await;
    driver
        .click("form[action$='/account/apps/revoke'] button")
        .await;
    driver.source_with("access was removed").await;
    let source = driver.source_with("No app has access").await;
    assert!(!source.contains("Test client"));

    driver.fill("#delete-password", PASSWORD).await;
    driver.click("form[action$='/account/delete'] button").await;
    driver.source_with("Your account will be deleted").await;
    check(&driver, "account-deleted").await;
    driver.goto(&app.tenant_url("acme", "/account")).await;
    driver.url_with("/login").await;
    driver.quit().await;

    let log = String::from_utf8_lossy(&app.cli(&["audit", "export", "--tenant", "acme"]).stdout)
        .into_owned();
    for action in [
        "consent.purposes",
        "consent.withdraw",
        "consent.revoke",
        "account.export",
        "account.erase_scheduled",
    ] {
        assert!(log.contains(action), "{action} missing: {log}");
    }
}
both_engines!(privacy_pages_in_chromium);

/// Split and merge in Chromium: from the account page (give a profile its own account; merge
/// a second account after signing in to it in the same form) and from the console (move a
/// profile; merge through the preview).
async fn lifecycle_pages_in_chromium(engine: Engine) {
    if !webdriver::available() {
        return;
    }
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let ada = app.create_account("acme", "ada@example.com", PASSWORD);
    let ada_id = ada["id"].as_str().unwrap().to_owned();
    let profile = |account: &str, name: &str| {
        let created = app.cli_json(&[
            "profile",
            "create",
            "--tenant",
            "acme",
            "--account",
            account,
            "--name",
            name,
            "--json",
        ]);
        created["id"].as_str().unwrap().to_owned()
    };
    let kid = profile(&ada_id, "Kid");
    let grandpa = profile(&ada_id, "Grandpa");
    app.create_account("acme", "ada.work@example.com", PASSWORD);
    app.create_account("acme", "ada.old@example.com", PASSWORD);
    let operator = app.create_account("acme", "operator@example.com", PASSWORD);
    grant(
        &app,
        "acme",
        &operator,
        &["accounts:read", "accounts:write"],
    );
    let driver = Driver::start(&format!("lifecycle-{engine:?}").to_lowercase()).await;

    // The person: sign in, give Kid its own account.
    driver
        .goto(&app.tenant_url("acme", "/login?next=account"))
        .await;
    driver.fill("input[name=email]", "ada@example.com").await;
    driver.fill("input[name=password]", PASSWORD).await;
    driver.click("button[type=submit]").await;
    driver
        .source_with("Give this profile its own account")
        .await;
    let card = format!("section:has(#move-email-{kid})");
    driver.click(&format!("{card} summary")).await;
    driver
        .fill(&format!("#move-email-{kid}"), "kid@example.com")
        .await;
    driver
        .fill(&format!("#move-password-{kid}"), PASSWORD)
        .await;
    check(&driver, "account-split-form").await;
    driver
        .click(&format!(
            "{card} form[action$='/account/profile/move'] button"
        ))
        .await;
    let page = driver.source_with("The profile moved").await;
    assert!(!page.contains(&kid), "Kid is no longer on this account");

    // The person: merge the work account, proving it in the same form.
    driver.fill("#merge-email", "ada.work@example.com").await;
    driver.fill("#merge-password", PASSWORD).await;
    driver
        .click("form[action$='/account/merge/prove'] button")
        .await;
    driver
        .source_with("These profiles of ada.work@example.com")
        .await;
    check(&driver, "merge-preview").await;
    driver
        .click("form[action$='/account/merge/confirm'] button")
        .await;
    driver.source_with("profiles are here now").await;

    // The console: move Grandpa, then merge the old account through the preview.
    clear_cookies(&driver, &app).await;
    driver
        .goto(&app.tenant_url("acme", "/login?next=admin"))
        .await;
    driver
        .fill("input[name=email]", "operator@example.com")
        .await;
    driver.fill("input[name=password]", PASSWORD).await;
    driver.click("button[type=submit]").await;
    driver.url_with("/admin").await;
    driver
        .goto(&app.tenant_url("acme", &format!("/admin/accounts/{ada_id}")))
        .await;
    driver.source_with("Move a profile to a new account").await;
    driver
        .script(&format!(
            "document.querySelector(\"form[action$='/move-profile'] select[name=profile_id]\").value = '{grandpa}';"
        ))
        .await;
    driver
        .fill(
            "form[action$='/move-profile'] input[name=email]",
            "grandpa@example.com",
        )
        .await;
    driver.click("form[action$='/move-profile'] button").await;
    driver
        .source_with("The profile moved to this new account")
        .await;
    driver
        .goto(&app.tenant_url("acme", &format!("/admin/accounts/{ada_id}")))
        .await;
    driver
        .fill(
            "form[action$='/merge'] input[name=from]",
            "ada.old@example.com",
        )
        .await;
    driver.click("form[action$='/merge'] button").await;
    driver.source_with("Profiles that move").await;
    check(&driver, "console-merge-preview").await;
    driver
        .click("form[action$='/merge'][method=post] button")
        .await;
    driver.source_with("The accounts were merged").await;
    driver.quit().await;

    let profiles = app.cli_json(&[
        "profile",
        "list",
        "--tenant",
        "acme",
        "--account",
        "ada@example.com",
        "--json",
    ]);
    let names: Vec<&str> = profiles
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "ada, ada.work and ada.old: {names:?}");
    for moved in ["kid@example.com", "grandpa@example.com"] {
        let theirs = app.cli_json(&[
            "profile",
            "list",
            "--tenant",
            "acme",
            "--account",
            moved,
            "--json",
        ]);
        assert_eq!(theirs.as_array().unwrap().len(), 1, "{moved}");
    }
}
both_engines!(lifecycle_pages_in_chromium);
