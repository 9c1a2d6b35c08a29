//! Claims about the signed-in user, by scope (OIDC Core §5.4): shared by ID tokens and
//! userinfo so both always say the same thing. They come from the chosen profile, plus the
//! custom attributes its tenant's attribute schema releases for the granted scopes.

use serde_json::{json, Map, Value};

use super::subject::Subject;
use crate::domain::scope::{self, ScopeSet};
use crate::identity::Account;
use crate::profiles::Profile;

pub fn user_claims(
    account: &Account,
    profile: &Profile,
    subject: &Subject,
    scope: &ScopeSet,
    attribute_claims: Map<String, Value>,
) -> Map<String, Value> {
    // Standard claims below override a same-named attribute (the schema refuses those names
    // for release anyway).
    let mut claims = attribute_claims;
    claims.insert("sub".into(), json!(subject.sub));
    if let Some(profile_id) = &subject.profile_id {
        claims.insert("profile_id".into(), json!(profile_id));
    }
    if let Some(account_id) = &subject.account_id {
        claims.insert("account_id".into(), json!(account_id));
    }
    if scope.contains(scope::PROFILE) {
        claims.insert("name".into(), json!(profile.name));
        claims.insert("preferred_username".into(), json!(profile.name));
        if let Some(picture) = &profile.picture {
            claims.insert("picture".into(), json!(picture));
        }
        if let Some(locale) = &profile.locale {
            claims.insert("locale".into(), json!(locale));
        }
        claims.insert("updated_at".into(), json!(profile.updated_at));
    }
    if scope.contains(scope::EMAIL) {
        // The profile's own address once verified; otherwise the account's.
        match profile.verified_email() {
            Some(email) => {
                claims.insert("email".into(), json!(email));
                claims.insert("email_verified".into(), json!(true));
            }
            None => {
                claims.insert("email".into(), json!(account.email));
                claims.insert("email_verified".into(), json!(account.email_verified));
            }
        }
    }
    claims
}
