//! ID tokens sent back to Tessera as hints (`id_token_hint` at authorize and logout). They must
//! carry this tenant's signature and issuer; expiry is ignored (OIDC Core §3.1.2.1 allows an
//! expired ID token as a hint). Tokens with `alg: none`, HS256 keyed with a public key, or
//! another tenant's key fail the signature check.

use super::context::OidcContext;

#[derive(Debug, Clone)]
pub struct IdTokenHint {
    pub subject: String,
    pub audiences: Vec<String>,
    pub session_id: Option<String>,
}

pub fn verify(ctx: &OidcContext, token: &str) -> Option<IdTokenHint> {
    let (header, payload) = ctx.keys.verify(token).ok()?;
    if header
        .token_type()
        .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
    {
        return None;
    }
    let claims: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    if claims["iss"] != ctx.issuer.as_str() {
        return None;
    }
    let audiences = match &claims["aud"] {
        serde_json::Value::String(one) => vec![one.clone()],
        serde_json::Value::Array(many) => many
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect(),
        _ => return None,
    };
    Some(IdTokenHint {
        subject: claims["sub"].as_str()?.to_owned(),
        audiences,
        session_id: claims["sid"].as_str().map(str::to_owned),
    })
}
