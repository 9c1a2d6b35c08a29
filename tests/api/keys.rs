//! Signing keys: JWKS contents, verification by a real relying-party library, rotation and
//! retirement, cache invalidation across processes, and the master key.

use std::collections::BTreeSet;

use openidconnect::core::{
    CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{ClientId, IssuerUrl, Nonce};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::TenantRouting;
use tessera::db::Db;
use tessera::domain::TenantId;
use tessera::keys::{KeyAlg, KeyStore, MasterKey};

use crate::both_engines;
use crate::helpers::{
    cli_with_env, data_dir, eventually, settings_for, stderr, Engine, TestApp, TestDb,
};

async fn jwks(app: &TestApp, slug: &str) -> Value {
    let response = app.get_tenant(slug, "/jwks.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/jwk-set+json"
    );
    response.json().await.unwrap()
}

fn kids(jwks: &Value) -> BTreeSet<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Signs an ID token with the tenant's active key, the way the token endpoint will: through
/// the app's own key store, reading the keys from the database under the master key.
fn sign_id_token(app: &TestApp, tenant_id: &str, alg: KeyAlg, claims: &Value) -> String {
    let db = Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    let store = KeyStore::new(crate::helpers::vault(app));
    let set = store
        .load(
            &mut db.conn().unwrap(),
            &TenantId::from_stored(tenant_id.into()),
        )
        .unwrap();
    let signer = set.signer(alg).expect("active key");
    signer.sign("JWT", claims.to_string().as_bytes()).unwrap()
}

fn id_token_claims(issuer: &str) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({ "iss": issuer, "sub": "profile-1", "aud": "rp", "iat": now, "exp": now + 300 })
}

/// Verifies with the `openidconnect` crate, as a relying party would.
fn verify(issuer: &str, jwks: &Value, token: &str) -> Result<String, String> {
    let keys: CoreJsonWebKeySet =
        serde_json::from_value(jwks.clone()).map_err(|e| e.to_string())?;
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new("rp".into()),
        IssuerUrl::new(issuer.into()).unwrap(),
        keys,
    )
    .set_allowed_algs(vec![
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::EdDsa,
    ]);
    let token: CoreIdToken = token
        .parse()
        .map_err(|e: serde_json::Error| e.to_string())?;
    let claims = token
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .map_err(|e| e.to_string())?;
    Ok(claims.subject().to_string())
}

