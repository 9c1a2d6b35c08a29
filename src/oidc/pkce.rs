//! PKCE (RFC 7636), S256 only: `plain` offers no protection against a stolen code.

use sha2::{Digest, Sha256};

use super::error::OAuthError;
use crate::crypto::{base64url, constant_time_eq};

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Validates an authorization request's challenge; returns it for storage.
pub fn parse_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<String>, OAuthError> {
    let Some(challenge) = challenge else {
        if method.is_some() {
            return Err(OAuthError::invalid_request(
                "code_challenge_method without code_challenge",
            ));
        }
        return Ok(None);
    };
    match method {
        Some("S256") => {}
        Some("plain") | None => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method must be S256 (plain is not accepted)",
            ))
        }
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "unsupported code_challenge_method",
            ))
        }
    }
    // BASE64URL(SHA-256) is always 43 characters.
    if challenge.len() != 43 || !challenge.bytes().all(is_unreserved) {
        return Err(OAuthError::invalid_request(
            "code_challenge is not an S256 challenge",
        ));
    }
    Ok(Some(challenge.to_owned()))
}

/// Checks a token request's verifier against the stored challenge.
pub fn verify(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent for a code issued without code_challenge",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        (Some(challenge), Some(verifier)) => {
            if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(is_unreserved) {
                return Err(OAuthError::invalid_grant("malformed code_verifier"));
            }
            let computed = base64url(&Sha256::digest(verifier.as_bytes()));
            if constant_time_eq(&computed, challenge) {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant(
                    "code_verifier does not match the challenge",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn s256_round_trip_from_the_rfc() {
        assert_eq!(
            parse_challenge(Some(CHALLENGE), Some("S256"))
                .unwrap()
                .as_deref(),
            Some(CHALLENGE)
        );
        assert!(verify(Some(CHALLENGE), Some(VERIFIER)).is_ok());
        assert!(verify(Some(CHALLENGE), Some(&VERIFIER.replace('d', "e"))).is_err());
    }

    #[test]
    fn plain_missing_and_stray_values_are_rejected() {
        assert!(parse_challenge(Some(CHALLENGE), Some("plain")).is_err());
        assert!(parse_challenge(Some(CHALLENGE), None).is_err());
        assert!(parse_challenge(Some("short"), Some("S256")).is_err());
        assert!(parse_challenge(None, Some("S256")).is_err());
        assert!(verify(None, Some(VERIFIER)).is_err());
        assert!(verify(Some(CHALLENGE), None).is_err());
    }
}
