//! `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4): the device polls with its
//! device code until the person has decided at `/device`.
//!
//! One write transaction reads the authorization and records the poll (or spends the
//! approval and stores what is issued), so two polls at the same instant after approval are
//! ordered by the row: exactly one gets the tokens.

use super::issue::{self, Issuance, Prepared};
use crate::clients::Client;
use crate::crypto::sha256_hex;
use crate::db::device as rows;
use crate::db::grants;
use crate::db::{tx, AnyConnection};
use crate::domain::{unix_now, GrantId};
use crate::oidc::context::OidcContext;
use crate::oidc::device::SLOW_DOWN_SECS;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::minter::TokenResponse;
use crate::oidc::resource;

pub fn exchange(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    device_code: &str,
    resources: &[String],
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let hash = sha256_hex(device_code);
    // The inner result is the answer; refusals still commit (a poll is recorded).
    let prepared = tx::write(conn, |conn| {
        redeem(conn, ctx, client, &hash, resources, jkt)
    })??;
    prepared.sign(ctx, client)
}

fn redeem(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    hash: &str,
    resources: &[String],
    jkt: Option<&str>,
) -> Result<Result<Prepared, OAuthError>, OAuthError> {
    let tenant = &ctx.tenant.id;
    let refuse = |code: ErrorCode, description: &str| Ok(Err(OAuthError::new(code, description)));
    let Some(row) = rows::find(conn, tenant, hash)? else {
        return refuse(ErrorCode::InvalidGrant, "unknown device_code");
    };
    if row.client_id != client.id.as_str() {
        return refuse(
            ErrorCode::InvalidGrant,
            "the device_code was issued to another client",
        );
    }
    let now = unix_now();
    if row.expires_at <= now {
        return refuse(
            ErrorCode::ExpiredToken,
            "the device_code expired: start again",
        );
    }
    match row.state.as_str() {
        rows::PENDING => {
            let too_soon = row
                .last_polled_at
                .is_some_and(|at| now - at < row.interval_secs);
            let interval = if too_soon {
                row.interval_secs + SLOW_DOWN_SECS
            } else {
                row.interval_secs
            };
            rows::polled(conn, tenant, hash, now, interval)?;
            if too_soon {
                refuse(
                    ErrorCode::SlowDown,
                    &format!("poll at most every {interval} seconds"),
                )
            } else {
                refuse(
                    ErrorCode::AuthorizationPending,
                    "the person has not decided yet",
                )
            }
        }
        rows::DENIED => refuse(ErrorCode::AccessDenied, "the person declined"),
        rows::APPROVED if rows::use_approved(conn, tenant, hash)? => {
            let grant_id = GrantId::from_stored(row.grant_id.clone().unwrap_or_default());
            let Some(grant) =
                grants::find_grant(conn, tenant, &grant_id)?.filter(|g| g.revoked_at.is_none())
            else {
                return refuse(ErrorCode::InvalidGrant, "the grant was revoked");
            };
            let audience = match resource::target(conn, ctx, client, &grant.resources, resources) {
                Ok(audience) => audience,
                Err(e) if e.storage.is_some() => return Err(e),
                Err(refused) => return Ok(Err(refused)),
            };
            let issuance = Issuance {
                nonce: None,
                scope: None,
                audience,
                jkt: jkt.map(str::to_owned),
            };
            issue::prepare_audited(conn, ctx, client, grant, issuance, "device_code")
        }
        _ => refuse(ErrorCode::InvalidGrant, "the device_code was already used"),
    }
}
