//! OIDC Back-Channel Logout 1.0 (issue 16, item 3): a client that registered a
//! `backchannel_logout_uri` receives a logout token for each session it took part in when
//! that session ends: RP-initiated logout, an administrator's sign-out, suspension, a
//! password change, expiry. A receiver started here checks every token as §2.6 asks:
//! signature by the tenant's published key, `typ`, `iss`, `aud`, `iat`/`exp`, `jti`, the
//! `events` member, `sub` and `sid` matching the ID token, and no `nonce`.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::admin_matrix::{call, machine_admin};
use crate::both_engines;
use crate::browser::Browser;
use crate::events::{quick, Received, Receiver};
use crate::flow::{authorize_url, exchange, pkce, register_rp, sign_in, Rp};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";

/// Signs in with a fresh browser and redeems the code; returns the browser and the ID
/// token's claims.
async fn signed_in(app: &TestApp, rp: &Rp) -> (Browser, String, Value) {
    let browser = Browser::default();
    let (verifier, challenge) = pkce();
    let url = authorize_url(app, "acme", rp, &challenge, &[]);
    let back = sign_in(&browser, &url, EMAIL, PASSWORD).await;
    let code = back
        .query_param("code")
        .unwrap_or_else(|| panic!("signed in: {:?} {}", back.location, back.html));
    let response = exchange(app, "acme", rp, &code, Some(&verifier)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let claims = payload(&id_token);
    (browser, id_token, claims)
}

fn payload(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The logout token a back-channel request carries, checked as a relying party must (§2.6).
async fn verified(app: &TestApp, rp: &Rp, received: &Received) -> Value {
    assert_eq!(
        received.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&received.body).unwrap();
    assert_eq!(form.len(), 1, "{form:?}");
    assert_eq!(form[0].0, "logout_token");
    let token = &form[0].1;
    let jwks: Value = app
        .get_tenant("acme", "/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let header = josekit::jwt::decode_header(token).unwrap();
    assert_eq!(header.claim("typ").unwrap(), "logout+jwt");
    let kid = header.claim("kid").unwrap().as_str().unwrap().to_owned();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("signed by a published key");
    let jwk = josekit::jwk::Jwk::from_bytes(key.to_string()).unwrap();
    assert_eq!(header.claim("alg").unwrap(), "RS256");
    let verifier = josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap();
    let (claims, _) = josekit::jwt::decode_with_verifier(token, &verifier).unwrap();
    let claims: Value = serde_json::from_str(&claims.to_string()).unwrap();
    assert_eq!(claims["iss"], app.issuer("acme"));
    assert_eq!(claims["aud"], rp.id.as_str());
    let now = tessera::domain::unix_now();
    let iat = claims["iat"].as_i64().unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(iat <= now + 5 && exp > iat, "{claims}");
    assert!(!claims["jti"].as_str().unwrap().is_empty());
    assert!(
        claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object(),
        "{claims}"
    );
    assert!(claims.get("nonce").is_none(), "a logout token has no nonce");
    claims
}

/// Every way a session ends tells the clients that took part in it, once each, and only
/// them.
async fn every_way_a_session_ends_sends_one_logout_token(engine: Engine) {
    let app = TestApp::spawn_with(engine, quick).await;
    app.create_tenant("acme");
    let receiver = Receiver::start(0).await;
    let bystander_receiver = Receiver::start(0).await;
    let rp = register_rp(
        &app,
        "acme",
        &[
            "--consent",
            "skip",
            "--backchannel-logout-uri",
            &receiver.url,
        ],
    );
    // Registered for logouts, but never part of these sessions: never told.
    register_rp(
        &app,
        "acme",
        &["--backchannel-logout-uri", &bystander_receiver.url],
    );
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let id = account["id"].as_str().unwrap().to_owned();
    let (_, token) = machine_admin(&app, "acme", &["accounts:write"]).await;
    let discovery: Value = app
        .get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["backchannel_logout_supported"], true);
    assert_eq!(discovery["backchannel_logout_session_supported"], true);
    let shown = app.cli_json(&["client", "show", "--tenant", "acme", &rp.id, "--json"]);
    assert_eq!(shown["backchannel_logout_uri"], receiver.url.as_str());

    let mut expected_sids = Vec::new();
    let mut told = 0;
    let mut wait_for = |n: usize| {
        told = n;
        receiver.until("logout token", move |got| got.len() >= n)
    };

    // 1. RP-initiated logout.
    let (browser, id_token, claims) = signed_in(&app, &rp).await;
    expected_sids.push(claims["sid"].as_str().unwrap().to_owned());
    let mut logout = url::Url::parse(&app.tenant_url("acme", "/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &id_token)
        .append_pair("post_logout_redirect_uri", "http://127.0.0.1:9/signed-out");
    let out = browser.get(logout.as_str()).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    wait_for(1).await;

    // 2. An administrator signs the account out everywhere.
    let (_, _, claims) = signed_in(&app, &rp).await;
    expected_sids.push(claims["sid"].as_str().unwrap().to_owned());
    let path = format!("/accounts/{id}/sign-out");
    let (status, _, _) = call(&app, Method::POST, "acme", &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    wait_for(2).await;

    // 3. Suspension (then back).
    let (_, _, claims) = signed_in(&app, &rp).await;
    expected_sids.push(claims["sid"].as_str().unwrap().to_owned());
    for verb in ["suspend", "resume"] {
        let path = format!("/accounts/{id}/{verb}");
        let (status, _, _) = call(&app, Method::POST, "acme", &path, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK);
    }
    wait_for(3).await;

    // 4. A password change at the account page ends the other sessions: the one the client
    // took part in is told; the account page's own session was no client's.
    let (_, _, claims) = signed_in(&app, &rp).await;
    expected_sids.push(claims["sid"].as_str().unwrap().to_owned());
    let own = Browser::default();
    let login = own
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let page = own
        .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    let page = own.follow(page, "http://127.0.0.1:9/").await;
    let csrf = page.field("csrf_token").expect("the account page");
    let changed = own
        .post(
            &app.tenant_url("acme", "/account/password"),
            &[
                ("csrf_token", csrf.as_str()),
                ("current_password", PASSWORD),
                ("new_password", "another long enough passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.html);
    wait_for(4).await;
    assert_eq!(told, 4);

    // Nothing more arrives: one token per session end, none for the bystander.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.received();
    assert_eq!(got.len(), expected_sids.len(), "{got:#?}");
    assert!(bystander_receiver.received().is_empty());
    let mut jtis = HashSet::new();
    let mut sids = Vec::new();
    for received in &got {
        let claims = verified(&app, &rp, received).await;
        assert_eq!(claims["sub"], account["profiles"][0]["id"], "{claims}");
        jtis.insert(claims["jti"].as_str().unwrap().to_owned());
        sids.push(claims["sid"].as_str().unwrap().to_owned());
    }
    assert_eq!(jtis.len(), got.len(), "every token has its own jti");
    assert_eq!(sids, expected_sids, "each session named once, in order");
}

both_engines!(every_way_a_session_ends_sends_one_logout_token);

/// A session that simply expires is ended by the maintenance round (here `tessera purge`),
/// and the client is told; a receiver that is down gets the token later.
async fn an_expired_session_is_told_too(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| {
        quick(s);
        s.sessions.absolute_lifetime_secs = 2;
        s.maintenance.purge_interval_secs = 0;
    })
    .await;
    app.create_tenant("acme");
    let receiver = Receiver::start(2).await;
    let rp = register_rp(
        &app,
        "acme",
        &[
            "--consent",
            "skip",
            "--backchannel-logout-uri",
            &receiver.url,
        ],
    );
    app.create_account("acme", EMAIL, PASSWORD);
    let (_, _, claims) = signed_in(&app, &rp).await;
    // Past its lifetime, the session is not yet ended: nobody is told before the round.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(receiver.received().is_empty());
    // Two maintenance rounds at once (two nodes): the session is ended, and told, once.
    let rounds: Vec<serde_json::Value> = std::thread::scope(|s| {
        let both = [
            s.spawn(|| app.cli_json(&["purge", "--json"])),
            s.spawn(|| app.cli_json(&["purge", "--json"])),
        ];
        both.map(|round| round.join().unwrap())
            .into_iter()
            .collect()
    });
    let ended: u64 = rounds
        .iter()
        .map(|purged| {
            purged["tables"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["table"] == "sessions (expired, ended)")
                .unwrap()["deleted"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(ended, 1, "{rounds:?}");
    receiver
        .until("told after two failures", |got| {
            got.iter().any(|r| r.status == 204)
        })
        .await;
    let got = receiver.received();
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 204]);
    let token = verified(&app, &rp, &got[2]).await;
    assert_eq!(token["sid"], claims["sid"]);
    // A second round finds nothing more to end.
    let again = app.cli_json(&["purge", "--json"]);
    assert!(again.to_string().contains("\"deleted\":0"), "{again}");
}

both_engines!(an_expired_session_is_told_too);

/// A back-channel logout URI must be https (http only to loopback) without a fragment.
async fn logout_uris_are_checked(engine: Engine) {
    let app = TestApp::spawn_with(engine, quick).await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["clients:write"]).await;
    for uri in [
        "http://rp.example.com/logout",
        "https://rp.example.com/logout#frag",
        "ftp://rp.example.com/logout",
        "not a uri",
    ] {
        let body = serde_json::json!({
            "name": "rp",
            "redirect_uris": ["https://rp.example.com/cb"],
            "backchannel_logout_uri": uri,
        });
        let (status, answer, _) = call(
            &app,
            Method::POST,
            "acme",
            "/clients",
            Some(&token),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {answer}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains("backchannel_logout_uri"),
            "{answer}"
        );
    }
    let body = serde_json::json!({
        "name": "rp",
        "redirect_uris": ["https://rp.example.com/cb"],
        "backchannel_logout_uri": "https://rp.example.com/logout",
    });
    let (status, created, _) = call(
        &app,
        Method::POST,
        "acme",
        "/clients",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["client"]["client_id"].as_str().unwrap();
    let path = format!("/clients/{id}");
    let clear = serde_json::json!({ "backchannel_logout_uri": "" });
    let (status, changed, _) = call(
        &app,
        Method::PATCH,
        "acme",
        &path,
        Some(&token),
        Some(clear),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert!(changed["backchannel_logout_uri"].is_null(), "{changed}");
}

both_engines!(logout_uris_are_checked);
