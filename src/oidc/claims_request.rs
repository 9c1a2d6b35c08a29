//! The `claims` authorization parameter (OIDC Core §5.5): individual claims a client asks
//! for in the ID token and/or at userinfo, beyond what its scopes release, and
//! `verified_claims` (OpenID Connect for Identity Assurance 1.0).
//!
//! A claim asked for this way is still the person's to allow: the consent step asks for the
//! scope that covers it (or for `verified_claims`), so nothing leaves without consent.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::scope::{self, ScopeSet};

/// The consent item (a pseudo-scope on the consent record) for releasing `verified_claims`.
pub const VERIFIED_CLAIMS: &str = "verified_claims";

/// Which answer a claim is asked for in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    IdToken,
    UserInfo,
}

/// A validated claims request, as stored with the pending request and the grant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub userinfo: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub id_token: Map<String, Value>,
}

/// The scope that releases a standard claim Tessera holds (`None`: not one it releases by
/// request, such as `sub` or a claim it does not have).
pub fn covering_scope(claim: &str) -> Option<&'static str> {
    match claim {
        "name" | "preferred_username" | "picture" | "locale" | "updated_at" => Some(scope::PROFILE),
        "email" | "email_verified" => Some(scope::EMAIL),
        VERIFIED_CLAIMS => Some(VERIFIED_CLAIMS),
        _ => None,
    }
}

fn check_member(name: &str, request: &Value) -> Result<(), String> {
    let Value::Object(request) = request else {
        return match request {
            Value::Null => Ok(()),
            _ => Err(format!(
                "claims: the request for {name} must be null or an object"
            )),
        };
    };
    if request.get("essential").is_some_and(|e| !e.is_boolean()) {
        return Err(format!("claims: essential of {name} must be true or false"));
    }
    if request.get("values").is_some_and(|v| !v.is_array()) {
        return Err(format!("claims: values of {name} must be an array"));
    }
    if name == VERIFIED_CLAIMS {
        for member in ["verification", "claims"] {
            if request
                .get(member)
                .is_some_and(|m| !m.is_object() && !m.is_null())
            {
                return Err(format!(
                    "claims: verified_claims.{member} must be an object"
                ));
            }
        }
    }
    Ok(())
}

impl ClaimsRequest {
    /// Parses and checks the parameter; the message is the `invalid_request` description.
    pub fn parse(text: &str) -> Result<ClaimsRequest, String> {
        let Ok(Value::Object(top)) = serde_json::from_str::<Value>(text) else {
            return Err("claims must be a JSON object".into());
        };
        let mut parsed = ClaimsRequest::default();
        for (member, target) in [
            ("userinfo", &mut parsed.userinfo),
            ("id_token", &mut parsed.id_token),
        ] {
            match top.get(member) {
                None | Some(Value::Null) => {}
                Some(Value::Object(claims)) => {
                    for (name, request) in claims {
                        check_member(name, request)?;
                    }
                    *target = claims.clone();
                }
                Some(_) => return Err(format!("claims: {member} must be an object")),
            }
        }
        Ok(parsed)
    }

    pub fn is_empty(&self) -> bool {
        self.userinfo.is_empty() && self.id_token.is_empty()
    }

    fn of(&self, target: Target) -> &Map<String, Value> {
        match target {
            Target::IdToken => &self.id_token,
            Target::UserInfo => &self.userinfo,
        }
    }

    /// Whether `claim` is asked for in `target`.
    pub fn asks(&self, target: Target, claim: &str) -> bool {
        self.of(target).contains_key(claim)
    }

    /// The request for `verified_claims` in `target`, if there is one.
    pub fn verified_claims(&self, target: Target) -> Option<&Value> {
        self.of(target).get(VERIFIED_CLAIMS)
    }

    /// What the person must allow beyond the scope: the scopes covering the claims asked for
    /// one by one, and `verified_claims`.
    pub fn consent_items(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.userinfo
            .keys()
            .chain(self.id_token.keys())
            .filter_map(|claim| covering_scope(claim))
    }
}

/// The scope plus what a claims request adds to it, as the consent step asks and records it.
pub fn consent_scope(scope: &ScopeSet, claims: Option<&ClaimsRequest>) -> ScopeSet {
    let mut items: Vec<String> = scope.iter().map(str::to_owned).collect();
    if let Some(claims) = claims {
        items.extend(claims.consent_items().map(str::to_owned));
    }
    ScopeSet::parse(&items.join(" ")).unwrap_or_else(|_| scope.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_spec_shapes_and_refuses_others() {
        let ok = ClaimsRequest::parse(
            r#"{"userinfo":{"email":{"essential":true},"name":null},
                "id_token":{"verified_claims":{"verification":{"trust_framework":null},"claims":{"name":null}}},
                "other":1}"#,
        )
        .unwrap();
        assert!(ok.asks(Target::UserInfo, "email"));
        assert!(!ok.asks(Target::IdToken, "email"));
        assert!(ok.verified_claims(Target::IdToken).is_some());
        let items: Vec<&str> = ok.consent_items().collect();
        assert_eq!(items, vec!["email", "profile", "verified_claims"]);
        for bad in [
            "[]",
            "not json",
            r#"{"userinfo":[]}"#,
            r#"{"userinfo":{"email":true}}"#,
            r#"{"id_token":{"email":{"essential":"yes"}}}"#,
            r#"{"id_token":{"email":{"values":"a"}}}"#,
            r#"{"id_token":{"verified_claims":{"claims":[]}}}"#,
        ] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad} is refused");
        }
    }

    #[test]
    fn consent_covers_what_is_asked_one_by_one() {
        let scope = ScopeSet::parse("openid").unwrap();
        let claims = ClaimsRequest::parse(r#"{"userinfo":{"email":null,"sub":null}}"#).unwrap();
        assert_eq!(
            consent_scope(&scope, Some(&claims)).to_string(),
            "email openid"
        );
        assert_eq!(consent_scope(&scope, None).to_string(), "openid");
    }
}
