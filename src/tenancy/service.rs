//! The tenant model and lifecycle.

use serde::Serialize;

use super::policy::{LifetimeCeilings, MfaPolicy, TenantPolicy, PASSWORD_MIN_LENGTH_RANGE};
use crate::config::Settings;
use crate::db::tenants::{self as rows, TenantRow};
use crate::db::{AnyConnection, DbError};
use crate::domain::{unix_now, TenantId, TenantSlug};
use crate::keys::{self, KeyAlg, KeyError, MasterKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantStatus {
    Active,
    Suspended,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
        }
    }
}

/// Branding shown on a tenant's hosted pages (the display name is the tenant's name).
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Branding {
    pub logo_url: Option<String>,
    /// `#rrggbb`
    pub accent_color: Option<String>,
    /// The tenant's own wording of hosted pages and mails: language → message id → text
    /// (the ids are those of `locales/en/*.ftl`).
    #[schemars(with = "crate::i18n::Overrides")]
    pub texts: std::sync::Arc<crate::i18n::Overrides>,
    /// The IANA time zone of the times shown on the tenant's pages and console.
    pub time_zone: String,
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub name: String,
    pub status: TenantStatus,
    /// Changes whenever the tenant's signing keys change (see `keys::store`).
    pub key_set_version: i64,
    pub policy: TenantPolicy,
    pub branding: Branding,
    pub created_at: i64,
    pub updated_at: i64,
    /// The custom attributes tokens and userinfo release (by `profile` or `email`), for
    /// discovery's `claims_supported`. Read with the tenant on the request path.
    pub released_claims: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error(transparent)]
    InvalidSlug(#[from] crate::domain::TenantSlugError),
    #[error("a tenant name must be 1 to 200 characters without control characters")]
    InvalidName,
    #[error("the tenant slug \"{0}\" is already taken")]
    SlugTaken(String),
    #[error("no tenant \"{0}\"")]
    NotFound(String),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("{0}")]
    InvalidPolicy(String),
    #[error(transparent)]
    Db(DbError),
}

impl crate::db::StorageFailure for TenantError {
    fn storage_error(&self) -> Option<&DbError> {
        match self {
            TenantError::Db(e) => Some(e),
            TenantError::Keys(e) => crate::db::StorageFailure::storage_error(e),
            _ => None,
        }
    }
}

impl From<DbError> for TenantError {
    fn from(e: DbError) -> Self {
        TenantError::Db(e)
    }
}

impl TryFrom<TenantRow> for Tenant {
    type Error = DbError;

    fn try_from(row: TenantRow) -> Result<Self, DbError> {
        let status = match row.status.as_str() {
            "active" => TenantStatus::Active,
            // The schema's CHECK admits only these two; anything else fails closed.
            _ => TenantStatus::Suspended,
        };
        Ok(Tenant {
            id: TenantId::from_stored(row.id),
            slug: TenantSlug::from_stored(row.slug),
            name: row.name,
            status,
            key_set_version: row.key_set_version,
            policy: TenantPolicy {
                password_min_length: usize::try_from(row.password_min_length).unwrap_or(12),
                mfa: MfaPolicy::parse(&row.mfa_policy).unwrap_or(MfaPolicy::Optional),
                self_signup: row.self_signup,
                email_verification: row.email_verification,
                session_idle_secs: row.session_idle_secs,
                session_absolute_secs: row.session_absolute_secs,
                access_token_secs: row.access_token_secs,
                refresh_idle_secs: row.refresh_idle_secs,
                refresh_absolute_secs: row.refresh_absolute_secs,
                retention_inactive_days: row.retention_inactive_days,
                client_registration: row.client_registration,
                retention_audit_days: row.retention_audit_days,
            },
            branding: Branding {
                logo_url: row.logo_url,
                accent_color: row.accent_color,
                // Written only after validation: an unreadable value is no overrides.
                texts: std::sync::Arc::new(
                    row.texts
                        .as_deref()
                        .and_then(|json| serde_json::from_str(json).ok())
                        .unwrap_or_default(),
                ),
                time_zone: row.time_zone.unwrap_or_else(|| "UTC".into()),
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
            released_claims: Vec::new(),
        })
    }
}

pub(super) fn parse_name(name: &str) -> Result<String, TenantError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(TenantError::InvalidName);
    }
    Ok(name.to_owned())
}