async fn jwks_is_public_and_verifies_tenant_tokens(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let acme = app.create_tenant("acme");
    let globex = app.create_tenant("globex");
    let document = jwks(&app, "acme").await;

    let keys = document["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    for key in keys {
        for member in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(
                key.get(member).is_none(),
                "private member {member} published"
            );
        }
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].is_string());
    }
    let by_alg = |alg: &str| keys.iter().find(|k| k["alg"] == alg).unwrap().clone();
    assert_eq!(by_alg("RS256")["kty"], "RSA");
    assert_eq!(by_alg("ES256")["kty"], "EC");
    assert_eq!(by_alg("ES256")["crv"], "P-256");
    assert_eq!(by_alg("EdDSA")["kty"], "OKP");
    assert_eq!(by_alg("EdDSA")["crv"], "Ed25519");
    // 2048-bit modulus: 256 bytes, base64url without padding.
    assert_eq!(by_alg("RS256")["n"].as_str().unwrap().len(), 342);

    let issuer = app.issuer("acme");
    for alg in KeyAlg::ALL {
        let token = sign_id_token(
            &app,
            acme["id"].as_str().unwrap(),
            alg,
            &id_token_claims(&issuer),
        );
        assert_eq!(
            verify(&issuer, &document, &token).as_deref(),
            Ok("profile-1"),
            "{alg}"
        );

        // A tampered payload fails.
        let parts: Vec<&str> = token.split('.').collect();
        let forged_claims =
            json!({ "iss": issuer, "sub": "admin", "aud": "rp", "iat": 0, "exp": i64::MAX / 1000 });
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            base64url(forged_claims.to_string().as_bytes()),
            parts[2]
        );
        assert!(
            verify(&issuer, &document, &forged).is_err(),
            "{alg}: tampered token verified"
        );

        // Another tenant's key does not verify against this tenant's JWKS.
        let foreign = sign_id_token(
            &app,
            globex["id"].as_str().unwrap(),
            alg,
            &id_token_claims(&issuer),
        );
        assert!(
            verify(&issuer, &document, &foreign).is_err(),
            "{alg}: foreign key verified"
        );
    }
    // Tenants never share keys.
    assert!(kids(&document).is_disjoint(&kids(&jwks(&app, "globex").await)));
}
both_engines!(jwks_is_public_and_verifies_tenant_tokens);

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn rotation_keeps_old_kid_until_retired(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let acme = app.create_tenant("acme");
    let tenant_id = acme["id"].as_str().unwrap();
    let issuer = app.issuer("acme");
    let before = jwks(&app, "acme").await;
    let old_token = sign_id_token(&app, tenant_id, KeyAlg::Rs256, &id_token_claims(&issuer));
    let old_rsa_kid = app
        .cli_json(&["keys", "list", "--tenant", "acme", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "RS256")
        .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    // The CLI is another process: the running app must notice the change by itself.
    let rotated = app.cli_json(&[
        "keys", "rotate", "--tenant", "acme", "--alg", "RS256", "--json",
    ]);
    let new_rsa_kid = rotated[0]["kid"].as_str().unwrap().to_owned();
    assert_eq!(rotated[0]["status"], "active");
    assert_ne!(new_rsa_kid, old_rsa_kid);

    eventually("rotation", || async {
        kids(&jwks(&app, "acme").await).len() == 4
    })
    .await;
    let after = jwks(&app, "acme").await;
    assert!(
        kids(&after).is_superset(&kids(&before)),
        "old keys stay published"
    );
    assert!(kids(&after).contains(&new_rsa_kid));
    assert_eq!(kids(&after).len(), 4);
    // Tokens signed before the rotation still verify; new tokens use the new key.
    assert!(verify(&issuer, &after, &old_token).is_ok());
    let new_token = sign_id_token(&app, tenant_id, KeyAlg::Rs256, &id_token_claims(&issuer));
    assert!(new_token_has_kid(&new_token, &new_rsa_kid));
    assert!(verify(&issuer, &after, &new_token).is_ok());

    let listed = app.cli_json(&["keys", "list", "--tenant", "acme", "--json"]);
    let status = |kid: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status(&old_rsa_kid), "inactive");
    assert_eq!(status(&new_rsa_kid), "active");

    // The active key cannot be retired.
    let refused = app.cli(&["keys", "retire", "--tenant", "acme", &new_rsa_kid]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("rotate first"),
        "{}",
        stderr(&refused)
    );
    // A kid from another tenant is not found here.
    let globex = app.create_tenant("globex");
    let foreign_kid = app.cli_json(&["keys", "list", "--tenant", "globex", "--json"])[0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let foreign = app.cli(&["keys", "retire", "--tenant", "acme", &foreign_kid]);
    assert!(!foreign.status.success());
    assert!(stderr(&foreign).contains("no key"), "{}", stderr(&foreign));
    assert_eq!(globex["status"], "active");

    let retired = app.cli_json(&["keys", "retire", "--tenant", "acme", &old_rsa_kid, "--json"]);
    assert_eq!(retired["status"], "retired");
    assert!(retired["retired_at"].is_string());
    eventually("retirement", || async {
        kids(&jwks(&app, "acme").await).len() == 3
    })
    .await;
    let final_jwks = jwks(&app, "acme").await;
    assert!(!kids(&final_jwks).contains(&old_rsa_kid));
    assert_eq!(kids(&final_jwks).len(), 3);
    assert!(
        verify(&issuer, &final_jwks, &old_token).is_err(),
        "retired key still verifies"
    );
    let again = app.cli(&["keys", "retire", "--tenant", "acme", &old_rsa_kid]);
    assert!(stderr(&again).contains("already retired"));
}
both_engines!(rotation_keeps_old_kid_until_retired);

fn new_token_has_kid(token: &str, kid: &str) -> bool {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    header["kid"] == kid
}

async fn two_nodes_share_keys_and_see_rotation(engine: Engine) {
    let first = TestApp::spawn(engine, TenantRouting::Path).await;
    first.create_tenant("acme");
    let second = TestApp::spawn_on(first.db.clone(), TenantRouting::Path, &first.master()).await;
    // Warm both caches, then rotate through the CLI.
    assert_eq!(
        kids(&jwks(&first, "acme").await),
        kids(&jwks(&second, "acme").await)
    );
    first.cli_json(&["keys", "rotate", "--tenant", "acme", "--json"]);
    for node in [&first, &second] {
        eventually("rotation on every node", || async {
            kids(&jwks(node, "acme").await).len() == 6
        })
        .await;
    }
    let one = kids(&jwks(&first, "acme").await);
    assert_eq!(one.len(), 6);
    assert_eq!(one, kids(&jwks(&second, "acme").await));
}
both_engines!(two_nodes_share_keys_and_see_rotation);

async fn wrong_master_key_fails_with_a_clear_error(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let wrong = MasterKey::generate();

    // A CLI command that writes keys refuses before mixing master keys.
    let output = cli_with_env(
        &app.db,
        &app.settings,
        Some(&wrong.to_base64()),
        &["keys", "rotate", "--tenant", "acme"],
    );
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("different master key"), "{message}");
    assert!(
        message.contains(wrong.id()),
        "names the configured key id: {message}"
    );
    let keys = app.cli_json(&["keys", "list", "--tenant", "acme", "--json"]);
    assert_eq!(keys.as_array().unwrap().len(), 3, "nothing was rotated");

    // A node configured with the wrong key does not start.
    let err = TestApp::try_spawn_on(app.db.clone(), TenantRouting::Path, &wrong)
        .await
        .err()
        .expect("startup must fail");
    assert!(
        format!("{err:#}").contains("different master key"),
        "{err:#}"
    );

    // The right key still works.
    assert_eq!(
        jwks(&app, "acme").await["keys"].as_array().unwrap().len(),
        3
    );
}
both_engines!(wrong_master_key_fails_with_a_clear_error);

async fn first_run_generates_a_private_master_key(engine: Engine) {
    // A fresh database with no master key configured: the CLI generates one in the data dir.
    let fresh = TestDb::new(engine);
    let settings = settings_for(&fresh, TenantRouting::Path, 8080, &MasterKey::generate());
    let output = cli_with_env(
        &fresh,
        &settings,
        None,
        &["tenant", "create", "acme", "--json"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("generated a new master key"),
        "{}",
        stderr(&output)
    );
    let path = data_dir(&fresh).join("master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let key = MasterKey::from_base64(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The next command reuses it (no warning), and a node given it serves the keys.
    let again = cli_with_env(
        &fresh,
        &settings,
        None,
        &["keys", "rotate", "--tenant", "acme"],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(!stderr(&again).contains("generated"));
    let app = TestApp::spawn_on(fresh, TenantRouting::Path, &key).await;
    assert_eq!(kids(&jwks(&app, "acme").await).len(), 6);
}
both_engines!(first_run_generates_a_private_master_key);
