//! Tenant policies: password rules, second factor, sign-up and verification, and overrides of
//! the instance's session and token lifetimes.

use std::sync::Arc;

use serde::Serialize;

use crate::config::Settings;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum MfaPolicy {
    /// Never asked, even when a user enrolled.
    Off,
    /// Asked from users who enrolled.
    Optional,
    /// Asked from everyone; users without a factor enroll at their next sign-in.
    Required,
}

impl MfaPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaPolicy::Off => "off",
            MfaPolicy::Optional => "optional",
            MfaPolicy::Required => "required",
        }
    }

    pub fn parse(input: &str) -> Option<MfaPolicy> {
        [MfaPolicy::Off, MfaPolicy::Optional, MfaPolicy::Required]
            .into_iter()
            .find(|p| p.as_str() == input)
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TenantPolicy {
    pub password_min_length: usize,
    pub mfa: MfaPolicy,
    pub self_signup: bool,
    /// "optional" or "required" (enforced with the email-verification flow).
    pub email_verification: String,
    pub session_idle_secs: Option<i64>,
    pub session_absolute_secs: Option<i64>,
    pub access_token_secs: Option<i64>,
    pub refresh_idle_secs: Option<i64>,
    pub refresh_absolute_secs: Option<i64>,
    /// Erase accounts not used for this many days (after a warning mail); none: never.
    pub retention_inactive_days: Option<i64>,
    /// Drop audit entries older than this many days (behind a signed anchor); none: never.
    pub retention_audit_days: Option<i64>,
    /// Dynamic client registration (RFC 7591): `off`, `token` (an initial access token is
    /// needed) or `open` (public clients with loopback or https redirect URIs only).
    pub client_registration: String,
}

/// Bounds of the retention periods, in days: an inactive account is warned
/// `INACTIVITY_WARNING_DAYS` before erasure, so the period is at least twice that.
pub const RETENTION_INACTIVE_DAYS: std::ops::RangeInclusive<i64> = 30..=36_500;
pub const RETENTION_AUDIT_DAYS: std::ops::RangeInclusive<i64> = 7..=36_500;
pub const INACTIVITY_WARNING_DAYS: i64 = 14;

/// Bounds for `password_min_length`: NIST 800-63B's floor, and the length every policy must
/// still accept (ASVS 6.2.9: at least 64 characters allowed).
pub const PASSWORD_MIN_LENGTH_RANGE: std::ops::RangeInclusive<usize> = 8..=64;

/// The longest each tenant lifetime override may be: the instance's own setting (which
/// configuration holds to at most a year). A tenant may shorten lifetimes, never lengthen.
#[derive(Debug, Clone, Copy)]
pub struct LifetimeCeilings {
    pub session_idle_secs: i64,
    pub session_absolute_secs: i64,
    pub access_token_secs: i64,
    pub refresh_idle_secs: i64,
    pub refresh_absolute_secs: i64,
}

impl LifetimeCeilings {
    pub fn of(instance: &Settings) -> LifetimeCeilings {
        LifetimeCeilings {
            session_idle_secs: instance.sessions.idle_timeout_secs,
            session_absolute_secs: instance.sessions.absolute_lifetime_secs,
            access_token_secs: instance.tokens.access_token_lifetime_secs,
            refresh_idle_secs: instance.tokens.refresh_token_idle_lifetime_secs,
            refresh_absolute_secs: instance.tokens.refresh_token_absolute_lifetime_secs,
        }
    }
}

impl TenantPolicy {
    fn has_overrides(&self) -> bool {
        self.session_idle_secs.is_some()
            || self.session_absolute_secs.is_some()
            || self.access_token_secs.is_some()
            || self.refresh_idle_secs.is_some()
            || self.refresh_absolute_secs.is_some()
    }

    /// The instance settings with this tenant's lifetimes applied; shared when unchanged.
    pub fn effective_settings(&self, base: &Arc<Settings>) -> Arc<Settings> {
        if !self.has_overrides() {
            return base.clone();
        }
        // Held to the ceilings here too: an override stored before the instance's setting was
        // lowered must not outlive it.
        let ceilings = LifetimeCeilings::of(base);
        let mut settings = (**base).clone();
        if let Some(v) = self.session_idle_secs {
            settings.sessions.idle_timeout_secs = v.min(ceilings.session_idle_secs);
        }
        if let Some(v) = self.session_absolute_secs {
            settings.sessions.absolute_lifetime_secs = v.min(ceilings.session_absolute_secs);
        }
        if let Some(v) = self.access_token_secs {
            let v = v.min(ceilings.access_token_secs);
            settings.tokens.access_token_lifetime_secs = v;
            settings.tokens.id_token_lifetime_secs = v;
        }
        if let Some(v) = self.refresh_idle_secs {
            settings.tokens.refresh_token_idle_lifetime_secs = v.min(ceilings.refresh_idle_secs);
        }
        if let Some(v) = self.refresh_absolute_secs {
            settings.tokens.refresh_token_absolute_lifetime_secs =
                v.min(ceilings.refresh_absolute_secs);
        }
        Arc::new(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_overrides_never_outlive_the_instance() {
        let base = Arc::new(Settings::defaults().unwrap());
        let policy = TenantPolicy {
            password_min_length: 12,
            mfa: MfaPolicy::Optional,
            self_signup: false,
            email_verification: "optional".into(),
            session_idle_secs: Some(i64::MAX),
            session_absolute_secs: Some(60),
            access_token_secs: Some(i64::MAX),
            refresh_idle_secs: None,
            refresh_absolute_secs: Some(i64::MAX),
            retention_inactive_days: None,
            retention_audit_days: None,
            client_registration: "off".into(),
        };
        let effective = policy.effective_settings(&base);
        assert_eq!(
            effective.sessions.idle_timeout_secs,
            base.sessions.idle_timeout_secs
        );
        assert_eq!(effective.sessions.absolute_lifetime_secs, 60);
        assert_eq!(
            effective.tokens.access_token_lifetime_secs,
            base.tokens.access_token_lifetime_secs
        );
        assert_eq!(
            effective.tokens.refresh_token_absolute_lifetime_secs,
            base.tokens.refresh_token_absolute_lifetime_secs
        );
    }
}
