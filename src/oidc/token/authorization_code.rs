//! `authorization_code` (RFC 6749 §4.1.3, OIDC Core §3.1.3): single use, short-lived, bound to
//! the client, the redirect URI and the PKCE challenge. Presenting a code twice revokes every
//! token issued from it (RFC 9700 §4.5).
//!
//! One write transaction spends the code, reads the grant and stores what is issued, so two
//! redemptions of one code at the same instant are ordered by the code row: exactly one wins,
//! and the other, seeing the code spent, revokes the grant.

use super::issue::{self, Issuance, Prepared};
use crate::clients::Client;
use crate::crypto::sha256_hex;
use crate::db::grants as rows;
use crate::db::{tx, AnyConnection};
use crate::domain::{unix_now, GrantId};
use crate::oidc::context::OidcContext;
use crate::oidc::error::OAuthError;
use crate::oidc::minter::TokenResponse;
use crate::oidc::{pkce, resource};

/// What a code redemption presents besides the client.
pub struct Redemption<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    /// `resource` (RFC 8707): the API the access token is for.
    pub resources: &'a [String],
    /// The thumbprint of the DPoP key the tokens are bound to.
    pub jkt: Option<&'a str>,
}

pub fn exchange(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    redemption: Redemption,
) -> Result<TokenResponse, OAuthError> {
    let code_hash = sha256_hex(redemption.code);
    // The inner result is the answer; refusals still commit (a spent code stays spent, a
    // replay's revocation stands). The outer one rolls back.
    let prepared = tx::write(conn, |conn| {
        redeem(conn, ctx, client, &code_hash, &redemption)
    })??;
    prepared.sign(ctx, client)
}

fn redeem(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    code_hash: &str,
    redemption: &Redemption,
) -> Result<Result<Prepared, OAuthError>, OAuthError> {
    let tenant = &ctx.tenant.id;
    let (redirect_uri, code_verifier) = (redemption.redirect_uri, redemption.code_verifier);
    let Some(row) = rows::find_code(conn, tenant, code_hash)? else {
        return Ok(Err(OAuthError::invalid_grant("unknown or expired code")));
    };
    let grant_id = GrantId::from_stored(row.grant_id.clone());
    let now = unix_now();
    if !rows::use_code(conn, tenant, code_hash, now)? {
        // A replay: whoever holds this code may hold a stolen copy. Revoke everything.
        rows::revoke_grant(conn, tenant, &grant_id, now)?;
        crate::audit::record(
            conn,
            tenant,
            crate::audit::Event {
                actor: client.id.as_str(),
                action: "grant.revoke",
                target: grant_id.as_str(),
                ip: "",
                details: serde_json::json!({ "reason": "authorization code reused" }),
            },
        )?;
        tracing::warn!(client_id = %client.id, grant = %grant_id, "authorization code reused; grant revoked");
        return Ok(Err(OAuthError::invalid_grant("code already used")));
    }
    if row.client_id != client.id.as_str() {
        return Ok(Err(OAuthError::invalid_grant(
            "code was issued to another client",
        )));
    }
    if row.expires_at < now {
        return Ok(Err(OAuthError::invalid_grant("unknown or expired code")));
    }
    if redirect_uri != Some(row.redirect_uri.as_str()) {
        return Ok(Err(OAuthError::invalid_grant(
            "redirect_uri must be the one used in the authorization request",
        )));
    }
    if let Err(refused) = pkce::verify(row.code_challenge.as_deref(), code_verifier) {
        return Ok(Err(refused));
    }
    let Some(grant) = rows::find_grant(conn, tenant, &grant_id)?.filter(|g| g.revoked_at.is_none())
    else {
        return Ok(Err(OAuthError::invalid_grant("the grant was revoked")));
    };
    let audience = match resource::target(conn, ctx, client, &grant.resources, redemption.resources)
    {
        Ok(audience) => audience,
        Err(e) if e.storage.is_some() => return Err(e),
        Err(refused) => return Ok(Err(refused)),
    };
    let jkt = redemption.jkt.map(str::to_owned);
    let issuance = Issuance {
        nonce: row.nonce.clone(),
        scope: None,
        audience,
        jkt,
    };
    issue::prepare_audited(conn, ctx, client, grant, issuance, "authorization_code")
}
