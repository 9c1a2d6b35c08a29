//! Profiles (personas) of an account, and the roles and permissions they hold. Persona data
//! only: credentials and account status live in `identity`.

pub mod attributes;
pub mod choice;
mod model;
mod roles;
mod sealed;
mod service;

pub use model::{NewProfile, Profile, ProfileChanges, ProfileError};
pub use roles::{authorization, Authorization, Role, RoleError};
pub use sealed::{email_index as profile_email_index, profile_key, seal_legacy};
pub use service::{
    absorb, create, create_default, create_for_new_accounts, delete, drop_expired_attributes, find,
    list, move_to, rename, set_default, update, FreshProfile,
};

pub mod role {
    //! Role administration.
    pub use super::roles::{
        client_authorization, create, delete, find, grant, grant_client, holders, list, permit,
        revoke, revoke_client, unpermit,
    };
}
