//! Provider metadata (OIDC Discovery 1.0 and RFC 8414).
//!
//! The document advertises exactly what this build implements: each endpoint and capability
//! is added here in the same change that implements it, and a test checks that every
//! advertised URL answers.

use serde::Serialize;

use crate::keys::KeyAlg;

#[derive(Debug, Serialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub jwks_uri: String,
    /// Empty until the authorization endpoint exists.
    pub response_types_supported: Vec<&'static str>,
    pub subject_types_supported: Vec<&'static str>,
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
}

impl ProviderMetadata {
    pub fn for_issuer(issuer: &str) -> ProviderMetadata {
        ProviderMetadata {
            issuer: issuer.to_owned(),
            jwks_uri: format!("{issuer}/jwks.json"),
            response_types_supported: Vec::new(),
            subject_types_supported: vec!["public"],
            id_token_signing_alg_values_supported: KeyAlg::ALL
                .iter()
                .map(|alg| alg.as_str())
                .collect(),
        }
    }
}
