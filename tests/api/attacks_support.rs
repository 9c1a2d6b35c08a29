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
