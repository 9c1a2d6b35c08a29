//! Customers: verified legal entities accounts act for. Tokens carry `customer_id`;
//! `verified_claims` (OpenID Connect for Identity Assurance) go out only when the client asks
//! with the `claims` parameter (OIDC Core §5.5), the person agreed, and a verification is on
//! record. Customers sharing an identifier are duplicates; everything holds under concurrency.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::admin_matrix::{call, machine_admin};
use crate::both_engines;
use crate::browser::Browser;
use crate::flow::{exchange, pkce, register_rp, Rp, REDIRECT};
use crate::hardening::jwt_claims;
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const VERIFIED: &str = "Your verified identity";

/// Runs the code flow with `scope` and `claims` (if any) in `browser`, allowing consent
/// when asked; the token response, and whether the consent page named verified identity.
async fn tokens(
    app: &TestApp,
    browser: &Browser,
    rp: &Rp,
    scope: &str,
    claims: Option<&Value>,
) -> (Value, bool) {
    let (verifier, challenge) = pkce();
    let mut url = url::Url::parse(&app.tenant_url("acme", "/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &rp.id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "st4te")
        .append_pair("nonce", "n0nce")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(claims) = claims {
        url.query_pairs_mut()
            .append_pair("claims", &claims.to_string());
    }
    let mut page = browser
        .follow(browser.get(url.as_str()).await, REDIRECT)
        .await;
    if page.html.contains("name=\"password\"") {
        page = browser
            .submit(&page, &[("email", EMAIL), ("password", PASSWORD)])
            .await;
        page = browser.follow(page, REDIRECT).await;
    }
    let mut asked_verified = false;
    if page.html.contains("value=\"allow\"") {
        asked_verified = page.html.contains(VERIFIED);
        page = browser.submit(&page, &[("decision", "allow")]).await;
    }
    let code = page
        .query_param("code")
        .unwrap_or_else(|| panic!("no code: {:?} {}", page.location, page.html));
    let response = exchange(app, "acme", rp, &code, Some(&verifier)).await;
    assert_eq!(response.status(), StatusCode::OK);
    (response.json().await.unwrap(), asked_verified)
}

async fn userinfo(app: &TestApp, access_token: &str) -> Value {
    let response = app.get_bearer("acme", "/userinfo", access_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn ida_request() -> Value {
    json!({
        "id_token": {"verified_claims": {
            "verification": {"trust_framework": null, "evidence": null},
            "claims": {"name": null}
        }},
        "userinfo": {"verified_claims": null}
    })
}

async fn verified_claims_only_when_asked_and_verified(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let account_id = account["id"].as_str().unwrap().to_owned();
    let rp = register_rp(&app, "acme", &[]);
    let (_, admin) = machine_admin(&app, "acme", &["accounts:read", "accounts:write"]).await;
    let admin = Some(admin.as_str());
    let (status, customer, _) = call(
        &app,
        Method::POST,
        "acme",
        "/customers",
        admin,
        Some(json!({"kind": "person", "legal_name": "Ada Lovelace", "identifiers": {"tax_id": "DE 123-456"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{customer}");
    let customer_id = customer["id"].as_str().unwrap().to_owned();
    let link = json!({ "customer_id": customer_id });
    let path = format!("/accounts/{account_id}/customer");
    let (status, body, _) = call(&app, Method::PUT, "acme", &path, admin, Some(link)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Not asked for: the customer's id, never its verification.
    let browser = Browser::default();
    let (plain, _) = tokens(&app, &browser, &rp, "openid email profile", None).await;
    let id_token = jwt_claims(plain["id_token"].as_str().unwrap());
    assert_eq!(id_token["customer_id"], customer_id.as_str());
    assert!(id_token.get("verified_claims").is_none());
    let access = jwt_claims(plain["access_token"].as_str().unwrap());
    assert_eq!(access["customer_id"], customer_id.as_str());

    // Asked for, but nothing is verified yet: the person is asked, nothing goes out.
    let (asked, consent_named_it) = tokens(
        &app,
        &browser,
        &rp,
        "openid email profile",
        Some(&ida_request()),
    )
    .await;
    assert!(
        consent_named_it,
        "verified identity is a consent item of its own"
    );
    let id_token = jwt_claims(asked["id_token"].as_str().unwrap());
    assert!(id_token.get("verified_claims").is_none(), "{id_token}");
    let info = userinfo(&app, asked["access_token"].as_str().unwrap()).await;
    assert!(info.get("verified_claims").is_none(), "{info}");

    // A KYC provider records its outcome through the API.
    let verification = json!({
        "trust_framework": "de_aml",
        "assurance_level": "substantial",
        "method": "vpip",
        "verifier": "Example KYC GmbH",
        "reference": "kyc-7f3a",
        "verified_at": 1_700_000_000,
    });
    let path = format!("/customers/{customer_id}/verification");
    let (status, body, _) = call(&app, Method::PUT, "acme", &path, admin, Some(verification)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Asked for and verified: in the ID token as narrowed, at userinfo as a whole.
    let (asked, consent_again) = tokens(
        &app,
        &browser,
        &rp,
        "openid email profile",
        Some(&ida_request()),
    )
    .await;
    assert!(
        !consent_again,
        "the consent to verified identity is on record"
    );
    let id_token = jwt_claims(asked["id_token"].as_str().unwrap());
    let verified = &id_token["verified_claims"];
    assert_eq!(verified["verification"]["trust_framework"], "de_aml");
    assert_eq!(verified["claims"]["name"], "Ada Lovelace");
    let evidence = &verified["verification"]["evidence"][0];
    assert_eq!(evidence["type"], "document");
    assert_eq!(evidence["check_details"][0]["check_method"], "vpip");
    assert_eq!(evidence["check_details"][0]["txn"], "kyc-7f3a");
    assert!(
        verified["verification"].get("assurance_level").is_none(),
        "only the verification data asked for: {verified}"
    );
    let access_token = asked["access_token"].as_str().unwrap().to_owned();
    let info = userinfo(&app, &access_token).await;
    let verified = &info["verified_claims"];
    assert_eq!(verified["verification"]["assurance_level"], "substantial");
    assert_eq!(
        verified["verification"]["time"], "2023-11-14T22:13:20Z",
        "{verified}"
    );
    assert!(
        verified["verification"].get("evidence").is_none(),
        "evidence only when asked for"
    );
    assert_eq!(verified["claims"]["name"], "Ada Lovelace");

    // A constraint the verification does not meet: no verified_claims at all.
    let eidas = json!({"id_token": {"verified_claims": {
        "verification": {"trust_framework": {"value": "eidas"}}, "claims": {"name": null}}}});
    let (other, _) = tokens(&app, &browser, &rp, "openid", Some(&eidas)).await;
    let id_token = jwt_claims(other["id_token"].as_str().unwrap());
    assert!(id_token.get("verified_claims").is_none(), "{id_token}");

    // Discovery says so (within the tenant cache's lifetime).
    let discovery = || async {
        app.get_tenant("acme", "/.well-known/openid-configuration")
            .await
            .json::<Value>()
            .await
            .unwrap()
    };
    crate::helpers::eventually("de_aml is advertised", || async {
        discovery().await["trust_frameworks_supported"] == json!(["de_aml"])
    })
    .await;
    let metadata = discovery().await;
    assert_eq!(metadata["claims_parameter_supported"], true);
    assert_eq!(metadata["verified_claims_supported"], true);
    assert_eq!(metadata["trust_frameworks_supported"], json!(["de_aml"]));

    // The person's export holds what the customer record says about them.
    let (_, exporter) = machine_admin(&app, "acme", &["pii:read"]).await;
    let (status, export, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/accounts/{account_id}/export"),
        Some(&exporter),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["customer"]["legal_name"], "Ada Lovelace");
    assert_eq!(export["customer"]["identifiers"]["tax_id"], "DE 123-456");
    assert_eq!(export["customer"]["verification"]["reference"], "kyc-7f3a");

    // Withdrawn: userinfo stops releasing it at once, even for a token issued before.
    let (status, _, _) = call(&app, Method::DELETE, "acme", &path, admin, None).await;
    assert_eq!(status, StatusCode::OK);
    let info = userinfo(&app, &access_token).await;
    assert!(info.get("verified_claims").is_none(), "{info}");
}
both_engines!(verified_claims_only_when_asked_and_verified);

/// Individual claims by the `claims` parameter, where they were asked; a malformed request is
/// refused at the client's redirect URI.
async fn the_claims_parameter_places_claims(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &[]);
    let browser = Browser::default();
    let claims = json!({"userinfo": {"email": {"essential": true}}, "id_token": {"name": null}});
    let (tokens, _) = tokens(&app, &browser, &rp, "openid", Some(&claims)).await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert!(id_token.get("name").is_some(), "{id_token}");
    assert!(
        id_token.get("email").is_none(),
        "email was asked at userinfo only"
    );
    let info = userinfo(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info["email"], EMAIL);
    assert!(
        info.get("name").is_none(),
        "name was asked in the ID token only"
    );

    let (_, challenge) = pkce();
    for bad in [
        "[1]",
        "{\"userinfo\": 5}",
        "{\"id_token\": {\"email\": true}}",
    ] {
        let mut url = url::Url::parse(&app.tenant_url("acme", "/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &rp.id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("claims", bad);
        let page = browser.get(url.as_str()).await;
        assert_eq!(
            page.query_param("error").as_deref(),
            Some("invalid_request"),
            "{bad}: {:?}",
            page.location
        );
    }
}
both_engines!(the_claims_parameter_places_claims);

async fn customers_are_administered_and_duplicates_found(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let ids: Vec<String> = ["x@example.com", "y@example.com", "z@example.com"]
        .iter()
        .map(|email| {
            app.create_account("acme", email, PASSWORD)["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let (_, reader) = machine_admin(&app, "acme", &["accounts:read"]).await;
    let (_, admin) = machine_admin(&app, "acme", &["accounts:read", "accounts:write"]).await;
    let admin = Some(admin.as_str());
    let mut customers = Vec::new();
    for (name, tax_id) in [("Ada Lovelace", "DE 123-456"), ("A. Lovelace", "de123456")] {
        let body = json!({"kind": "person", "legal_name": name, "identifiers": {"tax_id": tax_id}});
        let (status, created, _) =
            call(&app, Method::POST, "acme", "/customers", admin, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        customers.push(created["id"].as_str().unwrap().to_owned());
    }

    // Refusals: clear errors, nothing stored.
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        "/customers",
        Some(&reader),
        Some(json!({"kind": "person", "legal_name": "X"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for bad in [
        json!({"kind": "robot", "legal_name": "X"}),
        json!({"kind": "person", "legal_name": " "}),
        json!({"kind": "person", "legal_name": "X", "identifiers": {"Tax ID": "1"}}),
    ] {
        let (status, body, _) = call(
            &app,
            Method::POST,
            "acme",
            "/customers",
            admin,
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let path = format!("/customers/{}/verification", customers[0]);
    for bad in [
        json!({"trust_framework": "de_aml", "method": "vpip", "verifier": "K", "verified_at": 4_000_000_000_i64}),
        json!({"trust_framework": "de_aml", "method": "vpip", "verifier": "K", "verified_at": 1, "evidence_type": "rumour"}),
        json!({"trust_framework": "DE AML", "method": "vpip", "verifier": "K", "verified_at": 1}),
    ] {
        let (status, body, _) =
            call(&app, Method::PUT, "acme", &path, admin, Some(bad.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, _, _) = call(
        &app,
        Method::PUT,
        "acme",
        &format!("/accounts/{}/customer", ids[0]),
        admin,
        Some(json!({"customer_id": "no-such-customer"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Personal data is masked unless revealed.
    let (status, shown, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/customers/{}", customers[0]),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["legal_name"], "A••••");
    assert_eq!(shown["identifiers"]["tax_id"], "••••");

    // One tax id written two ways: the customers are duplicates, and so are their accounts.
    let (_, shared, _) = call(
        &app,
        Method::GET,
        "acme",
        "/duplicate-customers",
        admin,
        None,
    )
    .await;
    assert_eq!(
        shared,
        json!([{"identifier": "tax_id", "customers": customers.clone()}])
    );
    for (account, customer) in [(&ids[0], &customers[0]), (&ids[1], &customers[1])] {
        let link = json!({ "customer_id": customer });
        let path = format!("/accounts/{account}/customer");
        let (status, _, _) = call(&app, Method::PUT, "acme", &path, admin, Some(link)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (_, groups, _) = call(
        &app,
        Method::GET,
        "acme",
        "/duplicate-accounts",
        admin,
        None,
    )
    .await;
    let group = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["shared"] == "customer_identifier")
        .unwrap_or_else(|| panic!("{groups}"));
    assert_eq!(group["identifier"], "tax_id");
    assert_eq!(group["account"], ids[0].as_str());
    assert_eq!(group["others"][0]["account"], ids[1].as_str());
    assert_eq!(group["others"][0]["customer"], customers[1].as_str());

    // A merge carries the merged-away account's customer to an account without one.
    let (status, body, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{}/merge", ids[2]),
        admin,
        Some(json!({ "from": ids[1] })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, merged, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/customers/{}", customers[1]),
        admin,
        None,
    )
    .await;
    assert_eq!(merged["accounts"], json!([ids[2]]), "{merged}");

    // Deleting a customer unlinks its accounts and keeps them.
    let path = format!("/customers/{}", customers[0]);
    let (status, _, _) = call(&app, Method::DELETE, "acme", &path, admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(&app, Method::GET, "acme", &path, admin, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, account, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/accounts/{}", ids[0]),
        admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(account["account"].get("customer_id").is_none(), "{account}");
    let actions = app.audit_actions("acme");
    for action in [
        "customer.create",
        "account.customer_link",
        "customer.delete",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
}
both_engines!(customers_are_administered_and_duplicates_found);

/// Links, verifications, creations and a deletion of one customer, all at once: every request
/// answers, none fails, and the end state and audit log agree with the answers.
async fn concurrent_links_verifications_and_deletion(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let accounts: Vec<String> = (0..8)
        .map(|i| {
            app.create_account("acme", &format!("u{i}@example.com"), PASSWORD)["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let (_, admin) = machine_admin(&app, "acme", &["accounts:read", "accounts:write"]).await;
    let body = json!({"kind": "organization", "legal_name": "Acme Ltd"});
    let (_, customer, _) = call(
        &app,
        Method::POST,
        "acme",
        "/customers",
        Some(&admin),
        Some(body),
    )
    .await;
    let customer = customer["id"].as_str().unwrap().to_owned();
    let audited = |action: &str| {
        app.audit_entries("acme")
            .iter()
            .filter(|e| e["action"] == action)
            .count()
    };
    let before: Vec<(&str, usize)> = [
        "account.customer_link",
        "customer.verify",
        "customer.create",
        "customer.delete",
    ]
    .into_iter()
    .map(|action| (action, audited(action)))
    .collect();

    let mut requests = Vec::new();
    for account in &accounts {
        let path = format!("/accounts/{account}/customer");
        let body = json!({ "customer_id": customer });
        requests.push(("account.customer_link", Method::PUT, path, Some(body)));
    }
    for i in 0..4 {
        let path = format!("/customers/{customer}/verification");
        let body = json!({"trust_framework": "eidas", "method": "vri", "verifier": format!("K{i}"), "verified_at": 1_700_000_000});
        requests.push(("customer.verify", Method::PUT, path, Some(body)));
    }
    for i in 0..4 {
        let body = json!({"kind": "person", "legal_name": format!("P{i}"), "identifiers": {"tax_id": "same"}});
        requests.push((
            "customer.create",
            Method::POST,
            "/customers".into(),
            Some(body),
        ));
    }
    let path = format!("/customers/{customer}");
    requests.push(("customer.delete", Method::DELETE, path, None));
    let answers =
        futures_util::future::join_all(requests.into_iter().map(|(action, method, path, body)| {
            let (app, admin) = (&app, &admin);
            async move {
                let (status, body, _) = call(app, method, "acme", &path, Some(admin), body).await;
                (action, status, body)
            }
        }))
        .await;
    let mut succeeded = std::collections::HashMap::<&str, usize>::new();
    for (action, status, body) in &answers {
        assert!(
            status.is_success() || *status == StatusCode::NOT_FOUND,
            "{action}: {status} {body}"
        );
        if status.is_success() {
            *succeeded.entry(action).or_default() += 1;
        }
    }
    assert_eq!(succeeded["customer.delete"], 1);
    assert_eq!(succeeded["customer.create"], 4);

    // The customer is gone and no account points at it, whatever order things ran in.
    for account in &accounts {
        let (_, detail, _) = call(
            &app,
            Method::GET,
            "acme",
            &format!("/accounts/{account}"),
            Some(&admin),
            None,
        )
        .await;
        assert!(detail["account"].get("customer_id").is_none(), "{detail}");
    }
    // Every success left exactly one audit entry.
    for (action, earlier) in before {
        let count = succeeded.get(action).copied().unwrap_or_default();
        assert_eq!(audited(action), earlier + count, "{action}");
    }
    let (_, shared, _) = call(
        &app,
        Method::GET,
        "acme",
        "/duplicate-customers",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(shared[0]["customers"].as_array().unwrap().len(), 4);
}
both_engines!(concurrent_links_verifications_and_deletion);

/// The console's Customers section, as an administrator uses it: create, record a
/// verification, link and unlink an account, refuse a bad date, delete.
async fn the_console_keeps_customers(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let admin = app.create_account("acme", "admin@example.com", PASSWORD);
    crate::admin_console::grant(&app, "acme", &admin, &["tenant:admin"]);
    let member = app.create_account("acme", EMAIL, PASSWORD);
    let member = member["id"].as_str().unwrap().to_owned();
    let (browser, _) =
        crate::admin_console::console_sign_in(&app, "acme", "admin@example.com").await;
    let list = browser
        .get(&app.tenant_url("acme", "/admin/customers"))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.html.contains("No customers yet."), "{}", list.html);
    let csrf = list.field("csrf_token").expect("a CSRF token");
    let post = |path: &str, fields: &[(&str, &str)]| {
        let mut form: Vec<(String, String)> = vec![("csrf_token".into(), csrf.clone())];
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let url = app.tenant_url("acme", &format!("/admin{path}"));
        let browser = &browser;
        async move {
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            browser.post(&url, &form).await
        }
    };
    let created = post(
        "/customers",
        &[
            ("kind", "organization"),
            ("name", "Acme Trading Ltd"),
            (
                "identifiers",
                "company_number = 01234567\nvat = GB 123 4567 89",
            ),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let location = created.location.clone().unwrap();
    assert!(location.contains("done=customer_created"), "{location}");
    let path = location
        .split("/admin")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = browser.get(&location).await;
    assert!(page.html.contains("company_number"), "{}", page.html);
    assert!(
        !page.html.contains("01234567"),
        "identifiers are masked until revealed"
    );

    let refused = post(
        &format!("{path}/verify"),
        &[
            ("trust_framework", "uk_tfida"),
            ("method", "vri"),
            ("verifier", "Companies House"),
            ("verified_on", "last tuesday"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.html.contains("YYYY-MM-DD"), "{}", refused.html);
    let verified = post(
        &format!("{path}/verify"),
        &[
            ("trust_framework", "uk_tfida"),
            ("assurance_level", "medium"),
            ("evidence_type", "electronic_record"),
            ("method", "vri"),
            ("verifier", "Companies House"),
            ("verified_on", "2026-11-02"),
        ],
    )
    .await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.html);
    let linked = post(&format!("{path}/link"), &[("account_id", &member)]).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.html);
    let page = browser
        .get(&app.tenant_url("acme", &format!("/admin{path}")))
        .await;
    assert!(page.html.contains("uk_tfida"), "{}", page.html);
    assert!(page.html.contains(&member), "the linked account is listed");
    let account_page = browser
        .get(&app.tenant_url("acme", &format!("/admin/accounts/{member}")))
        .await;
    assert!(account_page.html.contains("Acts for customer"));

    let unlinked = post(&format!("{path}/unlink"), &[("account_id", &member)]).await;
    assert_eq!(unlinked.status, StatusCode::SEE_OTHER);
    let deleted = post(&format!("{path}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let gone = browser
        .get(&app.tenant_url("acme", &format!("/admin{path}")))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let actions = app.audit_actions("acme");
    for action in [
        "customer.create",
        "customer.verify",
        "account.customer_link",
        "customer.delete",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
}
both_engines!(the_console_keeps_customers);

/// `tessera customer …`: the operator's surface of the same operations.
async fn the_cli_keeps_customers(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let created = app.cli_json(&[
        "customer",
        "create",
        "--tenant",
        "acme",
        "--kind",
        "person",
        "--legal-name",
        "Ada Lovelace",
        "--identifier",
        "tax_id=DE 123-456",
        "--json",
    ]);
    let id = created["id"].as_str().unwrap().to_owned();
    let twin = app.cli_json(&[
        "customer",
        "create",
        "--tenant",
        "acme",
        "--kind",
        "person",
        "--legal-name",
        "A. L.",
        "--identifier",
        "tax_id=de123456",
        "--json",
    ]);
    let verified = app.cli_json(&[
        "customer",
        "verify",
        "--tenant",
        "acme",
        &id,
        "--trust-framework",
        "de_aml",
        "--method",
        "vpip",
        "--verifier",
        "Example KYC",
        "--verified-at",
        "2026-11-02",
        "--json",
    ]);
    assert_eq!(verified["verification"]["trust_framework"], "de_aml");
    assert_eq!(
        verified["verification"]["verified_at"], 1_793_620_800,
        "noon UTC of the date"
    );
    let linked = app.cli(&[
        "customer",
        "link",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--customer",
        &id,
    ]);
    assert!(
        linked.status.success(),
        "{}",
        crate::helpers::stderr(&linked)
    );
    let shown = app.cli_json(&["customer", "show", "--tenant", "acme", &id, "--json"]);
    assert_eq!(
        shown["legal_name"], "Ada Lovelace",
        "the operator sees it unmasked"
    );
    assert_eq!(shown["accounts"].as_array().unwrap().len(), 1);
    let shared = app.cli_json(&["customer", "duplicates", "--tenant", "acme", "--json"]);
    assert_eq!(
        shared,
        json!([{"identifier": "tax_id", "customers": [id.clone(), twin["id"].as_str().unwrap()]}])
    );
    let refused = app.cli(&[
        "customer",
        "create",
        "--tenant",
        "acme",
        "--kind",
        "robot",
        "--legal-name",
        "R",
    ]);
    assert!(!refused.status.success());
    assert!(crate::helpers::stderr(&refused).contains("person or organization"));
    let deleted = app.cli(&["customer", "delete", "--tenant", "acme", &id]);
    assert!(
        deleted.status.success(),
        "{}",
        crate::helpers::stderr(&deleted)
    );
    let gone = app.cli(&["customer", "show", "--tenant", "acme", &id]);
    assert!(!gone.status.success());
}
both_engines!(the_cli_keeps_customers);