/// A new active tenant's row with the default policies (no keys yet).
pub(crate) fn new_row(slug: &str, name: String) -> TenantRow {
    let now = unix_now();
    TenantRow {
        id: TenantId::generate().to_string(),
        slug: slug.to_owned(),
        name,
        status: TenantStatus::Active.as_str().to_owned(),
        key_set_version: 0,
        created_at: now,
        updated_at: now,
        pairwise_salt: crate::crypto::random_token(),
        password_min_length: 12,
        mfa_policy: MfaPolicy::Optional.as_str().into(),
        self_signup: false,
        email_verification: "optional".into(),
        session_idle_secs: None,
        session_absolute_secs: None,
        access_token_secs: None,
        refresh_idle_secs: None,
        refresh_absolute_secs: None,
        logo_url: None,
        accent_color: None,
        retention_inactive_days: None,
        retention_audit_days: None,
        retention_ran_at: None,
        texts: None,
        time_zone: None,
        client_registration: "off".into(),
    }
}

/// Creates an active tenant with a fresh RS256 and ES256 signing key, atomically.
pub fn create(
    conn: &mut AnyConnection,
    master: &MasterKey,
    slug: &str,
    name: &str,
) -> Result<Tenant, TenantError> {
    let slug = TenantSlug::parse(slug)?;
    let name = parse_name(name)?;
    if rows::find_by_slug(conn, slug.as_str())?.is_some() {
        return Err(TenantError::SlugTaken(slug.to_string()));
    }
    // RSA generation takes a while: do it before the transaction holds any lock.
    let keys = keys::generate_keys(&KeyAlg::ALL)?;
    let row = new_row(slug.as_str(), name);
    let id = TenantId::from_stored(row.id.clone());
    crate::db::tx::write::<_, TenantError, _>(conn, |conn| {
        rows::insert(conn, &row).map_err(|e| {
            if e.is_unique_violation() {
                TenantError::SlugTaken(slug.to_string())
            } else {
                e.into()
            }
        })?;
        keys::install(conn, master, &id, &keys)?;
        Ok(())
    })?;
    find(conn, slug.as_str())
}

/// The reserved slug of the internal tenant whose accounts are the platform administrators.
/// It is not a valid tenant slug, so no request, list or command can reach it as a tenant.
pub const INTERNAL_SLUG: &str = "_platform";

pub fn find(conn: &mut AnyConnection, slug: &str) -> Result<Tenant, TenantError> {
    if slug == INTERNAL_SLUG {
        return Err(TenantError::NotFound(slug.into()));
    }
    let row = rows::find_by_slug(conn, slug)?.ok_or_else(|| TenantError::NotFound(slug.into()))?;
    Ok(Tenant::try_from(row)?)
}

/// Looks a tenant up by the slug of a request; `None` for unknown or malformed slugs.
pub fn resolve(conn: &mut AnyConnection, slug: &str) -> Result<Option<Tenant>, DbError> {
    if TenantSlug::parse(slug).is_err() {
        return Ok(None);
    }
    let Some(mut tenant) = rows::find_by_slug(conn, slug)?
        .map(Tenant::try_from)
        .transpose()?
    else {
        return Ok(None);
    };
    tenant.released_claims = crate::db::attributes::list(conn, &tenant.id)?
        .into_iter()
        .filter(|d| d.claim_scope.is_some())
        .map(|d| d.name)
        .collect();
    Ok(Some(tenant))
}

pub fn list(conn: &mut AnyConnection) -> Result<Vec<Tenant>, TenantError> {
    Ok(rows::list(conn)?
        .into_iter()
        .filter(|row| row.slug != INTERNAL_SLUG)
        .map(Tenant::try_from)
        .collect::<Result<_, _>>()?)
}

pub fn set_status(
    conn: &mut AnyConnection,
    slug: &str,
    status: TenantStatus,
) -> Result<Tenant, TenantError> {
    let tenant = find(conn, slug)?;
    rows::set_status(conn, &tenant.id, status.as_str(), unix_now())?;
    find(conn, slug)
}

/// A change to a tenant's policy; `None` keeps a value. Lifetimes: `Some(0)` clears the
/// override (back to the instance default).
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyChanges {
    pub password_min_length: Option<usize>,
    pub mfa: Option<MfaPolicy>,
    pub self_signup: Option<bool>,
    pub email_verification: Option<String>,
    pub session_idle_secs: Option<i64>,
    pub session_absolute_secs: Option<i64>,
    pub access_token_secs: Option<i64>,
    pub refresh_idle_secs: Option<i64>,
    pub refresh_absolute_secs: Option<i64>,
    /// Days without sign-in after which an account is erased (warned 14 days before); 0
    /// turns it off.
    pub retention_inactive_days: Option<i64>,
    /// Days audit entries are kept (older ones dropped behind a signed anchor); 0 keeps them.
    pub retention_audit_days: Option<i64>,
    /// Dynamic client registration: `off`, `token` or `open`.
    #[serde(default)]
    pub client_registration: Option<String>,
}

