//! Tenants: the model, their lifecycle, issuer URLs, and finding the tenant of a request.

pub mod branding;
pub mod policy;
mod resolve;
pub(crate) mod service;

pub use resolve::{issuer, slug_from_host};
pub use service::{Tenant, TenantError, TenantStatus, INTERNAL_SLUG};

pub mod tenants {
    //! The tenant lifecycle, as called by the CLI and (later) the admin console and API.
    pub use super::branding::{set_branding, BrandingChanges};
    pub use super::service::{create, find, list, resolve, set_policy, set_status, PolicyChanges};
}
