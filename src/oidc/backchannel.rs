//! OpenID Connect Back-Channel Logout 1.0: when a browser session ends (RP-initiated logout,
//! expiry, an administrator's sign-out, suspension, a password change or reset, erasure),
//! every client that took part in it and registered a `backchannel_logout_uri` is sent a
//! logout token.
//!
//! The trigger is the `session.ended` event (`crate::events`), so a logout token is owed
//! exactly when a session's end committed; the delivery (at least once, retries, leases
//! shared by nodes) is the webhooks machinery's (`crate::webhooks::delivery`). This module
//! decides who is told and what the token says.

use serde_json::json;

use crate::clients::{self, ClientError};
use crate::db::{grants, tenants, AnyConnection, DbError};
use crate::domain::{unix_now, AccountId, ClientId, ProfileId, SessionId, TenantId};
use crate::keys::{KeyError, KeyStore};

/// The member of `events` that makes a JWT a logout token (§2.4).
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The JWT `typ` of logout tokens (§2.4, as the specification recommends).
pub const TYP: &str = "logout+jwt";
/// How long a logout token is valid: long enough for the receiver to check it, short
/// enough that a copy is useless soon after.
pub const LIFETIME_SECS: i64 = 120;

#[derive(Debug, thiserror::Error)]
pub enum BackchannelError {
    #[error("the client is gone")]
    Gone,
    #[error("cannot sign the logout token: {0}")]
    Signing(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<KeyError> for BackchannelError {
    fn from(e: KeyError) -> BackchannelError {
        match e {
            KeyError::Db(e) => BackchannelError::Db(e),
            other => BackchannelError::Signing(other.to_string()),
        }
    }
}

/// The clients to tell that a session ended: those that were granted something in it and
/// registered a back-channel logout URI.
pub fn targets(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    session: &SessionId,
) -> Result<Vec<ClientId>, DbError> {
    let mut told: Vec<ClientId> = Vec::new();
    for grant in grants::of_session(conn, tenant, session)? {
        let client = ClientId::from_stored(grant.client_id);
        if told.contains(&client) {
            continue;
        }
        match clients::find(conn, tenant, &client) {
            Ok(found) if found.backchannel_logout_uri.is_some() => told.push(client),
            Ok(_) | Err(ClientError::NotFound(_)) => {}
            Err(ClientError::Db(e)) => return Err(e),
            // A stored client that no longer parses is nobody to tell (and logged elsewhere).
            Err(_) => {}
        }
    }
    Ok(told)
}

/// A logout token for `client` about `session`, and where to post it.
pub struct LogoutToken {
    pub uri: String,
    pub token: String,
}

/// Signs the logout token (§2.4): `iss`, `aud`, `iat`, `exp`, `jti`, `events`, and `sub`
/// and `sid` as this client saw them in its ID tokens (pairwise clients included); never a
/// `nonce`. Signed with the client's ID-token algorithm, `typ: logout+jwt`.
pub fn logout_token(
    conn: &mut AnyConnection,
    keys: &KeyStore,
    settings: &crate::config::Settings,
    tenant: &TenantId,
    client: &ClientId,
    session: &SessionId,
) -> Result<LogoutToken, BackchannelError> {
    let client = match clients::find(conn, tenant, client) {
        Ok(client) => client,
        Err(ClientError::Db(e)) => return Err(e.into()),
        Err(_) => return Err(BackchannelError::Gone),
    };
    let uri = client
        .backchannel_logout_uri
        .clone()
        .ok_or(BackchannelError::Gone)?;
    let slug = tenants::slug_of(conn, tenant)?.ok_or(BackchannelError::Gone)?;
    let grant = grants::of_session(conn, tenant, session)?
        .into_iter()
        .find(|g| g.client_id == client.id.as_str())
        .ok_or(BackchannelError::Gone)?;
    let subject = super::subject::subject(
        conn,
        tenant,
        &client,
        &AccountId::from_stored(grant.account_id),
        &ProfileId::from_stored(grant.profile_id),
    )?;
    let issuer = crate::tenancy::issuer(settings, &crate::domain::TenantSlug::from_stored(slug));
    let now = unix_now();
    let claims = json!({
        "iss": issuer,
        "aud": client.id,
        "iat": now,
        "exp": now + LIFETIME_SECS,
        "jti": uuid::Uuid::new_v4().to_string(),
        "sub": subject.sub,
        "sid": subject.session_id(session.as_str()),
        "events": { EVENT: {} },
    });
    let set = keys.load(conn, tenant)?;
    let signer = set.signer(client.signing_alg).ok_or_else(|| {
        BackchannelError::Signing(format!("no active {} key", client.signing_alg))
    })?;
    let payload =
        serde_json::to_vec(&claims).map_err(|e| BackchannelError::Signing(e.to_string()))?;
    let token = signer
        .sign(TYP, &payload)
        .map_err(|e| BackchannelError::Signing(e.to_string()))?;
    Ok(LogoutToken { uri, token })
}
