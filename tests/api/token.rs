//! The token endpoint with client_credentials, client authentication, introspection and
//! revocation, and protocol error handling.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::helpers::{Engine, TestApp};

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "{}", response.url());
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn client_credentials_with_basic_and_post(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (id, secret) = app.machine_client("acme");

    let basic = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&id, &secret)),
        )
        .await;
    let token = json_of(basic, StatusCode::OK).await;
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 900);
    assert!(token.get("refresh_token").is_none() && token.get("id_token").is_none());
    let access = token["access_token"].as_str().unwrap();

    // An RFC 9068 JWT: typ at+jwt, sub = client_id, signed by the tenant.
    let header = decode_part(access, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "RS256");
    let claims = decode_part(access, 1);
    assert_eq!(claims["sub"], id.as_str());
    assert_eq!(claims["client_id"], id.as_str());
    assert_eq!(claims["iss"], app.issuer("acme"));
    assert_eq!(claims["tenant"], "acme");
    assert!(claims["jti"].is_string());

    // client_secret_post is refused for a client registered for Basic.
    let post = app
        .post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
    assert_eq!(
        json_of(post, StatusCode::UNAUTHORIZED).await["error"],
        "invalid_client"
    );

    let post_client = app.create_client(
        "acme",
        &[
            "--grant",
            "client_credentials",
            "--auth-method",
            "client_secret_post",
        ],
    );
    let (post_id, post_secret) = (
        post_client["client_id"].as_str().unwrap(),
        post_client["client_secret"].as_str().unwrap(),
    );
    let ok = app
        .post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", post_id),
                ("client_secret", post_secret),
            ],
            None,
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
}
both_engines!(client_credentials_with_basic_and_post);

fn decode_part(token: &str, index: usize) -> Value {
    use base64::Engine as _;
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

async fn token_endpoint_errors_follow_rfc_6749(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (id, secret) = app.machine_client("acme");
    let cc = [("grant_type", "client_credentials")];

    // Wrong secret: 401, invalid_client, with a Basic challenge.
    let wrong = app
        .post_form("acme", "/token", &cc, Some((&id, "not-the-secret")))
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic realm="));
    assert_eq!(
        json_of(wrong, StatusCode::UNAUTHORIZED).await["error"],
        "invalid_client"
    );
    // Unknown client: the same answer.
    let unknown = app
        .post_form("acme", "/token", &cc, Some(("nobody", &secret)))
        .await;
    assert_eq!(
        json_of(unknown, StatusCode::UNAUTHORIZED).await["error"],
        "invalid_client"
    );
    // No credentials at all.
    let anonymous = app.post_form("acme", "/token", &cc, None).await;
    assert_eq!(
        json_of(anonymous, StatusCode::UNAUTHORIZED).await["error"],
        "invalid_client"
    );

    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "invalid_request"),
        (
            &[
                ("grant_type", "password"),
                ("username", "a"),
                ("password", "b"),
            ],
            "unsupported_grant_type",
        ),
        (
            &[("grant_type", "client_credentials"), ("scope", "openid")],
            "invalid_scope",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("scope", "unregistered"),
            ],
            "invalid_scope",
        ),
        (&[("grant_type", "authorization_code")], "invalid_request"),
        (
            &[("grant_type", "authorization_code"), ("code", "nope")],
            "unauthorized_client",
        ),
    ];
    for (form, error) in cases {
        let response = app
            .post_form("acme", "/token", form, Some((&id, &secret)))
            .await;
        assert_eq!(
            json_of(response, StatusCode::BAD_REQUEST).await["error"],
            *error,
            "{form:?}"
        );
    }

    // A parameter sent twice.
    let duplicated = app
        .client
        .post(app.tenant_url("acme", "/token"))
        .basic_auth(&id, Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(duplicated, StatusCode::BAD_REQUEST).await["error"],
        "invalid_request"
    );
    // Not a form.
    let as_json = app
        .client
        .post(app.tenant_url("acme", "/token"))
        .basic_auth(&id, Some(&secret))
        .json(&json!({ "grant_type": "client_credentials" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(as_json, StatusCode::BAD_REQUEST).await["error"],
        "invalid_request"
    );
    // Garbage Basic credentials never make a 500.
    let garbage = app
        .client
        .post(app.tenant_url("acme", "/token"))
        .header("authorization", "Basic %%%not-base64")
        .form(&cc)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(garbage, StatusCode::UNAUTHORIZED).await["error"],
        "invalid_client"
    );
    // GET is not allowed.
    let get = app.get_tenant("acme", "/token").await;
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.headers()["allow"], "POST");
}
both_engines!(token_endpoint_errors_follow_rfc_6749);

