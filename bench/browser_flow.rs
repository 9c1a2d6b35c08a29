//! A browser signing in, shared by the load generators (`signin_load.rs`, `soak.rs`):
//! authorize → hosted login → profile picker and consent when shown → code → tokens.
//! Cookies live in a per-flow jar; the client address goes in `X-Forwarded-For`.
//!
//! A flow may be served by another address than the issuer's (a node behind a load
//! balancer): every URL under the issuer's origin is sent to `node` instead.

use std::collections::HashMap;

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderValue, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};
use sha2::Digest;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

pub struct Target {
    /// The tenant's issuer URL, without a trailing slash.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub password: String,
}

impl Target {
    /// The issuer's origin (`http://host:port`), which `node` replaces in every URL.
    pub fn origin(&self) -> &str {
        let after_scheme = self.issuer.find("://").map_or(0, |i| i + 3);
        let end = self.issuer[after_scheme..]
            .find('/')
            .map_or(self.issuer.len(), |i| i + after_scheme);
        &self.issuer[..end]
    }
}

/// The tokens of a finished sign-in.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
}

/// One browser's cookies, sent with every request of its flow.
#[derive(Default)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn take(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() {
                    self.0.remove(name);
                } else {
                    self.0.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

pub struct Browser<'a> {
    http: &'a Client,
    target: &'a Target,
    /// Origin of the node serving this flow (`http://127.0.0.1:18091`).
    node: &'a str,
    jar: Jar,
    address: HeaderValue,
}

pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl<'a> Browser<'a> {
    pub fn new(
        http: &'a Client,
        target: &'a Target,
        node: &'a str,
        address: &str,
    ) -> Result<Browser<'a>, String> {
        Ok(Browser {
            http,
            target,
            node,
            jar: Jar::default(),
            address: HeaderValue::from_str(address).map_err(|e| e.to_string())?,
        })
    }

    /// `url` with the issuer's origin replaced by this flow's node.
    pub fn on_node(&self, url: &str) -> String {
        match url.strip_prefix(self.target.origin()) {
            Some(rest) => format!("{}{rest}", self.node),
            None => url.to_owned(),
        }
    }

    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Result<Answer, String> {
        let response = request
            .header("x-forwarded-for", self.address.clone())
            .header(COOKIE, self.jar.header())
            .send()
            .await
            .map_err(|e| {
                // The whole chain: "error sending request" alone does not say why.
                let mut why = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    why = format!("{why}: {cause}");
                    source = cause.source();
                }
                format!("request failed: {why}")
            })?;
        self.jar.take(response.headers());
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        Ok(Answer {
            status,
            location,
            body,
        })
    }

    async fn get(&mut self, url: &str) -> Result<Answer, String> {
        let request = self.http.get(self.on_node(url));
        self.send(request).await
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Result<Answer, String> {
        let request = self.http.post(self.on_node(url)).form(form);
        self.send(request).await
    }

    /// A token request authenticated as the target's client.
    pub async fn token(&mut self, form: &[(&str, &str)]) -> Result<serde_json::Value, String> {
        let url = self.on_node(&format!("{}/token", self.target.issuer));
        let request = self
            .http
            .post(url)
            .basic_auth(&self.target.client_id, Some(&self.target.client_secret))
            .form(form);
        let answer = self.send(request).await?;
        expect(&answer, StatusCode::OK, "token")?;
        serde_json::from_str(&answer.body).map_err(|e| e.to_string())
    }

    /// Rotates `refresh_token`: the new pair.
    pub async fn refresh(&mut self, refresh_token: &str) -> Result<Issued, String> {
        let issued = self
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .await?;
        issued_tokens(&issued)
    }

    /// The userinfo endpoint with `access_token`: it must answer 200.
    pub async fn userinfo(&mut self, access_token: &str) -> Result<(), String> {
        let url = self.on_node(&format!("{}/userinfo", self.target.issuer));
        let request = self.http.get(url).bearer_auth(access_token);
        let answer = self.send(request).await?;
        expect(&answer, StatusCode::OK, "userinfo")
    }

    /// One full sign-in of `email` in this (new) browser, up to the code exchange.
    pub async fn sign_in(&mut self, email: &str) -> Result<Issued, String> {
        let target = self.target;
        let verifier =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        let mut url =
            url::Url::parse(&format!("{}/authorize", target.issuer)).map_err(|e| e.to_string())?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &target.client_id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid profile email")
            .append_pair("state", "bench")
            .append_pair("nonce", "bench")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let mut answer = self.get(url.as_str()).await?;
        // Follow the hosted pages until the client's redirect URI.
        for _ in 0..8 {
            let location = answer.location.clone().ok_or_else(|| {
                format!(
                    "no redirect: {} {}",
                    answer.status,
                    answer.body.chars().take(200).collect::<String>()
                )
            })?;
            if location.starts_with(REDIRECT) {
                let code = url::Url::parse(&location)
                    .map_err(|e| e.to_string())?
                    .query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
                    .ok_or_else(|| format!("no code in {location}"))?;
                let issued = self
                    .token(&[
                        ("grant_type", "authorization_code"),
                        ("code", &code),
                        ("redirect_uri", REDIRECT),
                        ("code_verifier", &verifier),
                    ])
                    .await?;
                return issued_tokens(&issued);
            }
            let page = self.get(&location).await?;
            if page.status == StatusCode::SEE_OTHER {
                // The step was already satisfied (another browser of the account consented).
                answer = page;
                continue;
            }
            expect(&page, StatusCode::OK, "page")?;
            let csrf = field(&page.body, "csrf_token").ok_or("no csrf_token")?;
            let request = field(&page.body, "request").unwrap_or_default();
            let action = location.split('?').next().unwrap_or_default().to_owned();
            answer = if location.contains("/login?") {
                let form = [
                    ("csrf_token", csrf.as_str()),
                    ("request", request.as_str()),
                    ("email", email),
                    ("password", target.password.as_str()),
                ];
                self.post(&action, &form).await?
            } else if location.contains("/select-profile?") {
                let profile = field(&page.body, "profile_id").ok_or("no profile to choose")?;
                let form = [
                    ("csrf_token", csrf.as_str()),
                    ("request", request.as_str()),
                    ("profile_id", profile.as_str()),
                ];
                self.post(&action, &form).await?
            } else if location.contains("/consent?") {
                let form = [
                    ("csrf_token", csrf.as_str()),
                    ("request", request.as_str()),
                    ("decision", "allow"),
                ];
                self.post(&action, &form).await?
            } else {
                return Err(format!("unexpected page {location}"));
            };
            expect(&answer, StatusCode::SEE_OTHER, "form")?;
        }
        Err("too many steps".into())
    }
}

fn issued_tokens(issued: &serde_json::Value) -> Result<Issued, String> {
    let text = |name: &str| {
        issued[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no {name}"))
    };
    Ok(Issued {
        access_token: text("access_token")?,
        refresh_token: text("refresh_token")?,
    })
}

fn field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&").replace("&#38;", "&"))
}

pub fn expect(answer: &Answer, status: StatusCode, step: &str) -> Result<(), String> {
    if answer.status == status {
        return Ok(());
    }
    let body: String = answer.body.chars().take(200).collect();
    Err(format!("{step}: {} {body}", answer.status))
}
