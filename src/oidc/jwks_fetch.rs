//! Clients' JWKS from their registered `jwks_uri` (private_key_jwt), cached per process. The
//! fetch goes through `crate::outbound` (public addresses only, size cap, deadline) and runs
//! before the request takes a database connection (`client_auth::credentials`). Failures are
//! remembered with a growing back-off, so a client whose keys cannot be fetched costs one
//! attempt per back-off period, not one per request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::outbound::{FetchError, Outbound};

const FRESH_FOR: Duration = Duration::from_secs(300);
/// After an unknown key, refetch at most this often (a client rotating its keys).
const REFETCH_AFTER: Duration = Duration::from_secs(30);
/// First wait after a failed fetch; doubles with each further failure, up to the maximum.
const FIRST_BACKOFF: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

enum Entry {
    Keys { fetched: Instant, jwks: Value },
    Failed { at: Instant, wait: Duration },
}

pub struct JwksCache {
    outbound: Outbound,
    entries: Mutex<HashMap<String, Entry>>,
}

impl JwksCache {
    pub fn new(outbound: Outbound) -> JwksCache {
        JwksCache {
            outbound,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The JWKS at `uri` for an assertion signed with `kid`: the cached copy while fresh and
    /// holding that key; otherwise fetched again (after an unknown key, at most every
    /// `REFETCH_AFTER`). A failure is answered from memory until its back-off has passed.
    pub async fn keys_for(&self, uri: &str, kid: Option<&str>) -> Result<Value, FetchError> {
        let previous_wait = {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match entries.get(uri) {
                Some(Entry::Keys { fetched, jwks }) => {
                    let age = fetched.elapsed();
                    let has_key = kid.is_none_or(|kid| holds(jwks, kid));
                    if age < FRESH_FOR && (has_key || age < REFETCH_AFTER) {
                        return Ok(jwks.clone());
                    }
                    None
                }
                Some(Entry::Failed { at, wait }) if at.elapsed() < *wait => {
                    return Err(FetchError::Failed(
                        "failed recently; waiting before retrying".into(),
                    ))
                }
                Some(Entry::Failed { wait, .. }) => Some(*wait),
                None => None,
            }
        };
        let fetched = self.outbound.get_json(uri).await.and_then(|jwks| {
            if jwks["keys"].is_array() {
                Ok(jwks)
            } else {
                Err(FetchError::Failed("not a JWKS".into()))
            }
        });
        let entry = match &fetched {
            Ok(jwks) => Entry::Keys {
                fetched: Instant::now(),
                jwks: jwks.clone(),
            },
            Err(_) => Entry::Failed {
                at: Instant::now(),
                wait: previous_wait.map_or(FIRST_BACKOFF, |w| (w * 2).min(MAX_BACKOFF)),
            },
        };
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(uri.to_owned(), entry);
        fetched
    }
}

fn holds(jwks: &Value, kid: &str) -> bool {
    jwks["keys"]
        .as_array()
        .is_some_and(|keys| keys.iter().any(|k| k["kid"] == kid))
}
