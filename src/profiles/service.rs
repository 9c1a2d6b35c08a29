//! Creating and changing profiles. Every function is scoped to a tenant.

use super::model::{parse_attributes, parse_locale, parse_name, parse_picture};
use super::{NewProfile, Profile, ProfileChanges, ProfileError};
use crate::db::accounts::{self as rows, ProfileRow};
use crate::db::AnyConnection;
use crate::domain::{unix_now, AccountId, Email, ProfileId, TenantId};

const DEFAULT_PROFILE_NAME: &str = "Default";

/// The first profile of a new account. Call inside the account's creation transaction.
pub fn create_default(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Profile, ProfileError> {
    create(
        conn,
        tenant,
        account,
        NewProfile {
            name: DEFAULT_PROFILE_NAME.into(),
            make_default: true,
            ..NewProfile::default()
        },
    )
}

pub fn create(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
    new: NewProfile,
) -> Result<Profile, ProfileError> {
    let name = parse_name(&new.name)?;
    let existing = list(conn, tenant, account)?;
    if existing.iter().any(|p| p.name.eq_ignore_ascii_case(&name)) {
        return Err(ProfileError::NameTaken(name));
    }
    let id = ProfileId::generate();
    let email = new.email.as_deref().map(Email::parse).transpose()?;
    if let Some(email) = &email {
        if rows::profile_email_taken(conn, tenant, email.as_str(), &id)? {
            return Err(ProfileError::EmailTaken(email.to_string()));
        }
    }
    let now = unix_now();
    let make_default = new.make_default || existing.is_empty();
    let row = ProfileRow {
        id: id.to_string(),
        tenant_id: tenant.to_string(),
        account_id: account.to_string(),
        name,
        is_default: make_default,
        created_at: now,
        updated_at: now,
        email_verified_at: (email.is_some() && new.email_verified).then_some(now),
        email: email.map(|e| e.to_string()),
        picture: new.picture.as_deref().map(parse_picture).transpose()?,
        locale: new.locale.as_deref().map(parse_locale).transpose()?,
        attributes: match new.attributes.as_deref() {
            Some(attributes) => parse_attributes(attributes)?,
            None => "{}".into(),
        },
    };
    crate::db::tx::write::<_, ProfileError, _>(conn, |conn| {
        if make_default {
            clear_default(conn, tenant, &existing)?;
        }
        rows::insert_profile(conn, &row).map_err(|e| {
            if e.is_unique_violation() {
                ProfileError::EmailTaken(row.email.clone().unwrap_or_default())
            } else {
                e.into()
            }
        })
    })?;
    Ok(row.into())
}

fn clear_default(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profiles: &[Profile],
) -> Result<(), ProfileError> {
    for profile in profiles.iter().filter(|p| p.is_default) {
        let mut row = load_row(conn, tenant, &profile.id)?;
        row.is_default = false;
        rows::update_profile(conn, tenant, &row)?;
    }
    Ok(())
}

fn load_row(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<ProfileRow, ProfileError> {
    rows::find_profile(conn, tenant, profile)?.ok_or(ProfileError::NotFound)
}

/// The account's profiles, the default first.
pub fn list(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    account: &AccountId,
) -> Result<Vec<Profile>, ProfileError> {
    Ok(rows::profiles(conn, tenant, account)?
        .into_iter()
        .map(Profile::from)
        .collect())
}

pub fn find(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<Profile, ProfileError> {
    Ok(load_row(conn, tenant, profile)?.into())
}

pub fn rename(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
    name: &str,
) -> Result<Profile, ProfileError> {
    let name = parse_name(name)?;
    let mut row = load_row(conn, tenant, profile)?;
    let siblings = list(
        conn,
        tenant,
        &AccountId::from_stored(row.account_id.clone()),
    )?;
    if siblings
        .iter()
        .any(|p| p.id != *profile && p.name.eq_ignore_ascii_case(&name))
    {
        return Err(ProfileError::NameTaken(name));
    }
    row.name = name;
    row.updated_at = unix_now();
    rows::update_profile(conn, tenant, &row)?;
    Ok(row.into())
}

pub fn update(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
    changes: ProfileChanges,
) -> Result<Profile, ProfileError> {
    let mut row = load_row(conn, tenant, profile)?;
    let now = unix_now();
    if let Some(email) = changes.email {
        if email.is_empty() {
            row.email = None;
            row.email_verified_at = None;
        } else {
            let email = Email::parse(&email)?;
            if rows::profile_email_taken(conn, tenant, email.as_str(), profile)? {
                return Err(ProfileError::EmailTaken(email.to_string()));
            }
            if row.email.as_deref() != Some(email.as_str()) {
                // A new address is unverified until proven.
                row.email_verified_at = None;
            }
            row.email = Some(email.to_string());
        }
    }
    if let Some(verified) = changes.email_verified {
        row.email_verified_at = (verified && row.email.is_some()).then_some(now);
    }
    if let Some(picture) = changes.picture {
        row.picture = (!picture.is_empty())
            .then(|| parse_picture(&picture))
            .transpose()?;
    }
    if let Some(locale) = changes.locale {
        row.locale = (!locale.is_empty())
            .then(|| parse_locale(&locale))
            .transpose()?;
    }
    if let Some(attributes) = changes.attributes {
        row.attributes = parse_attributes(&attributes)?;
    }
    row.updated_at = now;
    rows::update_profile(conn, tenant, &row)?;
    Ok(row.into())
}

pub fn set_default(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<Profile, ProfileError> {
    let row = load_row(conn, tenant, profile)?;
    let account = AccountId::from_stored(row.account_id.clone());
    crate::db::tx::write::<_, ProfileError, _>(conn, |conn| {
        let siblings = list(conn, tenant, &account)?;
        clear_default(conn, tenant, &siblings)?;
        let mut row = load_row(conn, tenant, profile)?;
        row.is_default = true;
        row.updated_at = unix_now();
        rows::update_profile(conn, tenant, &row)?;
        Ok(row.into())
    })
}

/// Deletes a profile; never the account's last. The oldest remaining one becomes the default
/// when the default goes.
pub fn delete(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<(), ProfileError> {
    let row = load_row(conn, tenant, profile)?;
    let account = AccountId::from_stored(row.account_id.clone());
    crate::db::tx::write::<_, ProfileError, _>(conn, |conn| {
        let siblings = list(conn, tenant, &account)?;
        if siblings.len() <= 1 {
            return Err(ProfileError::LastProfile);
        }
        rows::delete_profile(conn, tenant, profile)?;
        if row.is_default {
            let mut remaining = list(conn, tenant, &account)?;
            remaining.sort_by_key(|p| p.id.clone());
            if let Some(first) = remaining.first() {
                let mut next = load_row(conn, tenant, &first.id)?;
                next.is_default = true;
                rows::update_profile(conn, tenant, &next)?;
            }
        }
        Ok(())
    })
}
