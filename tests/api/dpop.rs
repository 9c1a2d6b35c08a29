//! DPoP (RFC 9449, issue 17 item 3): tokens bound to the client's key. The client side (the
//! proofs) is written to the RFC in this file; every MUST of §4.3 has its refusal, and a
//! stolen bound token or refresh token is useless without the key.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Digest;
use tessera::config::TenantRouting;

use crate::attacks_support::{claims, error_of, tokens};
use crate::both_engines;
use crate::browser::Browser;
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const NATIVE: &str = "http://127.0.0.1/native";

fn b64(bytes: &[u8]) -> String {
    tessera::crypto::base64url(bytes)
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A client's DPoP key (P-256), and proofs made with it.
pub struct Key {
    pair: josekit::jwk::alg::ec::EcKeyPair,
}

/// What one proof says; tests change one thing at a time.
pub struct Proof<'a> {
    method: &'a str,
    uri: String,
    token: Option<&'a str>,
    nonce: Option<&'a str>,
    iat: i64,
    jti: String,
    typ: &'a str,
}

impl<'a> Proof<'a> {
    pub fn new(method: &'a str, uri: String) -> Proof<'a> {
        Proof {
            method,
            uri,
            token: None,
            nonce: None,
            iat: now(),
            jti: tessera::crypto::random_token(),
            typ: "dpop+jwt",
        }
    }

    fn with_token(mut self, token: &'a str) -> Proof<'a> {
        self.token = Some(token);
        self
    }
}

impl Default for Key {
    fn default() -> Self {
        Self::new()
    }
}

impl Key {
    pub fn new() -> Key {
        Key {
            pair: josekit::jws::ES256.generate_key_pair().unwrap(),
        }
    }

    fn public_jwk(&self) -> Value {
        serde_json::from_str(&self.pair.to_jwk_public_key().to_string()).unwrap()
    }

    /// RFC 7638: SHA-256 over the required members, in lexicographic order.
    pub fn thumbprint(&self) -> String {
        let jwk = self.public_jwk();
        let canonical = format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            jwk["crv"].as_str().unwrap(),
            jwk["x"].as_str().unwrap(),
            jwk["y"].as_str().unwrap()
        );
        b64(&sha2::Sha256::digest(canonical.as_bytes()))
    }

    fn sign(&self, header_jwk: Value, proof: &Proof) -> String {
        let mut claims = json!({
            "jti": proof.jti, "htm": proof.method, "htu": proof.uri, "iat": proof.iat,
        });
        if let Some(token) = proof.token {
            claims["ath"] = json!(b64(&sha2::Sha256::digest(token.as_bytes())));
        }
        if let Some(nonce) = proof.nonce {
            claims["nonce"] = json!(nonce);
        }
        let mut header = josekit::jws::JwsHeader::new();
        header.set_token_type(proof.typ);
        header.set_claim("jwk", Some(header_jwk)).unwrap();
        let signer = josekit::jws::ES256
            .signer_from_der(self.pair.to_der_private_key())
            .unwrap();
        josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &signer).unwrap()
    }

    pub fn proof(&self, proof: &Proof) -> String {
        self.sign(self.public_jwk(), proof)
    }
}

async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
    proofs: &[&str],
) -> reqwest::Response {
    let mut request = app.client.post(app.tenant_url("acme", "/token")).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    for proof in proofs {
        request = request.header("DPoP", *proof);
    }
    request.send().await.unwrap()
}

async fn resource(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: &str,
    proof: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.tenant_url("acme", path))
        .header("Authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.send().await.unwrap()
}

