//! The admin REST API's first slice: one authorization step (401 / 403 / 404), pagination,
//! account suspension by an administrator, and permissions read fresh on every request.

use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;

use crate::attacks_support::tokens;
use crate::both_engines;
use crate::browser::Browser;
use crate::flow::{authorize_url, exchange, pkce, register_rp, Rp};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";

/// A user's access token; with `admin`, issued with the admin API's scope.
async fn token_for(app: &TestApp, slug: &str, rp: &Rp, email: &str, admin: bool) -> String {
    let browser = Browser::default();
    let (verifier, challenge) = pkce();
    let mut url = authorize_url(app, slug, rp, &challenge, &[]);
    if admin {
        url = url.replace("scope=openid+email+profile", "scope=openid+tessera%3Aadmin");
    }
    // The admin scope's consent is always asked for.
    let back = crate::flow::sign_in(&browser, &url, email, PASSWORD).await;
    let code = back
        .query_param("code")
        .unwrap_or_else(|| panic!("{:?}", back.location));
    tokens(exchange(app, slug, rp, &code, Some(&verifier)).await).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn access_token(app: &TestApp, slug: &str, rp: &Rp, email: &str) -> String {
    token_for(app, slug, rp, email, true).await
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    slug: &str,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut request = app.client.request(
        method,
        app.tenant_url(slug, &format!("/admin/api/v1{path}")),
    );
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        headers,
    )
}

