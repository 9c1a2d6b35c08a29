//! Tokens for a user grant, shared by the code and refresh grants, in two steps: [`prepare`]
//! reads what the tokens say and stores the new refresh token inside the grant's transaction;
//! [`Prepared::sign`] signs after it committed, so no lock is held while a signature (about a
//! millisecond for RS256) is computed.

use crate::clients::{Client, ClientType, GrantType};
use crate::db::grants::GrantRow;
use crate::db::AnyConnection;
use crate::domain::{AccountId, ProfileId, ScopeSet};
use crate::identity::{self, Account};
use crate::oidc::claims::{user_claims, Asked};
use crate::oidc::claims_request::{ClaimsRequest, Target};
use crate::oidc::context::OidcContext;
use crate::oidc::error::OAuthError;
use crate::oidc::minter::{self, TokenResponse, UserContext};
use crate::oidc::resource::Audience;
use crate::oidc::subject::{subject, Subject};
use crate::profiles::{self, Authorization, Profile};

/// Everything the tokens of one issuance say, read in the grant's transaction.
pub(super) struct Prepared {
    grant: GrantRow,
    account: Account,
    profile: Profile,
    subject: Subject,
    authorization: Authorization,
    scope: ScopeSet,
    /// Whom the access token is for; it carries only that audience's part of `scope`.
    audience: Audience,
    /// The DPoP key the access token is bound to.
    jkt: Option<String>,
    nonce: Option<String>,
    refresh_token: Option<String>,
    /// The custom attributes the granted scopes release (read with the profile).
    attribute_claims: serde_json::Map<String, serde_json::Value>,
    /// The authorization's `claims` request, and the customer when it asks the ID token for
    /// `verified_claims`.
    claims: Option<ClaimsRequest>,
    customer: Option<crate::customers::Customer>,
}

impl Prepared {
    pub(super) fn grant_id(&self) -> &str {
        &self.grant.id
    }

    pub(super) fn scope(&self) -> &ScopeSet {
        &self.scope
    }

    pub(super) fn audience(&self) -> &Audience {
        &self.audience
    }

    /// Access token, ID token (with `openid`) and the stored refresh token.
    pub(super) fn sign(
        self,
        ctx: &OidcContext,
        client: &Client,
    ) -> Result<TokenResponse, OAuthError> {
        let user = UserContext {
            grant: &self.grant,
            subject: &self.subject,
            authorization: &self.authorization,
            customer_id: self.account.customer_id.as_deref(),
        };
        let token_scope = self.audience.token_scope(&self.scope, client);
        let (access_token, expires_in) = minter::access_token(
            ctx,
            client,
            &token_scope,
            Some(&user),
            &self.audience,
            self.jkt.as_deref(),
        )?;
        let id_token = if self.scope.contains(crate::domain::scope::OPENID) {
            let asked = Asked {
                scope: &self.scope,
                claims: self.claims.as_ref(),
                target: Target::IdToken,
            };
            let claims = user_claims(
                &self.account,
                &self.profile,
                &self.subject,
                &asked,
                self.attribute_claims,
                self.customer.as_ref(),
            );
            Some(minter::id_token(
                ctx,
                client,
                &user,
                self.nonce.as_deref(),
                &access_token,
                claims,
            )?)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: minter::token_type(self.jkt.as_deref()),
            expires_in,
            refresh_token: self.refresh_token,
            id_token,
            scope: token_scope.to_string(),
        })
    }
}

/// What one issuance asks for besides the grant.
pub(super) struct Issuance {
    /// The ID token's `nonce` (code redemption only).
    pub nonce: Option<String>,
    /// A narrowed scope (refresh only); the grant's otherwise.
    pub scope: Option<ScopeSet>,
    pub audience: Audience,
    /// The DPoP key to bind the tokens to.
    pub jkt: Option<String>,
}

