//! Small assertions shared by the flow tests.

use reqwest::StatusCode;
use serde_json::Value;

/// A successful token response's JSON.
pub async fn tokens(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The `error` code of a protocol error response (which must not be cached).
pub async fn error_of(response: reqwest::Response) -> String {
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap_or_default().to_owned()
}

/// A JWT's claims, unverified (the tests verify signatures where that is the point).
pub fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// The TOTP code for a base32 key, `offset_secs` from now (SHA-1, 6 digits, 30 s).
pub fn totp_code(key: &str, offset_secs: i64) -> String {
    use totp_rs::{Algorithm, Builder, Secret};
    let secret = Secret::try_from_base32(key).expect("base32 key");
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_secret(secret)
        .build()
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + offset_secs;
    totp.generate(now as u64).to_string()
}

/// The manual-entry key shown on an enrollment page.
pub fn manual_key(html: &str) -> String {
    let start = html.find("<code id=\"manual-key\">").expect("manual key") + 22;
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].to_owned()
}
