//! `authorization_code` (RFC 6749 §4.1.3, OIDC Core §3.1.3): single use, short-lived, bound to
//! the client, the redirect URI and the PKCE challenge. Presenting a code twice revokes every
//! token issued from it (RFC 9700 §4.5).

use diesel::Connection;

use super::refresh_token::issue_for_grant;
use crate::clients::Client;
use crate::crypto::sha256_hex;
use crate::db::grants as rows;
use crate::db::AnyConnection;
use crate::domain::{unix_now, GrantId};
use crate::oidc::context::OidcContext;
use crate::oidc::error::OAuthError;
use crate::oidc::minter::TokenResponse;
use crate::oidc::pkce;

pub fn exchange(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let tenant = &ctx.tenant.id;
    let code_hash = sha256_hex(code);
    let row = rows::find_code(conn, tenant, &code_hash)?
        .ok_or_else(|| OAuthError::invalid_grant("unknown or expired code"))?;
    let grant_id = GrantId::from_stored(row.grant_id.clone());
    let now = unix_now();
    if !rows::use_code(conn, tenant, &code_hash, now)? {
        // A replay: whoever holds this code may hold a stolen copy. Revoke everything.
        rows::revoke_grant(conn, tenant, &grant_id, now)?;
        tracing::warn!(client_id = %client.id, grant = %grant_id, "authorization code reused; grant revoked");
        return Err(OAuthError::invalid_grant("code already used"));
    }
    if row.client_id != client.id.as_str() {
        return Err(OAuthError::invalid_grant(
            "code was issued to another client",
        ));
    }
    if row.expires_at < now {
        return Err(OAuthError::invalid_grant("unknown or expired code"));
    }
    if redirect_uri != Some(row.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri must be the one used in the authorization request",
        ));
    }
    pkce::verify(row.code_challenge.as_deref(), code_verifier)?;
    let grant = rows::find_grant(conn, tenant, &grant_id)?
        .filter(|g| g.revoked_at.is_none())
        .ok_or_else(|| OAuthError::invalid_grant("the grant was revoked"))?;
    conn.transaction(|conn| {
        let issued = issue_for_grant(conn, ctx, client, &grant, row.nonce.as_deref(), None)?;
        crate::audit::record(
            conn,
            &ctx.tenant.id,
            crate::audit::Event {
                actor: client.id.as_str(),
                action: "token.issue",
                target: &grant.id,
                ip: "",
                details: serde_json::json!({ "grant_type": "authorization_code", "scope": issued.scope }),
            },
        )?;
        Ok(issued)
    })
}
