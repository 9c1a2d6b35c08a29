//! Discovery says only what is true (issue 17, item 7): every advertised value is exercised
//! here and works, and what tokens carry is advertised. Grant types, response types and
//! modes, PKCE methods, subject types, client authentication methods, signing algorithms
//! and claims.

use std::collections::BTreeSet;

use serde_json::Value;
use tessera::config::TenantRouting;

use crate::attacks_support::{claims, tokens};
use crate::both_engines;
use crate::browser::Browser;
use crate::flow::{authorize_url, pkce, register_rp, sign_in, Rp, REDIRECT};
use crate::helpers::{Engine, TestApp};
use crate::variants::{assertion_token, ClientKey};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `url` with `name` set to `value` (replacing it).
fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(name, value);
    url.to_string()
}

/// Signs in (a fresh browser) and returns the code, with the verifier.
async fn code_for(app: &TestApp, rp: &Rp, extra: &[(&str, &str)]) -> (String, String) {
    let (verifier, challenge) = pkce();
    let url = authorize_url(app, "acme", rp, &challenge, extra);
    let back = sign_in(&Browser::default(), &url, EMAIL, PASSWORD).await;
    let code = back
        .query_param("code")
        .unwrap_or_else(|| panic!("no code: {:?} {}", back.location, back.html));
    (code, verifier)
}

/// The tokens a code is redeemed for, the client authenticating with its secret (Basic).
async fn redeemed(app: &TestApp, rp: &Rp, code: &str, verifier: &str) -> Value {
    tokens(crate::flow::exchange(app, "acme", rp, code, Some(verifier)).await).await
}

