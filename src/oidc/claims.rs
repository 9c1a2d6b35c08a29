//! Claims about the signed-in user, by scope (OIDC Core §5.4): shared by ID tokens and
//! userinfo so both always say the same thing.

use serde_json::{json, Map, Value};

use crate::domain::ScopeSet;
use crate::identity::{Account, Profile};

pub const SUPPORTED_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

pub fn user_claims(account: &Account, profile: &Profile, scope: &ScopeSet) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("profile_id".into(), json!(profile.id));
    if scope.contains("profile") {
        claims.insert("name".into(), json!(profile.name));
    }
    if scope.contains("email") {
        claims.insert("email".into(), json!(account.email));
        claims.insert("email_verified".into(), json!(account.email_verified));
    }
    claims
}
