//! Creating and changing profiles. Every function is scoped to a tenant; persona data is
//! sealed (`sealed`), so each takes the vault.

use serde_json::{json, Value};

use super::model::{parse_attributes, parse_locale, parse_name, parse_picture};
use super::sealed::{email_index, Persona, Stored};
use super::{NewProfile, Profile, ProfileChanges, ProfileError};
use crate::db::accounts as rows;
use crate::db::AnyConnection;
use crate::domain::{unix_now, AccountId, Email, ProfileId, TenantId};
use crate::events::{self, Kind, Subject};
use crate::keys::Vault;

/// The first profile of a new account, named `name` (the caller picks the person's name or
/// their email's local part: tokens carry it as `name`). Call inside the account's creation
/// transaction.
pub fn create_default(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
    name: &str,
) -> Result<Profile, ProfileError> {
    create(
        conn,
        vault,
        tenant,
        account,
        NewProfile {
            name: name.into(),
            make_default: true,
            ..NewProfile::default()
        },
    )
}

fn attributes_value(attributes: &str) -> Result<Value, ProfileError> {
    serde_json::from_str(&parse_attributes(attributes)?)
        .map_err(|_| ProfileError::InvalidAttributes)
}

/// Sets a persona's attributes to `new` (checked against the tenant's schema; a `null` value
/// clears its attribute), noting when each changed value was set.
fn set_attributes(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    persona: &mut Persona,
    new: Value,
    now: i64,
) -> Result<(), ProfileError> {
    super::attributes::Schema::load(conn, tenant)?.check(&new)?;
    let Value::Object(new) = new else {
        return Err(ProfileError::InvalidAttributes);
    };
    let old = persona.attributes.as_object().cloned().unwrap_or_default();
    let kept: serde_json::Map<String, Value> =
        new.into_iter().filter(|(_, v)| !v.is_null()).collect();
    persona
        .attributes_set_at
        .retain(|name, _| kept.contains_key(name));
    for (name, value) in &kept {
        if old.get(name) != Some(value) || !persona.attributes_set_at.contains_key(name) {
            persona.attributes_set_at.insert(name.clone(), now);
        }
    }
    persona.attributes = Value::Object(kept);
    Ok(())
}

pub fn create(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
    new: NewProfile,
) -> Result<Profile, ProfileError> {
    let name = parse_name(&new.name)?;
    let existing = list(conn, vault, tenant, account)?;
    if existing
        .iter()
        .any(|p| p.name.to_lowercase() == name.to_lowercase())
    {
        return Err(ProfileError::NameTaken(name));
    }
    let email = new.email.as_deref().map(Email::parse).transpose()?;
    let now = unix_now();
    let mut persona = Persona {
        name: name.clone(),
        email: email.as_ref().map(ToString::to_string),
        picture: new.picture.as_deref().map(parse_picture).transpose()?,
        locale: new.locale.as_deref().map(parse_locale).transpose()?,
        attributes: Value::Object(Default::default()),
        attributes_set_at: Default::default(),
    };
    if let Some(attributes) = new.attributes.as_deref() {
        set_attributes(
            conn,
            tenant,
            &mut persona,
            attributes_value(attributes)?,
            now,
        )?;
    }
    let mut stored = Stored::new(vault, tenant, account, persona, now)?;
    if let Some(email) = &email {
        let index = email_index(vault, tenant, email);
        let id = ProfileId::from_stored(stored.row.id.clone());
        if rows::profile_email_taken(conn, tenant, &index, &id)? {
            return Err(ProfileError::EmailTaken(email.to_string()));
        }
    }
    let make_default = new.make_default || existing.is_empty();
    stored.row.is_default = make_default;
    stored.row.email_verified_at = (email.is_some() && new.email_verified).then_some(now);
    crate::db::tx::write::<_, ProfileError, _>(conn, |conn| {
        if make_default {
            clear_default(conn, tenant, &existing)?;
        }
        rows::insert_profile(conn, &stored.row).map_err(|e| {
            if !e.is_unique_violation() {
                e.into()
            } else if let Some(email) = &email {
                ProfileError::EmailTaken(email.to_string())
            } else {
                ProfileError::NameTaken(name.clone())
            }
        })?;
        let id = ProfileId::from_stored(stored.row.id.clone());
        let data = json!({ "is_default": make_default });
        events::emit(
            conn,
            tenant,
            Kind::ProfileCreated,
            Subject::ProfileOf(&id, account),
            data,
        )?;
        Ok(())
    })?;
    Ok(stored.profile())
}

