//! A small web application that signs people in with Tessera, for trying a tenant end to end
//! (the README's "Try it with an app"). It is a plain OpenID Connect relying party built on
//! the `openidconnect` crate: discovery, the authorization code flow with PKCE, state and
//! nonce, ID-token verification against the issuer's keys, then userinfo.
//!
//! ```sh
//! cargo run --example relying-party -- ISSUER REGISTRATION.json
//! ```
//!
//! `REGISTRATION.json` is what `tessera client create … --json` printed (its `client_id` and
//! `client_secret`); the client's redirect URI must be `http://127.0.0.1:9000/callback`
//! (`RP_LISTEN=host:port` moves it). Open `http://127.0.0.1:9000/` and sign in: the page shows
//! who signed in, and the verified claims are printed as one JSON line. `--once` stops after
//! the first sign-in.

use std::collections::HashMap;

use anyhow::{bail, Context};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let once = args.iter().any(|a| a == "--once");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [issuer, registration] = positional[..] else {
        bail!("usage: relying-party ISSUER REGISTRATION.json [--once]");
    };
    let registration: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(registration)
            .with_context(|| format!("reading {registration}"))?,
    )?;
    let field = |name: &str| {
        registration[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("{name} missing from the registration"))
    };
    let listen = std::env::var("RP_LISTEN").unwrap_or_else(|_| "127.0.0.1:9000".into());

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone())?, &http)
        .await
        .context("discovery")?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(field("client_id")?),
        Some(ClientSecret::new(field("client_secret")?)),
    )
    .set_redirect_uri(RedirectUrl::new(format!("http://{listen}/callback"))?);

    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("Open http://{listen}/ in a browser to sign in with {issuer}");
    // Sign-ins under way: state → (PKCE verifier, nonce).
    let mut pending: HashMap<String, (PkceCodeVerifier, Nonce)> = HashMap::new();
    loop {
        let (mut socket, _) = listener.accept().await?;
        let mut buffer = vec![0u8; 8192];
        let read = socket.read(&mut buffer).await.unwrap_or(0);
        let request = String::from_utf8_lossy(&buffer[..read]).into_owned();
        let target = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let url = url::Url::parse(&format!("http://{listen}{target}"))?;
        let response = match url.path() {
            "/" => {
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
                pending.insert(state.secret().clone(), (verifier, nonce));
                format!("HTTP/1.1 303 See Other\r\nlocation: {auth_url}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            }
            "/callback" => {
                let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
                let body = match finish(&client, &http, &mut pending, &query).await {
                    Ok((claims, name)) => {
                        println!("{claims}");
                        format!(
                            "<p>Signed in as <strong>{}</strong>.</p><pre>{}</pre>",
                            escape(&name),
                            escape(&serde_json::to_string_pretty(&claims)?)
                        )
                    }
                    Err(e) => format!("<p>Sign-in failed: {}</p>", escape(&format!("{e:#}"))),
                };
                let page = format!("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Example app</title><body>{body}<p><a href=\"/\">Sign in again</a></p></body></html>");
                let done = once && body.starts_with("<p>Signed in");
                let response = format!("HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}", page.len());
                let _ = socket.write_all(response.as_bytes()).await;
                if done {
                    return Ok(());
                }
                continue;
            }
            _ => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into(),
        };
        let _ = socket.write_all(response.as_bytes()).await;
    }
}

/// The callback: the state must be one this app started; the code is exchanged with the
/// verifier, the ID token checked (signature, issuer, audience, expiry, nonce), then userinfo
/// read with the access token. Answers the verified claims and a name to greet.
async fn finish(
    client: &openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    http: &reqwest::Client,
    pending: &mut HashMap<String, (PkceCodeVerifier, Nonce)>,
    query: &HashMap<String, String>,
) -> anyhow::Result<(serde_json::Value, String)> {
    if let Some(error) = query.get("error") {
        bail!(
            "{error}: {}",
            query.get("error_description").map_or("", String::as_str)
        );
    }
    let state = query.get("state").context("no state")?;
    let (verifier, nonce) = pending.remove(state).context("an unknown state")?;
    let code = query.get("code").context("no code")?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.clone()))?
        .set_pkce_verifier(verifier)
        .request_async(http)
        .await
        .context("token exchange")?;
    let id_token = tokens.id_token().context("no ID token")?;
    let claims = id_token.claims(&client.id_token_verifier(), &nonce)?;
    let userinfo: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)?
        .request_async(http)
        .await
        .context("userinfo")?;
    let name = userinfo
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.to_string())
        .or_else(|| userinfo.email().map(|e| e.to_string()))
        .unwrap_or_else(|| claims.subject().to_string());
    Ok((serde_json::to_value(claims)?, name))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
