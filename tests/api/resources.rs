//! Resource indicators and API resources (RFC 8707, RFC 9068; issue 17 item 1): a tenant
//! registers APIs; tokens for an API carry `aud` = its identifier and only its scopes the
//! client may have; the API's own client introspects them; they do not work at userinfo or
//! the admin API. Each MUST of RFC 8707 has its refusal here. The client side is written to
//! the RFC in this file.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::admin_matrix::{call, machine_admin};
use crate::attacks_support::{claims, error_of, tokens};
use crate::both_engines;
use crate::browser::Browser;
use crate::flow::{authorize_url, exchange, pkce, register_rp, sign_in, Rp, REDIRECT};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const ORDERS: &str = "https://api.example.com/orders";
const BILLING: &str = "urn:example:billing";

/// A client's (client_id, secret).
type Credentials<'a> = (&'a str, &'a str);
/// Form or query parameters.
type Form<'a> = Vec<(&'a str, &'a str)>;

fn header_alg(jwt: &str) -> String {
    use base64::Engine as _;
    let header = jwt.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    header["alg"].as_str().unwrap().to_owned()
}

/// Registers an API through the CLI; returns its JSON.
fn api(app: &TestApp, identifier: &str, scopes: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "resource",
        "create",
        "--tenant",
        "acme",
        "--identifier",
        identifier,
        "--name",
        "Orders API",
        "--scopes",
        scopes,
        "--json",
    ];
    args.extend_from_slice(extra);
    app.cli_json(&args)
}

fn allow(app: &TestApp, identifier: &str, client: &str, scopes: &str) {
    let out = app.cli(&[
        "resource", "allow", "--tenant", "acme", identifier, "--client", client, "--scopes", scopes,
    ]);
    assert!(out.status.success(), "{}", crate::helpers::stderr(&out));
}

async fn client_credentials(
    app: &TestApp,
    (id, secret): (&str, &str),
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(extra);
    app.post_form("acme", "/token", &form, Some((id, secret)))
        .await
}

async fn introspect(app: &TestApp, (id, secret): (&str, &str), token: &str) -> Value {
    tokens(
        app.post_form(
            "acme",
            "/introspect",
            &[("token", token)],
            Some((id, secret)),
        )
        .await,
    )
    .await
}

