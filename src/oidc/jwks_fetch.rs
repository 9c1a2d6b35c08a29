//! Fetching clients' JWKS from their registered `jwks_uri` (private_key_jwt), cached per
//! process. Called from blocking protocol code, so it drives the async client with
//! `Handle::block_on`, which tokio allows on blocking-pool threads.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

const FRESH_FOR: Duration = Duration::from_secs(300);
/// After an unknown key, refetch at most this often (a client rotating its keys).
const REFETCH_AFTER: Duration = Duration::from_secs(30);
const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BYTES: usize = 64 * 1024;

#[derive(Default)]
pub struct JwksCache {
    entries: Mutex<HashMap<String, (Instant, Value)>>,
}

impl JwksCache {
    /// The JWKS at `uri`: cached when fresh, unless `stale_ok` is false and the cached copy is
    /// older than the refetch interval (the caller found no matching key in it).
    pub fn get(&self, uri: &str, stale_ok: bool) -> Result<Value, String> {
        if let Some((fetched, value)) = self
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(uri)
        {
            let age = fetched.elapsed();
            if age < FRESH_FOR && (stale_ok || age < REFETCH_AFTER) {
                return Ok(value.clone());
            }
        }
        let value = fetch(uri)?;
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(uri.to_owned(), (Instant::now(), value.clone()));
        Ok(value)
    }
}

fn fetch(uri: &str) -> Result<Value, String> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|_| "no runtime to fetch the JWKS".to_owned())?;
    handle.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let response = client
            .get(uri)
            .send()
            .await
            .map_err(|e| format!("could not fetch the client's JWKS: {e}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "the client's jwks_uri answered {}",
                response.status()
            ));
        }
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if body.len() > MAX_BYTES {
            return Err("the client's JWKS is too large".into());
        }
        serde_json::from_slice(&body).map_err(|_| "the client's JWKS is not JSON".into())
    })
}
