//! The authorization endpoint's protocol logic (RFC 6749 §4.1, OIDC Core §3.1.2, RFC 9700):
//! validating a request, deciding what the user must do next, and issuing the code.
//!
//! Errors found before the client and its redirect URI are verified are shown to the user
//! (never redirected); later ones go back to the client at that verified URI.

use serde::{Deserialize, Serialize};

use super::claims_request::ClaimsRequest;
use super::context::OidcContext;
use super::error::{ErrorCode, OAuthError};
use super::form::Params;
use super::{id_token_hint, pkce};
use crate::clients::{Client, ClientError, ConsentPolicy, GrantType};
use crate::crypto::{random_token, sha256_hex};
use crate::db::grants::{self as grant_rows, CodeRow, GrantRow};
use crate::db::pending::{self as pending_rows, PendingRow};
use crate::db::AnyConnection;
use crate::domain::{scope, unix_now, GrantId, ProfileId, ScopeSet};
use crate::sessions::Session;

/// Longest value accepted for free-form parameters (state, nonce, hints): they are stored.
const MAX_PARAMETER_LEN: usize = 2048;
const PROMPTS: &[&str] = &["none", "login", "consent", "select_account"];
/// Authentication context classes: a password, or a password and a second factor.
pub use crate::identity::signin::{MFA_ACR, PASSWORD_ACR};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// A validated authorization request, stored while the user signs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// The `sub` of a valid `id_token_hint`: the user the client expects.
    pub hinted_subject: Option<String>,
    pub acr_values: Option<String>,
    pub profile_hint: Option<String>,
    /// The languages the client would like the pages in (space-separated, preferred first).
    /// Requests stored before it existed read as `None`.
    #[serde(default)]
    pub ui_locales: Option<String>,
    /// The APIs named with `resource` (RFC 8707), by identifier.
    #[serde(default)]
    pub resource: Vec<String>,
    /// A device's request (RFC 8628): the hash of its device_code. It has no redirect URI:
    /// the outcome goes to the device's authorization row, and the person sees a page.
    #[serde(default)]
    pub device: Option<String>,
    /// The `claims` parameter (OIDC Core §5.5), checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<ClaimsRequest>,
}

impl AuthorizationRequest {
    pub fn has_prompt(&self, prompt: &str) -> bool {
        self.prompt.iter().any(|p| p == prompt)
    }

    /// Whether the client asked for a second factor (`acr_values` naming the MFA level).
    pub fn wants_mfa(&self) -> bool {
        self.acr_values
            .as_deref()
            .is_some_and(|values| values.split(' ').any(|v| v == MFA_ACR))
    }

    pub fn scopes(&self) -> ScopeSet {
        ScopeSet::parse(&self.scope).unwrap_or_default()
    }

    /// What the consent step asks for: the scopes, and what the `claims` parameter adds.
    pub fn consent_scopes(&self) -> ScopeSet {
        super::claims_request::consent_scope(&self.scopes(), self.claims.as_ref())
    }

    fn redirect(&self, issuer: &str) -> ClientRedirect {
        ClientRedirect {
            redirect_uri: self.redirect_uri.clone(),
            response_mode: self.response_mode,
            state: self.state.clone(),
            issuer: issuer.to_owned(),
        }
    }

    /// The error response for this request, sent to its verified redirect URI.
    pub fn error(&self, issuer: &str, error: OAuthError) -> AuthorizationResponse {
        self.redirect(issuer).error(&error)
    }
}

/// Where and how to answer the client.
#[derive(Debug, Clone)]
struct ClientRedirect {
    redirect_uri: String,
    response_mode: ResponseMode,
    state: Option<String>,
    issuer: String,
}

impl ClientRedirect {
    fn respond(&self, mut params: Vec<(String, String)>) -> AuthorizationResponse {
        if let Some(state) = &self.state {
            params.push(("state".into(), state.clone()));
        }
        // RFC 9207: say who answers, against mix-up attacks.
        params.push(("iss".into(), self.issuer.clone()));
        AuthorizationResponse {
            redirect_uri: self.redirect_uri.clone(),
            response_mode: self.response_mode,
            params,
        }
    }

