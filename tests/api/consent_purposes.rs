//! Versioned consent purposes (docs/privacy.md): a tenant defines what people agree to, a
//! client names the purposes it needs, and sign-in asks a profile for every one it has not
//! accepted as it now stands, showing what changed; optional purposes can be declined and
//! withdrawn; the ledger records each answer with its version, client and address.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::admin_matrix::{call, machine_admin};
use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::flow::{authorize_url, exchange, pkce, register_rp, Rp};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const ADA: &str = "ada@example.com";
const REDIRECT: &str = "http://127.0.0.1:9/";

fn define_purposes(app: &TestApp) {
    app.cli_json(&[
        "purpose",
        "create",
        "--tenant",
        "acme",
        "terms",
        "--name",
        "Terms of service",
        "--required",
        "--url",
        "https://acme.example/terms/v1",
        "--json",
    ]);
    app.cli_json(&[
        "purpose",
        "create",
        "--tenant",
        "acme",
        "marketing",
        "--name",
        "Marketing e-mail",
        "--text",
        "We send product news about once a month.",
        "--json",
    ]);
}

fn publish(app: &TestApp, key: &str, changes: &str) -> Value {
    app.cli_json(&[
        "purpose",
        "publish",
        "--tenant",
        "acme",
        key,
        "--changes",
        changes,
        "--url",
        "https://acme.example/terms/latest",
        "--json",
    ])
}

/// Starts a code flow in a fresh browser and signs in; returns the browser, the PKCE verifier
/// and where the user is after the password (the consent page, or the redirect with a code).
async fn start(
    app: &TestApp,
    rp: &Rp,
    email: &str,
    extra: &[(&str, &str)],
) -> (Browser, String, Page) {
    let browser = Browser::default();
    let (verifier, challenge) = pkce();
    let url = authorize_url(app, "acme", rp, &challenge, extra);
    let page = browser.follow(browser.get(&url).await, REDIRECT).await;
    let page = browser
        .submit(&page, &[("email", email), ("password", PASSWORD)])
        .await;
    let page = browser.follow(page, REDIRECT).await;
    (browser, verifier, page)
}

fn is_consent(page: &Page) -> bool {
    page.html.contains("value=\"allow\"")
}

async fn finish(app: &TestApp, rp: &Rp, browser: &Browser, verifier: &str, page: Page) {
    let page = browser.follow(page, REDIRECT).await;
    let code = page
        .query_param("code")
        .unwrap_or_else(|| panic!("no code: {:?} {}", page.location, page.html));
    let tokens = exchange(app, "acme", rp, &code, Some(verifier)).await;
    assert_eq!(tokens.status(), StatusCode::OK);
}

/// The decision in force per purpose key, as `key:decision:version`.
fn in_force(app: &TestApp, email: &str) -> Vec<String> {
    let consents = app.cli_json(&["account", "consents", "--tenant", "acme", email, "--json"]);
    consents["purposes"]
        .as_array()
        .unwrap_or_else(|| panic!("{consents}"))
        .iter()
        .map(|p| {
            format!(
                "{}:{}:{}",
                p["purpose"].as_str().unwrap(),
                p["decision"].as_str().unwrap(),
                p["version"]
            )
        })
        .collect()
}

