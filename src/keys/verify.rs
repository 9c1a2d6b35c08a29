//! Verifying compact JWS with a set of public keys: the tenant's own (access tokens, ID-token
//! hints) and clients' (private_key_jwt assertions). One place decides which key and algorithm
//! may check a token: the header's `alg` must be the key's own algorithm, so `none`, HS256
//! with a public key as secret, and algorithm confusion all fail.

use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsHeader, JwsVerifier, ES256, PS256, RS256};

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
    /// The algorithms a public JWK may verify: its `alg`, or when it names none, those of
    /// its key type (RSA: RS256 and PS256; EC P-256: ES256; OKP Ed25519: EdDSA).
    fn algorithms_of(jwk: &Jwk) -> Vec<KeyAlg> {
        match jwk.algorithm() {
            Some(alg) => KeyAlg::parse(alg).into_iter().collect(),
            None => match (jwk.key_type(), jwk.curve()) {
                ("RSA", _) => vec![KeyAlg::Rs256, KeyAlg::Ps256],
                ("EC", Some("P-256")) => vec![KeyAlg::Es256],
                ("OKP", Some("Ed25519")) => vec![KeyAlg::EdDsa],
                _ => Vec::new(),
            },
        }
    }

    /// A verifier from a public JWK for `alg`, when the key may verify it.
    pub fn from_jwk_as(jwk: &Jwk, alg: KeyAlg) -> Option<Verifier> {
        if !Self::algorithms_of(jwk).contains(&alg) || jwk.key_use().is_some_and(|u| u != "sig") {
            return None;
        }
        let inner: Box<dyn JwsVerifier> = match alg {
            KeyAlg::Rs256 => Box::new(RS256.verifier_from_jwk(jwk).ok()?),
            KeyAlg::Es256 => Box::new(ES256.verifier_from_jwk(jwk).ok()?),
            KeyAlg::EdDsa => Box::new(EdDSA.verifier_from_jwk(jwk).ok()?),
            KeyAlg::Ps256 => Box::new(PS256.verifier_from_jwk(jwk).ok()?),
        };
        Some(Verifier {
            kid: jwk.key_id().map(str::to_owned),
            alg,
            inner,
        })
    }

    /// A verifier from a public JWK, for its first algorithm (see `algorithms_of`).
    pub fn from_jwk(jwk: &Jwk) -> Option<Verifier> {
        let alg = *Self::algorithms_of(jwk).first()?;
        Self::from_jwk_as(jwk, alg)
    }

    /// Every usable key of a JWKS document; unusable keys are skipped.
    pub fn from_jwks(jwks: &serde_json::Value) -> Vec<Verifier> {
        jwks.get("keys")
            .and_then(|k| k.as_array())
            .into_iter()
            .flatten()
            .filter_map(|key| Jwk::from_bytes(key.to_string()).ok())
            .flat_map(|jwk| {
                Self::algorithms_of(&jwk)
                    .into_iter()
                    .filter_map(|alg| Verifier::from_jwk_as(&jwk, alg))
                    .collect::<Vec<_>>()
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_jwk(alg: Option<&str>) -> serde_json::Value {
        let pair = RS256.generate_key_pair(2048).unwrap();
        let mut jwk: serde_json::Value =
            serde_json::from_str(&pair.to_jwk_public_key().to_string()).unwrap();
        let map = jwk.as_object_mut().unwrap();
        map.remove("alg");
        if let Some(alg) = alg {
            map.insert("alg".into(), alg.into());
        }
        jwk
    }

    fn algs(jwk: serde_json::Value) -> Vec<KeyAlg> {
        Verifier::from_jwks(&serde_json::json!({ "keys": [jwk] }))
            .iter()
            .map(|v| v.alg)
            .collect()
    }

    /// A key verifies what its `alg` names; an RSA key without one verifies RS256 and PS256
    /// (FAPI 2.0 clients publish such keys), never anything of another key type.
    #[test]
    fn keys_verify_the_algorithms_they_may() {
        assert_eq!(algs(rsa_jwk(None)), [KeyAlg::Rs256, KeyAlg::Ps256]);
        assert_eq!(algs(rsa_jwk(Some("PS256"))), [KeyAlg::Ps256]);
        assert_eq!(algs(rsa_jwk(Some("RS256"))), [KeyAlg::Rs256]);
        assert!(algs(rsa_jwk(Some("ES256"))).is_empty());
        assert!(algs(rsa_jwk(Some("HS256"))).is_empty());
    }
}