/// Changes a tenant's policy. Lifetime overrides may shorten the instance's settings
/// (`instance`), never lengthen them.
pub fn set_policy(
    conn: &mut AnyConnection,
    instance: &Settings,
    slug: &str,
    changes: PolicyChanges,
) -> Result<Tenant, TenantError> {
    let tenant = find(conn, slug)?;
    let mut policy = tenant.policy.clone();
    let invalid = |m: String| Err(TenantError::InvalidPolicy(m));
    if let Some(length) = changes.password_min_length {
        if !PASSWORD_MIN_LENGTH_RANGE.contains(&length) {
            return invalid(format!(
                "the minimum password length must be between {} and {}",
                PASSWORD_MIN_LENGTH_RANGE.start(),
                PASSWORD_MIN_LENGTH_RANGE.end()
            ));
        }
        policy.password_min_length = length;
    }
    if let Some(mfa) = changes.mfa {
        policy.mfa = mfa;
    }
    if let Some(signup) = changes.self_signup {
        policy.self_signup = signup;
    }
    if let Some(registration) = changes.client_registration {
        if !matches!(registration.as_str(), "off" | "token" | "open") {
            return invalid("client registration must be off, token or open".into());
        }
        policy.client_registration = registration;
    }
    if let Some(verification) = changes.email_verification {
        if !matches!(verification.as_str(), "optional" | "required") {
            return invalid("email verification must be optional or required".into());
        }
        policy.email_verification = verification;
    }
    let ceilings = LifetimeCeilings::of(instance);
    let lifetime =
        |label: &str, current: Option<i64>, change: Option<i64>, ceiling: i64| match change {
            None => Ok(current),
            Some(0) => Ok(None),
            Some(v) if (1..=ceiling).contains(&v) => Ok(Some(v)),
            Some(_) => Err(TenantError::InvalidPolicy(format!(
                "{label} must be between 1 and {ceiling} seconds, the instance's setting \
                 (0 clears the override)"
            ))),
        };
    policy.session_idle_secs = lifetime(
        "the session idle timeout",
        policy.session_idle_secs,
        changes.session_idle_secs,
        ceilings.session_idle_secs,
    )?;
    policy.session_absolute_secs = lifetime(
        "the session lifetime",
        policy.session_absolute_secs,
        changes.session_absolute_secs,
        ceilings.session_absolute_secs,
    )?;
    policy.access_token_secs = lifetime(
        "the access-token lifetime",
        policy.access_token_secs,
        changes.access_token_secs,
        ceilings.access_token_secs,
    )?;
    policy.refresh_idle_secs = lifetime(
        "the refresh-token idle lifetime",
        policy.refresh_idle_secs,
        changes.refresh_idle_secs,
        ceilings.refresh_idle_secs,
    )?;
    policy.refresh_absolute_secs = lifetime(
        "the refresh-token lifetime",
        policy.refresh_absolute_secs,
        changes.refresh_absolute_secs,
        ceilings.refresh_absolute_secs,
    )?;
    let days = |label: &str,
                current: Option<i64>,
                change: Option<i64>,
                range: std::ops::RangeInclusive<i64>| match change {
        None => Ok(current),
        Some(0) => Ok(None),
        Some(v) if range.contains(&v) => Ok(Some(v)),
        Some(_) => Err(TenantError::InvalidPolicy(format!(
            "{label} must be between {} and {} days (0 turns it off)",
            range.start(),
            range.end()
        ))),
    };
    policy.retention_inactive_days = days(
        "the inactivity period",
        policy.retention_inactive_days,
        changes.retention_inactive_days,
        super::policy::RETENTION_INACTIVE_DAYS,
    )?;
    policy.retention_audit_days = days(
        "the audit retention",
        policy.retention_audit_days,
        changes.retention_audit_days,
        super::policy::RETENTION_AUDIT_DAYS,
    )?;
    rows::set_policy(
        conn,
        &tenant.id,
        &crate::db::tenants::PolicyRow {
            password_min_length: policy.password_min_length as i64,
            mfa_policy: policy.mfa.as_str().into(),
            self_signup: policy.self_signup,
            email_verification: policy.email_verification.clone(),
            session_idle_secs: policy.session_idle_secs,
            session_absolute_secs: policy.session_absolute_secs,
            access_token_secs: policy.access_token_secs,
            refresh_idle_secs: policy.refresh_idle_secs,
            refresh_absolute_secs: policy.refresh_absolute_secs,
            retention_inactive_days: policy.retention_inactive_days,
            retention_audit_days: policy.retention_audit_days,
            client_registration: policy.client_registration.clone(),
            updated_at: unix_now(),
        },
    )?;
    find(conn, slug)
}
