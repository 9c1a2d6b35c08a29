//! The device authorization grant (RFC 8628): a device without a usable browser (a TV, a
//! command-line tool) asks for a code pair; the person types the short user code at
//! `{issuer}/device` on another device and signs in there through the same pages as every
//! other sign-in (second factor, profile choice, consent); the device polls `/token` until
//! the person has decided.
//!
//! - User codes are 8 letters from an alphabet without vowels or look-alikes (RFC 8628 §6.1),
//!   shown as `BCDF-GHJK`, typed in any case with or without the dash; wrong guesses are
//!   rate-limited per address like passwords.
//! - The person is always asked to confirm, naming the client and the code, because they
//!   did not start the request in this browser (§5.4: remote phishing).
//! - Polling too fast answers `slow_down` and adds 5 s to the interval (§3.5).

use rand::Rng;
use serde::Serialize;

use super::authorize::{self, AuthorizationRequest};
use super::client_auth::{self, Credentials};
use super::context::OidcContext;
use super::error::{ErrorCode, OAuthError};
use super::form::Params;
use crate::clients::{Client, GrantType};
use crate::crypto::{random_token, sha256_hex};
use crate::db::device::{self as rows, DeviceRow};
use crate::db::{grants, AnyConnection, DbError};
use crate::domain::{unix_now, ProfileId};
use crate::sessions::Session;

/// How long a device code may wait for the person.
pub const LIFETIME_SECS: i64 = 600;
/// How often the device may poll at first.
pub const INTERVAL_SECS: i64 = 5;
/// What `slow_down` adds to the interval.
pub const SLOW_DOWN_SECS: i64 = 5;
/// Consonants without look-alikes: 20^8 ≈ 2.6 × 10^10 codes.
const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
const CODE_LEN: usize = 8;

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Serialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

fn new_user_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..CODE_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// `BCDFGHJK` → `BCDF-GHJK`, as people read and type it.
pub fn display(code: &str) -> String {
    let (left, right) = code.split_at(code.len() / 2);
    format!("{left}-{right}")
}

/// A typed user code in its stored form: letters upper-cased, dashes and spaces dropped;
/// `None` when it cannot be one.
pub fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// `POST {issuer}/device_authorization`: a new device code and user code for the client.
pub fn start(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    credentials: Credentials,
    params: &Params,
) -> Result<DeviceAuthorization, OAuthError> {
    let client = client_auth::authenticate(conn, ctx, credentials)?;
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the device authorization grant",
        ));
    }
    let device_code = random_token();
    let hash = sha256_hex(&device_code);
    let request = authorize::device_request(conn, ctx, &client, params, &hash)?;
    let now = unix_now();
    // A user code collides with a live one about never; draw again when it does.
    for _ in 0..5 {
        let user_code = new_user_code();
        let row = DeviceRow {
            device_code_hash: hash.clone(),
            tenant_id: ctx.tenant.id.to_string(),
            client_id: client.id.to_string(),
            user_code: user_code.clone(),
            parameters: serde_json::to_string(&request).map_err(OAuthError::server_error)?,
            state: rows::PENDING.into(),
            grant_id: None,
            interval_secs: INTERVAL_SECS,
            last_polled_at: None,
            created_at: now,
            expires_at: now + LIFETIME_SECS,
        };
        if rows::insert(conn, &row)? {
            let verification_uri = ctx.endpoint("device");
            return Ok(DeviceAuthorization {
                device_code,
                verification_uri_complete: format!(
                    "{verification_uri}?user_code={}",
                    display(&user_code)
                ),
                user_code: display(&user_code),
                verification_uri,
                expires_in: LIFETIME_SECS,
                interval: INTERVAL_SECS,
            });
        }
    }
    Err(OAuthError::server_error("no free user code after 5 draws"))
}

/// The pending request a typed user code names, with its client; `None` for a wrong,
/// expired or decided code (all alike to the person typing).
pub fn find(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    typed: &str,
) -> Result<Option<(Client, AuthorizationRequest)>, DbError> {
    let Some(code) = normalise(typed) else {
        return Ok(None);
    };
    let Some(row) = rows::pending_by_user_code(conn, &ctx.tenant.id, &code, unix_now())? else {
        return Ok(None);
    };
    let Ok(request) = serde_json::from_str::<AuthorizationRequest>(&row.parameters) else {
        return Ok(None);
    };
    match ctx.client(conn, &row.client_id) {
        Ok(client) if client.allows_grant(GrantType::DeviceCode) => Ok(Some((client, request))),
        Err(crate::clients::ClientError::Db(e)) => Err(e),
        _ => Ok(None),
    }
}

/// The user code a device request waits under, for the confirmation page.
pub fn user_code_of(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    request: &AuthorizationRequest,
) -> Result<Option<String>, DbError> {
    let Some(hash) = &request.device else {
        return Ok(None);
    };
    Ok(rows::find(conn, &ctx.tenant.id, hash)?.map(|row| display(&row.user_code)))
}

/// The person approved: a grant for the profile, handed to the device at its next poll.
/// `false` when the request was decided or expired meanwhile (nothing is stored then).
/// Call inside the step's write transaction.
pub fn approve(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    request: &AuthorizationRequest,
    session: &Session,
    profile: &ProfileId,
) -> Result<bool, DbError> {
    let Some(hash) = &request.device else {
        return Ok(false);
    };
    let grant = authorize::new_grant(ctx, client, request, session, profile);
    let now = unix_now();
    if !rows::decide(
        conn,
        &ctx.tenant.id,
        hash,
        rows::APPROVED,
        Some(&grant.id),
        now,
    )? {
        return Ok(false);
    }
    grants::insert_grant(conn, &grant)?;
    Ok(true)
}

/// The person declined (or the sign-in could not satisfy the request): the device gets
/// `access_denied`.
pub fn deny(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    request: &AuthorizationRequest,
) -> Result<(), DbError> {
    if let Some(hash) = &request.device {
        rows::decide(conn, &ctx.tenant.id, hash, rows::DENIED, None, unix_now())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_typed_forgivingly() {
        let code = new_user_code();
        assert_eq!(code.len(), CODE_LEN);
        assert_eq!(normalise(&display(&code)).as_deref(), Some(code.as_str()));
        assert_eq!(
            normalise(&display(&code).to_lowercase()).as_deref(),
            Some(code.as_str())
        );
        assert_eq!(normalise("bcdf ghjk").as_deref(), Some("BCDFGHJK"));
        // Vowels and digits are never in a code; short or long input is not one.
        assert_eq!(normalise("ABCD-EFGH"), None);
        assert_eq!(normalise("BCDF-GHJ1"), None);
        assert_eq!(normalise("BCDF-GHJ"), None);
        assert_eq!(normalise("BCDF-GHJKL"), None);
        assert_eq!(normalise("ÄBCD-FGHJ"), None);
    }
}
