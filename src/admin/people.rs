//! People as administrators name them: by email (and a profile's name when the account has
//! several), never only by an id copied from somewhere else; and shown as an email (masked)
//! with the profile's name wherever an id would otherwise stand alone.

use serde::Serialize;

use super::accounts::mask_email;
use super::{AdminError, Permission, Principal};
use crate::db::{accounts as rows, AnyConnection};
use crate::domain::{AccountId, ProfileId};
use crate::identity;
use crate::keys::Vault;

/// Whether the caller may see who the people behind ids are (masked emails and profile
/// names are still personal data): `accounts:read`. Others see ids only.
pub fn may_name(who: &Principal) -> bool {
    who.may(Permission::AccountsRead)
}

/// A profile with the person it belongs to.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Person {
    pub account_id: String,
    /// Masked (`a••••@example.com`); reveal it on the account's page.
    pub email: String,
    pub profile_id: String,
    pub profile_name: String,
}

/// The profile `person` names: a profile id; or an account's email or id, with `profile` (a
/// name or id among that account's profiles) or, without it, the account's default profile.
pub fn find_profile(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    person: &str,
    profile: Option<&str>,
) -> Result<ProfileId, AdminError> {
    let (person, profile) = (
        person.trim(),
        profile.map(str::trim).filter(|p| !p.is_empty()),
    );
    let tenant = who.tenant();
    if profile.is_none() && !person.contains('@') {
        let id = ProfileId::from_stored(person.to_owned());
        if rows::find_profile(conn, tenant, &id)?.is_some() {
            return Ok(id);
        }
    }
    let account = match identity::find_account_by_id_or_email(conn, vault, tenant, person) {
        Ok(account) => account,
        Err(identity::AccountError::Db(e)) => return Err(e.into()),
        Err(_) => {
            return Err(AdminError::Invalid(format!(
                "no profile or account \"{person}\" in this tenant: name a profile id, or an \
                 account's email (its default profile) with an optional profile name"
            )))
        }
    };
    let listed = crate::profiles::list(conn, vault, tenant, &account.id)
        .map_err(super::profiles::profile_error)?;
    let chosen = match profile {
        Some(wanted) => listed
            .iter()
            .find(|p| p.id.as_str() == wanted || p.name.to_lowercase() == wanted.to_lowercase()),
        None => listed.iter().find(|p| p.is_default).or(listed.first()),
    };
    match chosen {
        Some(p) => Ok(p.id.clone()),
        None => Err(AdminError::Invalid(format!(
            "{person} has no profile named \"{}\" (it has: {})",
            profile.unwrap_or_default(),
            listed
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The person behind a profile; `None` when the profile is gone. Callers showing it to an
/// administrator check [`may_name`] first.
pub fn describe(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    profile: &ProfileId,
) -> Result<Option<Person>, AdminError> {
    let tenant = who.tenant();
    let Some(row) = rows::find_profile(conn, tenant, profile)? else {
        return Ok(None);
    };
    let account = AccountId::from_stored(row.account_id.clone());
    let email = match identity::find_account(conn, vault, tenant, &account) {
        Ok(account) => mask_email(account.email.as_str()),
        Err(identity::AccountError::Db(e)) => return Err(e.into()),
        // Erased: its email is gone.
        Err(_) => "(erased)".into(),
    };
    let profile_name = crate::profiles::find(conn, vault, tenant, profile)
        .map(|p| p.name)
        .unwrap_or_default();
    Ok(Some(Person {
        account_id: account.to_string(),
        email,
        profile_id: profile.to_string(),
        profile_name,
    }))
}

/// A short, masked description of whoever an id names (a profile: `a••••@example.com ·
/// Work`; an account: its masked email), for logs that record ids; `None` for anything else
/// (clients, the command line, erased accounts).
pub fn name_of(
    conn: &mut AnyConnection,
    vault: &Vault,
    who: &Principal,
    id: &str,
) -> Result<Option<String>, AdminError> {
    if !may_name(who) {
        return Ok(None);
    }
    if let Some(person) = describe(conn, vault, who, &ProfileId::from_stored(id.to_owned()))? {
        return Ok(Some(format!("{} · {}", person.email, person.profile_name)));
    }
    match identity::find_account(
        conn,
        vault,
        who.tenant(),
        &AccountId::from_stored(id.to_owned()),
    ) {
        Ok(account) => Ok(Some(mask_email(account.email.as_str()))),
        Err(identity::AccountError::Db(e)) => Err(e.into()),
        Err(_) => Ok(None),
    }
}
