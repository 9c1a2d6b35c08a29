//! Claims about the signed-in user, by scope (OIDC Core §5.4) and by the `claims` request
//! parameter (§5.5): shared by ID tokens and userinfo so both always say the same thing. They
//! come from the chosen profile, the custom attributes its tenant's attribute schema releases
//! for the granted scopes, and the account's customer (`customer_id`, and `verified_claims`
//! when asked for: OpenID Connect for Identity Assurance 1.0).

use serde_json::{json, Map, Value};

use super::claims_request::{covering_scope, ClaimsRequest, Target};
use super::subject::Subject;
use crate::customers::{Customer, CustomerKind};
use crate::domain::scope::ScopeSet;
use crate::identity::Account;
use crate::profiles::Profile;

/// What one answer (an ID token, or userinfo) was asked for.
pub struct Asked<'a> {
    pub scope: &'a ScopeSet,
    pub claims: Option<&'a ClaimsRequest>,
    pub target: Target,
}

impl Asked<'_> {
    /// A standard claim goes out when a granted scope covers it or the client asked for it
    /// by name (the person consented to its scope either way).
    fn releases(&self, claim: &str) -> bool {
        covering_scope(claim).is_some_and(|scope| self.scope.contains(scope))
            || self.claims.is_some_and(|c| c.asks(self.target, claim))
    }

    /// The `verified_claims` request for this answer, if any.
    pub fn verified_claims(&self) -> Option<&Value> {
        self.claims.and_then(|c| c.verified_claims(self.target))
    }
}

pub fn user_claims(
    account: &Account,
    profile: &Profile,
    subject: &Subject,
    asked: &Asked,
    attribute_claims: Map<String, Value>,
    customer: Option<&Customer>,
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
    if let Some(customer_id) = &account.customer_id {
        claims.insert("customer_id".into(), json!(customer_id));
    }
    let mut put = |name: &str, value: Value| {
        if asked.releases(name) {
            claims.insert(name.into(), value);
        }
    };
    put("name", json!(profile.name));
    put("preferred_username", json!(profile.name));
    if let Some(picture) = &profile.picture {
        put("picture", json!(picture));
    }
    if let Some(locale) = &profile.locale {
        put("locale", json!(locale));
    }
    put("updated_at", json!(profile.updated_at));
    // The profile's own address once verified; otherwise the account's.
    let (email, verified) = match profile.verified_email() {
        Some(email) => (email.to_string(), true),
        None => (account.email.to_string(), account.email_verified),
    };
    put("email", json!(email));
    put("email_verified", json!(verified));
    if let (Some(request), Some(customer)) = (asked.verified_claims(), customer) {
        if let Some(verified) = verified_claims(customer, request) {
            claims.insert("verified_claims".into(), verified);
        }
    }
    claims
}

/// Whether a verification value meets a request's `value` / `values` constraint (IDA §6.4).
fn meets(have: Option<&str>, constraint: Option<&Value>) -> bool {
    let Some(Value::Object(constraint)) = constraint else {
        return true;
    };
    if let Some(value) = constraint.get("value") {
        return have.is_some_and(|h| value.as_str() == Some(h));
    }
    if let Some(Value::Array(values)) = constraint.get("values") {
        return have.is_some_and(|h| values.iter().any(|v| v.as_str() == Some(h)));
    }
    true
}

/// `verified_claims` for a person customer's recorded verification, as far as `request`
/// asks: `None` without a verification, for an organization (its verification is not about
/// the person signing in), when a constraint is not met, or when none of the asked claims is
/// held. The verification always names its trust framework; level, time and evidence go out
/// when asked for (all but the evidence when `verification` is not narrowed).
pub fn verified_claims(customer: &Customer, request: &Value) -> Option<Value> {
    let verification = customer.verification.as_ref()?;
    if customer.kind != CustomerKind::Person {
        return None;
    }
    let asked_verification = request.get("verification").and_then(Value::as_object);
    let constraint = |name: &str| asked_verification.and_then(|v| v.get(name));
    if !meets(
        Some(&verification.trust_framework),
        constraint("trust_framework"),
    ) || !meets(
        verification.assurance_level.as_deref(),
        constraint("assurance_level"),
    ) {
        return None;
    }
    let wants =
        |name: &str| asked_verification.map_or(name != "evidence", |v| v.contains_key(name));
    let time = crate::domain::rfc3339(verification.verified_at);
    let mut out = Map::new();
    out.insert(
        "trust_framework".into(),
        json!(verification.trust_framework),
    );
    if let (true, Some(level)) = (wants("assurance_level"), &verification.assurance_level) {
        out.insert("assurance_level".into(), json!(level));
    }
    if wants("time") {
        out.insert("time".into(), json!(time));
    }
    if wants("evidence") {
        let mut check = Map::new();
        check.insert("check_method".into(), json!(verification.method));
        check.insert("organization".into(), json!(verification.verifier));
        if let Some(reference) = &verification.reference {
            check.insert("txn".into(), json!(reference));
        }
        check.insert("time".into(), json!(time));
        out.insert(
            "evidence".into(),
            json!([{ "type": verification.evidence_type, "check_details": [check] }]),
        );
    }
    // The claims verified: the person's legal name.
    let held = [("name", json!(customer.legal_name))];
    let asked_claims = request.get("claims").and_then(Value::as_object);
    let claims: Map<String, Value> = held
        .into_iter()
        .filter(|(name, _)| asked_claims.is_none_or(|asked| asked.contains_key(*name)))
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    if claims.is_empty() {
        return None;
    }
    Some(json!({ "verification": out, "claims": claims }))
}