/// A profile for an account created in the same transaction (`create_for_new_accounts`).
pub struct FreshProfile<'a> {
    pub account: &'a AccountId,
    pub name: String,
    pub is_default: bool,
}

/// Profiles for accounts created in the current transaction (an import), with their
/// `profile.created` events, one statement per table. Nothing is read: those accounts have
/// no other profiles, so names only need to differ among `new` (checked here), and the
/// caller marks exactly one profile of each account as its default.
pub fn create_for_new_accounts(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    new: &[FreshProfile],
) -> Result<Vec<Profile>, ProfileError> {
    let now = unix_now();
    let mut names = std::collections::HashSet::new();
    let mut stored = Vec::with_capacity(new.len());
    for fresh in new {
        let name = parse_name(&fresh.name)?;
        if !names.insert((fresh.account.as_str(), name.to_lowercase())) {
            return Err(ProfileError::NameTaken(name));
        }
        let persona = Persona {
            name,
            email: None,
            picture: None,
            locale: None,
            attributes: Value::Object(Default::default()),
            attributes_set_at: Default::default(),
        };
        let mut one = Stored::new(vault, tenant, fresh.account, persona, now)?;
        one.row.is_default = fresh.is_default;
        stored.push(one);
    }
    crate::db::tx::write::<_, ProfileError, _>(conn, |conn| {
        let rows: Vec<_> = stored.iter().map(|s| s.row.clone()).collect();
        rows::insert_profiles(conn, &rows)?;
        let ids: Vec<ProfileId> = stored
            .iter()
            .map(|s| ProfileId::from_stored(s.row.id.clone()))
            .collect();
        events::emit_many(
            conn,
            tenant,
            ids.iter().zip(new).map(|(id, fresh)| {
                (
                    Kind::ProfileCreated,
                    Subject::ProfileOf(id, fresh.account),
                    json!({ "is_default": fresh.is_default }),
                )
            }),
        )?;
        Ok(())
    })?;
    Ok(stored.iter().map(Stored::profile).collect())
}

/// Only the default flag changes: no need to open the persona.
fn clear_default(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profiles: &[Profile],
) -> Result<(), ProfileError> {
    for profile in profiles.iter().filter(|p| p.is_default) {
        rows::set_profile_default(conn, tenant, &profile.id, false)?;
    }
    Ok(())
}

