//! Verifying compact JWS with a set of public keys: the tenant's own (access tokens, ID-token
//! hints) and clients' (private_key_jwt assertions). One place decides which key and algorithm
//! may check a token: the header's `alg` must be the key's own algorithm, so `none`, HS256
//! with a public key as secret, and algorithm confusion all fail.

use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsHeader, JwsVerifier, ES256, RS256};

use super::KeyAlg;

pub struct Verifier {
    kid: Option<String>,
    alg: KeyAlg,
    inner: Box<dyn JwsVerifier>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("no known key matches the token's kid and alg")]
    UnknownKey,
    #[error("the signature is invalid")]
    BadSignature,
}

impl Verifier {
    /// A verifier from a public JWK. The algorithm comes from the JWK's `alg`, or from its key
    /// type when `alg` is absent (RSA → RS256, EC P-256 → ES256, OKP Ed25519 → EdDSA).
    pub fn from_jwk(jwk: &Jwk) -> Option<Verifier> {
        let alg = match jwk.algorithm() {
            Some(alg) => KeyAlg::parse(alg)?,
            None => match (jwk.key_type(), jwk.curve()) {
                ("RSA", _) => KeyAlg::Rs256,
                ("EC", Some("P-256")) => KeyAlg::Es256,
                ("OKP", Some("Ed25519")) => KeyAlg::EdDsa,
                _ => return None,
            },
        };
        if jwk.key_use().is_some_and(|u| u != "sig") {
            return None;
        }
        let inner: Box<dyn JwsVerifier> = match alg {
            KeyAlg::Rs256 => Box::new(RS256.verifier_from_jwk(jwk).ok()?),
            KeyAlg::Es256 => Box::new(ES256.verifier_from_jwk(jwk).ok()?),
            KeyAlg::EdDsa => Box::new(EdDSA.verifier_from_jwk(jwk).ok()?),
        };
        Some(Verifier {
            kid: jwk.key_id().map(str::to_owned),
            alg,
            inner,
        })
    }

    /// Every usable key of a JWKS document; unusable keys are skipped.
    pub fn from_jwks(jwks: &serde_json::Value) -> Vec<Verifier> {
        jwks.get("keys")
            .and_then(|k| k.as_array())
            .into_iter()
            .flatten()
            .filter_map(|key| Jwk::from_bytes(key.to_string()).ok())
            .filter_map(|jwk| Verifier::from_jwk(&jwk))
            .collect()
    }
}

/// Verifies `token` with the key named by its header (`kid`, else the only key of its `alg`),
/// returning the header and payload.
pub fn verify_compact(
    token: &str,
    verifiers: &[Verifier],
) -> Result<(JwsHeader, Vec<u8>), VerifyError> {
    if token.split('.').count() != 3 {
        return Err(VerifyError::Malformed);
    }
    let header = decode_header(token).ok_or(VerifyError::Malformed)?;
    let alg = header
        .algorithm()
        .and_then(KeyAlg::parse)
        .ok_or(VerifyError::UnknownKey)?;
    let candidates: Vec<&Verifier> = verifiers
        .iter()
        .filter(|v| v.alg == alg)
        .filter(|v| match (header.key_id(), &v.kid) {
            (Some(kid), Some(own)) => kid == own,
            _ => true,
        })
        .collect();
    // Exactly one key must fit: never try keys one after another until one verifies.
    let [verifier] = candidates.as_slice() else {
        return Err(VerifyError::UnknownKey);
    };
    let (payload, header) = josekit::jws::deserialize_compact_with_selector(token, |_| {
        Ok(Some(verifier.inner.as_ref()))
    })
    .map_err(|_| VerifyError::BadSignature)?;
    Ok((header, payload))
}

/// The unverified header, to pick a key (never to trust).
pub fn decode_header(token: &str) -> Option<JwsHeader> {
    let encoded = token.split('.').next()?;
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, encoded).ok()?;
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).ok()?;
    JwsHeader::from_map(map).ok()
}

/// The unverified payload, to learn who claims to have signed (never to trust).
pub fn decode_payload_unverified(token: &str) -> Option<serde_json::Value> {
    let encoded = token.split('.').nth(1)?;
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, encoded).ok()?;
    serde_json::from_slice(&bytes).ok()
}
