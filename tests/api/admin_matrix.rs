//! The admin REST API, end to end and as an authorization matrix generated from its own
//! OpenAPI document: every documented operation answers 401 without a token (or with another
//! tenant's), 403 without its permission, and something other than 401/403/5xx with exactly
//! the permission it documents. Objects of another tenant are 404.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::helpers::{eventually, Engine, TestApp};

const PERMISSIONS: [&str; 11] = [
    "tenant:admin",
    "clients:read",
    "clients:write",
    "accounts:read",
    "accounts:write",
    "roles:write",
    "settings:write",
    "keys:write",
    "audit:read",
    "pii:read",
    "webhooks:write",
];

/// A client_credentials token for a machine client.
pub async fn machine_token(app: &TestApp, slug: &str, id: &str, secret: &str) -> String {
    let response = app
        .post_form(
            slug,
            "/token",
            &[("grant_type", "client_credentials")],
            Some((id, secret)),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// A machine client holding a role with exactly `permissions`; returns (client_id, token).
pub async fn machine_admin(app: &TestApp, slug: &str, permissions: &[&str]) -> (String, String) {
    let (id, secret) = app.machine_client(slug);
    if !permissions.is_empty() {
        let role = format!("role-{id}");
        app.cli_json(&["role", "create", "--tenant", slug, &role, "--json"]);
        for permission in permissions {
            app.cli_json(&[
                "role", "permit", "--tenant", slug, &role, permission, "--json",
            ]);
        }
        app.cli_json(&[
            "role", "grant", "--tenant", slug, &role, "--client", &id, "--json",
        ]);
    }
    let token = machine_token(app, slug, &id, &secret).await;
    (id, token)
}

pub async fn call(
    app: &TestApp,
    method: Method,
    slug: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut request = app.client.request(
        method,
        app.tenant_url(slug, &format!("/admin/api/v1{path}")),
    );
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    )
}

/// An admin API call that must succeed; its answer.
pub async fn expect_ok(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> Value {
    let (status, answer, _) = call(app, method, "acme", path, Some(token), Some(body)).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.to_ascii_uppercase().as_bytes()).unwrap()
}

/// Every path parameter replaced by an id that exists nowhere.
fn placeholder(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "nonexistent"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn admin_api_matrix(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_tenant("globex");
    let (_, no_permission) = machine_admin(&app, "acme", &[]).await;
    let (_, unrelated) = machine_admin(&app, "acme", &["invoices:read"]).await;
    let (_, foreign_admin) = machine_admin(&app, "globex", &["tenant:admin"]).await;

    let document = app
        .client
        .get(app.tenant_url("acme", "/admin/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(document.status(), StatusCode::OK);
    let document: Value = document.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(
        document["servers"][0]["url"],
        format!("{}/admin/api/v1", app.issuer("acme"))
    );
    let paths = document["paths"].as_object().unwrap();
    let mut operations = Vec::new();
    for (path, item) in paths {
        for (verb, operation) in item.as_object().unwrap() {
            operations.push((path.clone(), verb.clone(), operation.clone()));
        }
    }
    assert!(operations.len() >= 30, "{} operations", operations.len());
    // Every referenced schema is defined.
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &reference[..reference.find('"').unwrap()];
        assert!(
            document["components"]["schemas"][name].is_object(),
            "schema {name} is referenced but not defined"
        );
    }

    // One token per permission, each holding only that permission.
    let mut holders = std::collections::HashMap::new();
    for permission in PERMISSIONS {
        holders.insert(
            permission,
            machine_admin(&app, "acme", &[permission]).await.1,
        );
    }

    for (path, verb, operation) in &operations {
        let Some(permission) = operation["x-permission"].as_str() else {
            assert_eq!(path, "/openapi.json", "only the document itself is public");
            continue;
        };
        assert!(PERMISSIONS.contains(&permission), "{permission}");
        let url = placeholder(path);
        let body = operation.get("requestBody").map(|_| json!({}));
        let what = format!("{verb} {path}");
        for token in [None, Some("garbage"), Some(foreign_admin.as_str())] {
            let (status, answer, headers) =
                call(&app, method(verb), "acme", &url, token, body.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what} with {token:?}");
            assert_eq!(answer["error"], "unauthorized", "{what}");
            assert_eq!(headers["cache-control"], "no-store");
            assert_eq!(
                headers["www-authenticate"],
                r#"Bearer, DPoP algs="RS256 ES256 EdDSA PS256""#
            );
        }
        for token in [&no_permission, &unrelated] {
            let (status, answer, _) =
                call(&app, method(verb), "acme", &url, Some(token), body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
            assert_eq!(answer["error"], "forbidden");
            assert!(answer["message"].as_str().unwrap().contains(permission));
        }
        // A permission of another area is not enough (tenant:admin always is).
        let other = if permission.starts_with("audit") {
            "clients:write"
        } else {
            "audit:read"
        };
        let (status, _, _) = call(
            &app,
            method(verb),
            "acme",
            &url,
            Some(&holders[other]),
            body.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what} with {other}");
        for allowed in [permission, "tenant:admin"] {
            let (status, answer, _) = call(
                &app,
                method(verb),
                "acme",
                &url,
                Some(&holders[allowed]),
                body.clone(),
            )
            .await;
            assert!(
                !matches!(status.as_u16(), 401 | 403) && !status.is_server_error(),
                "{what} with {allowed}: {status} {answer}"
            );
            if path.contains('{') {
                assert_eq!(status, StatusCode::NOT_FOUND, "{what}: {answer}");
                assert_eq!(answer["error"], "not_found");
            }
        }
    }

    // Another tenant's real objects are not found from here.
    let admin = &holders["tenant:admin"];
    let (globex_client, _) = app.machine_client("globex");
    let globex_account =
        app.create_account("globex", "someone@example.com", "a long enough password");
    let globex_account_id = globex_account["id"].as_str().unwrap();
    let globex_profile = globex_account["profiles"][0]["id"].as_str().unwrap();
    let globex_kid = app.cli_json(&["keys", "list", "--tenant", "globex", "--json"])[0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    app.cli_json(&["role", "create", "--tenant", "acme", "viewers", "--json"]);
    let globex_webhook = app.cli_json(&[
        "webhook",
        "create",
        "--tenant",
        "globex",
        "--url",
        "https://example.com/hook",
        "--events",
        "*",
        "--json",
    ])["subscription"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (verb, path) in [
        ("get", format!("/webhooks/{globex_webhook}")),
        ("patch", format!("/webhooks/{globex_webhook}")),
        ("delete", format!("/webhooks/{globex_webhook}")),
        ("post", format!("/webhooks/{globex_webhook}/secret")),
        ("post", format!("/webhooks/{globex_webhook}/redeliver")),
        ("get", format!("/webhooks/{globex_webhook}/deliveries")),
        ("get", format!("/clients/{globex_client}")),
        ("patch", format!("/clients/{globex_client}")),
        ("delete", format!("/clients/{globex_client}")),
        ("post", format!("/clients/{globex_client}/secret")),
        ("get", format!("/accounts/{globex_account_id}")),
        ("post", format!("/accounts/{globex_account_id}/suspend")),
        ("post", format!("/accounts/{globex_account_id}/sign-out")),
        ("post", format!("/accounts/{globex_account_id}/send-reset")),
        ("post", format!("/accounts/{globex_account_id}/reset-mfa")),
        ("put", format!("/roles/viewers/profiles/{globex_profile}")),
        ("put", format!("/roles/viewers/clients/{globex_client}")),
        ("post", format!("/keys/{globex_kid}/retire")),
    ] {
        let body = (verb == "patch").then(|| match path.starts_with("/webhooks") {
            true => json!({ "enabled": false }),
            false => json!({ "name": "taken over" }),
        });
        let (status, _, _) = call(&app, method(verb), "acme", &path, Some(admin), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{verb} {path}");
    }
    // …and nothing of theirs changed.
    let account = app.cli_json(&[
        "account",
        "show",
        "--tenant",
        "globex",
        globex_account_id,
        "--json",
    ]);
    assert_eq!(account["status"], "active");
    let client = app.cli_json(&[
        "client",
        "show",
        "--tenant",
        "globex",
        &globex_client,
        "--json",
    ]);
    assert_eq!(client["name"], "Test client");
    let webhooks = app.cli_json(&["webhook", "list", "--tenant", "globex", "--json"]);
    assert_eq!(webhooks[0]["id"], globex_webhook.as_str());
    assert_eq!(webhooks[0]["enabled"], true);
}
both_engines!(admin_api_matrix);

async fn admin_api_operations(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (admin_id, admin) = machine_admin(&app, "acme", &["tenant:admin"]).await;
    let token = Some(admin.as_str());
    let user = app.create_account("acme", "user@example.com", "a long enough password");
    let user_id = user["id"].as_str().unwrap().to_owned();

    // Clients: create (secret once), change, rotate the secret, delete.
    let (status, created, _) = call(
        &app,
        Method::POST,
        "acme",
        "/clients",
        token,
        Some(json!({ "name": "Billing", "grant_types": ["client_credentials"] })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let client_id = created["client"]["client_id"].as_str().unwrap().to_owned();
    let first_secret = created["client_secret"].as_str().unwrap().to_owned();
    machine_token(&app, "acme", &client_id, &first_secret).await;
    let (status, changed, _) = call(
        &app,
        Method::PATCH,
        "acme",
        &format!("/clients/{client_id}"),
        token,
        Some(json!({ "name": "Billing service" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed["name"], "Billing service");
    let (status, rotated, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/clients/{client_id}/secret"),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, first_secret);
    machine_token(&app, "acme", &client_id, new_secret).await;
    let old = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&client_id, &first_secret)),
        )
        .await;
    assert_eq!(
        old.status(),
        StatusCode::UNAUTHORIZED,
        "the old secret stopped working"
    );

    // Invalid input: a clear 400, nothing stored.
    for (body, needle) in [
        (json!({ "name": "" }), "name"),
        (
            json!({ "name": "x", "redirect_uris": ["http://evil.example.com/cb"] }),
            "https",
        ),
        (json!({ "name": "x", "colour": "red" }), "unknown field"),
    ] {
        let (status, answer, headers) = call(
            &app,
            Method::POST,
            "acme",
            "/clients",
            token,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["error"], "invalid_request");
        assert!(
            answer["message"].as_str().unwrap().contains(needle),
            "{answer}"
        );
        assert_eq!(headers["cache-control"], "no-store");
    }
    let raw = app
        .client
        .post(app.tenant_url("acme", "/admin/api/v1/clients"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);

    // Roles: a client holding a role gets its permissions in client_credentials tokens.
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        "/roles",
        token,
        Some(json!({ "name": "billing" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, role, _) = call(
        &app,
        Method::PUT,
        "acme",
        "/roles/billing/permissions/invoices:write",
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(role["permissions"], json!(["invoices:write"]));
    let (status, held, _) = call(
        &app,
        Method::PUT,
        "acme",
        &format!("/roles/billing/clients/{client_id}"),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(held["roles"], json!(["billing"]));
    let machine = machine_token(&app, "acme", &client_id, new_secret).await;
    let claims = crate::attacks_support::claims(&machine);
    assert_eq!(claims["permissions"], json!(["invoices:write"]));
    assert_eq!(claims["roles"], json!(["billing"]));
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        "/roles",
        token,
        Some(json!({ "name": "billing" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Roles paginate like every list (a role per machine administrator exists already).
    let (_, first, _) = call(&app, Method::GET, "acme", "/roles?limit=1", token, None).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let after = first["next"].as_str().expect("more roles").to_owned();
    let (_, second, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/roles?after={after}"),
        token,
        None,
    )
    .await;
    assert!(second["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["name"].as_str().unwrap() > after.as_str()));

    // roles:write alone never leads to more: administration permissions can only be handed
    // out by someone holding them.
    let (_, role_writer) = machine_admin(&app, "acme", &["roles:write"]).await;
    let writer = Some(role_writer.as_str());
    let (status, _, _) = call(
        &app,
        Method::PUT,
        "acme",
        "/roles/billing/permissions/tenant:admin",
        writer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no self-promotion");
    let (status, _, _) = call(
        &app,
        Method::PUT,
        "acme",
        "/roles/billing/permissions/keys:write",
        writer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(
        &app,
        Method::PUT,
        "acme",
        "/roles/billing/permissions/reports:read",
        writer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "application permissions are fine");
    let admin_role = format!("role-{admin_id}");
    let (status, _, _) = call(
        &app,
        Method::PUT,
        "acme",
        &format!("/roles/{admin_role}/clients/{client_id}"),
        writer,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a role holding tenant:admin cannot be handed out"
    );
    let (status, _, _) = call(
        &app,
        Method::DELETE,
        "acme",
        &format!("/roles/{admin_role}"),
        writer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Accounts: search, detail, actions.
    let (status, found, _) = call(
        &app,
        Method::GET,
        "acme",
        "/accounts?email=USER@EXAMPLE.COM",
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["items"][0]["id"], user_id.as_str());
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let (status, partial, _) = call(
        &app,
        Method::GET,
        "acme",
        "/accounts?email=%25",
        token,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "emails are sealed: only a whole address is searched"
    );
    assert_eq!(partial["error"], "invalid_request");
    let (status, detail, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/accounts/{user_id}"),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["profiles"][0]["name"], user["profiles"][0]["name"]);
    assert!(
        !detail.to_string().contains("password"),
        "no credentials: {detail}"
    );
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{user_id}/send-reset"),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mail_dir = crate::helpers::data_dir(&app.db).join("mail");
    eventually("the reset mail", || {
        let dir = mail_dir.clone();
        async move {
            std::fs::read_dir(&dir)
                .map(|entries| entries.count() > 0)
                .unwrap_or(false)
        }
    })
    .await;
    for action in ["reset-mfa", "sign-out"] {
        let (status, _, _) = call(
            &app,
            Method::POST,
            "acme",
            &format!("/accounts/{user_id}/{action}"),
            token,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{action}");
    }
    let (status, answer, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{user_id}/resume"),
        token,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "only a suspended account resumes: {answer}"
    );
    let (status, suspended, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{user_id}/suspend"),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(suspended["status"], "suspended");
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{user_id}/send-reset"),
        token,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "no reset links for suspended accounts"
    );

    // Settings: policies (validated) and branding, used by the hosted pages.
    let (status, settings, _) = call(
        &app,
        Method::PATCH,
        "acme",
        "/settings/policy",
        token,
        Some(json!({ "password_min_length": 14, "mfa": "required" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["policy"]["password_min_length"], 14);
    assert_eq!(settings["policy"]["mfa"], "required");
    let (status, answer, _) = call(
        &app,
        Method::PATCH,
        "acme",
        "/settings/policy",
        token,
        Some(json!({ "password_min_length": 3 })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, settings, _) = call(&app, Method::PUT, "acme", "/settings/branding", token, Some(json!({ "name": "Acme Corp", "accent_color": "#AA3300", "logo_url": "https://cdn.example.com/acme.svg" }))).await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["branding"]["accent_color"], "#aa3300");
    let (status, _, _) = call(
        &app,
        Method::PUT,
        "acme",
        "/settings/branding",
        token,
        Some(json!({ "name": "Acme", "logo_url": "javascript:alert(1)" })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    eventually("the branding on hosted pages", || {
        let app = &app;
        async move {
            let css = app
                .get_tenant("acme", "/assets/brand.css")
                .await
                .text()
                .await
                .unwrap();
            let login = app
                .get_tenant("acme", "/login?next=account")
                .await
                .text()
                .await
                .unwrap();
            css.contains("--accent: #aa3300")
                && css.contains("https://cdn.example.com/acme.svg")
                && login.contains("Acme Corp")
        }
    })
    .await;

    // Keys: rotate one algorithm, retire the old key; an active key cannot be retired.
    let (_, before, _) = call(&app, Method::GET, "acme", "/keys", token, None).await;
    assert!(before["next"].is_null(), "one page of keys");
    let old_es256 = before["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "ES256" && k["status"] == "active")
        .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, rotated, _) = call(
        &app,
        Method::POST,
        "acme",
        "/keys/rotate",
        token,
        Some(json!({ "algs": ["ES256"] })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let new_kid = rotated[0]["kid"].as_str().unwrap().to_owned();
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/keys/{new_kid}/retire"),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, retired, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/keys/{old_es256}/retire"),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(retired["status"], "retired");

    // Delete the client last; then it is gone.
    let (status, _, _) = call(
        &app,
        Method::DELETE,
        "acme",
        &format!("/clients/{client_id}"),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/clients/{client_id}"),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every change is audited with the admin client as actor; filters and export work.
    let (status, log, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/audit?actor={admin_id}&limit=200"),
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "client.create",
        "client.update",
        "client.rotate_secret",
        "client.delete",
        "role.create",
        "role.permit",
        "role.grant",
        "account.send_reset",
        "account.reset_mfa",
        "account.sign_out_everywhere",
        "account.suspend",
        "settings.policy",
        "settings.branding",
        "keys.rotate",
        "keys.retire",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    assert!(
        log["items"][0]["seq"].as_i64() > log["items"][1]["seq"].as_i64(),
        "newest first"
    );
    let (_, only_clients, _) = call(
        &app,
        Method::GET,
        "acme",
        "/audit?action=client.&limit=2",
        token,
        None,
    )
    .await;
    assert_eq!(only_clients["items"].as_array().unwrap().len(), 2);
    assert!(only_clients["next"].is_string());
    assert!(only_clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"].as_str().unwrap().starts_with("client.")));
    let (_, older, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!(
            "/audit?action=client.&limit=2&after={}",
            only_clients["next"].as_str().unwrap()
        ),
        token,
        None,
    )
    .await;
    assert!(older["items"][0]["seq"].as_i64() < only_clients["items"][1]["seq"].as_i64());
    let (status, export, headers) = call(
        &app,
        Method::GET,
        "acme",
        "/audit/export?action=keys.",
        token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = export
        .as_str()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.len() >= 2
            && lines
                .iter()
                .all(|e| e["action"].as_str().unwrap().starts_with("keys."))
    );
    assert!(
        !app.cli(&["audit", "export", "--tenant", "acme"])
            .stdout
            .windows(new_secret.len())
            .any(|w| w == new_secret.as_bytes()),
        "no secrets in the log"
    );
    let verify = app.cli(&["audit", "verify", "--tenant", "acme"]);
    assert!(
        verify.status.success(),
        "{}",
        crate::helpers::stderr(&verify)
    );
}
both_engines!(admin_api_operations);
