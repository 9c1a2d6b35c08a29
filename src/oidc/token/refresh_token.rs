//! `refresh_token` (RFC 6749 §6): opaque tokens, rotated on every use. Reusing a rotated token
//! revokes the whole family (its grant), except within the configured grace window.

use diesel::Connection;

use crate::clients::{Client, GrantType};
use crate::crypto::sha256_hex;
use crate::db::grants::{self as rows, GrantRow};
use crate::db::{sessions, AnyConnection};
use crate::domain::{unix_now, AccountId, GrantId, ProfileId, ScopeSet, SessionId};
use crate::identity;
use crate::oidc::claims::user_claims;
use crate::oidc::context::OidcContext;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::minter::{self, TokenResponse, UserContext};
use crate::oidc::subject::subject;
use crate::profiles;

pub fn exchange(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    token: &str,
    scope: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let tenant = &ctx.tenant.id;
    let hash = sha256_hex(token);
    let row = rows::find_refresh_token(conn, tenant, &hash)?
        .ok_or_else(|| OAuthError::invalid_grant("unknown refresh token"))?;
    if row.client_id != client.id.as_str() {
        return Err(OAuthError::invalid_grant(
            "refresh token was issued to another client",
        ));
    }
    let grant_id = GrantId::from_stored(row.grant_id.clone());
    let now = unix_now();
    if row.expires_at < now {
        return Err(OAuthError::invalid_grant("refresh token expired"));
    }
    let grace = ctx.settings.tokens.refresh_token_reuse_grace_secs;
    let rotated_now = rows::rotate_refresh_token(conn, tenant, &hash, now)?;
    if !rotated_now {
        let rotated_at = rows::find_refresh_token(conn, tenant, &hash)?
            .and_then(|r| r.rotated_at)
            .unwrap_or(0);
        if now - rotated_at > grace || grace == 0 {
            rows::revoke_grant(conn, tenant, &grant_id, now)?;
            tracing::warn!(client_id = %client.id, grant = %grant_id, "refresh token reused; family revoked");
            return Err(OAuthError::invalid_grant("refresh token already used"));
        }
    }
    let grant = rows::find_grant(conn, tenant, &grant_id)?
        .filter(|g| g.revoked_at.is_none() && g.expires_at >= now)
        .ok_or_else(|| OAuthError::invalid_grant("the grant was revoked or has expired"))?;
    let granted = ScopeSet::parse(&grant.scope).map_err(OAuthError::server_error)?;
    // Without offline_access, a refresh token lives only as long as the browser session.
    if !granted.contains("offline_access") {
        let alive = match &grant.session_id {
            Some(sid) => {
                sessions::is_active(conn, tenant, &SessionId::from_stored(sid.clone()), now)?
            }
            None => false,
        };
        if !alive {
            return Err(OAuthError::invalid_grant(
                "the session this token belongs to has ended",
            ));
        }
    }
    let narrowed = match scope {
        Some(requested) => {
            let requested = ScopeSet::parse(requested)
                .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
            if !requested.is_subset(&granted) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "a refresh may only narrow the granted scope",
                ));
            }
            Some(requested)
        }
        None => Some(ScopeSet::parse(&row.scope).map_err(OAuthError::server_error)?),
    };
    conn.transaction(|conn| {
        let issued = issue_for_grant(conn, ctx, client, &grant, None, narrowed)?;
        crate::audit::record(
            conn,
            &ctx.tenant.id,
            crate::audit::Event {
                actor: client.id.as_str(),
                action: "token.issue",
                target: &grant.id,
                ip: "",
                details: serde_json::json!({ "grant_type": "refresh_token", "scope": issued.scope }),
            },
        )?;
        Ok(issued)
    })
}

/// Access token, ID token (with `openid`) and refresh token (when the client may refresh) for
/// a user grant; shared by the code and refresh grants.
pub(super) fn issue_for_grant(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    grant: &GrantRow,
    nonce: Option<&str>,
    scope: Option<ScopeSet>,
) -> Result<TokenResponse, OAuthError> {
    let scope = match scope {
        Some(scope) => scope,
        None => ScopeSet::parse(&grant.scope).map_err(OAuthError::server_error)?,
    };
    let tenant = &ctx.tenant.id;
    let account = identity::find_account(
        conn,
        tenant,
        &AccountId::from_stored(grant.account_id.clone()),
    )
    .map_err(|_| OAuthError::invalid_grant("the account no longer exists"))?;
    identity::may_sign_in(&account)
        .map_err(|_| OAuthError::invalid_grant("the account may not sign in"))?;
    let profile_id = ProfileId::from_stored(grant.profile_id.clone());
    let profile = profiles::find(conn, tenant, &profile_id)
        .map_err(|_| OAuthError::invalid_grant("the profile no longer exists"))?;
    let subject = subject(conn, tenant, client, &account.id, &profile_id)?;
    // Read now, not at sign-in: role changes show up at the next refresh.
    let authorization = profiles::authorization(conn, tenant, &profile_id)?;
    let user = UserContext {
        grant,
        subject: &subject,
        authorization: &authorization,
    };
    let (access_token, expires_in) = minter::access_token(ctx, client, &scope, Some(&user))?;
    let id_token = if scope.contains("openid") {
        let claims = user_claims(&account, &profile, &subject, &scope);
        Some(minter::id_token(
            ctx,
            client,
            &user,
            nonce,
            &access_token,
            claims,
        )?)
    } else {
        None
    };
    let refresh_token = if client.allows_grant(GrantType::RefreshToken) {
        Some(minter::refresh_token(conn, ctx, grant, &scope)?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token,
        id_token,
        scope: scope.to_string(),
    })
}
