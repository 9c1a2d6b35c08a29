//! The authorization code flow end to end, driven by the `openidconnect` crate as the relying
//! party, and every attack the flow must stop.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Digest;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
const BYE: &str = "http://127.0.0.1:9/signed-out";

pub struct Rp {
    pub id: String,
    pub secret: String,
}

pub fn register_rp(app: &TestApp, slug: &str, extra: &[&str]) -> Rp {
    let mut args = vec![
        "--redirect-uri",
        REDIRECT,
        "--post-logout-redirect-uri",
        BYE,
    ];
    args.extend_from_slice(extra);
    let created = app.create_client(slug, &args);
    Rp {
        id: created["client_id"].as_str().unwrap().to_owned(),
        secret: created["client_secret"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

pub fn pkce() -> (String, String) {
    let verifier = tessera::crypto::random_token();
    let challenge = tessera::crypto::base64url(&sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// An authorization URL with PKCE, state and nonce, plus `extra` parameters.
pub fn authorize_url(
    app: &TestApp,
    slug: &str,
    rp: &Rp,
    challenge: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut url = url::Url::parse(&app.tenant_url(slug, "/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &rp.id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid email profile")
        .append_pair("state", "st4te")
        .append_pair("nonce", "n0nce")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.to_string()
}

/// Signs in (and consents when asked) from an authorization URL; returns the redirect to the RP.
pub async fn sign_in(browser: &Browser, url: &str, email: &str, password: &str) -> Page {
    let mut page = browser.follow(browser.get(url).await, REDIRECT).await;
    if page.html.contains("name=\"password\"") {
        page = browser
            .submit(&page, &[("email", email), ("password", password)])
            .await;
        page = browser.follow(page, REDIRECT).await;
    }
    if page.html.contains("value=\"allow\"") {
        page = browser.submit(&page, &[("decision", "allow")]).await;
    }
    page
}

pub async fn exchange(
    app: &TestApp,
    slug: &str,
    rp: &Rp,
    code: &str,
    verifier: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    app.post_form(slug, "/token", &form, Some((&rp.id, &rp.secret)))
        .await
}

async fn full_flow_with_openidconnect_relying_party(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", "ada@example.com", PASSWORD);
    let profile_id = account["profiles"][0]["id"].as_str().unwrap().to_owned();
    let rp = register_rp(&app, "acme", &[]);
    let issuer = app.issuer("acme");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Discovery.
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http)
            .await
            .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(rp.id.clone()),
        Some(ClientSecret::new(rp.secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());

    // Authorize → login → consent → code.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let browser = Browser::default();
    let login = browser
        .follow(browser.get(auth_url.as_str()).await, REDIRECT)
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(
        login.html.contains("<label for=\"email\">"),
        "labelled inputs"
    );
    assert_eq!(login.headers["x-frame-options"], "DENY");
    assert!(login.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(login.headers["cache-control"], "no-store");
    let consent = browser
        .follow(
            browser
                .submit(
                    &login,
                    &[("email", "Ada@Example.com"), ("password", PASSWORD)],
                )
                .await,
            REDIRECT,
        )
        .await;
    assert!(
        consent.html.contains("See your email address"),
        "{}",
        consent.html
    );
    let back = browser.submit(&consent, &[("decision", "allow")]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert!(back.location.as_deref().unwrap().starts_with(REDIRECT));
    assert_eq!(
        back.query_param("state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(back.query_param("iss").as_deref(), Some(issuer.as_str()));
    let code = back.query_param("code").expect("code");

    // Token exchange and ID-token verification by the RP library.
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token exchange");
    let id_token = tokens.id_token().expect("ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).expect("valid ID token");
    assert_eq!(claims.subject().as_str(), profile_id);
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert!(claims.auth_time().is_some());
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    // UserInfo.
    let userinfo: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(userinfo.subject().as_str(), profile_id);
    assert_eq!(
        userinfo.email().map(|e| e.as_str()),
        Some("ada@example.com")
    );

    // SSO: a second authorization in the same browser needs no login and no consent.
    let (_, second_challenge) = pkce();
    let again = browser
        .get(&authorize_url(&app, "acme", &rp, &second_challenge, &[]))
        .await;
    assert!(
        again.location.as_deref().unwrap().starts_with(REDIRECT),
        "{:?} {}",
        again.location,
        again.html
    );
    assert!(again.query_param("code").is_some());

    // Refresh, then revoke: the revoked family cannot refresh.
    let refresh = tokens.refresh_token().expect("refresh token").clone();
    let refreshed = client
        .exchange_refresh_token(&refresh)
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    let rotated = refreshed
        .refresh_token()
        .expect("rotated refresh token")
        .clone();
    assert_ne!(rotated.secret(), refresh.secret());
    // (oauth2's revoke_token insists on an https endpoint, so the RP revokes with a plain POST.)
    let revoked = app
        .post_form(
            "acme",
            "/revoke",
            &[
                ("token", rotated.secret()),
                ("token_type_hint", "refresh_token"),
            ],
            Some((&rp.id, &rp.secret)),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let after_revoke = app
        .post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rotated.secret()),
            ],
            Some((&rp.id, &rp.secret)),
        )
        .await;
    assert_eq!(after_revoke.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        after_revoke.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    // RP-initiated logout with the ID token as hint: no confirmation, back to the RP with state.
    let mut logout = url::Url::parse(&app.tenant_url("acme", "/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &id_token.to_string())
        .append_pair("post_logout_redirect_uri", BYE)
        .append_pair("state", "bye-state");
    let out = browser.get(logout.as_str()).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        out.location.as_deref(),
        Some(format!("{BYE}?state=bye-state").as_str())
    );
    // The session is gone: a silent authorization now needs a login.
    let (_, challenge) = pkce();
    let silent = browser
        .get(&authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        silent.query_param("error").as_deref(),
        Some("login_required")
    );
}
both_engines!(full_flow_with_openidconnect_relying_party);
