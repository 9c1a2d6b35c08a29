//! Token revocation (RFC 7009). A refresh token revokes its whole family (grant); an access
//! token goes on the jti deny-list until it would have expired. Unknown tokens answer 200.

use super::access_token;
use super::client_auth::{self, Credentials};
use super::context::OidcContext;
use super::error::{ErrorCode, OAuthError};
use super::form::Params;
use crate::crypto::sha256_hex;
use crate::db::{grants, tx, AnyConnection, DbError};
use crate::domain::{unix_now, GrantId};

pub fn revoke(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    credentials: Credentials,
    params: &Params,
) -> Result<(), OAuthError> {
    let client = client_auth::authenticate(conn, ctx, credentials)?;
    let token = params.require("token")?;
    let not_yours = || {
        OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "the token was issued to another client",
        )
    };
    let tenant = &ctx.tenant.id;
    if let Some(row) = grants::find_refresh_token(conn, tenant, &sha256_hex(token))? {
        if row.client_id != client.id.as_str() {
            return Err(not_yours());
        }
        let grant = GrantId::from_stored(row.grant_id);
        tx::write(conn, |conn| {
            grants::revoke_grant(conn, tenant, &grant, unix_now())?;
            crate::audit::record(
                conn,
                tenant,
                crate::audit::Event {
                    actor: client.id.as_str(),
                    action: "token.revoke",
                    target: grant.as_str(),
                    ip: "",
                    details: serde_json::json!({ "token_type": "refresh_token" }),
                },
            )?;
            Ok::<_, DbError>(())
        })?;
        return Ok(());
    }
    match access_token::verify_signature_only(ctx, token) {
        Ok(claims) if claims.client_id != client.id.as_str() => Err(not_yours()),
        Ok(claims) => {
            tx::write(conn, |conn| {
                grants::revoke_access_token(conn, tenant, &claims.jti, claims.exp)?;
                crate::audit::record(
                    conn,
                    tenant,
                    crate::audit::Event {
                        actor: client.id.as_str(),
                        action: "token.revoke",
                        target: &claims.jti,
                        ip: "",
                        details: serde_json::json!({ "token_type": "access_token" }),
                    },
                )?;
                Ok::<_, DbError>(())
            })?;
            Ok(())
        }
        Err(access_token::Inactive::Db(e)) => Err(e.into()),
        Err(access_token::Inactive::Invalid(_)) => Ok(()),
    }
}