/// A machine client gets tokens for an API: `aud` is the API, the scopes are the API's that
/// the client may have (all of them when it asks for none), and the API's own lifetime and
/// algorithm apply. Every malformed, unknown, foreign or plural resource is `invalid_target`.
async fn client_credentials_for_an_api(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (machine, machine_secret) = app.machine_client("acme");
    let (reader, reader_secret) = app.machine_client("acme");
    let (stranger, stranger_secret) = app.machine_client("acme");
    let (introspector, introspector_secret) = app.machine_client("acme");
    api(
        &app,
        ORDERS,
        "orders:read,orders:write",
        &[
            "--lifetime",
            "120",
            "--alg",
            "ES256",
            "--introspection-client",
            &introspector,
        ],
    );
    allow(&app, ORDERS, &machine, "orders:read,orders:write");
    allow(&app, ORDERS, &reader, "orders:read");
    let machine = (machine.as_str(), machine_secret.as_str());
    let reader = (reader.as_str(), reader_secret.as_str());
    let stranger = (stranger.as_str(), stranger_secret.as_str());
    let introspector = (introspector.as_str(), introspector_secret.as_str());

    let body = tokens(client_credentials(&app, machine, &[("resource", ORDERS)]).await).await;
    assert_eq!(body["scope"], "orders:read orders:write", "{body}");
    assert_eq!(body["expires_in"], 120);
    let token = body["access_token"].as_str().unwrap().to_owned();
    let c = claims(&token);
    assert_eq!(c["aud"], ORDERS);
    assert_eq!(c["scope"], "orders:read orders:write");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 120);
    assert_eq!(header_alg(&token), "ES256");

    let body = tokens(
        client_credentials(
            &app,
            reader,
            &[("resource", ORDERS), ("scope", "orders:read")],
        )
        .await,
    )
    .await;
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["scope"],
        "orders:read"
    );

    // The API's own client introspects the API's tokens; another client learns nothing.
    let seen = introspect(&app, introspector, &token).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["aud"], ORDERS);
    assert_eq!(introspect(&app, reader, &token).await["active"], false);

    // Without a resource, the token is for the issuer as before, with no API scope.
    let plain = tokens(client_credentials(&app, machine, &[]).await).await;
    assert_eq!(
        claims(plain["access_token"].as_str().unwrap())["aud"],
        app.issuer("acme")
    );
    assert_eq!(
        introspect(&app, introspector, plain["access_token"].as_str().unwrap()).await["active"],
        false
    );

    let refusals: Vec<(Credentials, Form, &str)> = vec![
        // A scope the client may not have, and an API scope without its resource.
        (
            reader,
            vec![("resource", ORDERS), ("scope", "orders:write")],
            "invalid_scope",
        ),
        (machine, vec![("scope", "orders:read")], "invalid_scope"),
        // RFC 8707 §2: not an absolute URI, a fragment, unknown, not for this client.
        (machine, vec![("resource", "orders")], "invalid_target"),
        (
            machine,
            vec![("resource", "https://api.example.com/orders#x")],
            "invalid_target",
        ),
        (
            machine,
            vec![("resource", "https://api.example.com/other")],
            "invalid_target",
        ),
        (stranger, vec![("resource", ORDERS)], "invalid_target"),
        // One audience per access token.
        (
            machine,
            vec![("resource", ORDERS), ("resource", BILLING)],
            "invalid_target",
        ),
    ];
    for (client, form, expected) in refusals {
        let response = client_credentials(&app, client, &form).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{form:?}");
        assert_eq!(error_of(response).await, expected, "{form:?}");
    }
}

both_engines!(client_credentials_for_an_api);

