//! FAPI 2.0 Security Profile per client (issue 17 item 6) and PS256: a client held to the
//! profile must push its requests (PAR) with PKCE, authenticate with private_key_jwt signed
//! PS256 or ES256, and prove a DPoP key; its tokens are signed PS256, ES256 or EdDSA.
//! Each requirement has its refusal; the client side is written to the specs in this file.

use std::io::Write;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::attacks_support::{claims, error_of, tokens};
use crate::both_engines;
use crate::browser::Browser;
use crate::dpop::{Key, Proof};
use crate::flow::{pkce, sign_in, REDIRECT};
use crate::helpers::{stderr, Engine, TestApp};
use crate::variants::ClientKey;

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The client's RSA key: published without `alg`, so it may verify RS256 as well as PS256
/// (the profile, not the key, is what must refuse RS256).
struct RsaKey {
    pair: josekit::jwk::alg::rsa::RsaKeyPair,
    kid: String,
}

impl RsaKey {
    fn new() -> RsaKey {
        RsaKey {
            pair: josekit::jws::RS256.generate_key_pair(2048).unwrap(),
            kid: tessera::crypto::random_token(),
        }
    }

    fn jwk(&self) -> Value {
        let mut jwk = self.pair.to_jwk_public_key();
        jwk.set_key_id(&self.kid);
        let mut jwk: Value = serde_json::from_str(&jwk.to_string()).unwrap();
        // josekit names the algorithm it generated the pair for; this key names none.
        jwk.as_object_mut().unwrap().remove("alg");
        jwk
    }

    fn assertion(&self, client_id: &str, aud: &str, alg: &str) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": aud, "exp": now + 60, "iat": now,
            "jti": tessera::crypto::random_token(),
        });
        let mut header = josekit::jws::JwsHeader::new();
        header.set_key_id(&self.kid);
        let der = self.pair.to_der_private_key();
        let signed = match alg {
            "PS256" => josekit::jws::serialize_compact(
                claims.to_string().as_bytes(),
                &header,
                &josekit::jws::PS256.signer_from_der(&der).unwrap(),
            ),
            _ => josekit::jws::serialize_compact(
                claims.to_string().as_bytes(),
                &header,
                &josekit::jws::RS256.signer_from_der(&der).unwrap(),
            ),
        };
        signed.unwrap()
    }
}

fn client_args<'a>(jwks: &'a str, alg: &'a str) -> Vec<&'a str> {
    vec![
        "--redirect-uri",
        REDIRECT,
        "--consent",
        "skip",
        "--auth-method",
        "private_key_jwt",
        "--jwks",
        jwks,
        "--signing-alg",
        alg,
        "--fapi2",
    ]
}

