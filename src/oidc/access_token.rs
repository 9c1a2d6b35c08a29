//! Checking an access token presented to Tessera (userinfo, introspection, revocation): a
//! valid signature by this tenant, `typ: at+jwt`, this issuer, not expired, not on the jti
//! deny-list, its grant not revoked, and its account still allowed to sign in.

use super::context::OidcContext;
use super::minter::AccessTokenClaims;
use crate::db::grants::{self, GrantRow};
use crate::db::{AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, GrantId};
use crate::identity::{self, Account};

/// Why a token is not active; logged, never sent (RFC 7662 answers only `active: false`).
#[derive(Debug, thiserror::Error)]
pub enum Inactive {
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The claims of an active access token. Signature and `typ` are checked first, so ID tokens
/// and tokens of other tenants never get further.
/// An access token that is valid now, with the grant and account it was checked against
/// (none for a client's own token).
pub struct Active {
    pub claims: AccessTokenClaims,
    pub user: Option<(GrantRow, Account)>,
}

/// Any active token of this tenant, whatever its audience (introspection).
pub fn verify(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    token: &str,
) -> Result<Active, Inactive> {
    let claims = verify_signature_only(ctx, token)?;
    still_active(conn, ctx, claims)
}

/// An active token for this issuer itself (userinfo, the admin API): a token issued for an
/// API (RFC 8707) is that API's, and must not work here when the API replays it.
pub fn verify_for_issuer(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    token: &str,
) -> Result<Active, Inactive> {
    let claims = verify_signature_only(ctx, token)?;
    if claims.aud != ctx.issuer {
        return Err(Inactive::Invalid("issued for another audience"));
    }
    still_active(conn, ctx, claims)
}

fn still_active(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    claims: AccessTokenClaims,
) -> Result<Active, Inactive> {
    if claims.exp <= unix_now() {
        return Err(Inactive::Invalid("expired"));
    }
    if grants::is_access_token_revoked(conn, &ctx.tenant.id, &claims.jti)? {
        return Err(Inactive::Invalid("revoked"));
    }
    if let Some(grant_id) = &claims.grant_id {
        let grant = grants::find_grant(
            conn,
            &ctx.tenant.id,
            &GrantId::from_stored(grant_id.clone()),
        )?
        .ok_or(Inactive::Invalid("grant is gone"))?;
        if grant.revoked_at.is_some() {
            return Err(Inactive::Invalid("grant revoked"));
        }
        let account = identity::find_account(
            conn,
            ctx.vault(),
            &ctx.tenant.id,
            &AccountId::from_stored(grant.account_id.clone()),
        )
        .map_err(|_| Inactive::Invalid("account is gone"))?;
        identity::may_sign_in(&account)
            .map_err(|_| Inactive::Invalid("account may not sign in"))?;
        return Ok(Active {
            claims,
            user: Some((grant, account)),
        });
    }
    Ok(Active { claims, user: None })
}

/// Signature, `typ`, issuer and tenant only: for revocation, which must accept expired tokens.
pub fn verify_signature_only(
    ctx: &OidcContext,
    token: &str,
) -> Result<AccessTokenClaims, Inactive> {
    let (header, payload) = ctx
        .keys
        .verify(token)
        .map_err(|_| Inactive::Invalid("not signed by this tenant"))?;
    if !header.token_type().is_some_and(|t| {
        t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
    }) {
        return Err(Inactive::Invalid("not an access token"));
    }
    let claims: AccessTokenClaims =
        serde_json::from_slice(&payload).map_err(|_| Inactive::Invalid("malformed claims"))?;
    if claims.iss != ctx.issuer || claims.tenant != ctx.tenant.slug.as_str() {
        return Err(Inactive::Invalid("issued for another issuer"));
    }
    Ok(claims)
}
