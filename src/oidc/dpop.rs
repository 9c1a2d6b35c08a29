//! DPoP (RFC 9449): tokens bound to a key the client holds, so a stolen token is useless
//! without the key.
//!
//! - At `/token` a `DPoP` header carries a proof (a JWT signed with the client's key, the
//!   public key in its header). The access token then says `cnf.jkt` (the key's RFC 7638
//!   thumbprint) and `token_type` is `DPoP`; a public client's refresh token is bound too and
//!   only refreshes with a proof by the same key.
//! - Tessera's own resources (userinfo, the admin API) take a bound token only with the
//!   `DPoP` scheme and a fresh proof for that request (`ath` = the token's hash) by the bound
//!   key, and never as a Bearer token. Introspection reports `cnf` to the resource server.
//! - A proof is used once: its `jti` is remembered (with the key) for as long as its `iat`
//!   is acceptable. With `tokens.dpop_nonce_required`, proofs must carry a server nonce
//!   (`DPoP-Nonce`): a tenant-keyed MAC of a five-minute window, the same on every node.

use josekit::jwk::Jwk;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::context::OidcContext;
use super::error::{Challenge, ErrorCode, OAuthError};
use crate::crypto::{base64url, sha256_hex};
use crate::db::AnyConnection;
use crate::domain::unix_now;
use crate::keys::{decode_header, verify_compact, KeyAlg, Verifier};

/// The algorithms proofs may use, as discovery advertises them.
pub const SIGNING_ALGS: [&str; 4] = ["RS256", "ES256", "EdDSA", "PS256"];
/// How far a proof's `iat` may be from the server's clock, either way.
pub const IAT_WINDOW_SECS: i64 = 60;
/// A nonce is good for the window it was made in and the one after.
const NONCE_WINDOW_SECS: i64 = 300;
const MAX_JTI: usize = 256;
/// Members only a private JWK has: a proof's key must be public.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// The confirmation claim of a bound token (RFC 9449 §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub jkt: String,
}

/// What a request presents with a proof.
pub struct ProofRequest<'a> {
    pub proof: &'a str,
    /// The request's method, as `htm` must say it.
    pub method: &'a str,
    /// The request's URI without query and fragment, as `htu` must say it.
    pub uri: &'a str,
    /// The access token sent with the proof (resource requests): `ath` must be its hash.
    pub access_token: Option<&'a str>,
}

#[derive(Deserialize)]
struct ProofClaims {
    jti: String,
    htm: String,
    htu: String,
    iat: i64,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

fn invalid(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidDpopProof, description)
}

/// The RFC 7638 thumbprint of a public JWK: SHA-256 over its required members in
/// lexicographic order, base64url.
pub fn thumbprint(jwk: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    let member = |name: &str| jwk.get(name).and_then(|v| v.as_str());
    let canonical = match member("kty")? {
        "EC" => serde_json::json!({
            "crv": member("crv")?, "kty": "EC", "x": member("x")?, "y": member("y")?,
        }),
        "RSA" => serde_json::json!({ "e": member("e")?, "kty": "RSA", "n": member("n")? }),
        "OKP" => serde_json::json!({ "crv": member("crv")?, "kty": "OKP", "x": member("x")? }),
        _ => return None,
    };
    // Written in the lexicographic order RFC 7638 asks for (whatever the map's ordering).
    let bytes = serde_json::to_vec(&canonical).ok()?;
    Some(base64url(&Sha256::digest(&bytes)))
}

/// `htu` and the request URI name the same resource: compared without query and fragment,
/// after URL normalisation (scheme and host case, default ports).
fn same_uri(htu: &str, uri: &str) -> bool {
    let normalised = |text: &str| {
        url::Url::parse(text).ok().map(|mut url| {
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        })
    };
    matches!((normalised(htu), normalised(uri)), (Some(a), Some(b)) if a == b)
}

/// The server nonce for the current window.
pub fn nonce(ctx: &OidcContext) -> String {
    nonce_for(ctx, unix_now() / NONCE_WINDOW_SECS)
}

fn nonce_for(ctx: &OidcContext, window: i64) -> String {
    let mac = ctx
        .vault()
        .index(&ctx.tenant.id)
        .of("dpop nonce", &window.to_string());
    format!("{window}.{}", &mac[..32])
}

fn nonce_is_fresh(ctx: &OidcContext, presented: &str) -> bool {
    let now = unix_now() / NONCE_WINDOW_SECS;
    [now, now - 1]
        .into_iter()
        .any(|window| crate::crypto::constant_time_eq(presented, &nonce_for(ctx, window)))
}

