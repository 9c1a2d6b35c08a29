//! Token introspection (RFC 7662) for authenticated clients of the same tenant. Anything not
//! active here (revoked, expired, another tenant's, malformed) is just `{"active": false}`.

use serde_json::{json, Value};

use super::access_token;
use super::client_auth::{self, Credentials};
use super::context::OidcContext;
use super::error::OAuthError;
use super::form::Params;
use crate::clients::AuthMethod;
use crate::crypto::sha256_hex;
use crate::db::{grants, sessions, AnyConnection};
use crate::domain::{unix_now, AccountId, GrantId, ScopeSet, SessionId};
use crate::identity;

/// The role permission that lets a client (a resource server) introspect tokens issued to
/// other clients of its tenant; `tenant:admin` includes it.
pub const PERMISSION: &str = "tokens:introspect";

/// One way of recognising a token; `None` when it is not (an active one of) that kind.
type Lookup = fn(&mut AnyConnection, &OidcContext, &str) -> Result<Option<Value>, OAuthError>;

pub fn introspect(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    credentials: Credentials,
    params: &Params,
) -> Result<Value, OAuthError> {
    let client = client_auth::authenticate(conn, ctx, credentials)?;
    if client.auth_method == AuthMethod::None {
        return Err(OAuthError::invalid_client(
            "introspection needs an authenticated client",
        ));
    }
    let token = params.require("token")?;
    let hint = params.get("token_type_hint");
    let order: [Lookup; 2] = if hint == Some("refresh_token") {
        [refresh_token, access_token_claims]
    } else {
        [access_token_claims, refresh_token]
    };
    for lookup in order {
        if let Some(answer) = lookup(conn, ctx, token)? {
            // Only the client the token was issued to, or one trusted to introspect for the
            // tenant, learns that it is active (and whose it is).
            if answer["client_id"] == client.id.as_str()
                || introspects_for_api(conn, ctx, &client, &answer)?
                || may_introspect_all(conn, ctx, &client)?
            {
                return Ok(answer);
            }
            break;
        }
    }
    Ok(json!({ "active": false }))
}

/// An API's own client may introspect the tokens issued for that API (RFC 8707).
fn introspects_for_api(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &crate::clients::Client,
    answer: &Value,
) -> Result<bool, OAuthError> {
    let Some(aud) = answer["aud"].as_str().filter(|aud| *aud != ctx.issuer) else {
        return Ok(false);
    };
    let api = crate::resources::by_identifier(conn, &ctx.tenant.id, aud)?;
    Ok(api.is_some_and(|api| api.introspection_client_id.as_deref() == Some(client.id.as_str())))
}

fn may_introspect_all(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &crate::clients::Client,
) -> Result<bool, OAuthError> {
    let held = crate::profiles::role::client_authorization(conn, &ctx.tenant.id, &client.id)?;
    Ok(held
        .permissions
        .iter()
        .any(|p| p == PERMISSION || p == "tenant:admin"))
}

fn access_token_claims(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    token: &str,
) -> Result<Option<Value>, OAuthError> {
    match access_token::verify(conn, ctx, token) {
        Ok(active) => {
            let mut answer =
                serde_json::to_value(&active.claims).map_err(OAuthError::server_error)?;
            answer["active"] = json!(true);
            answer["token_type"] = json!(super::minter::token_type(
                active.claims.cnf.as_ref().map(|c| c.jkt.as_str())
            ));
            Ok(Some(answer))
        }
        Err(access_token::Inactive::Db(e)) => Err(e.into()),
        Err(access_token::Inactive::Invalid(_)) => Ok(None),
    }
}

fn refresh_token(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    token: &str,
) -> Result<Option<Value>, OAuthError> {
    let tenant = &ctx.tenant.id;
    let now = unix_now();
    let Some(row) = grants::find_refresh_token(conn, tenant, &sha256_hex(token))? else {
        return Ok(None);
    };
    if row.rotated_at.is_some() || row.expires_at < now {
        return Ok(None);
    }
    let Some(grant) =
        grants::find_grant(conn, tenant, &GrantId::from_stored(row.grant_id.clone()))?
            .filter(|g| g.revoked_at.is_none() && g.expires_at >= now)
    else {
        return Ok(None);
    };
    let offline = ScopeSet::parse(&grant.scope)
        .is_ok_and(|s| s.contains(crate::domain::scope::OFFLINE_ACCESS));
    let session_alive = match &grant.session_id {
        Some(sid) => sessions::is_active(conn, tenant, &SessionId::from_stored(sid.clone()), now)?,
        None => false,
    };
    if !offline && !session_alive {
        return Ok(None);
    }
    let account = AccountId::from_stored(grant.account_id.clone());
    if !identity::may_sign_in_by_id(conn, tenant, &account)? {
        return Ok(None);
    }
    // `sub` as the token's client sees it (a pairwise client's never names the profile).
    let client = match crate::clients::find(conn, tenant, &row.client_id.as_str().into()) {
        Ok(client) => client,
        Err(crate::clients::ClientError::Db(e)) => return Err(e.into()),
        Err(_) => return Ok(None),
    };
    let subject = super::subject::subject(
        conn,
        tenant,
        &client,
        &AccountId::from_stored(grant.account_id.clone()),
        &crate::domain::ProfileId::from_stored(grant.profile_id.clone()),
    )?;
    Ok(Some(json!({
        "active": true,
        "token_type": "refresh_token",
        "scope": row.scope,
        "client_id": row.client_id,
        "sub": subject.sub,
        "iss": ctx.issuer,
        "iat": row.created_at,
        "exp": row.expires_at,
    })))
}
