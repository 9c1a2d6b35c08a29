//! The OpenID Connect protocol engine. No actix types here: the web layer adapts.

pub mod access_token;
pub mod authorize;
pub mod backchannel;
pub mod claims;
pub mod claims_request;
pub mod client_auth;
pub mod context;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod form;
pub mod id_token_hint;
pub mod introspection;
pub mod jwks_fetch;
pub mod minter;
pub mod par;
pub mod pkce;
pub mod registration;
pub mod resource;
pub mod revocation;
pub mod subject;
pub mod token;
pub mod userinfo;

/// The credentials of an `Authorization` header value using `scheme` (`Basic`, `Bearer`),
/// matched case-insensitively (RFC 9110 §11.1); `None` for another scheme. Never slices
/// inside a character, whatever the header holds.
pub fn after_auth_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, credentials) = value.split_once(' ')?;
    (name.eq_ignore_ascii_case(scheme) && !credentials.is_empty()).then_some(credentials)
}

#[cfg(test)]
mod tests {
    use super::after_auth_scheme;

    #[test]
    fn auth_schemes_match_without_slicing() {
        assert_eq!(after_auth_scheme("Basic abc", "basic"), Some("abc"));
        assert_eq!(after_auth_scheme("bearer  t ", "Bearer"), Some(" t "));
        assert_eq!(after_auth_scheme("Basic ", "basic"), None);
        assert_eq!(after_auth_scheme("Basicabc", "basic"), None);
        assert_eq!(after_auth_scheme("Bäsic abc", "basic"), None);
        assert_eq!(after_auth_scheme("ééé", "bearer"), None);
    }
}