/// A user authorises a client for an API: the consent page names the API and its scopes,
/// the access token is the API's (no `openid`, useless at userinfo), the ID token is still
/// the client's, and the refresh token fetches a token for the issuer when asked. A wrong
/// resource at refresh costs nothing: the refresh token still works.
async fn a_user_authorises_an_api(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &[]);
    api(&app, ORDERS, "orders:read,orders:write", &[]);
    api(&app, BILLING, "invoices:read", &[]);
    allow(&app, ORDERS, &rp.id, "orders:read");
    allow(&app, BILLING, &rp.id, "invoices:read");

    let (verifier, challenge) = pkce();
    let url = authorize_url(
        &app,
        "acme",
        &rp,
        &challenge,
        &[("resource", ORDERS), ("resource", BILLING)],
    )
    .replace(
        "scope=openid+email+profile",
        "scope=openid+profile+orders%3Aread+invoices%3Aread",
    );
    let browser = Browser::default();
    let login = browser.follow(browser.get(&url).await, REDIRECT).await;
    let consent = browser
        .follow(
            browser
                .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
                .await,
            REDIRECT,
        )
        .await;
    assert!(consent.html.contains("Orders API"), "{}", consent.html);
    assert!(consent.html.contains("orders:read"), "{}", consent.html);
    assert!(consent.html.contains("invoices:read"), "{}", consent.html);
    let back = browser.submit(&consent, &[("decision", "allow")]).await;
    let code = back.query_param("code").expect("a code");

    // The grant covers two APIs: the token request must name one.
    let form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
        ("resource", ORDERS),
    ];
    let body = tokens(
        app.post_form("acme", "/token", &form, Some((&rp.id, &rp.secret)))
            .await,
    )
    .await;
    assert_eq!(body["scope"], "orders:read", "{body}");
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&access)["aud"], ORDERS);
    assert!(claims(&access)["sub"].is_string());
    let id_token = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["aud"], rp.id.as_str());
    assert!(id_token["name"].is_string(), "{id_token}");
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    // The API's token is not the issuer's: userinfo and the admin API refuse it.
    let userinfo = app.get_bearer("acme", "/userinfo", &access).await;
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
    let (status, _, _) = call(&app, Method::GET, "acme", "/clients", Some(&access), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A resource that was not authorised, or two at once: refused, and the refresh token
    // was not spent by the refusal.
    for resources in [
        vec!["https://api.example.com/unknown"],
        vec![ORDERS, BILLING],
    ] {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ];
        form.extend(resources.iter().map(|r| ("resource", *r)));
        let response = app
            .post_form("acme", "/token", &form, Some((&rp.id, &rp.secret)))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error_of(response).await, "invalid_target");
    }
    // A grant of two APIs refreshed without naming one is ambiguous.
    let response = app
        .post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
            ],
            Some((&rp.id, &rp.secret)),
        )
        .await;
    assert_eq!(error_of(response).await, "invalid_target");

    // The issuer as the resource: a token for userinfo with the OpenID Connect scopes only.
    let issuer = app.issuer("acme");
    let body = tokens(
        app.post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
                ("resource", issuer.as_str()),
            ],
            Some((&rp.id, &rp.secret)),
        )
        .await,
    )
    .await;
    assert_eq!(body["scope"], "openid profile", "{body}");
    let for_issuer = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&for_issuer)["aud"], issuer.as_str());
    let userinfo = app.get_bearer("acme", "/userinfo", &for_issuer).await;
    assert_eq!(userinfo.status(), StatusCode::OK);

    // The other API, from the rotated refresh token.
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let body = tokens(
        app.post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
                ("resource", BILLING),
            ],
            Some((&rp.id, &rp.secret)),
        )
        .await,
    )
    .await;
    assert_eq!(body["scope"], "invoices:read", "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["aud"],
        BILLING
    );

    // Authorization requests: a scope the client may not ask for, an unknown resource,
    // an API scope without its resource.
    let refusals: Vec<(Form, &str, &str)> = vec![
        (
            vec![("resource", ORDERS)],
            "openid+orders%3Awrite",
            "invalid_scope",
        ),
        (
            vec![("resource", "https://nowhere.example")],
            "openid",
            "invalid_target",
        ),
        (vec![("resource", "not a uri")], "openid", "invalid_target"),
        (vec![], "openid+orders%3Aread", "invalid_scope"),
    ];
    for (extra, scope, expected) in refusals {
        let (_, challenge) = pkce();
        let url = authorize_url(&app, "acme", &rp, &challenge, &extra)
            .replace("scope=openid+email+profile", &format!("scope={scope}"));
        let page = browser.get(&url).await;
        let location = page.location.clone().unwrap_or_default();
        assert!(location.starts_with(REDIRECT), "{extra:?}: {location}");
        assert_eq!(
            page.query_param("error").as_deref(),
            Some(expected),
            "{extra:?}: {location}"
        );
    }
}

both_engines!(a_user_authorises_an_api);

/// A single authorised API is the default audience: a relying party that knows nothing of
/// resource indicators at the token endpoint still gets the API's token.
async fn one_authorised_api_is_the_default(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp: Rp = register_rp(&app, "acme", &["--consent", "skip"]);
    api(&app, ORDERS, "orders:read", &[]);
    allow(&app, ORDERS, &rp.id, "orders:read");
    let (verifier, challenge) = pkce();
    let url = authorize_url(&app, "acme", &rp, &challenge, &[("resource", ORDERS)])
        .replace("scope=openid+email+profile", "scope=openid+orders%3Aread");
    let back = sign_in(&Browser::default(), &url, EMAIL, PASSWORD).await;
    let code = back.query_param("code").expect("a code");
    let body = tokens(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await;
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["aud"],
        ORDERS
    );
    assert_eq!(body["scope"], "orders:read");
}

both_engines!(one_authorised_api_is_the_default);