async fn redeem(app: &TestApp, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Value {
    tokens(app.post_form("acme", "/token", form, basic).await).await
}

async fn every_advertised_value_works(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let profile = account["profiles"][0]["id"].as_str().unwrap().to_owned();
    app.cli_json(&[
        "profile",
        "update",
        "--tenant",
        "acme",
        &profile,
        "--picture",
        "https://example.com/ada.png",
        "--locale",
        "en-GB",
        "--json",
    ]);
    let d: Value = app
        .get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();

    // response_types and response_modes: code, by query and by form_post.
    assert_eq!(strings(&d["response_types_supported"]), set(&["code"]));
    assert_eq!(
        strings(&d["response_modes_supported"]),
        set(&["query", "form_post"])
    );
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let (_, challenge) = pkce();
    let posted = Browser::default();
    let url = authorize_url(
        &app,
        "acme",
        &rp,
        &challenge,
        &[("response_mode", "form_post")],
    );
    let mut page = posted.follow(posted.get(&url).await, REDIRECT).await;
    page = posted
        .submit(&page, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    let page = posted.follow(page, REDIRECT).await;
    assert!(
        page.html.contains(r#"name="code""#),
        "form_post: {}",
        page.html
    );
    let refused = with_param(
        &authorize_url(&app, "acme", &rp, &challenge, &[]),
        "response_type",
        "token",
    );
    let answer = Browser::default().get(&refused).await;
    assert!(
        answer
            .location
            .unwrap_or_default()
            .contains("error=unsupported_response_type"),
        "only code is advertised, and only code works"
    );

    // code_challenge_methods: S256 (used throughout); plain is refused.
    assert_eq!(
        strings(&d["code_challenge_methods_supported"]),
        set(&["S256"])
    );
    let plain = with_param(
        &authorize_url(&app, "acme", &rp, &challenge, &[]),
        "code_challenge_method",
        "plain",
    );
    let answer = Browser::default().get(&plain).await;
    assert!(answer
        .location
        .unwrap_or_default()
        .contains("error=invalid_request"));

    // grant_types and token endpoint authentication methods, each used (the device grant
    // end to end in `device::a_device_signs_in_through_another_browser`).
    assert_eq!(
        strings(&d["grant_types_supported"]),
        set(&[
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code"
        ])
    );
    assert_eq!(
        strings(&d["token_endpoint_auth_methods_supported"]),
        set(&[
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none"
        ])
    );
    // client_secret_basic, authorization_code, then refresh_token.
    let (code, verifier) = code_for(&app, &rp, &[]).await;
    let first = redeemed(&app, &rp, &code, &verifier).await;
    let refresh = first["refresh_token"].as_str().expect("a refresh token");
    let refreshed = redeem(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        Some((&rp.id, &rp.secret)),
    )
    .await;
    assert!(refreshed["access_token"].is_string());
    // client_secret_post.
    let post_rp = register_rp(
        &app,
        "acme",
        &["--consent", "skip", "--auth-method", "client_secret_post"],
    );
    let (code, verifier) = code_for(&app, &post_rp, &[]).await;
    redeem(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
            ("client_id", post_rp.id.as_str()),
            ("client_secret", post_rp.secret.as_str()),
        ],
        None,
    )
    .await;
    // none: a public client.
    let public = register_rp(&app, "acme", &["--consent", "skip", "--public"]);
    let (code, verifier) = code_for(&app, &public, &[]).await;
    redeem(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
            ("client_id", public.id.as_str()),
        ],
        None,
    )
    .await;
    // private_key_jwt, with client_credentials.
    let key = ClientKey::new();
    let jwks = app.db.dir.path().join("discovery-jwks.json");
    std::fs::write(&jwks, key.jwks().to_string()).unwrap();
    let machine = app.create_client(
        "acme",
        &[
            "--grant",
            "client_credentials",
            "--auth-method",
            "private_key_jwt",
            "--jwks",
            jwks.to_str().unwrap(),
        ],
    );
    let machine_id = machine["client_id"].as_str().unwrap();
    let assertion = key.assertion(
        machine_id,
        &(app.issuer("acme") + "/token"),
        60,
        "discovery",
    );
    tokens(assertion_token(&app, &assertion, &[]).await).await;
    let algs = strings(&d["token_endpoint_auth_signing_alg_values_supported"]);
    assert!(algs.contains("ES256"), "{algs:?}");

    // id_token_signing_alg_values: a client per algorithm gets ID tokens signed with it.
    let advertised = strings(&d["id_token_signing_alg_values_supported"]);
    assert_eq!(advertised, set(&["RS256", "ES256", "EdDSA"]));
    for alg in &advertised {
        let signed = register_rp(&app, "acme", &["--consent", "skip", "--signing-alg", alg]);
        let (code, verifier) = code_for(&app, &signed, &[]).await;
        let issued = redeemed(&app, &signed, &code, &verifier).await;
        let id_token = issued["id_token"].as_str().unwrap();
        let header = josekit::jwt::decode_header(id_token).unwrap();
        assert_eq!(header.claim("alg").unwrap(), alg.as_str());
    }

    // subject_types: public (the profile) and pairwise (per sector, not the profile).
    assert_eq!(
        strings(&d["subject_types_supported"]),
        set(&["public", "pairwise"])
    );
    let public_sub = claims(first["id_token"].as_str().unwrap())["sub"].clone();
    assert_eq!(public_sub, profile.as_str());
    let pairwise = register_rp(
        &app,
        "acme",
        &["--consent", "skip", "--subject-mode", "pairwise"],
    );
    let (code, verifier) = code_for(&app, &pairwise, &[]).await;
    let issued = redeemed(&app, &pairwise, &code, &verifier).await;
    let pairwise_sub = claims(issued["id_token"].as_str().unwrap())["sub"].clone();
    assert!(pairwise_sub.is_string() && pairwise_sub != public_sub);

    // claims: everything tokens and userinfo carry is advertised, and everything advertised
    // is carried by some token (account_id by an account-mode client).
    let advertised = strings(&d["claims_supported"]);
    let mut seen = BTreeSet::new();
    let id_claims = claims(first["id_token"].as_str().unwrap());
    seen.extend(id_claims.as_object().unwrap().keys().cloned());
    let userinfo: Value = app
        .get_bearer("acme", "/userinfo", first["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    seen.extend(userinfo.as_object().unwrap().keys().cloned());
    let account_rp = register_rp(
        &app,
        "acme",
        &["--consent", "skip", "--subject-mode", "account"],
    );
    // A verified person customer, and a client asking for verified_claims (claims parameter).
    let (_, admin) = crate::admin_matrix::machine_admin(&app, "acme", &["accounts:write"]).await;
    let customer = crate::admin_matrix::expect_ok(
        &app,
        &admin,
        reqwest::Method::POST,
        "/customers",
        serde_json::json!({"kind": "person", "legal_name": "Ada Lovelace"}),
    )
    .await;
    let customer = customer["id"].as_str().unwrap().to_owned();
    let account_id = account["id"].as_str().unwrap();
    crate::admin_matrix::expect_ok(
        &app,
        &admin,
        reqwest::Method::PUT,
        &format!("/accounts/{account_id}/customer"),
        serde_json::json!({ "customer_id": customer }),
    )
    .await;
    crate::admin_matrix::expect_ok(
        &app,
        &admin,
        reqwest::Method::PUT,
        &format!("/customers/{customer}/verification"),
        serde_json::json!({"trust_framework": "eidas", "method": "vri", "evidence_type": "electronic_record",
            "verifier": "Example KYC", "verified_at": 1_700_000_000}),
    )
    .await;
    let asked = r#"{"id_token":{"verified_claims":{"verification":{"trust_framework":null,"evidence":null},"claims":null}}}"#;
    let (code, verifier) = code_for(&app, &account_rp, &[("claims", asked)]).await;
    let issued = redeemed(&app, &account_rp, &code, &verifier).await;
    let verified = &claims(issued["id_token"].as_str().unwrap())["verified_claims"];
    // Discovery reads the frameworks in use again after the tenant cache's lifetime.
    let discovery = || async {
        app.get_tenant("acme", "/.well-known/openid-configuration")
            .await
            .json::<Value>()
            .await
            .unwrap()
    };
    crate::helpers::eventually("the new trust framework is advertised", || async {
        !discovery().await["trust_frameworks_supported"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;
    let now = discovery().await;
    assert_eq!(d["claims_parameter_supported"], true);
    assert_eq!(now["verified_claims_supported"], true);
    assert_eq!(strings(&now["trust_frameworks_supported"]), set(&["eidas"]));
    let evidence = verified["verification"]["evidence"][0]["type"]
        .as_str()
        .unwrap();
    assert!(strings(&now["evidence_supported"]).contains(evidence));
    for claim in verified["claims"].as_object().unwrap().keys() {
        assert!(strings(&now["claims_in_verified_claims_supported"]).contains(claim));
    }
    seen.extend(
        claims(issued["id_token"].as_str().unwrap())
            .as_object()
            .unwrap()
            .keys()
            .cloned(),
    );
    let unadvertised: Vec<_> = seen.difference(&advertised).collect();
    assert!(
        unadvertised.is_empty(),
        "carried but not advertised: {unadvertised:?}"
    );
    let unseen: Vec<_> = advertised.difference(&seen).collect();
    assert!(
        unseen.is_empty(),
        "advertised but never carried: {unseen:?}"
    );

    // prompt values: none without a session is answered login_required.
    assert_eq!(
        strings(&d["prompt_values_supported"]),
        set(&["none", "login", "consent", "select_account"])
    );
    let silent = authorize_url(&app, "acme", &rp, &challenge, &[("prompt", "none")]);
    let answer = Browser::default().get(&silent).await;
    assert!(answer
        .location
        .unwrap_or_default()
        .contains("error=login_required"));

    // Unsupported ways in are refused: a request object.
    let with_request = authorize_url(&app, "acme", &rp, &challenge, &[("request", "x.y.z")]);
    let answer = Browser::default().get(&with_request).await;
    assert!(answer
        .location
        .unwrap_or_default()
        .contains("error=request_not_supported"));
    assert_eq!(d["request_parameter_supported"], false);
}

both_engines!(every_advertised_value_works);

async fn advertised(app: &TestApp) -> BTreeSet<String> {
    let d: Value = app
        .get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    strings(&d["claims_supported"])
}

/// A tenant's released custom attributes are claims too: declared with a releasing scope,
/// discovery's `claims_supported` names them at once and ID tokens carry them; removed, they
/// leave it.
async fn released_attributes_are_advertised(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let (_, admin) = crate::admin_matrix::machine_admin(&app, "acme", &["settings:write"]).await;
    assert!(!advertised(&app).await.contains("employee_number"));
    let (status, body, _) = crate::admin_matrix::call(
        &app,
        reqwest::Method::POST,
        "acme",
        "/attributes",
        Some(&admin),
        Some(serde_json::json!({
            "name": "employee_number", "kind": "string", "claim_scope": "profile",
        })),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    assert!(advertised(&app).await.contains("employee_number"));

    let profile = account["profiles"][0]["id"].as_str().unwrap();
    app.cli_json(&[
        "profile",
        "update",
        "--tenant",
        "acme",
        profile,
        "--attributes",
        r#"{"employee_number":"E-7"}"#,
        "--json",
    ]);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let (code, verifier) = code_for(&app, &rp, &[]).await;
    let issued = redeemed(&app, &rp, &code, &verifier).await;
    assert_eq!(
        claims(issued["id_token"].as_str().unwrap())["employee_number"],
        "E-7"
    );

    let (status, _, _) = crate::admin_matrix::call(
        &app,
        reqwest::Method::DELETE,
        "acme",
        "/attributes/employee_number",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    assert!(!advertised(&app).await.contains("employee_number"));
}

both_engines!(released_attributes_are_advertised);