fn load(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<Stored, ProfileError> {
    let row = rows::find_profile(conn, tenant, profile)?.ok_or(ProfileError::NotFound)?;
    Stored::open(vault, row)
}

fn store(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    stored: &mut Stored,
) -> Result<(), ProfileError> {
    stored.seal(vault)?;
    rows::update_profile(conn, tenant, &stored.row).map_err(|e| {
        if e.is_unique_violation() {
            match &stored.persona.email {
                Some(email) if stored.row.email_index.is_some() => {
                    ProfileError::EmailTaken(email.clone())
                }
                _ => ProfileError::NameTaken(stored.persona.name.clone()),
            }
        } else {
            e.into()
        }
    })
}

/// The account's profiles, the default first.
pub fn list(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Vec<Profile>, ProfileError> {
    rows::profiles(conn, tenant, account)?
        .into_iter()
        .map(|row| Ok(Stored::open(vault, row)?.profile()))
        .collect()
}

pub fn find(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<Profile, ProfileError> {
    Ok(load(conn, vault, tenant, profile)?.profile())
}

pub fn rename(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
    name: &str,
) -> Result<Profile, ProfileError> {
    let name = parse_name(name)?;
    change(conn, vault, tenant, profile, |conn, stored| {
        let account = AccountId::from_stored(stored.row.account_id.clone());
        let siblings = list(conn, vault, tenant, &account)?;
        if siblings
            .iter()
            .any(|p| p.id != *profile && p.name.to_lowercase() == name.to_lowercase())
        {
            return Err(ProfileError::NameTaken(name.clone()));
        }
        stored.persona.name = name.clone();
        stored.row.updated_at = unix_now();
        Ok(())
    })
}

pub fn update(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
    changes: ProfileChanges,
) -> Result<Profile, ProfileError> {
    change(conn, vault, tenant, profile, |conn, stored| {
        apply(conn, vault, tenant, profile, stored, changes.clone())
    })
}

fn apply(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
    stored: &mut Stored,
    changes: ProfileChanges,
) -> Result<(), ProfileError> {
    let now = unix_now();
    if let Some(email) = changes.email {
        if email.is_empty() {
            stored.persona.email = None;
            stored.row.email_verified_at = None;
        } else {
            let email = Email::parse(&email)?;
            let index = email_index(vault, tenant, &email);
            if rows::profile_email_taken(conn, tenant, &index, profile)? {
                return Err(ProfileError::EmailTaken(email.to_string()));
            }
            if stored.persona.email.as_deref() != Some(email.as_str()) {
                // A new address is unverified until proven.
                stored.row.email_verified_at = None;
            }
            stored.persona.email = Some(email.to_string());
        }
    }
    if let Some(verified) = changes.email_verified {
        stored.row.email_verified_at = (verified && stored.persona.email.is_some()).then_some(now);
    }
    if let Some(picture) = changes.picture {
        stored.persona.picture = (!picture.is_empty())
            .then(|| parse_picture(&picture))
            .transpose()?;
    }
    if let Some(locale) = changes.locale {
        stored.persona.locale = (!locale.is_empty())
            .then(|| parse_locale(&locale))
            .transpose()?;
    }
    if let Some(attributes) = changes.attributes {
        let new = attributes_value(&attributes)?;
        set_attributes(conn, tenant, &mut stored.persona, new, now)?;
    }
    stored.row.updated_at = now;
    Ok(())
}

/// Changes a profile under its account's row lock (PostgreSQL `FOR NO KEY UPDATE`; SQLite's
/// write transaction already excludes other writers): the persona is one sealed value, so
/// two changes at once (an email here, a picture there) must apply one after the other, or
/// the later write would put back what the earlier one replaced.
fn change(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
    mut edit: impl FnMut(&mut AnyConnection, &mut Stored) -> Result<(), ProfileError>,
) -> Result<Profile, ProfileError> {
    crate::db::tx::write(conn, |conn| {
        let row = rows::find_profile(conn, tenant, profile)?.ok_or(ProfileError::NotFound)?;
        let account = AccountId::from_stored(row.account_id);
        rows::lock(conn, tenant, &account)?;
        let mut stored = load(conn, vault, tenant, profile)?;
        let before = (stored.persona.clone(), stored.row.email_verified_at);
        edit(conn, &mut stored)?;
        let changed = changed_fields(&before.0, before.1, &stored);
        if changed.is_empty() {
            return Ok(stored.profile());
        }
        store(conn, vault, tenant, &mut stored)?;
        let data = json!({ "changed": changed });
        events::emit(
            conn,
            tenant,
            Kind::ProfileUpdated,
            Subject::ProfileOf(profile, &account),
            data,
        )?;
        Ok(stored.profile())
    })
}

/// The names of what an edit changed (`attributes.NAME` per attribute), for `profile.updated`.
fn changed_fields(before: &Persona, verified_before: Option<i64>, after: &Stored) -> Vec<String> {
    let now = &after.persona;
    let mut changed: Vec<String> = events::changed([
        ("name", before.name != now.name),
        ("email", before.email != now.email),
        (
            "email_verified",
            verified_before.is_some() != after.row.email_verified_at.is_some(),
        ),
        ("picture", before.picture != now.picture),
        ("locale", before.locale != now.locale),
    ])
    .into_iter()
    .map(str::to_owned)
    .collect();
    let empty = serde_json::Map::new();
    let old = before.attributes.as_object().unwrap_or(&empty);
    let new = now.attributes.as_object().unwrap_or(&empty);
    let names: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    changed.extend(
        names
            .into_iter()
            .filter(|name| old.get(*name) != new.get(*name))
            .map(|name| format!("attributes.{name}")),
    );
    changed
}

/// Drops the attribute values whose retention (the tenant's attribute schema) ran out at
/// `now`; returns how many values were dropped. Safe on several nodes at once: a profile
/// changed since it was read is left for the next round.
pub fn drop_expired_attributes(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    now: i64,
) -> Result<usize, ProfileError> {
    let schema = super::attributes::Schema::load(conn, tenant)?;
    if !schema.0.iter().any(|d| d.retention_days.is_some()) {
        return Ok(0);
    }
    let mut dropped = 0;
    let mut after = String::new();
    loop {
        let ids = rows::profile_ids_after(conn, tenant, &after, 200)?;
        let Some(last) = ids.last() else {
            return Ok(dropped);
        };
        after = last.clone();
        for id in ids {
            let Some(row) = rows::find_profile(conn, tenant, &ProfileId::from_stored(id))? else {
                continue;
            };
            let before = row.persona.clone();
            let mut stored = Stored::open(vault, row)?;
            let expired: Vec<String> = schema
                .expired(&stored.persona.attributes_set_at, now)
                .into_iter()
                .map(str::to_owned)
                .collect();
            if expired.is_empty() {
                continue;
            }
            if let Some(map) = stored.persona.attributes.as_object_mut() {
                for name in &expired {
                    map.remove(name);
                }
            }
            stored
                .persona
                .attributes_set_at
                .retain(|name, _| !expired.contains(name));
            stored.row.updated_at = now;
            stored.seal(vault)?;
            let id = ProfileId::from_stored(stored.row.id.clone());
            let account = AccountId::from_stored(stored.row.account_id.clone());
            let changed: Vec<String> = expired.iter().map(|n| format!("attributes.{n}")).collect();
            let data = json!({ "changed": changed, "reason": "retention" });
            let stored_now = crate::db::tx::write(conn, |conn| {
                let swapped =
                    rows::replace_persona_if_unchanged(conn, tenant, &stored.row, &before)?;
                if swapped {
                    let subject = Subject::ProfileOf(&id, &account);
                    events::emit(conn, tenant, Kind::ProfileUpdated, subject, data.clone())?;
                }
                Ok::<_, crate::db::DbError>(swapped)
            })?;
            if stored_now {
                dropped += expired.len();
            }
        }
    }
}

pub fn set_default(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<Profile, ProfileError> {
    let row = rows::find_profile(conn, tenant, profile)?.ok_or(ProfileError::NotFound)?;
    let account = AccountId::from_stored(row.account_id.clone());
    crate::db::tx::write::<_, ProfileError, _>(conn, |conn| {
        let siblings = rows::profiles(conn, tenant, &account)?;
        for sibling in siblings.iter().filter(|p| p.is_default) {
            rows::set_profile_default(
                conn,
                tenant,
                &ProfileId::from_stored(sibling.id.clone()),
                false,
            )?;
        }
        rows::set_profile_default(conn, tenant, profile, true)?;
        let data = json!({ "changed": ["is_default"] });
        events::emit(
            conn,
            tenant,
            Kind::ProfileUpdated,
            Subject::ProfileOf(profile, &account),
            data,
        )?;
        Ok(())
    })?;
    find(conn, vault, tenant, profile)
}

/// Deletes a profile; never the account's last. The oldest remaining one becomes the default
/// when the default goes.
/// Moves `profile` from account `from` to account `to`, which has no profile yet (a split:
/// `lifecycle::split`), where it becomes the default. `from` keeps at least one profile
/// (another becomes its default). Call inside the caller's transaction, after locking
/// `from`'s row.
pub fn move_to(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
    from: &AccountId,
    to: &AccountId,
) -> Result<(), ProfileError> {
    if rows::profiles(conn, tenant, from)?.len() <= 1 {
        return Err(ProfileError::LastProfile);
    }
    let was_default = relocate(conn, vault, tenant, profile, from, to, None, true)?;
    if was_default {
        let mut remaining = rows::profiles(conn, tenant, from)?;
        remaining.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(first) = remaining.first() {
            let first = ProfileId::from_stored(first.id.clone());
            rows::set_profile_default(conn, tenant, &first, true)?;
        }
    }
    Ok(())
}

/// Moves `profile` from account `from` into account `to` under `name` (unique there), not as
/// its default: a merge (`lifecycle::merge`) takes every profile of `from`. Call inside the
/// caller's transaction, after locking both accounts' rows.
pub fn absorb(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
    from: &AccountId,
    to: &AccountId,
    name: &str,
) -> Result<(), ProfileError> {
    relocate(conn, vault, tenant, profile, from, to, Some(name), false).map(|_| ())
}

/// One profile to another account. The persona keeps its own key and its id, so a
/// `profile`-mode `sub` survives; consents and roles are keyed by the profile and go with it.
/// What was issued for it is revoked and sessions acting as it choose again. Returns whether
/// it was `from`'s default.
#[allow(clippy::too_many_arguments)]
fn relocate(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
    from: &AccountId,
    to: &AccountId,
    name: Option<&str>,
    default_there: bool,
) -> Result<bool, ProfileError> {
    let row = rows::find_profile(conn, tenant, profile)?
        .filter(|row| row.account_id == from.as_str())
        .ok_or(ProfileError::NotFound)?;
    let was_default = row.is_default;
    let mut stored = Stored::open(vault, row)?;
    stored.row.account_id = to.to_string();
    stored.row.is_default = default_there;
    stored.row.updated_at = unix_now();
    if let Some(name) = name {
        stored.persona.name = parse_name(name)?;
    }
    // The name index is per account: sealing again computes it for the new one.
    stored.seal(vault)?;
    if !rows::move_profile(conn, tenant, from, &stored.row)? {
        return Err(ProfileError::NotFound);
    }
    let now = unix_now();
    crate::db::grants::revoke_profile_grants(conn, tenant, profile, None, now)?;
    crate::db::sessions::forget_profile(conn, tenant, profile)?;
    crate::db::legacy_records::move_profile(conn, tenant, profile, to)?;
    let data = json!({ "profile_id": profile, "from_account": from });
    events::emit(conn, tenant, Kind::ProfileMoved, Subject::Account(to), data)?;
    Ok(was_default)
}

pub fn delete(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<(), ProfileError> {
    let row = rows::find_profile(conn, tenant, profile)?.ok_or(ProfileError::NotFound)?;
    let account = AccountId::from_stored(row.account_id.clone());
    crate::db::tx::write::<_, ProfileError, _>(conn, |conn| {
        let siblings = rows::profiles(conn, tenant, &account)?;
        if siblings.len() <= 1 {
            return Err(ProfileError::LastProfile);
        }
        rows::delete_profile(conn, tenant, profile)?;
        let data = json!({ "profile_id": profile });
        events::emit(
            conn,
            tenant,
            Kind::ProfileDeleted,
            Subject::Account(&account),
            data,
        )?;
        // What was issued for the persona ends with it.
        crate::db::grants::revoke_profile_grants(conn, tenant, profile, None, unix_now())?;
        if row.is_default {
            let mut remaining = rows::profiles(conn, tenant, &account)?;
            remaining.sort_by(|a, b| a.id.cmp(&b.id));
            if let Some(first) = remaining.first() {
                rows::set_profile_default(
                    conn,
                    tenant,
                    &ProfileId::from_stored(first.id.clone()),
                    true,
                )?;
            }
        }
        Ok(())
    })
}