/// The admin API registers, changes and deletes APIs with clear refusals, audits each
/// change, and a deleted client leaves every API's list (a new client with its id would
/// not inherit access).
async fn apis_are_administered(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["clients:write", "audit:read"]).await;
    let (client, _) = app.machine_client("acme");
    let post = |body: Value| {
        call(
            &app,
            Method::POST,
            "acme",
            "/resources",
            Some(&token),
            Some(body),
        )
    };

    let refusals = [
        (
            json!({"identifier": "orders", "name": "O", "scopes": ["a"]}),
            "absolute URI",
        ),
        (
            json!({"identifier": "https://a.example/x#f", "name": "O", "scopes": ["a"]}),
            "fragment",
        ),
        (
            json!({"identifier": "https://a.example/x?q=1", "name": "O", "scopes": ["a"]}),
            "query",
        ),
        (
            json!({"identifier": ORDERS, "name": "O", "scopes": ["openid"]}),
            "OpenID Connect",
        ),
        (
            json!({"identifier": ORDERS, "name": "O", "scopes": []}),
            "1 to 100 scopes",
        ),
        (
            json!({"identifier": ORDERS, "name": "O", "scopes": ["a", "a"]}),
            "twice",
        ),
        (
            json!({"identifier": ORDERS, "name": "", "scopes": ["a"]}),
            "name",
        ),
        (
            json!({"identifier": ORDERS, "name": "O", "scopes": ["a"], "access_token_lifetime_secs": 5}),
            "lifetime",
        ),
        (
            json!({"identifier": ORDERS, "name": "O", "scopes": ["a"], "clients": [{"client_id": "nobody", "scopes": ["a"]}]}),
            "no client nobody",
        ),
        (
            json!({"identifier": ORDERS, "name": "O", "scopes": ["a"], "clients": [{"client_id": client, "scopes": ["b"]}]}),
            "does not define",
        ),
    ];
    for (body, why) in refusals {
        let (status, answer, _) = post(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(why),
            "{body}: {answer}"
        );
    }

    let (status, created, _) = post(json!({
        "identifier": ORDERS, "name": "Orders", "scopes": ["orders:read", "orders:write"],
        "clients": [{"client_id": client, "scopes": ["orders:read"]}],
    }))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, _, _) =
        post(json!({"identifier": ORDERS, "name": "Again", "scopes": ["x"]})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A scope a client still holds stays until the clients change with it.
    let path = format!("/resources/{id}");
    let (status, answer, _) = call(
        &app,
        Method::PATCH,
        "acme",
        &path,
        Some(&token),
        Some(json!({"scopes": ["orders:write"]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("same request"),
        "{answer}"
    );
    let (status, changed, _) = call(
        &app,
        Method::PATCH,
        "acme",
        &path,
        Some(&token),
        Some(json!({"scopes": ["orders:write"], "clients": [{"client_id": client, "scopes": ["orders:write"]}], "access_token_lifetime_secs": 300})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["scopes"], json!(["orders:write"]));
    assert_eq!(changed["access_token_lifetime_secs"], 300);

    // Deleting the client takes it off the API.
    let out = app.cli(&["client", "delete", "--tenant", "acme", &client]);
    assert!(out.status.success(), "{}", crate::helpers::stderr(&out));
    let (_, shown, _) = call(&app, Method::GET, "acme", &path, Some(&token), None).await;
    assert_eq!(shown["clients"], json!([]), "{shown}");

    let (status, _, _) = call(&app, Method::DELETE, "acme", &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(&app, Method::GET, "acme", &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, audit, _) = call(
        &app,
        Method::GET,
        "acme",
        "/audit?action=resource.",
        Some(&token),
        None,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["resource.delete", "resource.update", "resource.create"],
        "{audit}"
    );
}

both_engines!(apis_are_administered);

/// Concurrency: eight registrations of one identifier at once leave exactly one API (one
/// 201, seven 409s, one audit entry); eight of different identifiers all land, each audited;
/// and tokens for an API are issued concurrently without a failure.
async fn apis_under_concurrency(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["clients:write", "audit:read"]).await;
    let body =
        |identifier: String| json!({"identifier": identifier, "name": "API", "scopes": ["read"]});
    let same = futures_util::future::join_all((0..8).map(|_| {
        call(
            &app,
            Method::POST,
            "acme",
            "/resources",
            Some(&token),
            Some(body(ORDERS.into())),
        )
    }))
    .await;
    let created = same
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::CREATED)
        .count();
    let conflicts = same
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::CONFLICT)
        .count();
    assert_eq!(
        (created, conflicts),
        (1, 7),
        "{:?}",
        same.iter().map(|r| (r.0, &r.1)).collect::<Vec<_>>()
    );

    let distinct = futures_util::future::join_all((0..8).map(|i| {
        call(
            &app,
            Method::POST,
            "acme",
            "/resources",
            Some(&token),
            Some(body(format!("urn:example:api:{i}"))),
        )
    }))
    .await;
    assert!(
        distinct.iter().all(|(s, _, _)| *s == StatusCode::CREATED),
        "{:?}",
        distinct.iter().map(|r| (r.0, &r.1)).collect::<Vec<_>>()
    );
    let (_, listed, _) = call(
        &app,
        Method::GET,
        "acme",
        "/resources?limit=100",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 9);
    let (_, audit, _) = call(
        &app,
        Method::GET,
        "acme",
        "/audit?action=resource.create&limit=100",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 9, "{audit}");

    let (machine, secret) = app.machine_client("acme");
    allow(&app, ORDERS, &machine, "read");
    let issued = futures_util::future::join_all(
        (0..16).map(|_| client_credentials(&app, (&machine, &secret), &[("resource", ORDERS)])),
    )
    .await;
    for response in issued {
        let body = tokens(response).await;
        assert_eq!(
            claims(body["access_token"].as_str().unwrap())["aud"],
            ORDERS
        );
    }
}

both_engines!(apis_under_concurrency);

/// The console's APIs section: register an API, allow a client, see both, delete; a bad
/// identifier is refused inline.
async fn apis_in_the_console(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let admin = app.create_account("acme", "admin@example.com", PASSWORD);
    crate::admin_console::grant(&app, "acme", &admin, &["clients:write"]);
    let (client, _) = app.machine_client("acme");
    let (browser, landed) =
        crate::admin_console::console_sign_in(&app, "acme", "admin@example.com").await;
    assert!(landed.html.contains("APIs"), "{}", landed.html);
    let url = |path: &str| app.tenant_url("acme", path);
    let page = browser.get(&url("/admin/resources")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("No APIs yet"), "{}", page.html);
    let csrf = page.field("csrf_token").unwrap();

    let refused = browser
        .post(
            &url("/admin/resources"),
            &[
                ("csrf_token", &csrf),
                ("identifier", "orders"),
                ("name", "Orders"),
                ("scopes", "read"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.html);
    assert!(refused.html.contains("absolute URI"), "{}", refused.html);

    let created = browser
        .post(
            &url("/admin/resources"),
            &[
                ("csrf_token", &csrf),
                ("identifier", ORDERS),
                ("name", "Orders"),
                ("scopes", "orders:read, orders:write"),
                ("lifetime_secs", "600"),
                ("alg", "ES256"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let page = browser.get(&url("/admin/resources")).await;
    assert!(page.html.contains(ORDERS), "{}", page.html);
    assert!(page.html.contains("600 s"), "{}", page.html);
    let resource_id = page
        .html
        .split("name=\"resource_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the API's id in a form")
        .to_owned();
    let allowed = browser
        .post(
            &url("/admin/resources/access"),
            &[
                ("csrf_token", &csrf),
                ("resource_id", &resource_id),
                ("holder_id", &client),
                ("scopes", "orders:read"),
            ],
        )
        .await;
    assert_eq!(allowed.status, StatusCode::SEE_OTHER, "{}", allowed.html);
    let page = browser.get(&url("/admin/resources")).await;
    assert!(
        page.html.contains(&format!("{client}: orders:read")),
        "{}",
        page.html
    );

    let deleted = browser
        .post(
            &url("/admin/resources/delete"),
            &[("csrf_token", &csrf), ("resource_id", &resource_id)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.html);
    let page = browser.get(&url("/admin/resources")).await;
    assert!(page.html.contains("No APIs yet"), "{}", page.html);
}

both_engines!(apis_in_the_console);
