//! Signing-key algorithms, generation, and the in-memory signer built from a decrypted key.

use std::fmt;

use josekit::jwk::alg::ed::EdCurve;
use josekit::jwk::KeyPair;
use josekit::jws::{EdDSA, JwsHeader, JwsSigner, ES256, PS256, RS256};
use serde::Serialize;

use crate::domain::KeyId;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub enum KeyAlg {
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "ES256")]
    Es256,
    /// Ed25519 (RFC 8037).
    #[serde(rename = "EdDSA")]
    EdDsa,
    /// RSASSA-PSS with SHA-256 (FAPI 2.0). A tenant has a PS256 key once it rotates one in
    /// (`keys rotate --alg PS256`); clients' PS256 keys verify always.
    #[serde(rename = "PS256")]
    Ps256,
}

impl KeyAlg {
    /// The algorithms every tenant holds a key for from the start; RS256 first because OIDC
    /// requires it.
    pub const ALL: [KeyAlg; 3] = [KeyAlg::Rs256, KeyAlg::Es256, KeyAlg::EdDsa];
    /// Every algorithm Tessera signs and verifies with.
    pub const SUPPORTED: [KeyAlg; 4] = [KeyAlg::Rs256, KeyAlg::Es256, KeyAlg::EdDsa, KeyAlg::Ps256];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::Rs256 => "RS256",
            KeyAlg::Es256 => "ES256",
            KeyAlg::EdDsa => "EdDSA",
            KeyAlg::Ps256 => "PS256",
        }
    }

    pub fn parse(input: &str) -> Option<KeyAlg> {
        KeyAlg::SUPPORTED
            .into_iter()
            .find(|alg| alg.as_str().eq_ignore_ascii_case(input))
    }
}

impl fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Signs new tokens.
    Active,
    /// No longer signs, still published so earlier tokens verify.
    Inactive,
    /// Unpublished, private half erased.
    Retired,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Inactive => "inactive",
            KeyStatus::Retired => "retired",
        }
    }

    pub fn parse(input: &str) -> Option<KeyStatus> {
        [KeyStatus::Active, KeyStatus::Inactive, KeyStatus::Retired]
            .into_iter()
            .find(|s| s.as_str() == input)
    }
}

/// A freshly generated key pair, ready to be encrypted and stored.
pub struct GeneratedKey {
    pub kid: KeyId,
    pub alg: KeyAlg,
    /// The public JWK with `kid`, `alg` and `use` set, as JSON.
    pub public_jwk: String,
    /// PKCS#8 DER; zeroised on drop.
    pub private_der: secrecy::SecretSlice<u8>,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

pub fn generate(alg: KeyAlg) -> Result<GeneratedKey, josekit::JoseError> {
    let pair: Box<dyn KeyPair> = match alg {
        KeyAlg::Rs256 => Box::new(RS256.generate_key_pair(2048)?),
        KeyAlg::Es256 => Box::new(ES256.generate_key_pair()?),
        KeyAlg::EdDsa => Box::new(EdDSA.generate_key_pair(EdCurve::Ed25519)?),
        KeyAlg::Ps256 => Box::new(PS256.generate_key_pair(2048)?),
    };
    let kid = KeyId::generate();
    let mut jwk = pair.to_jwk_public_key();
    jwk.set_key_id(kid.as_str());
    jwk.set_algorithm(alg.as_str());
    jwk.set_key_use("sig");
    Ok(GeneratedKey {
        kid,
        alg,
        public_jwk: jwk.to_string(),
        private_der: pair.to_der_private_key().into(),
    })
}

/// A decrypted private key, held in memory for signing.
pub struct Signer {
    kid: KeyId,
    alg: KeyAlg,
    inner: Box<dyn JwsSigner>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Signer {
    pub fn from_der(kid: KeyId, alg: KeyAlg, der: &[u8]) -> Result<Signer, josekit::JoseError> {
        let inner: Box<dyn JwsSigner> = match alg {
            KeyAlg::Rs256 => Box::new(RS256.signer_from_der(der)?),
            KeyAlg::Es256 => Box::new(ES256.signer_from_der(der)?),
            KeyAlg::EdDsa => Box::new(EdDSA.signer_from_der(der)?),
            KeyAlg::Ps256 => Box::new(PS256.signer_from_der(der)?),
        };
        Ok(Signer { kid, alg, inner })
    }

    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    pub fn alg(&self) -> KeyAlg {
        self.alg
    }

    /// A compact JWS over `payload` with `typ`, `alg` and `kid` in the header.
    pub fn sign(&self, typ: &str, payload: &[u8]) -> Result<String, josekit::JoseError> {
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(self.kid.as_str());
        josekit::jws::serialize_compact(payload, &header, self.inner.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn generated_keys_sign_and_publish_only_public_members() {
        for alg in KeyAlg::ALL {
            let key = generate(alg).unwrap();
            let jwk: serde_json::Value = serde_json::from_str(&key.public_jwk).unwrap();
            assert_eq!(jwk["kid"], key.kid.as_str());
            assert_eq!(jwk["alg"], alg.as_str());
            assert_eq!(jwk["use"], "sig");
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(jwk.get(private).is_none(), "{alg}: {private} leaked");
            }
            let signer =
                Signer::from_der(key.kid.clone(), alg, key.private_der.expose_secret()).unwrap();
            let token = signer.sign("JWT", br#"{"sub":"x"}"#).unwrap();
            assert_eq!(token.split('.').count(), 3);
            assert!(!format!("{signer:?}{key:?}").contains("BEGIN"));
        }
    }
}
