//! `refresh_token` (RFC 6749 §6): opaque tokens, rotated on every use. Reusing a rotated token
//! revokes the whole family (its grant), except within the configured grace window.
//!
//! One write transaction rotates the token, checks the grant and stores the new token. Two
//! refreshes of one token at once are ordered by its row: the second sees it rotated and
//! either joins the family (inside the grace window) or revokes it. Every token hangs off the
//! grant, so a revocation that commits at any point leaves nothing issued alive.

use super::issue::{self, Issuance, Prepared};
use crate::clients::Client;
use crate::crypto::sha256_hex;
use crate::db::grants as rows;
use crate::db::{sessions, tx, AnyConnection};
use crate::domain::{unix_now, GrantId, ScopeSet, SessionId};
use crate::oidc::context::OidcContext;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::minter::TokenResponse;
use crate::oidc::resource;

/// What a refresh request asks for besides the token.
#[derive(Clone, Copy)]
struct Asked<'a> {
    scope: Option<&'a str>,
    resources: &'a [String],
    jkt: Option<&'a str>,
}

pub fn exchange(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    token: &str,
    scope: Option<&str>,
    resources: &[String],
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let hash = sha256_hex(token);
    let asked = Asked {
        scope,
        resources,
        jkt,
    };
    // The inner result is the answer; refusals still commit (a reuse's revocation stands).
    let prepared = tx::write(conn, |conn| rotate(conn, ctx, client, &hash, &asked))??;
    prepared.sign(ctx, client)
}

fn rotate(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    hash: &str,
    asked: &Asked,
) -> Result<Result<Prepared, OAuthError>, OAuthError> {
    let Asked {
        scope,
        resources,
        jkt,
    } = *asked;
    let tenant = &ctx.tenant.id;
    let Some(row) = rows::find_refresh_token(conn, tenant, hash)? else {
        return Ok(Err(OAuthError::invalid_grant("unknown refresh token")));
    };
    if row.client_id != client.id.as_str() {
        return Ok(Err(OAuthError::invalid_grant(
            "refresh token was issued to another client",
        )));
    }
    // A bound refresh token works only with a proof by its key, checked before it rotates:
    // a stolen copy cannot even spend it.
    if let Some(bound) = &row.dpop_jkt {
        if !jkt.is_some_and(|jkt| crate::crypto::constant_time_eq(jkt, bound)) {
            return Ok(Err(OAuthError::new(
                ErrorCode::InvalidDpopProof,
                "this refresh token is bound to a DPoP key: send a proof made with that key",
            )));
        }
    }
    let grant_id = GrantId::from_stored(row.grant_id.clone());
    let now = unix_now();
    if row.expires_at < now {
        return Ok(Err(OAuthError::invalid_grant("refresh token expired")));
    }
    // The audience is settled before the token rotates: naming a wrong resource must not
    // cost the client its refresh token.
    let authorised = rows::find_grant(conn, tenant, &grant_id)?
        .map(|g| g.resources)
        .unwrap_or_default();
    let audience = match resource::target(conn, ctx, client, &authorised, resources) {
        Ok(audience) => audience,
        Err(e) if e.storage.is_some() => return Err(e),
        Err(refused) => return Ok(Err(refused)),
    };
    let grace = ctx.settings.tokens.refresh_token_reuse_grace_secs;
    if !rows::rotate_refresh_token(conn, tenant, hash, now)? {
        // Read again: a concurrent refresh may have rotated it after the first read.
        let rotated_at = rows::find_refresh_token(conn, tenant, hash)?
            .and_then(|r| r.rotated_at)
            .unwrap_or(0);
        if grace == 0 || now - rotated_at > grace {
            rows::revoke_grant(conn, tenant, &grant_id, now)?;
            crate::audit::record(
                conn,
                tenant,
                crate::audit::Event {
                    actor: client.id.as_str(),
                    action: "grant.revoke",
                    target: grant_id.as_str(),
                    ip: "",
                    details: serde_json::json!({ "reason": "refresh token reused" }),
                },
            )?;
            tracing::warn!(client_id = %client.id, grant = %grant_id, "refresh token reused; family revoked");
            return Ok(Err(OAuthError::invalid_grant("refresh token already used")));
        }
    }
    let Some(grant) = rows::find_grant(conn, tenant, &grant_id)?
        .filter(|g| g.revoked_at.is_none() && g.expires_at >= now)
    else {
        return Ok(Err(OAuthError::invalid_grant(
            "the grant was revoked or has expired",
        )));
    };
    let granted = ScopeSet::parse(&grant.scope).map_err(OAuthError::server_error)?;
    // Without offline_access, a refresh token lives only as long as the browser session.
    if !granted.contains(crate::domain::scope::OFFLINE_ACCESS) {
        let alive = match &grant.session_id {
            Some(sid) => {
                sessions::is_active(conn, tenant, &SessionId::from_stored(sid.clone()), now)?
            }
            None => false,
        };
        if !alive {
            return Ok(Err(OAuthError::invalid_grant(
                "the session this token belongs to has ended",
            )));
        }
    }
    let narrowed = match scope {
        Some(requested) => {
            let requested = match ScopeSet::parse(requested) {
                Ok(requested) => requested,
                Err(e) => return Ok(Err(OAuthError::new(ErrorCode::InvalidScope, e.to_string()))),
            };
            if !requested.is_subset(&granted) {
                return Ok(Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "a refresh may only narrow the granted scope",
                )));
            }
            requested
        }
        None => ScopeSet::parse(&row.scope).map_err(OAuthError::server_error)?,
    };
    let issuance = Issuance {
        nonce: None,
        scope: Some(narrowed),
        audience,
        jkt: jkt.map(str::to_owned),
    };
    issue::prepare_audited(conn, ctx, client, grant, issuance, "refresh_token")
}