/// [`prepare`], then the `token.issue` audit entry: how every user grant ends. A refusal is
/// the inner error (the grant's transaction still commits what it spent); a storage failure
/// the outer one (it rolls back).
pub(super) fn prepare_audited(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    grant: GrantRow,
    issuance: Issuance,
    grant_type: &str,
) -> Result<Result<Prepared, OAuthError>, OAuthError> {
    let prepared = match prepare(conn, ctx, client, grant, issuance) {
        Ok(prepared) => prepared,
        Err(e) if e.storage.is_some() => return Err(e),
        Err(refused) => return Ok(Err(refused)),
    };
    crate::audit::record(
        conn,
        &ctx.tenant.id,
        crate::audit::Event {
            actor: client.id.as_str(),
            action: "token.issue",
            target: prepared.grant_id(),
            ip: "",
            details: serde_json::json!({
                "grant_type": grant_type,
                "scope": prepared.scope().to_string(),
                "aud": prepared.audience().aud(ctx),
            }),
        },
    )?;
    Ok(Ok(prepared))
}

/// Checks the account may still sign in, reads the profile, subject and roles (now, not at
/// sign-in: role changes show at the next refresh), and stores a new refresh token when the
/// client may refresh. Call inside the grant's write transaction.
fn prepare(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    grant: GrantRow,
    issuance: Issuance,
) -> Result<Prepared, OAuthError> {
    let Issuance {
        nonce,
        scope,
        audience,
        jkt,
    } = issuance;
    let scope = match scope {
        Some(scope) => scope,
        None => ScopeSet::parse(&grant.scope).map_err(OAuthError::server_error)?,
    };
    let tenant = &ctx.tenant.id;
    let account = identity::find_account(
        conn,
        ctx.vault(),
        tenant,
        &AccountId::from_stored(grant.account_id.clone()),
    )
    .map_err(|e| match e {
        identity::AccountError::Db(e) => e.into(),
        _ => OAuthError::invalid_grant("the account no longer exists"),
    })?;
    identity::may_sign_in(&account)
        .map_err(|_| OAuthError::invalid_grant("the account may not sign in"))?;
    let profile_id = ProfileId::from_stored(grant.profile_id.clone());
    let profile = profiles::find(conn, ctx.vault(), tenant, &profile_id).map_err(|e| match e {
        profiles::ProfileError::Db(e) => e.into(),
        _ => OAuthError::invalid_grant("the profile no longer exists"),
    })?;
    let subject = subject(conn, tenant, client, &account.id, &profile_id)?;
    let authorization = profiles::authorization(conn, tenant, &profile_id)?;
    let attribute_claims =
        profiles::attributes::released(conn, tenant, &profile.attributes, &scope)?;
    let claims = grant
        .claims
        .as_deref()
        .and_then(|c| serde_json::from_str::<ClaimsRequest>(c).ok());
    let customer = match (&account.customer_id, &claims) {
        (Some(id), Some(c)) if c.verified_claims(Target::IdToken).is_some() => {
            verified_customer(conn, ctx, id)?
        }
        _ => None,
    };
    let refresh_token = if client.allows_grant(GrantType::RefreshToken) {
        // A public client's refresh token is bound to its DPoP key (RFC 9449 §5); a
        // confidential client's is already bound to its credentials.
        let bound = jkt
            .as_deref()
            .filter(|_| client.client_type == ClientType::Public);
        Some(minter::refresh_token(conn, ctx, &grant, &scope, bound)?)
    } else {
        None
    };
    Ok(Prepared {
        grant,
        account,
        profile,
        subject,
        authorization,
        scope,
        audience,
        jkt,
        nonce,
        refresh_token,
        attribute_claims,
        claims,
        customer,
    })
}

/// The account's customer, to answer a `verified_claims` request (`None` if it is gone).
pub(crate) fn verified_customer(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    id: &str,
) -> Result<Option<crate::customers::Customer>, OAuthError> {
    use crate::customers::{self, CustomerError};
    match customers::find(conn, ctx.vault(), &ctx.tenant.id, &id.into()) {
        Ok(customer) => Ok(Some(customer)),
        Err(CustomerError::Db(e)) => Err(e.into()),
        Err(CustomerError::NotFound) => Ok(None),
        Err(e) => Err(OAuthError::server_error(e)),
    }
}
