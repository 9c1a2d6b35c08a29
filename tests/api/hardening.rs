//! Hardening found in a security review (issue "Hardening"): each test is written from the
//! attacker's side and failed before its fix.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::admin_matrix::{call, machine_admin};
use crate::attacks_support::tokens;
use crate::both_engines;
use crate::browser::Browser;
use crate::flow::{authorize_url, exchange, pkce, register_rp, sign_in, Rp};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn audit_count(app: &TestApp, action: &str) -> usize {
    let export = app.cli(&["audit", "export", "--tenant", "acme"]);
    String::from_utf8_lossy(&export.stdout)
        .lines()
        .filter(|line| serde_json::from_str::<Value>(line).unwrap()["action"] == action)
        .count()
}

/// A holder of `clients:write` tries to become more: rotate the secret of (or redirect,
/// or delete) a client that holds a stronger role, or an administration client, or mark a
/// client as one. Each is refused; ordinary clients stay theirs to manage.
async fn clients_write_cannot_take_over_stronger_clients(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (boss, boss_token) = machine_admin(&app, "acme", &["tenant:admin"]).await;
    let (_, ops) = machine_admin(&app, "acme", &["clients:write"]).await;
    let plain = register_rp(&app, "acme", &[]);
    let console = register_rp(&app, "acme", &["--administration"]);
    let ops = Some(ops.as_str());

    for target in [&boss, &console.id] {
        let path = format!("/clients/{target}");
        let (status, body, _) = call(
            &app,
            Method::POST,
            "acme",
            &format!("{path}/secret"),
            ops,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "rotate {target}: {body}");
        let evil = json!({ "redirect_uris": ["https://evil.example/cb"] });
        let (status, body, _) = call(&app, Method::PATCH, "acme", &path, ops, Some(evil)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "redirect {target}: {body}");
        let (status, body, _) = call(&app, Method::DELETE, "acme", &path, ops, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "delete {target}: {body}");
    }
    let mark = json!({ "administration": true });
    let plain_path = format!("/clients/{}", plain.id);
    let (status, _, _) = call(&app, Method::PATCH, "acme", &plain_path, ops, Some(mark)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "marking needs tenant:admin");
    let new = json!({ "name": "sneaky", "redirect_uris": [REDIRECT], "administration": true });
    let (status, _, _) = call(&app, Method::POST, "acme", "/clients", ops, Some(new)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "creating one needs tenant:admin"
    );

    // What clients:write is for still works, and the refusals changed nothing.
    let (status, body, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("{plain_path}/secret"),
        ops,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let shown = app.cli_json(&["client", "show", "--tenant", "acme", &console.id, "--json"]);
    assert_eq!(shown["redirect_uris"], json!([REDIRECT]));
    assert_eq!(shown["administration"], true);
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/clients/{boss}/secret"),
        Some(&boss_token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a tenant:admin may");
    assert_eq!(audit_count(&app, "client.rotate_secret"), 2);
    let plain_shown = app.cli_json(&["client", "show", "--tenant", "acme", &plain.id, "--json"]);
    assert_eq!(plain_shown["administration"], false);
}
both_engines!(clients_write_cannot_take_over_stronger_clients);

/// A profile holding `tenant:admin` and its browser session.
async fn signed_in_admin(app: &TestApp, rp: &Rp) -> Browser {
    let account = app.create_account("acme", "admin@example.com", PASSWORD);
    crate::admin_console::grant(app, "acme", &account, &["tenant:admin"]);
    let browser = Browser::default();
    let (_, challenge) = pkce();
    let back = sign_in(
        &browser,
        &authorize_url(app, "acme", rp, &challenge, &[]),
        "admin@example.com",
        PASSWORD,
    )
    .await;
    assert!(back.query_param("code").is_some(), "{:?}", back.location);
    browser
}

fn admin_url(app: &TestApp, rp: &Rp, challenge: &str, extra: &[(&str, &str)]) -> String {
    authorize_url(app, "acme", rp, challenge, extra)
        .replace("scope=openid+email+profile", "scope=openid+tessera%3Aadmin")
}

/// Any application can ask for `tessera:admin`; with `consent=skip` and `prompt=none`, an
/// administrator who merely visits it would hand over an admin token without seeing a page.
async fn admin_scope_needs_an_administration_client_and_consent(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let ordinary = register_rp(&app, "acme", &["--consent", "skip"]);
    let console = register_rp(&app, "acme", &["--consent", "skip", "--administration"]);
    let browser = signed_in_admin(&app, &ordinary).await;
    let (verifier, challenge) = pkce();

    // An ordinary client may not even ask.
    let asked = browser
        .get(&admin_url(
            &app,
            &ordinary,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        asked.query_param("error").as_deref(),
        Some("invalid_scope"),
        "{:?}",
        asked.location
    );

    // An administration client gets nothing silently, and a page even though it skips consent.
    let silent = browser
        .get(&admin_url(
            &app,
            &console,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        silent.query_param("error").as_deref(),
        Some("consent_required"),
        "{:?}",
        silent.location
    );
    let page = browser
        .follow(
            browser
                .get(&admin_url(&app, &console, &challenge, &[]))
                .await,
            REDIRECT,
        )
        .await;
    assert!(
        page.html.contains("Administer this organisation"),
        "{}",
        page.html
    );
    let back = browser.submit(&page, &[("decision", "allow")]).await;
    let code = back.query_param("code").expect("a code after consent");
    let admin_token = tokens(exchange(&app, "acme", &console, &code, Some(&verifier)).await).await
        ["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, _) = call(
        &app,
        Method::GET,
        "acme",
        "/clients",
        Some(&admin_token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // With the consent on record, prompt=none works.
    let again = browser
        .get(&admin_url(
            &app,
            &console,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert!(again.query_param("code").is_some(), "{:?}", again.location);

    // Unmarking the client stops its administrators' tokens at once.
    app.cli_json(&[
        "client",
        "update",
        "--tenant",
        "acme",
        &console.id,
        "--administration",
        "false",
        "--json",
    ]);
    let (status, body, _) = call(
        &app,
        Method::GET,
        "acme",
        "/clients",
        Some(&admin_token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "insufficient_scope");
}
both_engines!(admin_scope_needs_an_administration_client_and_consent);
