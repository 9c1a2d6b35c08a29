//! Provider metadata (OIDC Discovery 1.0 and RFC 8414).
//!
//! The document advertises exactly what this build implements: each endpoint and capability
//! is added here in the same change that implements it, and a test checks that every
//! advertised URL answers.

use serde::Serialize;

use crate::keys::KeyAlg;

const CLIENT_AUTH_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];
const AUTHENTICATED_CLIENT_AUTH_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
];

#[derive(Debug, Serialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub jwks_uri: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub introspection_endpoint: String,
    pub revocation_endpoint: String,
    pub end_session_endpoint: String,
    /// RFC 9126; per client, `require_pushed_authorization_requests` says who must use it.
    pub pushed_authorization_request_endpoint: String,
    /// RFC 8628.
    pub device_authorization_endpoint: String,
    /// RFC 7591, only while the tenant's policy lets clients register.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub require_pushed_authorization_requests: bool,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub prompt_values_supported: Vec<&'static str>,
    pub authorization_response_iss_parameter_supported: bool,
    pub grant_types_supported: Vec<&'static str>,
    pub subject_types_supported: Vec<&'static str>,
    pub scopes_supported: &'static [&'static str],
    /// The standard claims, then the tenant's released custom attributes.
    pub claims_supported: Vec<String>,
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: &'static [&'static str],
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_methods_supported: &'static [&'static str],
    pub revocation_endpoint_auth_methods_supported: &'static [&'static str],
    pub acr_values_supported: Vec<&'static str>,
    /// The languages of the hosted pages (`ui_locales`, OpenID Connect Discovery §3).
    pub ui_locales_supported: Vec<&'static str>,
    pub claims_parameter_supported: bool,
    /// OpenID Connect for Identity Assurance 1.0 (§8): `verified_claims` about a person
    /// customer's recorded verification, asked for with the `claims` parameter.
    pub verified_claims_supported: bool,
    /// The trust frameworks of the tenant's recorded verifications.
    pub trust_frameworks_supported: Vec<String>,
    pub evidence_supported: &'static [&'static str],
    pub claims_in_verified_claims_supported: &'static [&'static str],
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    /// OIDC Back-Channel Logout 1.0: logout tokens are posted to clients that register a
    /// `backchannel_logout_uri`, and they always carry `sid`.
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
    /// RFC 9449 §5.1: DPoP proofs are accepted, signed with these.
    pub dpop_signing_alg_values_supported: &'static [&'static str],
}

impl ProviderMetadata {
    pub fn for_issuer(issuer: &str) -> ProviderMetadata {
        let algs: Vec<&'static str> = KeyAlg::ALL.iter().map(|alg| alg.as_str()).collect();
        ProviderMetadata {
            issuer: issuer.to_owned(),
            jwks_uri: format!("{issuer}/jwks.json"),
            authorization_endpoint: format!("{issuer}/authorize"),
            token_endpoint: format!("{issuer}/token"),
            userinfo_endpoint: format!("{issuer}/userinfo"),
            introspection_endpoint: format!("{issuer}/introspect"),
            revocation_endpoint: format!("{issuer}/revoke"),
            end_session_endpoint: format!("{issuer}/logout"),
            pushed_authorization_request_endpoint: format!("{issuer}/par"),
            device_authorization_endpoint: format!("{issuer}/device_authorization"),
            registration_endpoint: None,
            require_pushed_authorization_requests: false,
            response_types_supported: vec!["code"],
            response_modes_supported: vec!["query", "form_post"],
            code_challenge_methods_supported: vec!["S256"],
            prompt_values_supported: vec!["none", "login", "consent", "select_account"],
            authorization_response_iss_parameter_supported: true,
            grant_types_supported: vec![
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
            subject_types_supported: vec!["public", "pairwise"],
            scopes_supported: crate::domain::scope::SUPPORTED,
            claims_supported: vec![
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "acr",
                "amr",
                "azp",
                "sid",
                "at_hash",
                "name",
                "preferred_username",
                "picture",
                "locale",
                "updated_at",
                "email",
                "email_verified",
                "profile_id",
                "account_id",
                "customer_id",
                "verified_claims",
                "tenant",
            ]
            .into_iter()
            .map(str::to_owned)
            .collect(),
            id_token_signing_alg_values_supported: algs,
            token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
            // Clients' keys: PS256 too (FAPI 2.0), whatever keys the tenant holds.
            token_endpoint_auth_signing_alg_values_supported: KeyAlg::SUPPORTED
                .iter()
                .map(|alg| alg.as_str())
                .collect(),
            introspection_endpoint_auth_methods_supported: AUTHENTICATED_CLIENT_AUTH_METHODS,
            revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
            acr_values_supported: vec![super::authorize::PASSWORD_ACR, super::authorize::MFA_ACR],
            ui_locales_supported: crate::i18n::Lang::ALL.iter().map(|l| l.code()).collect(),
            claims_parameter_supported: true,
            verified_claims_supported: true,
            trust_frameworks_supported: Vec::new(),
            evidence_supported: crate::customers::EVIDENCE_TYPES,
            claims_in_verified_claims_supported: &["name"],
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
            dpop_signing_alg_values_supported: &super::dpop::SIGNING_ALGS,
        }
    }
}
