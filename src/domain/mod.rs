//! Domain newtypes: parsed once at the edge, trusted everywhere after.

mod email;
mod ids;
mod redirect_uri;
pub mod scope;
mod tenant_slug;

pub use email::{Email, EmailError};
pub use ids::{
    AccountId, ClientId, CustomerId, GrantId, KeyId, ProfileId, RoleId, SessionId, TenantId,
};
pub use redirect_uri::{RedirectUri, RedirectUriError};
pub use scope::{ScopeError, ScopeSet};
pub use tenant_slug::{TenantSlug, TenantSlugError};

/// Seconds since the Unix epoch, computed in Rust so both engines agree (DESIGN.md §7).
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The longest lifetime anything in Tessera may have (sessions, tokens, overrides): one year.
pub const MAX_LIFETIME_SECS: i64 = 365 * 24 * 60 * 60;

/// `now + lifetime_secs`, with the lifetime held to `0..=MAX_LIFETIME_SECS` and the sum
/// saturating: a corrupt or hostile lifetime can shorten nothing and overflow nothing.
pub fn expiry(now: i64, lifetime_secs: i64) -> i64 {
    now.saturating_add(lifetime_secs.clamp(0, MAX_LIFETIME_SECS))
}

/// RFC 3339 rendering of a stored Unix time, for JSON and CLI output.
pub fn rfc3339(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix_seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_bounded_and_never_overflows() {
        assert_eq!(expiry(1_000, 60), 1_060);
        assert_eq!(expiry(1_000, i64::MAX), 1_000 + MAX_LIFETIME_SECS);
        assert_eq!(expiry(1_000, -5), 1_000);
        assert_eq!(expiry(i64::MAX - 1, 60), i64::MAX);
    }
}