fn audit_lines(app: &TestApp) -> String {
    let output = app.cli(&["audit", "export", "--tenant", "acme"]);
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

fn purpose_history(app: &TestApp, email: &str) -> Vec<Value> {
    let consents = app.cli_json(&["account", "consents", "--tenant", "acme", email, "--json"]);
    consents["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["purpose"].is_null())
        .cloned()
        .collect()
}

/// A new version of a required purpose asks again, with what changed, and only for it; an
/// answer given on a page showing an older version does not count; prompt=none gets
/// consent_required; optional purposes are asked once, declined or accepted, and withdrawn.
async fn a_new_purpose_version_asks_again(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", ADA, PASSWORD);
    app.create_account("acme", "grace@example.com", PASSWORD);
    define_purposes(&app);
    let rp = register_rp(
        &app,
        "acme",
        &["--purpose", "terms", "--purpose", "marketing"],
    );
    let shown = app.cli_json(&["client", "show", "--tenant", "acme", &rp.id, "--json"]);
    assert_eq!(shown["purposes"], json!(["terms", "marketing"]));

    // First sign-in: scopes and both purposes; the optional one is a checkbox, unticked.
    let (browser, verifier, page) = start(&app, &rp, ADA, &[]).await;
    assert!(is_consent(&page), "{}", page.html);
    assert!(page.html.contains("Terms of service"), "{}", page.html);
    assert!(page.html.contains("version 1, required"), "{}", page.html);
    assert!(page.html.contains("https://acme.example/terms/v1"));
    assert!(page.html.contains("Marketing e-mail"));
    assert!(page.html.contains("We send product news"));
    assert!(page.html.contains("name=\"accept_marketing\""));
    assert!(
        !page.html.contains("checked"),
        "nothing is ticked for the user"
    );
    assert!(
        page.html.contains("See your email address"),
        "scopes are asked too"
    );
    let page = browser
        .submit(
            &page,
            &[
                ("shown", &page.field("shown").unwrap()),
                ("decision", "allow"),
                ("accept_marketing", "yes"),
            ],
        )
        .await;
    finish(&app, &rp, &browser, &verifier, page).await;
    assert_eq!(
        in_force(&app, ADA),
        ["marketing:granted:1", "terms:granted:1"]
    );

    // Nothing new: straight back to the client.
    let (browser, verifier, page) = start(&app, &rp, ADA, &[]).await;
    assert!(!is_consent(&page), "{}", page.html);
    finish(&app, &rp, &browser, &verifier, page).await;

    // Version 2 of the terms: asked again for the terms alone, with what changed.
    let published = publish(&app, "terms", "Disputes now go to arbitration first.");
    assert_eq!(published["versions"].as_array().unwrap().len(), 2);
    assert_eq!(
        published["versions"][1]["required"], true,
        "kept from version 1"
    );
    let (signed_browser, _, page) = start(&app, &rp, ADA, &[]).await;
    assert!(is_consent(&page));
    // The same session, silently (prompt=none): the client learns consent is required.
    let (_, challenge) = pkce();
    let url = authorize_url(&app, "acme", &rp, &challenge, &[("prompt", "none")]);
    let answer = signed_browser.get(&url).await;
    let location = answer.location.clone().unwrap_or_default();
    assert!(location.starts_with(REDIRECT), "{location}");
    assert!(location.contains("error=consent_required"), "{location}");

    assert!(page.html.contains("version 2, required"), "{}", page.html);
    assert!(page
        .html
        .contains("Changed since version 1, which you accepted"));
    assert!(page
        .html
        .contains("Version 2: Disputes now go to arbitration first."));
    assert!(
        !page.html.contains("Marketing e-mail"),
        "accepted and unchanged: not asked"
    );
    assert!(
        !page.html.contains("See your email address"),
        "scopes already allowed"
    );
    assert_eq!(page.field("shown").as_deref(), Some("terms:2"));

    // Version 3 appears while the page is open: the answer about version 2 is not recorded
    // and the page comes back with version 3.
    publish(&app, "terms", "Our new postal address.");
    let again = signed_browser
        .submit(&page, &[("shown", "terms:2"), ("decision", "allow")])
        .await;
    let again = signed_browser.follow(again, REDIRECT).await;
    assert!(is_consent(&again), "{:?} {}", again.location, again.html);
    assert!(again.html.contains("version 3, required"), "{}", again.html);
    assert!(
        again.html.contains("Version 2: Disputes"),
        "both changes are listed"
    );
    assert!(again.html.contains("Version 3: Our new postal address."));
    assert_eq!(
        in_force(&app, ADA),
        ["marketing:granted:1", "terms:granted:1"]
    );
    let done = signed_browser
        .submit(&again, &[("shown", "terms:3"), ("decision", "allow")])
        .await;
    let done = signed_browser.follow(done, REDIRECT).await;
    assert!(done.query_param("code").is_some(), "{:?}", done.location);
    assert_eq!(
        in_force(&app, ADA),
        ["marketing:granted:1", "terms:granted:3"]
    );

    // The ledger: each answer with its version, the client and the address.
    let history = purpose_history(&app, ADA);
    let mut entries: Vec<String> = history
        .iter()
        .map(|e| {
            format!(
                "{}:{}:{}",
                e["purpose"].as_str().unwrap(),
                e["purpose_version"],
                e["decision"].as_str().unwrap()
            )
        })
        .collect();
    // Answers given together share their second; the ledger is ordered by time only.
    entries.sort();
    assert_eq!(
        entries,
        ["marketing:1:granted", "terms:1:granted", "terms:3:granted"]
    );
    assert!(history.iter().all(|e| e["client_id"] == rp.id.as_str()));
    assert!(
        history.iter().all(|e| e["ip"] == "127.0.0.1"),
        "{history:?}"
    );

    // Someone else declines the optional purpose: recorded, and not asked again.
    let (browser, verifier, page) = start(&app, &rp, "grace@example.com", &[]).await;
    assert!(page.html.contains("version 3, required"), "{}", page.html);
    assert!(
        !page.html.contains("Changed since"),
        "never accepted: nothing to compare"
    );
    let page = browser
        .submit(
            &page,
            &[
                ("shown", &page.field("shown").unwrap()),
                ("decision", "allow"),
            ],
        )
        .await;
    finish(&app, &rp, &browser, &verifier, page).await;
    assert_eq!(
        in_force(&app, "grace@example.com"),
        ["marketing:declined:1", "terms:granted:3"]
    );
    let (browser, verifier, page) = start(&app, &rp, "grace@example.com", &[]).await;
    assert!(!is_consent(&page), "a no is not asked again: {}", page.html);
    finish(&app, &rp, &browser, &verifier, page).await;

    // Denying records nothing.
    publish(&app, "terms", "Shorter.");
    let (browser, _, page) = start(&app, &rp, "grace@example.com", &[]).await;
    let denied = browser
        .submit(&page, &[("shown", "terms:4"), ("decision", "deny")])
        .await;
    assert!(denied
        .location
        .unwrap_or_default()
        .contains("error=access_denied"));
    assert_eq!(
        in_force(&app, "grace@example.com"),
        ["marketing:declined:1", "terms:granted:3"]
    );
}
both_engines!(a_new_purpose_version_asks_again);

/// Optional consents are listed at `/account` and withdrawn there, once however many times
/// the form is sent at once; required ones are not withdrawn one by one.
async fn optional_purposes_are_withdrawn_from_the_account_page(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", ADA, PASSWORD);
    define_purposes(&app);
    let rp = register_rp(
        &app,
        "acme",
        &["--purpose", "terms", "--purpose", "marketing"],
    );
    let (browser, verifier, page) = start(&app, &rp, ADA, &[]).await;
    let page = browser
        .submit(
            &page,
            &[
                ("shown", &page.field("shown").unwrap()),
                ("decision", "allow"),
                ("accept_marketing", "yes"),
            ],
        )
        .await;
    finish(&app, &rp, &browser, &verifier, page).await;

    let account = browser.get(&app.tenant_url("acme", "/account")).await;
    assert!(account.html.contains("Your consents"), "{}", account.html);
    assert!(
        account.html.contains("Accepted version 1"),
        "{}",
        account.html
    );
    assert!(
        account.html.contains(
            "Consents it asks for: Terms of service (granted v1), Marketing e-mail (granted v1)"
        ),
        "{}",
        account.html
    );
    // One withdraw form: the optional purpose's.
    assert_eq!(
        account.html.matches("/account/purposes/withdraw").count(),
        1
    );
    let csrf = account.field("csrf_token").unwrap();
    let profile = account.field("profile_id").unwrap();
    let withdraw = app.tenant_url("acme", "/account/purposes/withdraw");
    let form = |purpose: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("profile_id", profile.clone()),
            ("purpose", purpose.to_owned()),
        ]
    };
    let marketing = form("marketing");
    let pairs: Vec<(&str, &str)> = marketing.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answers =
        futures_util::future::join_all((0..4).map(|_| browser.post(&withdraw, &pairs))).await;
    let outcomes: Vec<String> = answers
        .iter()
        .map(|p| p.location.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|l| l.ends_with("done=purpose_withdrawn"))
            .count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|l| l.ends_with("done=purpose_withdrawn") || l.ends_with("error=not_found")),
        "{outcomes:?}"
    );
    let withdrawn: Vec<Value> = purpose_history(&app, ADA)
        .into_iter()
        .filter(|e| e["decision"] == "withdrawn")
        .collect();
    assert_eq!(withdrawn.len(), 1, "{withdrawn:?}");
    assert_eq!(withdrawn[0]["purpose"], "marketing");
    assert_eq!(
        withdrawn[0]["client_id"], "",
        "withdrawn at the account page"
    );
    assert_eq!(
        in_force(&app, ADA),
        ["marketing:withdrawn:1", "terms:granted:1"]
    );

    let terms = form("terms");
    let pairs: Vec<(&str, &str)> = terms.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = browser.post(&withdraw, &pairs).await;
    assert!(refused
        .location
        .unwrap_or_default()
        .ends_with("error=purpose_required"));
    assert_eq!(
        in_force(&app, ADA),
        ["marketing:withdrawn:1", "terms:granted:1"]
    );

    // Administrators see the same ledger on the console's account page.
    let admin = app.create_account("acme", "admin@example.com", PASSWORD);
    crate::admin_console::grant(&app, "acme", &admin, &["accounts:read"]);
    let (console, _) =
        crate::admin_console::console_sign_in(&app, "acme", "admin@example.com").await;
    let ada = app.cli_json(&["account", "show", "--tenant", "acme", ADA, "--json"]);
    let page = console
        .get(&app.tenant_url(
            "acme",
            &format!("/admin/accounts/{}", ada["id"].as_str().unwrap()),
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("terms v1"), "{}", page.html);
    assert!(page.html.contains("marketing v1"));
    assert!(page.html.contains("(account page)"), "the withdrawal");
    // People and apps by name: the client's name and the profile's, not only ids.
    assert!(page.html.contains("Test client ("), "{}", page.html);
    assert!(page.html.contains("<td>ada</td>"), "{}", page.html);

    // The audit log has exactly one withdrawal, and the export carries the decisions.
    let text = audit_lines(&app);
    assert_eq!(text.matches("consent.withdraw").count(), 1, "{text}");
    let export = app.cli_json(&["account", "export", "--tenant", "acme", ADA]);
    let purposes: Vec<&str> = export["consent_purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["decision"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, ["withdrawn", "granted"], "{export}");
}
both_engines!(optional_purposes_are_withdrawn_from_the_account_page);

/// Purposes through the admin API: validation, conflicts, versions numbered one after the
/// other when published at once (each audited), retirement, and clients naming only
/// purposes that exist.
async fn purposes_through_the_admin_api(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["settings:write", "clients:write"]).await;
    let token = token.as_str();
    let post = Method::POST;

    for (body, why) in [
        (
            json!({ "key": "Terms", "name": "T", "text": "x" }),
            "uppercase key",
        ),
        (
            json!({ "key": "terms", "name": "", "text": "x" }),
            "empty name",
        ),
        (json!({ "key": "terms", "name": "Terms" }), "no text or URL"),
        (
            json!({ "key": "terms", "name": "Terms", "url": "http://acme.example/t" }),
            "http URL",
        ),
        (
            json!({ "key": "terms", "name": "Terms", "text": "x", "extra": 1 }),
            "unknown field",
        ),
    ] {
        let (status, body, headers) = call(
            &app,
            post.clone(),
            "acme",
            "/purposes",
            Some(token),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert_eq!(body["error"], "invalid_request", "{why}");
        assert_eq!(headers["cache-control"], "no-store");
    }
    let terms =
        json!({ "key": "terms", "name": "Terms of service", "required": true, "text": "Be nice." });
    let (status, created, _) = call(
        &app,
        post.clone(),
        "acme",
        "/purposes",
        Some(token),
        Some(terms.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["versions"][0]["version"], 1);
    let (status, _, _) = call(
        &app,
        post.clone(),
        "acme",
        "/purposes",
        Some(token),
        Some(terms),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A new version needs a description of what changed.
    let (status, body, _) = call(
        &app,
        post.clone(),
        "acme",
        "/purposes/terms/versions",
        Some(token),
        Some(json!({ "text": "Be kind." })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, _) = call(
        &app,
        post.clone(),
        "acme",
        "/purposes/nope/versions",
        Some(token),
        Some(json!({ "text": "x", "changes": "y" })),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Eight publications at once: versions 2 to 9, each once, each audited.
    let publications = (0..8).map(|i| {
        call(
            &app,
            Method::POST,
            "acme",
            "/purposes/terms/versions",
            Some(token),
            Some(json!({ "text": format!("Be nice, take {i}."), "changes": format!("Take {i}.") })),
        )
    });
    let answers = futures_util::future::join_all(publications).await;
    for (status, body, headers) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{body} {headers:?}");
    }
    let (status, terms, _) = call(
        &app,
        Method::GET,
        "acme",
        "/purposes/terms",
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let versions: Vec<i64> = terms["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, (1..=9).collect::<Vec<_>>());
    let mut texts: Vec<&str> = terms["versions"].as_array().unwrap()[1..]
        .iter()
        .map(|v| v["text"].as_str().unwrap())
        .collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 8, "every publication is one version");
    let audit = audit_lines(&app);
    assert_eq!(audit.matches("purpose.publish").count(), 8);

    // Clients name existing purposes only.
    let client = json!({ "name": "Shop", "redirect_uris": ["https://shop.example/cb"], "purposes": ["terms", "nope"] });
    let (status, body, _) = call(
        &app,
        post.clone(),
        "acme",
        "/clients",
        Some(token),
        Some(client),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("nope"), "{body}");
    let client = json!({ "name": "Shop", "redirect_uris": ["https://shop.example/cb"], "purposes": ["terms"] });
    let (status, body, _) = call(
        &app,
        post.clone(),
        "acme",
        "/clients",
        Some(token),
        Some(client),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["client"]["purposes"], json!(["terms"]));

    // Retired: no new version, no new client naming it.
    let (status, retired, _) = call(
        &app,
        post.clone(),
        "acme",
        "/purposes/terms/retire",
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(retired["retired"], true);
    let (status, _, _) = call(
        &app,
        post.clone(),
        "acme",
        "/purposes/terms/retire",
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _, _) = call(
        &app,
        post.clone(),
        "acme",
        "/purposes/terms/versions",
        Some(token),
        Some(json!({ "text": "x", "changes": "y" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let client = json!({ "name": "Shop 2", "redirect_uris": ["https://shop.example/cb"], "purposes": ["terms"] });
    let (status, _, _) = call(&app, post, "acme", "/clients", Some(token), Some(client)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
both_engines!(purposes_through_the_admin_api);

/// A retired purpose is no longer asked for, even by clients that still name it.
async fn a_retired_purpose_is_not_asked(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", ADA, PASSWORD);
    define_purposes(&app);
    let rp = register_rp(&app, "acme", &["--consent", "skip", "--purpose", "terms"]);
    let (browser, verifier, page) = start(&app, &rp, ADA, &[]).await;
    assert!(
        is_consent(&page),
        "a first-party client still needs the terms"
    );
    assert!(
        !page.html.contains("See your email address"),
        "but not scope consent"
    );
    drop((browser, verifier));
    app.cli_json(&["purpose", "retire", "--tenant", "acme", "terms", "--json"]);
    let (browser, verifier, page) = start(&app, &rp, ADA, &[]).await;
    assert!(!is_consent(&page), "{}", page.html);
    finish(&app, &rp, &browser, &verifier, page).await;
}
both_engines!(a_retired_purpose_is_not_asked);

/// The console's consent purposes and attribute sections: define, publish, retire, declare
/// and remove through the forms, each audited, with fixed notices and errors shown inline.
async fn purposes_and_attributes_in_the_console(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let admin = app.create_account("acme", "admin@example.com", PASSWORD);
    crate::admin_console::grant(&app, "acme", &admin, &["settings:write"]);
    let (browser, landed) =
        crate::admin_console::console_sign_in(&app, "acme", "admin@example.com").await;
    assert!(landed.html.contains("Consent purposes"), "{}", landed.html);
    assert!(landed.html.contains("Attributes"));
    let page = browser
        .get(&app.tenant_url("acme", "/admin/purposes"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.field("csrf_token").unwrap();
    let url = |path: &str| app.tenant_url("acme", path);

    let created = browser
        .post(
            &url("/admin/purposes"),
            &[
                ("csrf_token", &csrf),
                ("key", "terms"),
                ("name", "Terms of service"),
                ("required", "on"),
                ("url", "https://acme.example/terms"),
            ],
        )
        .await;
    assert!(created
        .location
        .unwrap_or_default()
        .ends_with("done=purpose_created"));
    let bad = browser
        .post(
            &url("/admin/purposes/publish"),
            &[("csrf_token", &csrf), ("key", "terms"), ("changes", "x")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.html);
    assert!(bad.html.contains("needs its text"), "{}", bad.html);
    let published = browser
        .post(
            &url("/admin/purposes/publish"),
            &[
                ("csrf_token", &csrf),
                ("key", "terms"),
                ("changes", "Clearer words"),
                ("required", "on"),
                ("text", "Be kind."),
            ],
        )
        .await;
    assert!(published
        .location
        .unwrap_or_default()
        .ends_with("done=purpose_published"));
    let listed = browser
        .get(&url("/admin/purposes?done=purpose_published"))
        .await;
    assert!(listed
        .html
        .contains("people who accepted an earlier one are asked again"));
    assert!(
        listed.html.contains("<code>terms</code>"),
        "{}",
        listed.html
    );
    let retired = browser
        .post(
            &url("/admin/purposes/retire"),
            &[("csrf_token", &csrf), ("key", "terms")],
        )
        .await;
    assert!(retired
        .location
        .unwrap_or_default()
        .ends_with("done=purpose_retired"));

    let saved = browser
        .post(
            &url("/admin/attributes"),
            &[
                ("csrf_token", &csrf),
                ("name", "birthdate"),
                ("kind", "date"),
                ("sensitive", "on"),
                ("claim_scope", "profile"),
                ("retention_days", "365"),
            ],
        )
        .await;
    assert!(saved
        .location
        .unwrap_or_default()
        .ends_with("done=attribute_saved"));
    let page = browser.get(&url("/admin/attributes")).await;
    assert!(
        page.html.contains("<code>birthdate</code>"),
        "{}",
        page.html
    );
    assert!(page.html.contains("365 days"));
    assert!(page.html.contains("with profile"));
    // Saved again without the scope: changed, not duplicated.
    browser
        .post(
            &url("/admin/attributes"),
            &[
                ("csrf_token", &csrf),
                ("name", "birthdate"),
                ("kind", "date"),
            ],
        )
        .await;
    let page = browser.get(&url("/admin/attributes")).await;
    assert_eq!(page.html.matches("<code>birthdate</code>").count(), 1);
    assert!(page.html.contains("never"), "{}", page.html);
    let removed = browser
        .post(
            &url("/admin/attributes/remove"),
            &[("csrf_token", &csrf), ("name", "birthdate")],
        )
        .await;
    assert!(removed
        .location
        .unwrap_or_default()
        .ends_with("done=attribute_removed"));

    let audit = audit_lines(&app);
    for action in [
        "purpose.create",
        "purpose.publish",
        "purpose.retire",
        "attribute.create",
        "attribute.change",
        "attribute.remove",
    ] {
        assert_eq!(
            audit.matches(&format!("\"{action}\"")).count(),
            1,
            "{action}: {audit}"
        );
    }
}
both_engines!(purposes_and_attributes_in_the_console);