async fn admin_api_authorization(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_tenant("globex");
    let admin = app.create_account("acme", "admin@example.com", PASSWORD);
    let user = app.create_account("acme", "user@example.com", PASSWORD);
    app.create_account("globex", "admin@example.com", PASSWORD);
    let admin_profile = admin["profiles"][0]["id"].as_str().unwrap().to_owned();
    app.cli_json(&["role", "create", "--tenant", "acme", "admins", "--json"]);
    for permission in ["clients:read", "accounts:write"] {
        app.cli_json(&[
            "role", "permit", "--tenant", "acme", "admins", permission, "--json",
        ]);
    }
    app.cli_json(&[
        "role",
        "grant",
        "--tenant",
        "acme",
        "admins",
        "--profile",
        &admin_profile,
        "--json",
    ]);
    let rp = register_rp(&app, "acme", &["--consent", "skip", "--administration"]);
    let extra = register_rp(&app, "acme", &[]);
    let globex_rp = register_rp(&app, "globex", &["--consent", "skip", "--administration"]);
    let admin_token = access_token(&app, "acme", &rp, "admin@example.com").await;
    let user_token = access_token(&app, "acme", &rp, "user@example.com").await;
    let foreign_token = access_token(&app, "globex", &globex_rp, "admin@example.com").await;
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    // 401 without or with a bad token, or another tenant's token.
    for token in [None, Some("not-a-token"), Some(foreign_token.as_str())] {
        let (status, body, headers) = call(&app, get.clone(), "acme", "/clients", token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(body["error"], "unauthorized");
        // Both schemes are offered: Bearer, and DPoP for bound tokens (RFC 9449 §7.1).
        assert_eq!(
            headers["www-authenticate"],
            r#"Bearer, DPoP algs="RS256 ES256 EdDSA PS256""#
        );
        assert_eq!(headers["cache-control"], "no-store");
    }
    // A user's token issued for an ordinary sign-in (no tessera:admin scope) is refused even
    // for an administrator: an application they signed in to cannot administer with it.
    let plain = token_for(&app, "acme", &rp, "admin@example.com", false).await;
    let (status, body, headers) = call(&app, get.clone(), "acme", "/clients", Some(&plain)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "insufficient_scope");
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    // 403 without the permission.
    let (status, body, _) = call(&app, get.clone(), "acme", "/clients", Some(&user_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["message"].as_str().unwrap().contains("clients:read"));
    // 200 with it, paginated.
    let (status, page, _) = call(
        &app,
        get.clone(),
        "acme",
        "/clients?limit=1",
        Some(&admin_token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let next = page["next"].as_str().expect("a next page").to_owned();
    let (_, second, _) = call(
        &app,
        get.clone(),
        "acme",
        &format!("/clients?limit=1&after={next}"),
        Some(&admin_token),
    )
    .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next"].is_null());
    let ids: Vec<&str> = [&page, &second]
        .iter()
        .map(|p| p["items"][0]["client_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&rp.id.as_str()) && ids.contains(&extra.id.as_str()));
    assert!(!page.to_string().contains(&rp.secret), "no secrets");
    // 404 for another tenant's object.
    let (status, _, _) = call(
        &app,
        get.clone(),
        "acme",
        &format!("/clients/{}", globex_rp.id),
        Some(&admin_token),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, one, _) = call(
        &app,
        get.clone(),
        "acme",
        &format!("/clients/{}", rp.id),
        Some(&admin_token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["client_id"], rp.id.as_str());

    // An administrator suspends an account; the audit log names the administrator.
    let user_id = user["id"].as_str().unwrap();
    let (status, _, _) = call(
        &app,
        post.clone(),
        "acme",
        &format!("/accounts/{user_id}/suspend"),
        Some(&user_token),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body, _) = call(
        &app,
        post.clone(),
        "acme",
        &format!("/accounts/{user_id}/suspend"),
        Some(&admin_token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "suspended");
    let export = app.cli(&["audit", "export", "--tenant", "acme"]);
    let audit = String::from_utf8_lossy(&export.stdout);
    let suspension: Value = audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["action"] == "account.suspend")
        .expect("audited");
    assert_eq!(suspension["actor"], admin_profile.as_str());
    // Role changes made at the command line are recorded too, with the actor `cli`.
    for action in ["role.create", "role.permit", "role.grant"] {
        assert!(
            audit.lines().any(|l| {
                let e: Value = serde_json::from_str(l).unwrap();
                e["action"] == action && e["actor"] == "cli"
            }),
            "{action} by the CLI is audited"
        );
    }
    let (status, _, _) = call(
        &app,
        post.clone(),
        "acme",
        "/accounts/nobody/suspend",
        Some(&admin_token),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Taking the role away works at once, even for a token minted before.
    app.cli_json(&[
        "role",
        "revoke",
        "--tenant",
        "acme",
        "admins",
        "--profile",
        &admin_profile,
        "--json",
    ]);
    let (status, _, _) = call(&app, get, "acme", "/clients", Some(&admin_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
both_engines!(admin_api_authorization);

/// Data-subject requests through the API: an account's details and consent ledger need
/// `accounts:read` and come masked; unmasked they need `pii:read` and a reason (audited), and
/// so does an export; erasing needs `accounts:write`, happens once, and is final.
async fn privacy_requests_need_their_permissions(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let clerk = app.create_account("acme", "clerk@example.com", PASSWORD);
    let officer = app.create_account("acme", "officer@example.com", PASSWORD);
    let user = app.create_account("acme", "user@example.com", PASSWORD);
    crate::admin_console::grant(&app, "acme", &clerk, &["accounts:read"]);
    crate::admin_console::grant(
        &app,
        "acme",
        &officer,
        &["accounts:read", "accounts:write", "pii:read"],
    );
    let rp = register_rp(&app, "acme", &["--consent", "skip", "--administration"]);
    let app_rp = register_rp(&app, "acme", &[]);
    token_for(&app, "acme", &app_rp, "user@example.com", false).await;
    let clerk_token = access_token(&app, "acme", &rp, "clerk@example.com").await;
    let officer_token = access_token(&app, "acme", &rp, "officer@example.com").await;
    let user_id = user["id"].as_str().unwrap();
    let (get, delete) = (reqwest::Method::GET, reqwest::Method::DELETE);

    let (status, consents, _) = call(
        &app,
        get.clone(),
        "acme",
        &format!("/accounts/{user_id}/consents"),
        Some(&clerk_token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{consents}");
    assert_eq!(
        consents["connected_apps"][0]["client_id"],
        app_rp.id.as_str()
    );
    assert_eq!(consents["history"][0]["decision"], "granted");
    assert_eq!(consents["history"][0]["ip"], "••••", "masked");
    let account = format!("/accounts/{user_id}");
    let (_, masked, _) = call(&app, get.clone(), "acme", &account, Some(&clerk_token)).await;
    assert_eq!(masked["email"], "u••••@example.com");
    let reveal = format!("{account}?reveal_reason=ticket%2042");
    let (status, _, _) = call(&app, get.clone(), "acme", &reveal, Some(&clerk_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "pii:read is needed");
    let (_, shown, _) = call(&app, get.clone(), "acme", &reveal, Some(&officer_token)).await;
    assert_eq!(shown["email"], "user@example.com");
    let (status, _, _) = call(
        &app,
        get.clone(),
        "acme",
        &format!("{account}?reveal_reason=%20"),
        Some(&officer_token),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reason is needed");
    let export_path = format!("/accounts/{user_id}/export");
    let (status, _, _) = call(&app, get.clone(), "acme", &export_path, Some(&clerk_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, export, _) = call(
        &app,
        get.clone(),
        "acme",
        &export_path,
        Some(&officer_token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(export["schema"], "tessera.export/1");
    assert_eq!(export["account"]["email"], "user@example.com");

    let path = format!("/accounts/{user_id}");
    let (status, body, _) = call(&app, delete.clone(), "acme", &path, Some(&clerk_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = call(&app, delete.clone(), "acme", &path, Some(&officer_token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body, _) = call(&app, delete, "acme", &path, Some(&officer_token)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, detail, _) = call(&app, get, "acme", &path, Some(&clerk_token)).await;
    assert_eq!(detail["status"], "deleted");
    assert_eq!(detail["email"], "");
    assert_eq!(detail["profiles"], serde_json::json!([]));

    let log = String::from_utf8_lossy(&app.cli(&["audit", "export", "--tenant", "acme"]).stdout)
        .into_owned();
    assert_eq!(log.matches("\"account.export\"").count(), 1, "{log}");
    assert_eq!(log.matches("\"pii.reveal\"").count(), 1, "{log}");
    assert!(log.contains("ticket 42"), "{log}");
    assert_eq!(log.matches("\"account.erase\"").count(), 1, "{log}");
}
both_engines!(privacy_requests_need_their_permissions);
