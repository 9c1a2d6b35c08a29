//! Typed ids: UUIDv7 strings (sortable by creation) that cannot be mixed up with each other.

use std::fmt;

use serde::Serialize;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Wraps an id read back from storage or from a trusted caller.
            pub fn from_stored(id: String) -> Self {
                Self(id)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// Ids arriving in requests are only lookup keys: a string that names nothing finds nothing.
        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

typed_id!(
    /// Identifies a tenant; every tenant-owned query takes one.
    TenantId
);
typed_id!(
    /// A signing key's id, published as `kid`.
    KeyId
);
typed_id!(
    /// A relying party's `client_id`.
    ClientId
);
typed_id!(
    /// A login inside one tenant.
    AccountId
);
typed_id!(
    /// A persona of an account; the default token subject.
    ProfileId
);
typed_id!(
    /// A browser session; published as `sid`.
    SessionId
);
typed_id!(
    /// What one authorization produced; codes and refresh-token families hang off it.
    GrantId
);
typed_id!(
    /// A role of one tenant.
    RoleId
);
typed_id!(
    /// A verified legal entity (person or organization) that accounts act for.
    CustomerId
);