/// Checks a proof (RFC 9449 §4.3) and records its `jti`; returns its key's thumbprint.
pub fn verify(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    request: &ProofRequest,
) -> Result<String, OAuthError> {
    let header = decode_header(request.proof).ok_or_else(|| invalid("the proof is not a JWT"))?;
    if header.token_type() != Some("dpop+jwt") {
        return Err(invalid("the proof's typ must be dpop+jwt"));
    }
    let alg = header.algorithm().unwrap_or_default();
    if !SIGNING_ALGS.contains(&alg) {
        return Err(invalid(format!(
            "the proof's alg must be one of {}",
            SIGNING_ALGS.join(", ")
        )));
    }
    let jwk = header
        .claims_set()
        .get("jwk")
        .and_then(|v| v.as_object())
        .ok_or_else(|| invalid("the proof's header must carry its public key (jwk)"))?;
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(invalid("the proof's jwk must be a public key"));
    }
    let jkt = thumbprint(jwk).ok_or_else(|| invalid("the proof's jwk is not a usable key"))?;
    let verifier = Jwk::from_map(jwk.clone())
        .ok()
        .zip(KeyAlg::parse(alg))
        .and_then(|(key, alg)| Verifier::from_jwk_as(&key, alg))
        .ok_or_else(|| invalid("the proof's jwk is not a usable signing key"))?;
    let (_, payload) = verify_compact(request.proof, &[verifier])
        .map_err(|_| invalid("the proof's signature does not verify with its jwk"))?;
    let claims: ProofClaims = serde_json::from_slice(&payload)
        .map_err(|_| invalid("the proof must carry jti, htm, htu and iat"))?;
    if claims.jti.is_empty() || claims.jti.len() > MAX_JTI {
        return Err(invalid("the proof's jti must be 1 to 256 characters"));
    }
    if claims.htm != request.method {
        return Err(invalid(format!(
            "the proof's htm must be {}",
            request.method
        )));
    }
    if !same_uri(&claims.htu, request.uri) {
        return Err(invalid(format!("the proof's htu must be {}", request.uri)));
    }
    let now = unix_now();
    if (claims.iat - now).abs() > IAT_WINDOW_SECS {
        return Err(invalid(
            "the proof's iat is too far from the server's time; make a new proof",
        ));
    }
    if let Some(token) = request.access_token {
        let expected = base64url(&Sha256::digest(token.as_bytes()));
        let matches = claims
            .ath
            .as_deref()
            .is_some_and(|ath| crate::crypto::constant_time_eq(ath, &expected));
        if !matches {
            return Err(invalid(
                "the proof's ath must be the hash of this access token",
            ));
        }
    }
    if ctx.settings.tokens.dpop_nonce_required
        && !claims
            .nonce
            .as_deref()
            .is_some_and(|n| nonce_is_fresh(ctx, n))
    {
        return Err(OAuthError {
            dpop_nonce: Some(nonce(ctx)),
            ..OAuthError::new(
                ErrorCode::UseDpopNonce,
                "the proof must carry the server's nonce (DPoP-Nonce)",
            )
        });
    }
    let key = sha256_hex(&format!("dpop\0{jkt}\0{}", claims.jti));
    let keep_until = claims.iat + 2 * IAT_WINDOW_SECS;
    if !crate::db::grants::record_client_assertion(conn, &ctx.tenant.id, &key, keep_until)? {
        return Err(invalid(
            "the proof was already used: make a new one per request",
        ));
    }
    Ok(jkt)
}

/// How a resource request presents its access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    DPoP,
}

/// A resource request (userinfo, the admin API): its token, how it came, and the proof.
pub struct Presented {
    pub scheme: Scheme,
    pub token: String,
    pub proof: Option<String>,
    pub method: String,
    pub uri: String,
}

impl Presented {
    /// A Bearer token without proof (for callers that accept nothing else).
    pub fn bearer(token: String) -> Presented {
        Presented {
            scheme: Scheme::Bearer,
            token,
            proof: None,
            method: String::new(),
            uri: String::new(),
        }
    }
}

fn refused(description: &str) -> OAuthError {
    OAuthError::invalid_token(description).with_challenge(Challenge::DPoP)
}

/// A resource server's check (RFC 9449 §7): a bound token only with the DPoP scheme and a
/// proof by its key; an unbound one only as a Bearer token.
pub fn check_presentation(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    presented: &Presented,
    cnf: Option<&Confirmation>,
) -> Result<(), OAuthError> {
    match (cnf, presented.scheme) {
        (None, Scheme::Bearer) => Ok(()),
        (None, Scheme::DPoP) => Err(refused(
            "this access token is not DPoP-bound: send it as a Bearer token",
        )),
        (Some(_), Scheme::Bearer) => Err(refused(
            "this access token is DPoP-bound: send it with the DPoP scheme and a proof",
        )),
        (Some(cnf), Scheme::DPoP) => {
            let proof = presented
                .proof
                .as_deref()
                .ok_or_else(|| refused("a DPoP proof is required with this token"))?;
            let request = ProofRequest {
                proof,
                method: &presented.method,
                uri: &presented.uri,
                access_token: Some(&presented.token),
            };
            let jkt = verify(conn, ctx, &request).map_err(|e| match e.code {
                ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce => {
                    e.with_challenge(Challenge::DPoP)
                }
                _ => e,
            })?;
            if !crate::crypto::constant_time_eq(&jkt, &cnf.jkt) {
                return Err(refused(
                    "the proof's key is not the one this token is bound to",
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1's example key and thumbprint.
    #[test]
    fn thumbprint_of_the_rfc_example() {
        let jwk: serde_json::Value = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(jwk.as_object().unwrap()).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn uris_compare_without_query_and_with_normal_form() {
        assert!(same_uri(
            "https://ID.example.com:443/token?x=1",
            "https://id.example.com/token"
        ));
        assert!(!same_uri(
            "https://id.example.com/token/",
            "https://id.example.com/token"
        ));
        assert!(!same_uri(
            "https://id.example.com/userinfo",
            "https://id.example.com/token"
        ));
        assert!(!same_uri("not a uri", "https://id.example.com/token"));
    }
}