async fn introspection_and_revocation(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_tenant("globex");
    let (id, secret) = app.machine_client("acme");
    let (rs_id, rs_secret) = app.resource_server("acme");
    let (other_id, other_secret) = app.machine_client("globex");
    let issue = || async {
        let response = app
            .post_form(
                "acme",
                "/token",
                &[("grant_type", "client_credentials")],
                Some((&id, &secret)),
            )
            .await;
        json_of(response, StatusCode::OK).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let token = issue().await;
    let introspect = |slug: &'static str, token: String, creds: (String, String)| {
        let app = &app;
        async move {
            let response = app
                .post_form(
                    slug,
                    "/introspect",
                    &[("token", &token)],
                    Some((&creds.0, &creds.1)),
                )
                .await;
            json_of(response, StatusCode::OK).await
        }
    };

    // A resource server (another client of the tenant) sees it active.
    let active = introspect("acme", token.clone(), (rs_id.clone(), rs_secret.clone())).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], id.as_str());
    assert_eq!(active["sub"], id.as_str());
    assert_eq!(active["token_type"], "Bearer");
    assert!(active["exp"].as_i64().unwrap() > active["iat"].as_i64().unwrap());

    // Another tenant: inactive, even for its own authenticated client.
    let foreign = introspect(
        "globex",
        token.clone(),
        (other_id.clone(), other_secret.clone()),
    )
    .await;
    assert_eq!(foreign, json!({ "active": false }));
    // Garbage: inactive, not an error.
    let garbage = introspect(
        "acme",
        "not-a-token".into(),
        (rs_id.clone(), rs_secret.clone()),
    )
    .await;
    assert_eq!(garbage, json!({ "active": false }));
    // Introspection needs client authentication.
    let anonymous = app
        .post_form("acme", "/introspect", &[("token", &token)], None)
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Only the client the token was issued to may revoke it.
    let not_yours = app
        .post_form(
            "acme",
            "/revoke",
            &[("token", &token)],
            Some((&rs_id, &rs_secret)),
        )
        .await;
    assert_eq!(
        json_of(not_yours, StatusCode::BAD_REQUEST).await["error"],
        "unauthorized_client"
    );
    assert_eq!(
        introspect("acme", token.clone(), (rs_id.clone(), rs_secret.clone())).await["active"],
        true
    );

    let revoked = app
        .post_form(
            "acme",
            "/revoke",
            &[("token", &token)],
            Some((&id, &secret)),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(
        introspect("acme", token.clone(), (rs_id.clone(), rs_secret.clone())).await,
        json!({ "active": false })
    );
    // Revoking twice, or revoking an unknown token, is fine (RFC 7009 §2.2).
    for unknown in [token.as_str(), "unknown-token"] {
        let again = app
            .post_form(
                "acme",
                "/revoke",
                &[("token", unknown)],
                Some((&id, &secret)),
            )
            .await;
        assert_eq!(again.status(), StatusCode::OK);
    }
    // Other tokens of the same client are unaffected.
    let fresh = issue().await;
    assert_eq!(
        introspect("acme", fresh, (rs_id, rs_secret)).await["active"],
        true
    );
}
both_engines!(introspection_and_revocation);

async fn userinfo_rejects_machine_and_missing_tokens(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (id, secret) = app.machine_client("acme");
    let response = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&id, &secret)),
        )
        .await;
    let token = json_of(response, StatusCode::OK).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let machine = app.get_bearer("acme", "/userinfo", &token).await;
    assert_eq!(machine.status(), StatusCode::FORBIDDEN);
    assert!(machine.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));

    let missing = app.get_tenant("acme", "/userinfo").await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(missing.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer realm="));

    let forged = app
        .get_bearer("acme", "/userinfo", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
        .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert!(forged.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("error=\"invalid_token\""));
}
both_engines!(userinfo_rejects_machine_and_missing_tokens);
