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
}

/// Bounds for `password_min_length`: NIST 800-63B's floor, and the length every policy must
/// still accept (ASVS 6.2.9: at least 64 characters allowed).
pub const PASSWORD_MIN_LENGTH_RANGE: std::ops::RangeInclusive<usize> = 8..=64;

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
        let mut settings = (**base).clone();
        if let Some(v) = self.session_idle_secs {
            settings.sessions.idle_timeout_secs = v;
        }
        if let Some(v) = self.session_absolute_secs {
            settings.sessions.absolute_lifetime_secs = v;
        }
        if let Some(v) = self.access_token_secs {
            settings.tokens.access_token_lifetime_secs = v;
            settings.tokens.id_token_lifetime_secs = v;
        }
        if let Some(v) = self.refresh_idle_secs {
            settings.tokens.refresh_token_idle_lifetime_secs = v;
        }
        if let Some(v) = self.refresh_absolute_secs {
            settings.tokens.refresh_token_absolute_lifetime_secs = v;
        }
        Arc::new(settings)
    }
}
