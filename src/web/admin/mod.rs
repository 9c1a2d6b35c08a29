//! The tenant console (`{issuer}/admin`, HTML) and the admin REST API
//! (`{issuer}/admin/api/v1`, JSON). Both only authenticate the caller and translate: the
//! permission checks, the changes and their audit entries live in `crate::admin`, so the two
//! surfaces cannot disagree about who may do what.

pub mod api;
pub mod console;
mod openapi;
pub mod platform;

use super::AppState;

/// Settings changed: this node forgets its cached copy of the tenant at once (other nodes
/// within the cache TTL), so the next page already shows them.
fn forget_tenant(state: &AppState, slug: &str) {
    state.tenants.remove(&slug.to_owned());
}