    fn error(&self, error: &OAuthError) -> AuthorizationResponse {
        self.respond(vec![
            ("error".into(), error.code.as_str().into()),
            ("error_description".into(), error.description.clone()),
        ])
    }
}

/// A response to deliver to the client: a redirect (query) or an auto-submitted form.
#[derive(Debug, Clone)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub params: Vec<(String, String)>,
}

impl AuthorizationResponse {
    /// The redirect URI with the response parameters added to its query.
    pub fn location(&self) -> String {
        let mut url = match url::Url::parse(&self.redirect_uri) {
            Ok(url) => url,
            Err(_) => return self.redirect_uri.clone(),
        };
        url.query_pairs_mut()
            .extend_pairs(self.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        url.to_string()
    }
}

#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: tell the user, redirect nowhere.
    Page(String),
    /// Send the error to the verified redirect URI.
    Redirect(AuthorizationResponse),
    /// The database failed (perhaps only for a moment): the caller answers it.
    Storage(crate::db::DbError),
}

impl From<crate::db::DbError> for AuthorizeError {
    fn from(e: crate::db::DbError) -> Self {
        AuthorizeError::Storage(e)
    }
}

/// The scheme RFC 9126 §2.2 names for request URIs that are references (`oidc::par`).
pub const PUSHED_URN_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Validates an authorization request from its query (GET) or form (POST) parameters, or
/// takes the pushed request its `request_uri` names (RFC 9126 §4: then only that request
/// counts, whatever else the browser brought).
pub fn validate(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    params: &Params,
) -> Result<(Client, AuthorizationRequest), AuthorizeError> {
    match params.get("request_uri") {
        Some(request_uri) if request_uri.starts_with(PUSHED_URN_PREFIX) => {
            take_pushed(conn, ctx, params, request_uri)
        }
        // Request objects by reference are not fetched: `request_uri_not_supported`, sent
        // to the redirect URI once it is verified.
        _ => validate_request(conn, ctx, params, false),
    }
}

/// Validates a request pushed to `/par` (the client already authenticated).
pub fn validate_pushed(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    params: &Params,
) -> Result<(Client, AuthorizationRequest), AuthorizeError> {
    validate_request(conn, ctx, params, true)
}

/// Uses up the pushed request a `request_uri` names. Unknown, expired, used, or another
/// client's: the browser is told so, and nothing goes to any redirect URI (none is trusted).
fn take_pushed(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    params: &Params,
    request_uri: &str,
) -> Result<(Client, AuthorizationRequest), AuthorizeError> {
    let page = |m: &str| AuthorizeError::Page(m.to_owned());
    let client_id = params
        .get("client_id")
        .ok_or_else(|| page("The application did not say who it is (client_id is missing)."))?;
    let gone = || {
        page("This sign-in link is no longer valid (its pushed request is unknown, expired or used). Go back to the application and start again.")
    };
    let reference = request_uri
        .strip_prefix(PUSHED_URN_PREFIX)
        .unwrap_or_default();
    let Some((owner, parameters)) =
        pending_rows::take_pushed(conn, &ctx.tenant.id, &sha256_hex(reference), unix_now())?
    else {
        return Err(gone());
    };
    let request: AuthorizationRequest = serde_json::from_str(&parameters).map_err(|_| gone())?;
    if owner != client_id {
        return Err(gone());
    }
    match ctx.client(conn, client_id) {
        Ok(client) if client.redirect_uri_for(&request.redirect_uri).is_some() => {
            Ok((client, request))
        }
        Err(ClientError::Db(e)) => Err(e.into()),
        _ => Err(gone()),
    }
}

