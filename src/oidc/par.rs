//! Pushed authorization requests (RFC 9126): a client sends its authorization request to
//! `POST {issuer}/par`, authenticated as at the token endpoint, and gets a `request_uri` to
//! send the browser to `/authorize` with. The request is validated here exactly as
//! `/authorize` validates it (`authorize::validate`), kept for [`LIFETIME_SECS`] under the
//! hash of its `request_uri`, and used once.

use serde_json::{json, Value};

use super::authorize::{self, AuthorizeError};
use super::client_auth::{self, Credentials};
use super::context::OidcContext;
use super::error::{ErrorCode, OAuthError};
use super::form::Params;
use crate::crypto::{random_token, sha256_hex};
use crate::db::pending::{self as rows, PushedRow};
use crate::db::AnyConnection;
use crate::domain::unix_now;

/// How long a `request_uri` may be used (RFC 9126 §2.2: short; FAPI 2.0: at most 60 s).
pub const LIFETIME_SECS: i64 = 60;

/// `POST {issuer}/par`: validates and keeps the request; answers `request_uri` and
/// `expires_in` (the web layer sends them with 201 Created).
pub fn push(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    credentials: Credentials,
    params: &Params,
) -> Result<Value, OAuthError> {
    let client = client_auth::authenticate(conn, ctx, credentials)?;
    // §2.1: a pushed request cannot itself refer to another.
    if params.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri cannot be pushed: send the authorization parameters themselves",
        ));
    }
    if params
        .get("client_id")
        .is_some_and(|id| id != client.id.as_str())
    {
        return Err(OAuthError::invalid_request(
            "client_id does not name the authenticated client",
        ));
    }
    let params = params.clone().with_default("client_id", client.id.as_str());
    let request = match authorize::validate_pushed(conn, ctx, &params) {
        Ok((_, request)) => request,
        Err(AuthorizeError::Storage(e)) => return Err(e.into()),
        Err(AuthorizeError::Page(message)) => return Err(OAuthError::invalid_request(message)),
        Err(AuthorizeError::Redirect(response)) => return Err(as_error(&response.params)),
    };
    let reference = random_token();
    let now = unix_now();
    rows::insert_pushed(
        conn,
        &PushedRow {
            request_uri_hash: &sha256_hex(&reference),
            tenant_id: ctx.tenant.id.as_str(),
            client_id: client.id.as_str(),
            parameters: &serde_json::to_string(&request).unwrap_or_default(),
            created_at: now,
            expires_at: now + LIFETIME_SECS,
        },
    )?;
    Ok(json!({
        "request_uri": format!("{}{reference}", authorize::PUSHED_URN_PREFIX),
        "expires_in": LIFETIME_SECS,
    }))
}

/// The error `/authorize` would have redirected with, as a JSON error of this endpoint.
fn as_error(params: &[(String, String)]) -> OAuthError {
    let value = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let code = ErrorCode::parse(&value("error")).unwrap_or(ErrorCode::InvalidRequest);
    OAuthError::new(code, value("error_description"))
}