/// A client_credentials token bound to a key: `token_type` DPoP and `cnf.jkt`; the admin API
/// takes it only with the DPoP scheme and a fresh proof by that key for that request; every
/// MUST of RFC 9449 §4.3 is refused at the token endpoint; a client registered with `--dpop`
/// cannot do without.
async fn tokens_are_bound_to_the_key(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let discovery: Value = app
        .get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["dpop_signing_alg_values_supported"],
        json!(["RS256", "ES256", "EdDSA", "PS256"])
    );
    let issuer = app.issuer("acme");
    let token_uri = format!("{issuer}/token");
    let (client, secret) = app.machine_client("acme");
    app.cli_json(&["role", "create", "--tenant", "acme", "readers", "--json"]);
    app.cli_json(&[
        "role",
        "permit",
        "--tenant",
        "acme",
        "readers",
        "clients:read",
        "--json",
    ]);
    app.cli_json(&[
        "role", "grant", "--tenant", "acme", "readers", "--client", &client, "--json",
    ]);
    let basic = Some((client.as_str(), secret.as_str()));
    let cc = [("grant_type", "client_credentials")];
    let key = Key::new();

    let proof = key.proof(&Proof::new("POST", token_uri.clone()));
    let body = tokens(token_request(&app, &cc, basic, &[&proof]).await).await;
    assert_eq!(body["token_type"], "DPoP", "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&token)["cnf"]["jkt"], key.thumbprint());

    // The same proof twice: a replay.
    let replayed = token_request(&app, &cc, basic, &[&proof]).await;
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(replayed).await, "invalid_dpop_proof");

    // At the admin API: DPoP scheme + a proof for this request by the bound key.
    let clients_uri = format!("{issuer}/admin/api/v1/clients");
    let ok = resource(
        &app,
        Method::GET,
        "/admin/api/v1/clients",
        &format!("DPoP {token}"),
        Some(&key.proof(&Proof::new("GET", clients_uri.clone()).with_token(&token))),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let other = Key::new();
    let refusals: Vec<(&str, String, Option<String>)> = vec![
        // A stolen bound token as a Bearer token, or without a proof.
        ("Bearer", token.clone(), None),
        ("DPoP", token.clone(), None),
        // A proof by another key, without ath, for another URI, another method.
        (
            "DPoP",
            token.clone(),
            Some(other.proof(&Proof::new("GET", clients_uri.clone()).with_token(&token))),
        ),
        (
            "DPoP",
            token.clone(),
            Some(key.proof(&Proof::new("GET", clients_uri.clone()))),
        ),
        (
            "DPoP",
            token.clone(),
            Some(key.proof(
                &Proof::new("GET", format!("{issuer}/admin/api/v1/keys")).with_token(&token),
            )),
        ),
        (
            "DPoP",
            token.clone(),
            Some(key.proof(&Proof::new("POST", clients_uri.clone()).with_token(&token))),
        ),
    ];
    for (scheme, token, proof) in refusals {
        let response = resource(
            &app,
            Method::GET,
            "/admin/api/v1/clients",
            &format!("{scheme} {token}"),
            proof.as_deref(),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{scheme} {proof:?}"
        );
    }

    // Introspection reports the binding to the resource server.
    let seen = tokens(
        app.post_form("acme", "/introspect", &[("token", token.as_str())], basic)
            .await,
    )
    .await;
    assert_eq!(seen["token_type"], "DPoP");
    assert_eq!(seen["cnf"]["jkt"], key.thumbprint());

    // RFC 9449 §4.3, one MUST at a time.
    let mut private = key.public_jwk();
    let full: Value = serde_json::from_str(&key.pair.to_jwk_key_pair().to_string()).unwrap();
    private["d"] = full["d"].clone();
    let old = Proof {
        iat: now() - 600,
        ..Proof::new("POST", token_uri.clone())
    };
    let ahead = Proof {
        iat: now() + 600,
        ..Proof::new("POST", token_uri.clone())
    };
    let typ = Proof {
        typ: "JWT",
        ..Proof::new("POST", token_uri.clone())
    };
    let bad: Vec<(&str, String)> = vec![
        ("not a JWT", "not-a-jwt".into()),
        ("typ", key.proof(&typ)),
        (
            "private key in jwk",
            key.sign(private, &Proof::new("POST", token_uri.clone())),
        ),
        (
            "signed by another key",
            other.sign(key.public_jwk(), &Proof::new("POST", token_uri.clone())),
        ),
        ("htm", key.proof(&Proof::new("GET", token_uri.clone()))),
        (
            "htu",
            key.proof(&Proof::new("POST", format!("{issuer}/userinfo"))),
        ),
        ("iat in the past", key.proof(&old)),
        ("iat in the future", key.proof(&ahead)),
    ];
    for (why, proof) in bad {
        let response = token_request(&app, &cc, basic, &[&proof]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{why}");
        assert_eq!(error_of(response).await, "invalid_dpop_proof", "{why}");
    }
    let two = [
        key.proof(&Proof::new("POST", token_uri.clone())),
        key.proof(&Proof::new("POST", token_uri.clone())),
    ];
    let response = token_request(&app, &cc, basic, &[&two[0], &two[1]]).await;
    assert_eq!(error_of(response).await, "invalid_dpop_proof");

    // Unbound tokens keep working as Bearer tokens, and only so.
    let plain = tokens(token_request(&app, &cc, basic, &[]).await).await;
    assert_eq!(plain["token_type"], "Bearer");
    let plain = plain["access_token"].as_str().unwrap();
    let response = resource(
        &app,
        Method::GET,
        "/admin/api/v1/clients",
        &format!("Bearer {plain}"),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = resource(
        &app,
        Method::GET,
        "/admin/api/v1/clients",
        &format!("DPoP {plain}"),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let updated = app.cli_json(&[
        "client", "update", "--tenant", "acme", &client, "--dpop", "true", "--json",
    ]);
    assert_eq!(updated["dpop_bound_access_tokens"], true, "{updated}");
    // A client that must use DPoP (registered so; the server's client cache would hold an
    // update made from another process for up to its TTL).
    let strict = app.create_client("acme", &["--grant", "client_credentials", "--dpop"]);
    assert_eq!(strict["dpop_bound_access_tokens"], true, "{strict}");
    let basic = Some((
        strict["client_id"].as_str().unwrap(),
        strict["client_secret"].as_str().unwrap(),
    ));
    let response = token_request(&app, &cc, basic, &[]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(response).await, "invalid_dpop_proof");
    let proof = key.proof(&Proof::new("POST", token_uri.clone()));
    assert_eq!(
        tokens(token_request(&app, &cc, basic, &[&proof]).await).await["token_type"],
        "DPoP"
    );
}

both_engines!(tokens_are_bound_to_the_key);

/// A public client's tokens from the code flow: the access token works at userinfo only with
/// a proof, and the refresh token only with a proof by the same key (a stolen refresh token
/// cannot even be spent: it still works for its owner afterwards).
async fn a_public_clients_refresh_token_is_bound(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let created = app.create_client(
        "acme",
        &["--public", "--redirect-uri", NATIVE, "--consent", "skip"],
    );
    let client = created["client_id"].as_str().unwrap().to_owned();
    let issuer = app.issuer("acme");
    let token_uri = format!("{issuer}/token");
    let key = Key::new();

    let (verifier, challenge) = crate::flow::pkce();
    let mut url = url::Url::parse(&app.tenant_url("acme", "/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client)
        .append_pair("redirect_uri", NATIVE)
        .append_pair("scope", "openid profile")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let browser = Browser::default();
    let page = browser
        .follow(browser.get(url.as_str()).await, NATIVE)
        .await;
    let page = browser
        .submit(&page, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    let page = browser.follow(page, NATIVE).await;
    let code = page
        .query_param("code")
        .unwrap_or_else(|| panic!("{:?}", page.location));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", NATIVE),
        ("code_verifier", verifier.as_str()),
        ("client_id", client.as_str()),
    ];
    let proof = key.proof(&Proof::new("POST", token_uri.clone()));
    let body = tokens(token_request(&app, &form, None, &[&proof]).await).await;
    assert_eq!(body["token_type"], "DPoP");
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    let userinfo_uri = format!("{issuer}/userinfo");
    let bearer = resource(
        &app,
        Method::GET,
        "/userinfo",
        &format!("Bearer {access}"),
        None,
    )
    .await;
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
    assert!(bearer.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("DPoP "));
    let proof = key.proof(&Proof::new("GET", userinfo_uri.clone()).with_token(&access));
    let info = resource(
        &app,
        Method::GET,
        "/userinfo",
        &format!("DPoP {access}"),
        Some(&proof),
    )
    .await;
    assert_eq!(info.status(), StatusCode::OK);
    let info: Value = info.json().await.unwrap();
    assert!(info["sub"].is_string());

    // A thief with the refresh token but not the key.
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", client.as_str()),
    ];
    let thief = Key::new();
    for proofs in [
        vec![],
        vec![thief.proof(&Proof::new("POST", token_uri.clone()))],
    ] {
        let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        let response = token_request(&app, &refresh_form, None, &proofs).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error_of(response).await, "invalid_dpop_proof");
    }
    // The owner refreshes (the refusals spent nothing); the new access token is bound too.
    let proof = key.proof(&Proof::new("POST", token_uri.clone()));
    let body = tokens(token_request(&app, &refresh_form, None, &[&proof]).await).await;
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["cnf"]["jkt"],
        key.thumbprint()
    );
}

both_engines!(a_public_clients_refresh_token_is_bound);

/// With `tokens.dpop_nonce_required`, a proof without the server's nonce is answered with
/// `use_dpop_nonce` and a `DPoP-Nonce` to use (400 at /token, 401 with a DPoP challenge at
/// userinfo); with the nonce it is accepted. A made-up nonce is refused.
async fn server_nonces(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| s.tokens.dpop_nonce_required = true).await;
    app.create_tenant("acme");
    let (client, secret) = app.machine_client("acme");
    let basic = Some((client.as_str(), secret.as_str()));
    let cc = [("grant_type", "client_credentials")];
    let token_uri = format!("{}/token", app.issuer("acme"));
    let key = Key::new();

    let response = token_request(
        &app,
        &cc,
        basic,
        &[&key.proof(&Proof::new("POST", token_uri.clone()))],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let nonce = response.headers()["dpop-nonce"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(error_of(response).await, "use_dpop_nonce");

    let made_up = Proof {
        nonce: Some("1.0000"),
        ..Proof::new("POST", token_uri.clone())
    };
    let response = token_request(&app, &cc, basic, &[&key.proof(&made_up)]).await;
    assert_eq!(error_of(response).await, "use_dpop_nonce");

    let with_nonce = Proof {
        nonce: Some(&nonce),
        ..Proof::new("POST", token_uri.clone())
    };
    let body = tokens(token_request(&app, &cc, basic, &[&key.proof(&with_nonce)]).await).await;
    assert_eq!(body["token_type"], "DPoP");
}

both_engines!(server_nonces);

/// Concurrency: one proof sent eight times at once is accepted exactly once (the `jti` is
/// recorded atomically on both engines); eight distinct proofs at once all succeed.
async fn proofs_under_concurrency(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (client, secret) = app.machine_client("acme");
    let basic = Some((client.as_str(), secret.as_str()));
    let cc = [("grant_type", "client_credentials")];
    let token_uri = format!("{}/token", app.issuer("acme"));
    let key = Key::new();

    let proof = key.proof(&Proof::new("POST", token_uri.clone()));
    let one = [proof.as_str()];
    let same =
        futures_util::future::join_all((0..8).map(|_| token_request(&app, &cc, basic, &one))).await;
    let ok = same.iter().filter(|r| r.status() == StatusCode::OK).count();
    let refused = same
        .iter()
        .filter(|r| r.status() == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!((ok, refused), (1, 7));

    let proofs: Vec<String> = (0..8)
        .map(|_| key.proof(&Proof::new("POST", token_uri.clone())))
        .collect();
    let each: Vec<[&str; 1]> = proofs.iter().map(|p| [p.as_str()]).collect();
    let distinct =
        futures_util::future::join_all(each.iter().map(|p| token_request(&app, &cc, basic, p)))
            .await;
    for response in distinct {
        assert_eq!(tokens(response).await["token_type"], "DPoP");
    }
}

both_engines!(proofs_under_concurrency);