fn validate_request(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    params: &Params,
    pushed: bool,
) -> Result<(Client, AuthorizationRequest), AuthorizeError> {
    let page = |m: &str| AuthorizeError::Page(m.to_owned());
    let client_id = params
        .get("client_id")
        .ok_or_else(|| page("The application did not say who it is (client_id is missing)."))?;
    let client = match ctx.client(conn, client_id) {
        Ok(client) => client,
        Err(ClientError::NotFound(_)) => {
            return Err(page(
                "The application is not registered here (unknown client_id).",
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "client lookup failed");
            return Err(page(
                "The request could not be processed. Please try again.",
            ));
        }
    };
    let requested_uri = params.get("redirect_uri").ok_or_else(|| {
        page("The application did not say where to return (redirect_uri is missing).")
    })?;
    let Some(_) = client.redirect_uri_for(requested_uri) else {
        return Err(page("The application asked to return to an address it has not registered (redirect_uri mismatch)."));
    };
    let response_mode = match params.get("response_mode") {
        None | Some("query") => Some(ResponseMode::Query),
        Some("form_post") => Some(ResponseMode::FormPost),
        Some(_) => None,
    };
    let redirect = ClientRedirect {
        redirect_uri: requested_uri.to_owned(),
        response_mode: response_mode.unwrap_or(ResponseMode::Query),
        state: params.get("state").map(str::to_owned),
        issuer: ctx.issuer.clone(),
    };
    let fail = |code: ErrorCode, description: &str| {
        AuthorizeError::Redirect(redirect.error(&OAuthError::new(code, description)))
    };
    if response_mode.is_none() {
        return Err(fail(
            ErrorCode::InvalidRequest,
            "response_mode must be query or form_post",
        ));
    }
    if !pushed && client.requires_par() {
        return Err(fail(
            ErrorCode::InvalidRequest,
            "this client must push its authorization requests first (PAR, RFC 9126)",
        ));
    }
    if let Some((name, _)) = params
        .pairs()
        .iter()
        .find(|(_, v)| v.len() > MAX_PARAMETER_LEN)
    {
        return Err(fail(
            ErrorCode::InvalidRequest,
            &format!("{name} is too long"),
        ));
    }
    if params.get("request").is_some() {
        return Err(fail(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(fail(
            ErrorCode::RequestUriNotSupported,
            "request_uri only takes references from the pushed authorization request endpoint",
        ));
    }
    match params.get("response_type") {
        Some("code") => {}
        None => return Err(fail(ErrorCode::InvalidRequest, "response_type is missing")),
        Some(_) => {
            return Err(fail(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ))
        }
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(fail(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization code flow",
        ));
    }
    let (scope, apis) = checked_scope(conn, ctx, &client, params).map_err(|e| match e.storage {
        Some(db) => AuthorizeError::Storage(*db),
        None => fail(e.code, &e.description),
    })?;
    let code_challenge = pkce::parse_challenge(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    )
    .map_err(|e| fail(e.code, &e.description))?;
    let pkce_required = client.requires_pkce(ctx.settings.tokens.require_pkce);
    if code_challenge.is_none() && pkce_required {
        return Err(fail(
            ErrorCode::InvalidRequest,
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        ));
    }
    let prompt: Vec<String> = params
        .get("prompt")
        .unwrap_or_default()
        .split(' ')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(unknown) = prompt.iter().find(|p| !PROMPTS.contains(&p.as_str())) {
        return Err(fail(
            ErrorCode::InvalidRequest,
            &format!("unknown prompt value {unknown}"),
        ));
    }
    if prompt.len() > 1 && prompt.iter().any(|p| p == "none") {
        return Err(fail(
            ErrorCode::InvalidRequest,
            "prompt=none cannot be combined with other values",
        ));
    }
    let max_age =
        match params.get("max_age") {
            None => None,
            Some(value) => Some(value.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(
                || {
                    fail(
                        ErrorCode::InvalidRequest,
                        "max_age must be a non-negative integer",
                    )
                },
            )?),
        };
    let hinted_subject = match params.get("id_token_hint") {
        None => None,
        Some(hint) => Some(
            id_token_hint::verify(ctx, hint)
                .ok_or_else(|| {
                    fail(
                        ErrorCode::InvalidRequest,
                        "id_token_hint is not an ID token from this issuer",
                    )
                })?
                .subject,
        ),
    };
    let claims = match params.get("claims") {
        None => None,
        Some(text) => {
            Some(ClaimsRequest::parse(text).map_err(|why| fail(ErrorCode::InvalidRequest, &why))?)
                .filter(|c| !c.is_empty())
        }
    };
    let owned = |name: &str| params.get(name).map(str::to_owned);
    Ok((
        client,
        AuthorizationRequest {
            client_id: client_id.to_owned(),
            redirect_uri: requested_uri.to_owned(),
            response_mode: redirect.response_mode,
            scope: scope.to_string(),
            state: owned("state"),
            nonce: owned("nonce"),
            code_challenge,
            prompt,
            max_age,
            login_hint: owned("login_hint"),
            hinted_subject,
            acr_values: owned("acr_values"),
            profile_hint: owned("profile_hint"),
            ui_locales: owned("ui_locales"),
            resource: apis.into_iter().map(|a| a.identifier).collect(),
            device: None,
            claims,
        },
    ))
}

/// The requested scope, checked: OpenID Connect scopes, and the named APIs' scopes this
/// client may ask for; `tessera:admin` only for an administration client.
fn checked_scope(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    params: &Params,
) -> Result<(ScopeSet, Vec<crate::resources::ApiResource>), OAuthError> {
    let scope = ScopeSet::parse(params.get("scope").unwrap_or_default())
        .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
    let apis = super::resource::requested(conn, ctx, client, params)?;
    super::resource::check_scope(&scope, &apis, client)?;
    if scope.contains(scope::ADMIN) && !client.administration {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "only an administration client may request tessera:admin",
        ));
    }
    Ok((scope, apis))
}

/// A device's authorization request (RFC 8628 §3.1), checked like one at `/authorize`: it
/// waits for the person at `/device` and always asks them to confirm (`prompt=consent`),
/// because the person did not start it in this browser (§5.4: remote phishing).
pub fn device_request(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    params: &Params,
    device_code_hash: &str,
) -> Result<AuthorizationRequest, OAuthError> {
    let (scope, apis) = checked_scope(conn, ctx, client, params)?;
    Ok(AuthorizationRequest {
        client_id: client.id.to_string(),
        redirect_uri: String::new(),
        response_mode: ResponseMode::Query,
        scope: scope.to_string(),
        state: None,
        nonce: None,
        code_challenge: None,
        prompt: vec!["consent".into()],
        max_age: None,
        login_hint: None,
        hinted_subject: None,
        acr_values: params.get("acr_values").map(str::to_owned),
        profile_hint: None,
        ui_locales: None,
        resource: apis.into_iter().map(|a| a.identifier).collect(),
        device: Some(device_code_hash.to_owned()),
        claims: None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Login,
    SelectProfile,
    Consent(ProfileId),
    /// Issue a code for this profile.
    Issue(ProfileId),
    /// A `prompt=none` request that needs the user: answer the client with this error.
    Fail(ErrorCode, &'static str),
}

/// Decides the next step for a request, given the browser's session (if any). Pages remove
/// the prompts they have satisfied from the pending request (`satisfied`), so a step is never
/// asked twice.
pub fn decide(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    request: &AuthorizationRequest,
    session: Option<&Session>,
) -> Result<Next, crate::db::DbError> {
    let silent = request.has_prompt("none");
    let now = unix_now();
    let usable = session.filter(|s| {
        let fresh_enough = request.max_age.is_none_or(|max| now - s.auth_time <= max);
        let expected_user = request.hinted_subject.as_deref().is_none_or(|sub| {
            s.profile_id.as_ref().is_some_and(|p| p.as_str() == sub) || s.account_id.as_str() == sub
        });
        // A client asking for a second factor needs a session that had one (step-up).
        let strong_enough = !request.wants_mfa() || s.acr == MFA_ACR;
        fresh_enough && !request.has_prompt("login") && expected_user && strong_enough
    });
    let Some(session) = usable else {
        return Ok(if silent {
            Next::Fail(ErrorCode::LoginRequired, "the user must sign in")
        } else {
            Next::Login
        });
    };
    let choices: Vec<ProfileId> =
        crate::db::accounts::profiles(conn, &ctx.tenant.id, &session.account_id)?
            .into_iter()
            .map(|p| ProfileId::from_stored(p.id))
            .collect();
    let current = session.profile_id.as_ref().filter(|p| choices.contains(p));
    let profile = match (choices.as_slice(), current) {
        // With exactly one profile there is nothing to choose.
        ([only], _) => only.clone(),
        (_, Some(current)) if !request.has_prompt("select_account") => current.clone(),
        _ => {
            return Ok(if silent {
                Next::Fail(
                    ErrorCode::AccountSelectionRequired,
                    "the user must choose a profile",
                )
            } else {
                Next::SelectProfile
            })
        }
    };
    if consent_needs(conn, ctx, client, request, &profile)?.any() {
        return Ok(if silent {
            Next::Fail(ErrorCode::ConsentRequired, "the user must consent")
        } else {
            Next::Consent(profile)
        });
    }
    Ok(Next::Issue(profile))
}

/// What the consent step must ask a profile: its scopes (as the client's policy says), and
/// the consent purposes the client needs that the profile has not accepted as they stand.
pub struct ConsentNeeds {
    pub scopes: bool,
    pub purposes: Vec<crate::consent::Due>,
}

impl ConsentNeeds {
    pub fn any(&self) -> bool {
        self.scopes || !self.purposes.is_empty()
    }

    /// The purpose versions asked about, as the consent form carries them (`key:version …`):
    /// an answer counts only for the versions the person was shown.
    pub fn shown(&self) -> String {
        self.purposes
            .iter()
            .map(|d| format!("{}:{}", d.purpose.key, d.current.version))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn consent_needs(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    request: &AuthorizationRequest,
    profile: &ProfileId,
) -> Result<ConsentNeeds, crate::db::DbError> {
    // Handing over administration is never implied: its consent is asked for even from a
    // first-party client, and prompt=none gets it only when already on record.
    let policy = match client.consent {
        ConsentPolicy::Skip if request.scopes().contains(scope::ADMIN) => ConsentPolicy::Required,
        // A device's request is confirmed by the person, whoever the client is.
        ConsentPolicy::Skip if request.device.is_some() => ConsentPolicy::Required,
        policy => policy,
    };
    let scopes = match policy {
        ConsentPolicy::Skip => false,
        ConsentPolicy::Required if request.has_prompt("consent") => true,
        ConsentPolicy::Required => {
            !has_consent(conn, ctx, client, profile, &request.consent_scopes())?
        }
    };
    let purposes = crate::consent::due(conn, &ctx.tenant.id, profile, &client.purposes)?;
    Ok(ConsentNeeds { scopes, purposes })
}

/// Marks a prompt as done for a pending request (after sign-in, profile choice or consent).
pub fn satisfied(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    id: &str,
    request: &mut AuthorizationRequest,
    prompt: &str,
) -> Result<(), crate::db::DbError> {
    request.prompt.retain(|p| p != prompt);
    pending_rows::update_parameters(
        conn,
        &ctx.tenant.id,
        id,
        &serde_json::to_string(request).unwrap_or_default(),
    )
}

fn has_consent(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    profile: &ProfileId,
    scope: &ScopeSet,
) -> Result<bool, crate::db::DbError> {
    let granted: Vec<String> =
        crate::db::consents::scopes(conn, &ctx.tenant.id, profile, &client.id)?;
    let granted = ScopeSet::parse(&granted.join(" ")).unwrap_or_default();
    Ok(scope.is_subset(&granted))
}

/// Records the user's consent to the request's scopes for the session's profile (the live
/// row, the consent ledger with the address, and the audit log).
pub fn record_consent(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    profile: &ProfileId,
    request: &AuthorizationRequest,
    ip: &str,
) -> Result<(), crate::db::DbError> {
    crate::consent::grant(
        conn,
        ctx.vault(),
        &ctx.tenant.id,
        profile,
        &client.id,
        &request.consent_scopes().to_string(),
        ip,
    )
}

/// The grant a signed-in user's authorization makes (for a code, or a device).
pub fn new_grant(
    ctx: &OidcContext,
    client: &Client,
    request: &AuthorizationRequest,
    session: &Session,
    profile: &ProfileId,
) -> GrantRow {
    let now = unix_now();
    GrantRow {
        id: GrantId::generate().to_string(),
        tenant_id: ctx.tenant.id.to_string(),
        client_id: client.id.to_string(),
        account_id: session.account_id.to_string(),
        profile_id: profile.to_string(),
        session_id: Some(session.id.to_string()),
        scope: request.scope.clone(),
        auth_time: session.auth_time,
        amr: session.amr.join(" "),
        acr: session.acr.clone(),
        created_at: now,
        expires_at: crate::domain::expiry(
            now,
            ctx.settings.tokens.refresh_token_absolute_lifetime_secs,
        ),
        revoked_at: None,
        resources: request.resource.join(" "),
        claims: request
            .claims
            .as_ref()
            .and_then(|c| serde_json::to_string(c).ok()),
    }
}

/// Issues a code for a signed-in user: a new grant, and a single-use code pointing at it.
/// Call inside the step's write transaction (the grant and its code land together).
pub fn issue_code(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    client: &Client,
    request: &AuthorizationRequest,
    session: &Session,
    profile: &ProfileId,
) -> Result<AuthorizationResponse, crate::db::DbError> {
    let now = unix_now();
    let tokens = &ctx.settings.tokens;
    let grant = new_grant(ctx, client, request, session, profile);
    let code = random_token();
    let row = CodeRow {
        code_hash: sha256_hex(&code),
        tenant_id: ctx.tenant.id.to_string(),
        grant_id: grant.id.clone(),
        client_id: client.id.to_string(),
        redirect_uri: request.redirect_uri.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        created_at: now,
        // At most 60 s for every client (the configuration refuses more): FAPI 2.0 §5.3.2.1.
        expires_at: crate::domain::expiry(now, tokens.authorization_code_lifetime_secs),
        used_at: None,
    };
    grant_rows::insert_grant(conn, &grant)?;
    grant_rows::insert_code(conn, &row)?;
    Ok(request
        .redirect(&ctx.issuer)
        .respond(vec![("code".into(), code)]))
}

/// Keeps a request while the user signs in or consents; returns its id. The id alone is not
/// enough to resume it: the same browser must come back.
pub fn store_pending(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    request: &AuthorizationRequest,
    browser_hash: &str,
) -> Result<String, crate::db::DbError> {
    let now = unix_now();
    let id = random_token();
    pending_rows::insert(
        conn,
        &PendingRow {
            id: id.clone(),
            tenant_id: ctx.tenant.id.to_string(),
            client_id: request.client_id.clone(),
            browser_hash: browser_hash.to_owned(),
            parameters: serde_json::to_string(request).unwrap_or_default(),
            created_at: now,
            expires_at: crate::domain::expiry(
                now,
                ctx.settings.sessions.authorization_request_lifetime_secs,
            ),
        },
    )?;
    Ok(id)
}

/// The pending request `id` made by this browser, with its client.
pub fn load_pending(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    id: &str,
    browser_hash: &str,
) -> Result<Option<(Client, AuthorizationRequest)>, crate::db::DbError> {
    let Some(row) = pending_rows::find(conn, &ctx.tenant.id, id, browser_hash, unix_now())? else {
        return Ok(None);
    };
    let Ok(request) = serde_json::from_str::<AuthorizationRequest>(&row.parameters) else {
        return Ok(None);
    };
    match ctx.client(conn, &row.client_id) {
        Ok(client) if client.redirect_uri_for(&request.redirect_uri).is_some() => {
            Ok(Some((client, request)))
        }
        // A device's request has no redirect URI; its client must still use the grant.
        Ok(client) if request.device.is_some() && client.allows_grant(GrantType::DeviceCode) => {
            Ok(Some((client, request)))
        }
        // A busy database is a 503 to retry, not a sign-in that expired.
        Err(crate::clients::ClientError::Db(e)) => Err(e),
        _ => Ok(None),
    }
}

pub fn finish_pending(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    id: &str,
) -> Result<(), crate::db::DbError> {
    pending_rows::delete(conn, &ctx.tenant.id, id)
}

/// The message (`locales/*/pages.ftl`) that says in plain words what a scope allows, for the
/// consent page.
pub fn describe_scope(scope: &str) -> Option<&'static str> {
    match scope {
        scope::OPENID => Some("scope-openid"),
        scope::PROFILE => Some("scope-profile"),
        scope::EMAIL => Some("scope-email"),
        scope::OFFLINE_ACCESS => Some("scope-offline_access"),
        scope::ADMIN => Some("scope-tessera-admin"),
        super::claims_request::VERIFIED_CLAIMS => Some("scope-verified_claims"),
        _ => None,
    }
}
