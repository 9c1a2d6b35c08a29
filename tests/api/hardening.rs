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

/// A key server for clients' `jwks_uri`: `/jwks` answers the key set, `/broken` 500, `/huge`
/// a megabyte, `/slow` the key set after a pause. Counts the requests per route.
struct KeyServer {
    port: u16,
    hits: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
}

impl KeyServer {
    fn start(jwks: Value) -> KeyServer {
        use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>> =
            Default::default();
        let counted = hits.clone();
        let server = HttpServer::new(move || {
            let (jwks, counted) = (jwks.clone(), counted.clone());
            App::new().default_service(web::to(move |req: HttpRequest| {
                let (jwks, counted) = (jwks.clone(), counted.clone());
                async move {
                    let path = req.path().to_owned();
                    *counted.lock().unwrap().entry(path.clone()).or_default() += 1;
                    match path.as_str() {
                        "/jwks" => HttpResponse::Ok().json(jwks),
                        "/huge" => {
                            HttpResponse::Ok()
                                .content_type("application/json")
                                .body(format!(
                                    "{{\"keys\": [], \"pad\": \"{}\"}}",
                                    "x".repeat(1 << 20)
                                ))
                        }
                        "/slow" => {
                            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                            HttpResponse::Ok().json(jwks)
                        }
                        _ => HttpResponse::InternalServerError().body("broken"),
                    }
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        KeyServer { port, hits }
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn key_client(app: &TestApp, jwks_uri: &str) -> String {
    let created = app.create_client(
        "acme",
        &[
            "--grant",
            "client_credentials",
            "--auth-method",
            "private_key_jwt",
            "--jwks-uri",
            jwks_uri,
        ],
    );
    created["client_id"].as_str().unwrap().to_owned()
}

async fn assert_generic_refusal(response: reqwest::Response, what: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{what}");
    assert_eq!(
        body["error_description"], "client authentication failed",
        "{what}: nothing about the fetch reaches the caller"
    );
}

/// A client registers a `jwks_uri` on the operator's own network (loopback by address and by
/// name) and authenticates: Tessera must not contact it, and must not say why it failed.
async fn jwks_uri_cannot_reach_the_internal_network(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let key = crate::variants::ClientKey::new();
    let server = KeyServer::start(key.jwks());
    let token_endpoint = app.issuer("acme") + "/token";
    for (n, uri) in [
        format!("http://127.0.0.1:{}/jwks", server.port),
        format!("http://localhost:{}/jwks", server.port),
    ]
    .iter()
    .enumerate()
    {
        let id = key_client(&app, uri);
        let assertion = key.assertion(&id, &token_endpoint, 60, &format!("ssrf-{n}"));
        let response = crate::variants::assertion_token(&app, &assertion, &[]).await;
        assert_generic_refusal(response, uri).await;
    }
    assert_eq!(
        server.hits("/jwks"),
        0,
        "the internal server was never contacted"
    );
}
both_engines!(jwks_uri_cannot_reach_the_internal_network);

/// A client's key server fails, answers a megabyte, or is slow. Failures are remembered (one
/// attempt per back-off, not one per request), the megabyte is refused, and while Tessera
/// waits for the slow one it holds no database connection: with a pool of one, another
/// client's token request is served meanwhile.
async fn jwks_fetches_are_bounded(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| {
        s.outbound.allow_networks = vec!["127.0.0.0/8".parse().unwrap()];
        s.database.pool_size = 1;
        s.database.connect_timeout_secs = 1;
    })
    .await;
    app.create_tenant("acme");
    let key = crate::variants::ClientKey::new();
    let server = KeyServer::start(key.jwks());
    let token_endpoint = app.issuer("acme") + "/token";
    let base = format!("http://127.0.0.1:{}", server.port);

    let broken = key_client(&app, &format!("{base}/broken"));
    for n in 0..3 {
        let assertion = key.assertion(&broken, &token_endpoint, 60, &format!("broken-{n}"));
        let response = crate::variants::assertion_token(&app, &assertion, &[]).await;
        assert_generic_refusal(response, "broken").await;
    }
    assert_eq!(server.hits("/broken"), 1, "the failure is remembered");

    let huge = key_client(&app, &format!("{base}/huge"));
    let assertion = key.assertion(&huge, &token_endpoint, 60, "huge");
    let response = crate::variants::assertion_token(&app, &assertion, &[]).await;
    assert_generic_refusal(response, "huge").await;

    let slow = key_client(&app, &format!("{base}/slow"));
    let (machine, secret) = app.machine_client("acme");
    let app = std::sync::Arc::new(app);
    let waiting = {
        let app = app.clone();
        let assertion = key.assertion(&slow, &token_endpoint, 60, "slow");
        tokio::spawn(async move {
            crate::variants::assertion_token(&app, &assertion, &[])
                .await
                .status()
        })
    };
    crate::helpers::eventually("the slow key server is asked", || {
        let asked = server.hits("/slow") == 1;
        async move { asked }
    })
    .await;
    let meanwhile = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&machine, &secret)),
        )
        .await;
    assert_eq!(
        meanwhile.status(),
        StatusCode::OK,
        "served while the fetch waits"
    );
    assert_eq!(
        waiting.await.unwrap(),
        StatusCode::OK,
        "the slow keys still count"
    );
}
both_engines!(jwks_fetches_are_bounded);

/// Bodies, parameter counts and values far beyond what any request needs: each is refused
/// with a 4xx before any work is done (the duplicate check used to compare every pair of
/// parameters, before the client was authenticated).
async fn oversized_requests_are_refused_early(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (_, admin) = machine_admin(&app, "acme", &["tenant:admin"]).await;
    let form = "application/x-www-form-urlencoded";
    let post = |path: &str, body: String| {
        app.client
            .post(app.tenant_url("acme", path))
            .header("content-type", form)
            .body(body)
            .send()
    };
    let many = (0..150)
        .map(|i| format!("p{i}=1"))
        .collect::<Vec<_>>()
        .join("&");
    let ten_thousand = (0..10_000)
        .map(|i| format!("p{i}=1"))
        .collect::<Vec<_>>()
        .join("&");
    let long_value = format!(
        "grant_type=client_credentials&scope={}",
        "x".repeat(9 * 1024)
    );
    let big_body = format!(
        "grant_type=client_credentials&pad={}",
        "x".repeat(17 * 1024)
    );
    for path in ["/token", "/introspect", "/revoke"] {
        let response = post(path, many.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{path}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("more than 100 parameters"),
            "{path}: {body}"
        );
        let response = post(path, long_value.clone()).await.unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{path}: {body}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("longer than"),
            "{body}"
        );
        for oversized in [&big_body, &ten_thousand] {
            let response = post(path, oversized.clone()).await.unwrap();
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        }
    }
    // The front channel: as a query and as a form.
    let authorize = app.tenant_url("acme", "/authorize");
    let response = app
        .client
        .get(format!("{authorize}?{many}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    for path in ["/authorize", "/logout"] {
        let response = post(path, big_body.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    // Hosted forms: a browser with its cookie (without one, the CSRF check refuses first).
    let browser = Browser::default();
    let login = app.tenant_url("acme", "/login");
    browser.get(&login).await;
    let pad = "x".repeat(17 * 1024);
    let refused = browser
        .post(&login, &[("csrf_token", "x"), ("pad", &pad)])
        .await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    // The admin API takes larger bodies (registrations carry key sets), up to its own limit.
    let api = app.tenant_url("acme", "/admin/api/v1/clients");
    let large_json = json!({ "name": "x".repeat(100 * 1024), "redirect_uris": [REDIRECT] });
    let response = app
        .client
        .post(&api)
        .bearer_auth(&admin)
        .json(&large_json)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "read, then refused as invalid"
    );
    let huge_json = json!({ "name": "x".repeat(300 * 1024) });
    let response = app
        .client
        .post(&api)
        .bearer_auth(&admin)
        .json(&huge_json)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
both_engines!(oversized_requests_are_refused_early);

/// A helpdesk holding `accounts:write` tries to lock out, strip or sign out an administrator
/// holding more than it does. Each is refused; ordinary accounts stay its to manage.
async fn accounts_write_cannot_act_on_stronger_administrators(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let boss = app.create_account("acme", "boss@example.com", PASSWORD);
    crate::admin_console::grant(&app, "acme", &boss, &["tenant:admin"]);
    let user = app.create_account("acme", "user@example.com", PASSWORD);
    let (_, helpdesk) = machine_admin(&app, "acme", &["accounts:write"]).await;
    let helpdesk = Some(helpdesk.as_str());
    let actions = ["suspend", "reset-mfa", "sign-out", "send-reset"];
    let boss_id = boss["id"].as_str().unwrap();
    for action in actions {
        let path = format!("/accounts/{boss_id}/{action}");
        let (status, body, _) = call(&app, Method::POST, "acme", &path, helpdesk, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("tenant:admin"),
            "{body}"
        );
    }
    let shown = app.cli_json(&[
        "account",
        "show",
        "--tenant",
        "acme",
        "boss@example.com",
        "--json",
    ]);
    assert_eq!(shown["status"], "active");
    let user_id = user["id"].as_str().unwrap();
    for action in actions.iter().rev() {
        let path = format!("/accounts/{user_id}/{action}");
        let (status, body, _) = call(&app, Method::POST, "acme", &path, helpdesk, None).await;
        assert!(status.is_success(), "{action}: {status} {body}");
    }
    assert_eq!(audit_count(&app, "account.suspend"), 1, "only the user's");
}
both_engines!(accounts_write_cannot_act_on_stronger_administrators);

/// Signs in (or reuses the browser's session) and returns the tokens for `scope`.
async fn tokens_in(app: &TestApp, browser: &Browser, rp: &Rp, email: &str, scope: &str) -> Value {
    let (verifier, challenge) = pkce();
    let url = authorize_url(app, "acme", rp, &challenge, &[]).replace(
        "scope=openid+email+profile",
        &format!("scope={}", scope.replace(' ', "+")),
    );
    let back = sign_in(browser, &url, email, PASSWORD).await;
    let code = back.query_param("code").expect("a code");
    tokens(exchange(app, "acme", rp, &code, Some(&verifier)).await).await
}

async fn active(app: &TestApp, rp: &Rp, tokens: &Value) -> bool {
    let token = tokens["access_token"].as_str().unwrap();
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

/// Someone copied a user's tokens. The user signs out, signs out their other sessions,
/// changes the password: each must end the tokens it should, at once, not when they expire.
async fn ending_a_session_ends_its_tokens(engine: Engine) {
    const EMAIL: &str = "ada@example.com";
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let (a, b, c) = (Browser::default(), Browser::default(), Browser::default());

    // Logout ends the session's tokens; offline access outlives it.
    let a_online = tokens_in(&app, &a, &rp, EMAIL, "openid").await;
    let a_offline = tokens_in(&app, &a, &rp, EMAIL, "openid offline_access").await;
    assert!(active(&app, &rp, &a_online).await);
    let confirm = a.get(&app.tenant_url("acme", "/logout")).await;
    a.submit(&confirm, &[]).await;
    assert!(
        !active(&app, &rp, &a_online).await,
        "logout ends the session's tokens"
    );
    assert!(
        active(&app, &rp, &a_offline).await,
        "offline access outlives the session"
    );

    // "Sign out all other sessions" ends theirs, not this one's.
    let b_online = tokens_in(&app, &b, &rp, EMAIL, "openid").await;
    let c_online = tokens_in(&app, &c, &rp, EMAIL, "openid").await;
    let c_offline = tokens_in(&app, &c, &rp, EMAIL, "openid offline_access").await;
    let account = app.tenant_url("acme", "/account");
    let csrf = b.get(&account).await.field("csrf_token").unwrap();
    b.post(
        &format!("{account}/sessions/end-others"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert!(
        !active(&app, &rp, &c_online).await,
        "the other session's tokens end"
    );
    assert!(active(&app, &rp, &b_online).await, "this session's stay");
    assert!(active(&app, &rp, &c_offline).await);

    // A password change also ends every offline access.
    let page = b.get(&account).await;
    assert!(
        page.html.contains("ends the offline access"),
        "the page says so"
    );
    let csrf = page.field("csrf_token").unwrap();
    let changed = b
        .post(
            &format!("{account}/password"),
            &[
                ("csrf_token", &csrf),
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert!(changed.status.is_redirection(), "{}", changed.status);
    assert!(
        !active(&app, &rp, &a_offline).await,
        "offline access ends with the password"
    );
    assert!(!active(&app, &rp, &c_offline).await);
    assert!(
        active(&app, &rp, &b_online).await,
        "the browser that changed it stays"
    );
    let refresh = app
        .post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    a_offline["refresh_token"].as_str().unwrap(),
                ),
            ],
            Some((&rp.id, &rp.secret)),
        )
        .await;
    assert_eq!(refresh.status(), StatusCode::BAD_REQUEST);
}
both_engines!(ending_a_session_ends_its_tokens);

/// Any client of the tenant used to learn, by introspection, that another client's token is
/// active and whose it is. Now only the token's own client, or a resource server holding
/// `tokens:introspect`, gets more than `{"active": false}`.
async fn introspection_answers_only_the_tokens_client(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "ada@example.com", PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let nosy = register_rp(&app, "acme", &[]);
    let resource_server = register_rp(&app, "acme", &[]);
    app.cli_json(&[
        "role",
        "create",
        "--tenant",
        "acme",
        "introspector",
        "--json",
    ]);
    app.cli_json(&[
        "role",
        "permit",
        "--tenant",
        "acme",
        "introspector",
        "tokens:introspect",
        "--json",
    ]);
    app.cli_json(&[
        "role",
        "grant",
        "--tenant",
        "acme",
        "introspector",
        "--client",
        &resource_server.id,
        "--json",
    ]);
    let issued = tokens_in(
        &app,
        &Browser::default(),
        &rp,
        "ada@example.com",
        "openid offline_access",
    )
    .await;
    for token in ["access_token", "refresh_token"] {
        let value = issued[token].as_str().unwrap();
        let ask = |who: &Rp| {
            let (id, secret) = (who.id.clone(), who.secret.clone());
            let app = &app;
            async move {
                let response = app
                    .post_form(
                        "acme",
                        "/introspect",
                        &[("token", value)],
                        Some((&id, &secret)),
                    )
                    .await;
                response.json::<Value>().await.unwrap()
            }
        };
        let own = ask(&rp).await;
        assert_eq!(own["active"], true, "{token}: {own}");
        assert_eq!(own["client_id"], rp.id.as_str());
        assert_eq!(ask(&nosy).await, json!({ "active": false }), "{token}");
        assert_eq!(ask(&resource_server).await["active"], true, "{token}");
    }
}
both_engines!(introspection_answers_only_the_tokens_client);

/// An attacker holding an IPv6 /64 (what one subscriber usually gets) rotates through its
/// addresses to escape the per-address sign-in limit. The /64 is one bucket.
async fn ipv6_clients_are_limited_by_their_64(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| {
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        s.security.login_attempts_per_minute = 3;
        s.argon2.memory_kib = 8;
        s.argon2.iterations = 1;
    })
    .await;
    app.create_tenant("acme");
    app.create_account("acme", "ada@example.com", PASSWORD);
    let login = app.tenant_url("acme", "/login?next=account");
    let attempt = |address: String| {
        let login = login.clone();
        async move {
            let browser = Browser::at(&address);
            let form = browser.get(&login).await;
            let wrong = [
                ("email", "ada@example.com"),
                ("password", "not the password!!"),
            ];
            browser.submit(&form, &wrong).await.status
        }
    };
    let mut statuses = Vec::new();
    for n in 1..=4 {
        statuses.push(attempt(format!("2001:db8:1:2::{n:x}")).await);
    }
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    assert!(
        statuses[..3]
            .iter()
            .all(|s| *s != StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let neighbour = attempt("2001:db8:1:3::1".into()).await;
    assert_ne!(
        neighbour,
        StatusCode::TOO_MANY_REQUESTS,
        "another /64 is another bucket"
    );
}
both_engines!(ipv6_clients_are_limited_by_their_64);

/// The authorization request names a redirect URI; does the client's registration cover it?
/// `true` when the server goes on to sign-in, `false` when it shows the mismatch page.
async fn redirect_accepted(app: &TestApp, client_id: &str, redirect_uri: &str) -> bool {
    let (_, challenge) = pkce();
    let mut url = url::Url::parse(&app.tenant_url("acme", "/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid")
        .append_pair("state", "s")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let page = Browser::default().get(url.as_str()).await;
    match page.status {
        StatusCode::BAD_REQUEST => {
            assert!(page.html.contains("redirect_uri mismatch"), "{}", page.html);
            false
        }
        status => {
            assert!(status.is_redirection(), "{status}: {}", page.html);
            true
        }
    }
}

/// An attacker who can listen on another loopback port of a shared machine tries to receive a
/// confidential client's code there, or a public client's through `localhost` (which may
/// resolve elsewhere). RFC 8252 §7.3 lets only native (public) clients vary the port, and
/// only of the IP literals.
async fn loopback_redirects_vary_only_for_native_apps(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let confidential = app.create_client("acme", &["--redirect-uri", "http://127.0.0.1:9/cb"]);
    let confidential = confidential["client_id"].as_str().unwrap();
    assert!(redirect_accepted(&app, confidential, "http://127.0.0.1:9/cb").await);
    assert!(!redirect_accepted(&app, confidential, "http://127.0.0.1:10/cb").await);

    let native = app.create_client(
        "acme",
        &[
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--redirect-uri",
            "http://[::1]/cb",
            "--redirect-uri",
            "http://localhost:3000/cb",
        ],
    );
    let native = native["client_id"].as_str().unwrap();
    assert!(redirect_accepted(&app, native, "http://127.0.0.1:53124/cb").await);
    assert!(redirect_accepted(&app, native, "http://[::1]:53124/cb").await);
    assert!(!redirect_accepted(&app, native, "http://127.0.0.1:53124/other").await);
    assert!(redirect_accepted(&app, native, "http://localhost:3000/cb").await);
    assert!(
        !redirect_accepted(&app, native, "http://localhost:3001/cb").await,
        "localhost is matched exactly"
    );
}
both_engines!(loopback_redirects_vary_only_for_native_apps);

/// A settings administrator (or a stolen settings token) sets a tenant's lifetimes to the
/// end of time: sessions that never lapse, or sums that overflow and lock the whole tenant
/// out. Overrides may only shorten the instance's settings.
async fn lifetime_overrides_are_bounded(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["settings:write"]).await;
    let (id, secret) = app.machine_client("acme");
    let token = Some(token.as_str());
    for (field, value) in [
        ("access_token_secs", i64::MAX),
        ("access_token_secs", 901),
        ("session_idle_secs", 7201),
        ("session_absolute_secs", i64::MAX - 1),
        ("refresh_idle_secs", 1_209_601),
        ("refresh_absolute_secs", 400 * 24 * 3600),
        ("access_token_secs", -5),
    ] {
        let change = json!({ field: value });
        let (status, body, _) = call(
            &app,
            Method::PATCH,
            "acme",
            "/settings/policy",
            token,
            Some(change),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}={value}: {body}");
        assert!(
            body.to_string().contains("instance's setting"),
            "{field}: {body}"
        );
    }
    let shorter = json!({ "access_token_secs": 900, "session_idle_secs": 60 });
    let (status, body, _) = call(
        &app,
        Method::PATCH,
        "acme",
        "/settings/policy",
        token,
        Some(shorter),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The tenant still works: tokens are minted with a sane lifetime.
    let response = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&id, &secret)),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["expires_in"], 900);
}
both_engines!(lifetime_overrides_are_bounded);

/// Request data shaped to reach a panic or a storage error: authorization headers with
/// non-ASCII bytes where a scheme is sliced off, page limits at the edges of `usize`, cursors
/// of any text, NUL characters (which PostgreSQL cannot store) in addresses, forms and JSON,
/// and (in `variants`) a client assertion whose `exp` is the end of time. Nothing answers 5xx.
async fn hostile_values_never_reach_a_panic(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "ada@example.com", PASSWORD);
    let (_, token) = machine_admin(
        &app,
        "acme",
        &["accounts:read", "audit:read", "roles:write"],
    )
    .await;

    // NUL: in a protocol form, a page form, the address, and admin JSON.
    let response = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", "a\0b")],
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let browser = Browser::default();
    let form = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let page = browser
        .submit(&form, &[("email", "ada\0@example.com"), ("password", "x")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.html);
    for path in [
        "/authorize?client_id=a%00b&response_type=code",
        "/verify?token=%00",
        "/login%00",
    ] {
        let page = browser.get(&app.tenant_url("acme", path)).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
    }
    let (status, body, _) = call(
        &app,
        Method::POST,
        "acme",
        "/roles",
        Some(&token),
        Some(json!({ "name": "ops\0" })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let headers: [&[u8]; 6] = [
        b"B\xc3\xa4sic YTpi",
        b"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
        b"Basic",
        b"Bearer",
        b"Basic \xff\xfe",
        b"bearer \xc3\xa9t\xc3\xa9",
    ];
    for value in headers {
        let value = reqwest::header::HeaderValue::from_bytes(value).unwrap();
        for (method, path) in [
            (Method::POST, "/token"),
            (Method::POST, "/introspect"),
            (Method::GET, "/userinfo"),
            (Method::GET, "/admin/api/v1/accounts"),
        ] {
            let response = app
                .client
                .request(method.clone(), app.tenant_url("acme", path))
                .header(reqwest::header::AUTHORIZATION, value.clone())
                .form(&[("grant_type", "client_credentials"), ("token", "x")])
                .send()
                .await
                .unwrap();
            let status = response.status();
            assert!(status.is_client_error(), "{path} {value:?}: {status}");
        }
    }
    for query in [
        "limit=0",
        "limit=18446744073709551615",
        "limit=-1",
        "limit=99999999999999999999999",
        "after=%C3%A9%00%FF",
        "after=&limit=1",
    ] {
        for list in ["/accounts", "/audit"] {
            let (status, body, _) = call(
                &app,
                Method::GET,
                "acme",
                &format!("{list}?{query}"),
                Some(&token),
                None,
            )
            .await;
            assert!(
                status == StatusCode::OK || status.is_client_error(),
                "{list}?{query}: {status} {body}"
            );
        }
    }
}
both_engines!(hostile_values_never_reach_a_panic);

/// An attacker with a copy of the database (a backup, a replica) searches recovery codes
/// offline: 50-bit codes under bare SHA-256 fall to one GPU in days. Codes now carry 80
/// bits and are stored as HMAC under a per-account key that the database alone does not
/// hold. Codes issued before stay usable once, so the upgrade locks nobody out.
async fn recovery_codes_resist_an_offline_search(engine: Engine) {
    use diesel::prelude::*;
    use tessera::db::schema::recovery_codes;

    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let tenant = app.create_tenant("acme");
    let account = app.create_account("acme", "ada@example.com", PASSWORD);
    let laptop = Browser::default();
    let page = crate::mfa::console(&app, &laptop).await;
    let enroll = crate::mfa::post(&app, &laptop, &page, "mfa/start", &[]).await;
    let key = crate::mfa::manual_key(&enroll);
    let totp = crate::mfa::code_at(&key, 0);
    let shown = crate::mfa::post(&app, &laptop, &enroll, "mfa/confirm", &[("code", &totp)]).await;
    let codes: Vec<String> = shown
        .html
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{}", shown.html);
    let normalized = |code: &str| code.replace('-', "").to_ascii_lowercase();
    for code in &codes {
        let chars = normalized(code);
        assert_eq!(chars.len(), 16, "16 × 5 bits: {code}");
        assert!(chars
            .bytes()
            .all(|b| b"0123456789abcdefghjkmnpqrstvwxyz".contains(&b)));
    }

    let db = tessera::db::Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    let mut conn = db.conn().unwrap();
    let stored: Vec<String> = recovery_codes::table
        .select(recovery_codes::code_hash)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(stored.len(), 10);
    for code in &codes {
        let bare = tessera::crypto::sha256_hex(&normalized(code));
        assert!(!stored.contains(&bare), "{code} is stored as bare SHA-256");
    }

    // A code typed in capitals without dashes still works, once.
    let second_factor = |code: String| {
        let app = &app;
        async move {
            let browser = Browser::default();
            let mfa_page = crate::mfa::console(app, &browser).await;
            assert!(mfa_page.html.contains("name=\"code\""), "{}", mfa_page.html);
            let done = browser.submit(&mfa_page, &[("code", &code)]).await;
            !done.html.contains("not valid")
        }
    };
    let typed = codes[3].replace('-', "").to_ascii_uppercase();
    assert!(second_factor(typed.clone()).await);
    assert!(!second_factor(typed).await, "spent");

    // A code from before the upgrade (10 characters, bare SHA-256) works once.
    tessera::db::mfa::insert_recovery_code(
        &mut conn,
        &tessera::domain::TenantId::from_stored(tenant["id"].as_str().unwrap().into()),
        &tessera::domain::AccountId::from_stored(account["id"].as_str().unwrap().into()),
        &tessera::crypto::sha256_hex("abcde23456"),
        0,
    )
    .unwrap();
    assert!(second_factor("abcde-23456".into()).await);
    assert!(!second_factor("abcde-23456".into()).await, "spent");
}
both_engines!(recovery_codes_resist_an_offline_search);

/// Someone who can read the audit log learns what strangers typed into the email field: a
/// password typed one field too early, or the addresses an attacker is spraying. A failure
/// for an unknown address keeps only a keyed hash (repeats still stand out); a failure for
/// an existing account names the account (its address is personal data: never in clear).
async fn failed_sign_ins_keep_only_known_addresses(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "ada@example.com", PASSWORD);
    let login = app.tenant_url("acme", "/login?next=account");
    for email in [
        "my-secret-passphrase@typed.here",
        "my-secret-passphrase@typed.here",
        "other@typed.here",
        "ada@example.com",
    ] {
        let browser = Browser::default();
        let form = browser.get(&login).await;
        let page = browser
            .submit(
                &form,
                &[("email", email), ("password", "not the password!!")],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{email}");
    }
    let export = app.cli(&["audit", "export", "--tenant", "acme"]);
    let events: Vec<Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|event| event["action"] == "signin.failure")
        .collect();
    let failures: Vec<Value> = events
        .iter()
        .map(|event| serde_json::from_str(event["details"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(failures.len(), 4);
    let all = serde_json::to_string(&events).unwrap();
    assert!(!all.contains("my-secret-passphrase"), "{all}");
    assert!(!all.contains("other@typed.here"), "{all}");
    // Not even a known address is kept in clear: the entry names its account instead.
    assert!(!all.contains("ada@example.com"), "{all}");
    let ada = app.cli_json(&[
        "account",
        "show",
        "--tenant",
        "acme",
        "ada@example.com",
        "--json",
    ]);
    let known: Vec<&Value> = events
        .iter()
        .filter(|event| event["target"] == ada["id"])
        .collect();
    assert_eq!(known.len(), 1, "{all}");
    let mut hashes: Vec<&str> = failures
        .iter()
        .filter_map(|details| details["unknown_email_hash"].as_str())
        .collect();
    assert_eq!(hashes.len(), 3, "{all}");
    hashes.sort();
    hashes.dedup();
    assert_eq!(
        hashes.len(),
        2,
        "the same typed value, the same hash: {all}"
    );
    let bare = tessera::crypto::sha256_hex("my-secret-passphrase@typed.here");
    assert!(!hashes.contains(&bare.as_str()), "keyed, not a bare digest");
}
both_engines!(failed_sign_ins_keep_only_known_addresses);

/// The `Set-Cookie` headers of a response, as `name=value; attributes` strings.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The value of cookie `name` among `Set-Cookie` headers.
fn cookie_value(set: &[String], name: &str) -> Option<String> {
    set.iter().find_map(|c| {
        let pair = c.split(';').next()?;
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| v.to_owned())
    })
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Two ways to know a victim's CSRF anchor: plant the browser cookie from a sibling
/// subdomain (another tenant's page, `Domain=` the base domain) or over plain http, or read
/// it before the victim signs in (a shared computer). On https in subdomain mode the
/// tenant's cookies are `__Host-` (the browser takes them only from this host, over https,
/// for the whole path) and the bare name is never read; and every sign-in hands out a new
/// binding cookie, so a token derived from the old one is worthless.
async fn cookies_are_host_bound_and_rotate_at_sign_in(engine: Engine) {
    use reqwest::header::{COOKIE, HOST};
    let app = TestApp::spawn_with(engine, |s| {
        s.tenancy.routing = TenantRouting::Subdomain;
        s.server.public_url.set_scheme("https").unwrap();
    })
    .await;
    app.create_tenant("acme");
    app.create_account("acme", "ada@example.com", PASSWORD);
    let host = format!("acme.localhost:{}", app.port);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = |path: &str| app.tenant_url("acme", path);

    let login = client
        .get(url("/login?next=account"))
        .header(HOST, &host)
        .send()
        .await
        .unwrap();
    let set = set_cookies(&login);
    let browser_cookie = set
        .iter()
        .find(|c| c.starts_with("__Host-tessera_browser="))
        .unwrap_or_else(|| panic!("{set:?}"));
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(browser_cookie.contains(attribute), "{browser_cookie}");
    }
    assert!(!browser_cookie.contains("Domain"), "{browser_cookie}");
    let known = cookie_value(&set, "__Host-tessera_browser").unwrap();
    let known_token = csrf_in(&login.text().await.unwrap());
    let form = |token: &str| {
        vec![
            ("csrf_token", token.to_owned()),
            ("next", "account".to_owned()),
            ("email", "ada@example.com".to_owned()),
            ("password", PASSWORD.to_owned()),
        ]
    };

    // Planted under the bare name (what a sibling subdomain or http can set): not read.
    let planted = client
        .post(url("/login"))
        .header(HOST, &host)
        .header(COOKIE, format!("tessera_browser={known}"))
        .form(&form(&known_token))
        .send()
        .await
        .unwrap();
    assert_eq!(
        planted.status(),
        StatusCode::FORBIDDEN,
        "bare-name cookie read"
    );

    // The victim signs in with the known anchor; the sign-in replaces it.
    let signed_in = client
        .post(url("/login"))
        .header(HOST, &host)
        .header(COOKIE, format!("__Host-tessera_browser={known}"))
        .form(&form(&known_token))
        .send()
        .await
        .unwrap();
    let status = signed_in.status();
    let set = set_cookies(&signed_in);
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{set:?} {}",
        signed_in.text().await.unwrap()
    );
    let session = cookie_value(&set, "__Host-tessera_session").expect("session cookie");
    let fresh = cookie_value(&set, "__Host-tessera_browser").expect("a new browser cookie");
    assert_ne!(fresh, known, "the browser cookie was not rotated");
    let cookies = format!("__Host-tessera_session={session}; __Host-tessera_browser={fresh}");

    // A forged form carrying the token derived from the old anchor is refused...
    let forged = client
        .post(url("/account/sessions/end-others"))
        .header(HOST, &host)
        .header(COOKIE, &cookies)
        .form(&[("csrf_token", known_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // ...while the console's own forms work.
    let console = client
        .get(url("/account"))
        .header(HOST, &host)
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), StatusCode::OK);
    let token = csrf_in(&console.text().await.unwrap());
    let own = client
        .post(url("/account/sessions/end-others"))
        .header(HOST, &host)
        .header(COOKIE, &cookies)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::SEE_OTHER);
}
both_engines!(cookies_are_host_bound_and_rotate_at_sign_in);

/// Mail scanners and link previews fetch every link in a message: a confirmation link that
/// confirms on `GET` lets one confirm an address nobody read. And a reset link left in an
/// old message (a forwarded mail, a shared mailbox) must die once a newer link is asked for
/// or the password changes.
async fn mailed_links_need_a_press_and_only_the_newest_resets(engine: Engine) {
    use crate::signup::{confirm, link, mail_to, mails};
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
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // the tenant cache TTL
    let sign_in = || async {
        let browser = Browser::default();
        let login = browser
            .get(&app.tenant_url("acme", "/login?next=account"))
            .await;
        let page = browser
            .submit(
                &login,
                &[("email", "ada@example.com"), ("password", PASSWORD)],
            )
            .await;
        (browser, page)
    };
    let verified = || {
        app.cli_json(&[
            "account",
            "show",
            "--tenant",
            "acme",
            "ada@example.com",
            "--json",
        ])["email_verified"]
            == true
    };
    assert_eq!(sign_in().await.1.status, StatusCode::FORBIDDEN);
    let mail = mail_to(&app, "ada@example.com", "Confirm your email address").await;
    let verify = link(&mail, "/verify?token=");
    for _ in 0..2 {
        let scanned = Browser::default().get(&verify).await;
        assert_eq!(scanned.status, StatusCode::OK);
        assert!(
            scanned.html.contains("Confirm the address"),
            "{}",
            scanned.html
        );
    }
    assert!(!verified(), "a GET confirmed the address");
    let pressed = confirm(&verify).await;
    assert!(
        pressed.html.contains("Address confirmed"),
        "{}",
        pressed.html
    );
    assert!(verified());

    // Two reset requests: only the newer link opens the form.
    let browser = Browser::default();
    for _ in 0..2 {
        let page = browser.get(&app.tenant_url("acme", "/reset")).await;
        browser.submit(&page, &[("email", "ada@example.com")]).await;
    }
    let dir = crate::helpers::data_dir(&app.db).join("mail");
    let mut resets = Vec::new();
    for _ in 0..50 {
        resets = mails(&dir)
            .into_iter()
            .filter(|m| m.contains("Reset your acme Inc. password"))
            .map(|m| link(&m, "/reset/confirm?token="))
            .collect();
        if resets.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(resets.len(), 2);
    let mut live = Vec::new();
    for reset in &resets {
        let page = Browser::default().get(reset).await;
        if page.html.contains("Choose a new password") {
            live.push(reset.clone());
        } else {
            assert!(page.html.contains("This link has expired"), "{}", page.html);
        }
    }
    assert_eq!(live.len(), 1, "only the newest reset link works");

    // Changing the password voids the remaining link.
    let (browser, page) = sign_in().await;
    let console = browser.follow(page, "http://127.0.0.1:9").await;
    let changed = browser
        .post(
            &app.tenant_url("acme", "/account/password"),
            &[
                ("csrf_token", console.field("csrf_token").unwrap().as_str()),
                ("current_password", PASSWORD),
                ("new_password", "an entirely new passphrase"),
            ],
        )
        .await;
    let changed = browser.follow(changed, "http://127.0.0.1:9").await;
    assert!(
        changed.html.contains("Your password was changed"),
        "{}",
        changed.html
    );
    let stale = Browser::default().get(&live[0]).await;
    assert!(
        stale.html.contains("This link has expired"),
        "{}",
        stale.html
    );
}
both_engines!(mailed_links_need_a_press_and_only_the_newest_resets);

/// An attacker fills the database: every unauthenticated `/authorize` stores a pending
/// request, every address a rate-limit row, every assertion and revocation an entry, and
/// nothing ever deleted them. Expired rows are now purged in batches by every node (two at
/// once here, each deleting what the other has not), live rows stay, and one address can
/// only start so many authorization requests a minute.
async fn expired_rows_are_purged_and_pending_requests_capped(engine: Engine) {
    use diesel::prelude::*;
    use tessera::db::schema::{
        authorization_requests, rate_limits, revoked_access_tokens, used_client_assertions,
    };
    let app = TestApp::spawn_with(engine, |s| {
        s.security.authorization_requests_per_minute = 5;
    })
    .await;
    let tenant = app.create_tenant("acme");
    let tenant_id = tessera::domain::TenantId::from_stored(tenant["id"].as_str().unwrap().into());
    let rp = register_rp(&app, "acme", &[]);
    let db = tessera::db::Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    let mut conn = db.conn().unwrap();
    let now = tessera::domain::unix_now();
    let (dead, live) = (23usize, 4usize);
    for i in 0..dead + live {
        let expires_at = if i < dead { now - 10 } else { now + 600 };
        tessera::db::pending::insert(
            &mut conn,
            &tessera::db::pending::PendingRow {
                id: format!("pending-{i}"),
                tenant_id: tenant_id.to_string(),
                client_id: rp.id.clone(),
                browser_hash: "b".into(),
                parameters: "{}".into(),
                created_at: now - 700,
                expires_at,
            },
        )
        .unwrap();
        let window = if i < dead { now - 600 } else { now };
        tessera::db::rate_limits::hit(&mut conn, &format!("test:{i}"), window).unwrap();
        tessera::db::grants::record_client_assertion(
            &mut conn,
            &tenant_id,
            &format!("assertion-{i}"),
            expires_at,
        )
        .unwrap();
        tessera::db::grants::revoke_access_token(
            &mut conn,
            &tenant_id,
            &format!("jti-{i}"),
            expires_at,
        )
        .unwrap();
    }

    // Two nodes purge at once, seven rows per statement.
    let nodes: Vec<_> = (0..2)
        .map(|_| {
            crate::helpers::cli_command(
                &app.db,
                &app.settings,
                Some(&app.master_key),
                &["purge", "--json"],
            )
            .env("TESSERA_MAINTENANCE__PURGE_BATCH_ROWS", "7")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut deleted = std::collections::HashMap::<String, u64>::new();
    for node in nodes {
        let output = node.wait_with_output().unwrap();
        assert!(output.status.success());
        let figures: Value = serde_json::from_slice(&output.stdout).unwrap();
        for table in figures["tables"].as_array().unwrap() {
            *deleted
                .entry(table["table"].as_str().unwrap().to_owned())
                .or_default() += table["deleted"].as_u64().unwrap();
        }
    }
    for table in [
        "authorization_requests",
        "used_client_assertions",
        "revoked_access_tokens",
    ] {
        assert_eq!(deleted[table], dead as u64, "{table}: {deleted:?}");
    }
    let test_windows: i64 = rate_limits::table
        .filter(rate_limits::key.like("test:%"))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(test_windows, live as i64);
    let remaining = [
        authorization_requests::table
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap(),
        used_client_assertions::table
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap(),
        revoked_access_tokens::table
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap(),
    ];
    assert_eq!(remaining, [live as i64; 3]);
    // A live revocation still counts.
    assert!(tessera::db::grants::is_access_token_revoked(
        &mut conn,
        &tenant_id,
        &format!("jti-{dead}")
    )
    .unwrap());

    // One address starts five authorization requests a minute; the sixth waits.
    let (_, challenge) = pkce();
    let url = authorize_url(&app, "acme", &rp, &challenge, &[]);
    let browser = Browser::default();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(browser.get(&url).await.status);
    }
    assert!(
        statuses[..5].iter().all(|s| s.is_redirection()),
        "{statuses:?}"
    );
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}
both_engines!(expired_rows_are_purged_and_pending_requests_capped);

/// The server purges on its own, on every node.
async fn the_server_purges_on_its_own(engine: Engine) {
    use diesel::prelude::*;
    use tessera::db::schema::used_client_assertions;
    let app = TestApp::spawn_with(engine, |s| {
        s.maintenance.purge_interval_secs = 1;
    })
    .await;
    let tenant = app.create_tenant("acme");
    let tenant_id = tessera::domain::TenantId::from_stored(tenant["id"].as_str().unwrap().into());
    let db = tessera::db::Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    let mut conn = db.conn().unwrap();
    let now = tessera::domain::unix_now();
    for (i, expires_at) in [now - 5, now - 5, now + 600].into_iter().enumerate() {
        tessera::db::grants::record_client_assertion(
            &mut conn,
            &tenant_id,
            &format!("a-{i}"),
            expires_at,
        )
        .unwrap();
    }
    crate::helpers::eventually("the purge", || {
        let remaining: i64 = used_client_assertions::table
            .count()
            .get_result(&mut *conn)
            .unwrap();
        async move { remaining == 1 }
    })
    .await;
}
both_engines!(the_server_purges_on_its_own);

/// The payload of a JWT.
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// Two relying parties in different sectors, both pairwise, compare notes on their users:
/// a shared `profile_id`, `account_id` or `sid` (one browser session signs in to both), or
/// a refresh token's introspected `sub`, would link one person across them. Each sees only
/// identifiers of its own sector.
async fn pairwise_clients_cannot_link_a_user(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", "ada@example.com", PASSWORD);
    let profile_id = account["profiles"][0]["id"].as_str().unwrap().to_owned();
    let account_id = account["id"].as_str().unwrap().to_owned();
    let pairwise = |sector: &str| {
        register_rp(
            &app,
            "acme",
            &[
                "--consent",
                "skip",
                "--subject-mode",
                "pairwise",
                "--sector-identifier",
                sector,
            ],
        )
    };
    let (a, b) = (pairwise("a.example"), pairwise("b.example"));
    let browser = Browser::default();
    let mut seen = Vec::new();
    for rp in [&a, &b] {
        let issued = tokens_in(
            &app,
            &browser,
            rp,
            "ada@example.com",
            "openid profile email",
        )
        .await;
        let id_token = jwt_claims(issued["id_token"].as_str().unwrap());
        let access_token = issued["access_token"].as_str().unwrap();
        let access = jwt_claims(access_token);
        let userinfo: Value = app
            .get_bearer("acme", "/userinfo", access_token)
            .await
            .json()
            .await
            .unwrap();
        let refresh = issued["refresh_token"].as_str().unwrap();
        let introspected: Value = app
            .post_form(
                "acme",
                "/introspect",
                &[("token", refresh)],
                Some((&rp.id, &rp.secret)),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(introspected["active"], true);
        for document in [&id_token, &access, &userinfo, &introspected] {
            for stable in ["profile_id", "account_id"] {
                assert!(document.get(stable).is_none(), "{stable} in {document}");
            }
            let text = document.to_string();
            assert!(!text.contains(&profile_id), "{text}");
            assert!(!text.contains(&account_id), "{text}");
            assert_eq!(document["sub"], id_token["sub"], "one sub per client");
        }
        assert!(id_token["sid"].is_string());
        assert_eq!(access["sid"], id_token["sid"]);
        seen.push((
            id_token["sub"].clone(),
            id_token["sid"].clone(),
            issued["id_token"].as_str().unwrap().to_owned(),
        ));
    }
    assert_ne!(seen[0].0, seen[1].0, "sub differs across sectors");
    assert_ne!(seen[0].1, seen[1].1, "sid differs across sectors");

    // Sign-out with a pairwise client's ID token still recognises the user: no question.
    let mut logout = url::Url::parse(&app.tenant_url("acme", "/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &seen[0].2);
    let done = browser.get(logout.as_str()).await;
    assert!(done.html.contains("You are signed out"), "{}", done.html);

    // A pairwise administration client's user token (no profile_id in it) acts as the user,
    // never as the client and the roles the client itself holds.
    let console = register_rp(
        &app,
        "acme",
        &[
            "--administration",
            "--subject-mode",
            "pairwise",
            "--sector-identifier",
            "console.example",
            "--grant",
            "authorization_code,refresh_token,client_credentials",
        ],
    );
    app.cli_json(&["role", "create", "--tenant", "acme", "reader", "--json"]);
    app.cli_json(&[
        "role",
        "permit",
        "--tenant",
        "acme",
        "reader",
        "clients:read",
        "--json",
    ]);
    app.cli_json(&[
        "role",
        "grant",
        "--tenant",
        "acme",
        "reader",
        "--client",
        &console.id,
        "--json",
    ]);
    let issued = tokens_in(
        &app,
        &Browser::default(),
        &console,
        "ada@example.com",
        "openid tessera:admin",
    )
    .await;
    let user_token = issued["access_token"].as_str().unwrap();
    assert!(jwt_claims(user_token).get("profile_id").is_none());
    let (status, body, _) = call(
        &app,
        Method::GET,
        "acme",
        "/clients",
        Some(user_token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "acted as the client: {body}");
}
both_engines!(pairwise_clients_cannot_link_a_user);

/// Several reset requests for one address at the same moment (a double click, a script):
/// each mails a link, and exactly one of them works.
async fn concurrent_reset_requests_leave_one_live_link(engine: Engine) {
    use crate::signup::{link, mails};
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "ada@example.com", PASSWORD);
    const REQUESTS: usize = 6;
    let forms = futures_util::future::join_all((0..REQUESTS).map(|i| {
        let app = &app;
        async move {
            let browser = Browser::at(&format!("198.51.100.{i}"));
            let page = browser.get(&app.tenant_url("acme", "/reset")).await;
            (browser, page)
        }
    }))
    .await;
    let sent = futures_util::future::join_all(
        forms
            .iter()
            .map(|(browser, page)| browser.submit(page, &[("email", "ada@example.com")])),
    )
    .await;
    assert!(sent.iter().all(|p| p.status == StatusCode::OK));
    let dir = crate::helpers::data_dir(&app.db).join("mail");
    let mut resets = Vec::new();
    for _ in 0..100 {
        resets = mails(&dir)
            .into_iter()
            .filter(|m| m.contains("Reset your acme Inc. password"))
            .map(|m| link(&m, "/reset/confirm?token="))
            .collect();
        if resets.len() == REQUESTS {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(resets.len(), REQUESTS);
    let mut live = 0;
    for reset in &resets {
        if Browser::default()
            .get(reset)
            .await
            .html
            .contains("Choose a new password")
        {
            live += 1;
        }
    }
    assert_eq!(live, 1, "exactly one reset link works");
}
both_engines!(concurrent_reset_requests_leave_one_live_link);