/// A FAPI 2.0 client from push to tokens, with a refusal for each requirement it breaks, and
/// tokens signed PS256 with the tenant's PS256 key.
async fn fapi2_clients_follow_the_profile(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let issuer = app.issuer("acme");
    let discovery: Value = app
        .get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        discovery["token_endpoint_auth_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("PS256"))
    );

    let rsa = RsaKey::new();
    let ec = ClientKey::new();
    let mut jwks = ec.jwks();
    jwks["keys"].as_array_mut().unwrap().push(rsa.jwk());
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(file, "{jwks}").unwrap();
    let jwks_path = file.path().to_str().unwrap().to_owned();

    // What the profile refuses at registration.
    let secret_based = app.cli(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Bank",
        "--redirect-uri",
        REDIRECT,
        "--fapi2",
    ]);
    assert!(!secret_based.status.success());
    assert!(
        stderr(&secret_based).contains("private_key_jwt"),
        "{}",
        stderr(&secret_based)
    );
    let mut args = vec!["client", "create", "--tenant", "acme", "--name", "Bank"];
    args.extend(client_args(&jwks_path, "RS256"));
    let rs256 = app.cli(&args);
    assert!(
        stderr(&rs256).contains("PS256, ES256 or EdDSA"),
        "{}",
        stderr(&rs256)
    );
    let mut args = vec!["client", "create", "--tenant", "acme", "--name", "Bank"];
    args.extend(client_args(&jwks_path, "PS256"));
    let no_key = app.cli(&args);
    assert!(
        stderr(&no_key).contains("no PS256 key"),
        "{}",
        stderr(&no_key)
    );

    // With the tenant's PS256 key, the client registers.
    app.cli_json(&[
        "keys", "rotate", "--tenant", "acme", "--alg", "PS256", "--json",
    ]);
    let signing_algs = |d: Value| d["id_token_signing_alg_values_supported"].clone();
    assert!(!signing_algs(discovery.clone())
        .as_array()
        .unwrap()
        .contains(&json!("PS256")));
    // The key was made by another process: this server picks it up within its cache TTL.
    crate::helpers::eventually("the PS256 key published", || async {
        let published: Value = app
            .get_tenant("acme", "/jwks.json")
            .await
            .json()
            .await
            .unwrap();
        published["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["alg"] == "PS256")
    })
    .await;
    // Discovery now says the tenant signs PS256 too.
    let discovery: Value = app
        .get_tenant("acme", "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert!(signing_algs(discovery)
        .as_array()
        .unwrap()
        .contains(&json!("PS256")));
    let created = app.create_client("acme", &client_args(&jwks_path, "PS256"));
    assert_eq!(created["fapi2"], true, "{created}");
    let client = created["client_id"].as_str().unwrap().to_owned();
    let ps256 = |aud: &str| rsa.assertion(&client, aud, "PS256");
    let authenticated = |assertion: String| {
        vec![
            (
                "client_assertion_type".to_owned(),
                ASSERTION_TYPE.to_owned(),
            ),
            ("client_assertion".to_owned(), assertion),
        ]
    };

    // Not pushed: refused at /authorize.
    let (verifier, challenge) = pkce();
    let mut direct = url::Url::parse(&app.tenant_url("acme", "/authorize")).unwrap();
    direct
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let refused = Browser::default().get(direct.as_str()).await;
    assert!(
        refused
            .location
            .as_deref()
            .unwrap_or_default()
            .contains("error=invalid_request"),
        "{:?}",
        refused.location
    );

    // Pushed without PKCE: refused; with it: a request_uri.
    let push = |pkce: bool| {
        let mut form = vec![
            ("response_type".to_owned(), "code".to_owned()),
            ("client_id".to_owned(), client.clone()),
            ("redirect_uri".to_owned(), REDIRECT.to_owned()),
            ("scope".to_owned(), "openid profile".to_owned()),
            ("state".to_owned(), "s".to_owned()),
        ];
        if pkce {
            form.push(("code_challenge".to_owned(), challenge.clone()));
            form.push(("code_challenge_method".to_owned(), "S256".to_owned()));
        }
        form.extend(authenticated(ps256(&issuer)));
        form
    };
    let post = |path: &'static str, form: Vec<(String, String)>, proof: Option<String>| {
        let mut request = app.client.post(app.tenant_url("acme", path)).form(&form);
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        request.send()
    };
    let response = post("/par", push(false), None).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(response).await, "invalid_request");
    let response = post("/par", push(true), None).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let pushed: Value = response.json().await.unwrap();
    let mut url = url::Url::parse(&app.tenant_url("acme", "/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client)
        .append_pair("request_uri", pushed["request_uri"].as_str().unwrap());
    let back = sign_in(&Browser::default(), url.as_str(), EMAIL, PASSWORD).await;
    let code = back.query_param("code").expect("a code");
    assert_eq!(back.query_param("iss").as_deref(), Some(issuer.as_str()));

    let token_uri = format!("{issuer}/token");
    let redeem = |assertion: String| {
        let mut form = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.clone()),
            ("redirect_uri".to_owned(), REDIRECT.to_owned()),
            ("code_verifier".to_owned(), verifier.clone()),
        ];
        form.extend(authenticated(assertion));
        form
    };
    let key = Key::new();
    // No DPoP proof; an RS256 assertion (the key could verify it: the profile refuses it).
    let response = post("/token", redeem(ps256(&token_uri)), None)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(response).await, "invalid_dpop_proof");
    let proof = key.proof(&Proof::new("POST", token_uri.clone()));
    let rs = rsa.assertion(&client, &token_uri, "RS256");
    let response = post("/token", redeem(rs), Some(proof)).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(response).await, "invalid_client");

    // Everything as the profile says: DPoP-bound tokens, the ID token signed PS256.
    let proof = key.proof(&Proof::new("POST", token_uri.clone()));
    let issued = tokens(
        post("/token", redeem(ps256(&token_uri)), Some(proof))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(issued["token_type"], "DPoP");
    assert_eq!(
        claims(issued["access_token"].as_str().unwrap())["cnf"]["jkt"],
        key.thumbprint()
    );
    let id_token = issued["id_token"].as_str().unwrap();
    let header = josekit::jwt::decode_header(id_token).unwrap();
    assert_eq!(header.claim("alg").unwrap(), "PS256");
    // …and it verifies with the tenant's published PS256 key.
    let published: Value = app
        .get_tenant("acme", "/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let kid = header.claim("kid").unwrap().as_str().unwrap();
    let jwk = published["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .expect("the signing key is published");
    assert_eq!(jwk["alg"], "PS256");
    let verifier = josekit::jws::PS256
        .verifier_from_jwk(&josekit::jwk::Jwk::from_bytes(jwk.to_string()).unwrap())
        .unwrap();
    josekit::jwt::decode_with_verifier(id_token, &verifier).expect("a valid PS256 signature");

    // ES256 assertions are the profile's too.
    let proof = key.proof(&Proof::new("POST", token_uri.clone()));
    let mut form = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
    form.extend(authenticated(ec.assertion(
        &client,
        &token_uri,
        60,
        "es256-jti",
    )));
    let response = post("/token", form, Some(proof)).await.unwrap();
    // The client may not use client_credentials: authentication passed, the grant did not.
    assert_eq!(error_of(response).await, "unauthorized_client");

    // Rotating "everything" keeps the tenant signing PS256.
    let rotated = app.cli_json(&["keys", "rotate", "--tenant", "acme", "--json"]);
    let algs: Vec<&str> = rotated
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert!(algs.contains(&"PS256"), "{rotated}");
}

both_engines!(fapi2_clients_follow_the_profile);
