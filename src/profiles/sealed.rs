//! A profile as stored: its persona data (name, email, picture, locale, attributes) sealed as
//! one JSON value under the profile's own data key, with blind indexes for the name (unique
//! per account) and the email (unique per tenant).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Profile, ProfileError};
use crate::db::accounts::ProfileRow;
use crate::db::{legacy, AnyConnection};
use crate::domain::{AccountId, Email, ProfileId, TenantId};
use crate::keys::{DataKey, KeyOwner, Vault};

const PERSONA: &str = "persona";
const NAME_INDEX: &str = "profile name";
const EMAIL_INDEX: &str = "profile email";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Persona {
    pub name: String,
    pub email: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
    pub attributes: Value,
    /// When each attribute value was last set (Unix seconds): retention counts from it.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub attributes_set_at: std::collections::BTreeMap<String, i64>,
}

/// A profile row opened: its metadata, persona and data key, to change and store again.
pub(super) struct Stored {
    pub row: ProfileRow,
    pub persona: Persona,
    key: DataKey,
}

/// The blind index of a profile email in a tenant.
pub fn email_index(vault: &Vault, tenant: &TenantId, email: &Email) -> String {
    vault.index(tenant).of(EMAIL_INDEX, email.as_str())
}

fn name_index(vault: &Vault, tenant: &TenantId, account: &str, name: &str) -> String {
    vault
        .index(tenant)
        .of(NAME_INDEX, &format!("{account}\0{}", name.to_lowercase()))
}

impl Stored {
    /// A new profile under a fresh data key (not stored yet).
    pub fn new(
        vault: &Vault,
        tenant: &TenantId,
        account: &AccountId,
        persona: Persona,
        now: i64,
    ) -> Result<Stored, ProfileError> {
        Stored::with_id(vault, tenant, account, ProfileId::generate(), persona, now)
    }

    fn with_id(
        vault: &Vault,
        tenant: &TenantId,
        account: &AccountId,
        id: ProfileId,
        persona: Persona,
        now: i64,
    ) -> Result<Stored, ProfileError> {
        let (key, wrapped) = vault.new_data_key(KeyOwner::Profile(id.as_str()))?;
        let mut stored = Stored {
            row: ProfileRow {
                id: id.to_string(),
                tenant_id: tenant.to_string(),
                account_id: account.to_string(),
                is_default: false,
                created_at: now,
                updated_at: now,
                email_verified_at: None,
                name_index: String::new(),
                email_index: None,
                persona: Vec::new(),
                data_key: Some(wrapped.bytes),
                data_key_master_id: Some(wrapped.master_key_id),
            },
            persona,
            key,
        };
        stored.seal(vault)?;
        Ok(stored)
    }

    pub fn open(vault: &Vault, row: ProfileRow) -> Result<Stored, ProfileError> {
        let key = match (&row.data_key, &row.data_key_master_id) {
            (Some(bytes), Some(master_key_id)) => {
                vault.data_key(KeyOwner::Profile(&row.id), bytes, master_key_id)?
            }
            _ => return Err(crate::keys::envelope::EnvelopeError::Corrupted.into()),
        };
        let persona = serde_json::from_slice(&key.open(PERSONA, &row.persona)?)
            .map_err(|_| crate::keys::envelope::EnvelopeError::Corrupted)?;
        Ok(Stored { row, persona, key })
    }

    /// Seals the persona into the row and recomputes its blind indexes.
    pub fn seal(&mut self, vault: &Vault) -> Result<(), ProfileError> {
        let tenant = TenantId::from_stored(self.row.tenant_id.clone());
        let json = serde_json::to_vec(&self.persona)
            .map_err(|_| crate::keys::envelope::EnvelopeError::TooLarge)?;
        self.row.persona = self.key.seal(PERSONA, &json)?;
        self.row.name_index = name_index(vault, &tenant, &self.row.account_id, &self.persona.name);
        self.row.email_index = self
            .persona
            .email
            .as_deref()
            .map(|e| email_index(vault, &tenant, &Email::from_stored(e.to_owned())));
        Ok(())
    }

    pub fn profile(&self) -> Profile {
        Profile {
            id: ProfileId::from_stored(self.row.id.clone()),
            account_id: AccountId::from_stored(self.row.account_id.clone()),
            name: self.persona.name.clone(),
            is_default: self.row.is_default,
            email: self.persona.email.clone().map(Email::from_stored),
            email_verified: self.row.email_verified_at.is_some(),
            picture: self.persona.picture.clone(),
            locale: self.persona.locale.clone(),
            attributes: self.persona.attributes.clone(),
            updated_at: self.row.updated_at,
        }
    }
}

/// Seals the profiles stored before personal data was sealed (an upgrade step, run between
/// migrations 16 and 17 by `startup`); returns how many.
pub fn seal_legacy(conn: &mut AnyConnection, vault: &Vault) -> Result<usize, ProfileError> {
    let plain = legacy::plaintext_profiles(conn)?;
    for p in &plain {
        let persona = Persona {
            name: p.name.clone(),
            email: p.email.clone(),
            picture: p.picture.clone(),
            locale: p.locale.clone(),
            attributes: serde_json::from_str(&p.attributes)
                .unwrap_or_else(|_| Value::Object(Default::default())),
            // Unknown before sealing: retention counts from the upgrade.
            attributes_set_at: Default::default(),
        };
        let stored = Stored::with_id(
            vault,
            &TenantId::from_stored(p.tenant_id.clone()),
            &AccountId::from_stored(p.account_id.clone()),
            ProfileId::from_stored(p.id.clone()),
            persona,
            0,
        )?;
        let row = &stored.row;
        // A new profile always carries its wrapped key; no row is written without one.
        let (Some(data_key), Some(master_key_id)) = (&row.data_key, &row.data_key_master_id) else {
            return Err(crate::keys::envelope::EnvelopeError::Corrupted.into());
        };
        legacy::seal_profile(
            conn,
            &p.id,
            &legacy::SealedValues {
                email_index: row.email_index.as_deref(),
                name_index: Some(&row.name_index),
                sealed: &row.persona,
                data_key,
                data_key_master_id: master_key_id,
            },
        )?;
    }
    Ok(plain.len())
}

/// The data key of a profile, to seal records about it (the address a consent came from);
/// `None` when the profile is gone.
pub fn profile_key(
    conn: &mut AnyConnection,
    vault: &Vault,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<Option<DataKey>, ProfileError> {
    let Some(row) = crate::db::accounts::find_profile(conn, tenant, profile)? else {
        return Ok(None);
    };
    match (&row.data_key, &row.data_key_master_id) {
        (Some(bytes), Some(master_key_id)) => Ok(Some(vault.data_key(
            KeyOwner::Profile(&row.id),
            bytes,
            master_key_id,
        )?)),
        _ => Ok(None),
    }
}
