//! Tenant settings: policies (passwords, second factor, sign-up, verification, lifetimes) and
//! branding (display name, logo, accent colour).

use serde::Serialize;
use serde_json::json;

use super::{audited, AdminError, Audited, Permission, Principal};
use crate::config::Settings;
use crate::db::AnyConnection;
use crate::tenancy::branding::Branding;
use crate::tenancy::policy::TenantPolicy;
use crate::tenancy::tenants::{self, BrandingChanges, PolicyChanges};
use crate::tenancy::{Tenant, TenantError};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TenantSettings {
    pub slug: String,
    /// The display name shown on hosted pages.
    pub name: String,
    pub policy: TenantPolicy,
    pub branding: Branding,
}

impl From<&Tenant> for TenantSettings {
    fn from(tenant: &Tenant) -> TenantSettings {
        TenantSettings {
            slug: tenant.slug.to_string(),
            name: tenant.name.clone(),
            policy: tenant.policy.clone(),
            branding: tenant.branding.clone(),
        }
    }
}

fn tenant_error(e: TenantError) -> AdminError {
    match e {
        TenantError::NotFound(_) => AdminError::NotFound,
        TenantError::Db(e) => e.into(),
        other => AdminError::Invalid(other.to_string()),
    }
}

/// The tenant as stored now (the request's copy may be up to the cache TTL old).
fn fresh(conn: &mut AnyConnection, who: &Principal, tenant: &Tenant) -> Result<Tenant, AdminError> {
    if &tenant.id != who.tenant() {
        return Err(AdminError::NotFound);
    }
    tenants::find(conn, tenant.slug.as_str()).map_err(tenant_error)
}

pub fn get(
    conn: &mut AnyConnection,
    who: &Principal,
    tenant: &Tenant,
) -> Result<TenantSettings, AdminError> {
    who.require(Permission::SettingsWrite)?;
    Ok(TenantSettings::from(&fresh(conn, who, tenant)?))
}

/// Changes the tenant's policy; lifetime overrides are bounded by `instance`'s settings.
pub fn set_policy(
    conn: &mut AnyConnection,
    instance: &Settings,
    who: &Principal,
    tenant: &Tenant,
    changes: PolicyChanges,
) -> Result<TenantSettings, AdminError> {
    who.require(Permission::SettingsWrite)?;
    let tenant = fresh(conn, who, tenant)?;
    audited(conn, who, "settings.policy", |conn| {
        let before = serde_json::to_value(&tenant.policy).unwrap_or_default();
        let updated = tenants::set_policy(conn, instance, tenant.slug.as_str(), changes.clone())
            .map_err(tenant_error)?;
        let after = serde_json::to_value(&updated.policy).unwrap_or_default();
        Ok(Audited {
            target: updated.slug.to_string(),
            details: json!({ "before": before, "after": after }),
            result: TenantSettings::from(&updated),
        })
    })
}

pub fn set_branding(
    conn: &mut AnyConnection,
    who: &Principal,
    tenant: &Tenant,
    changes: &BrandingChanges,
) -> Result<TenantSettings, AdminError> {
    who.require(Permission::SettingsWrite)?;
    let tenant = fresh(conn, who, tenant)?;
    audited(conn, who, "settings.branding", |conn| {
        let updated = tenants::set_branding(conn, &tenant, changes).map_err(tenant_error)?;
        Ok(Audited {
            target: updated.slug.to_string(),
            details: json!({
                "name": updated.name,
                "logo_url": updated.branding.logo_url,
                "accent_color": updated.branding.accent_color,
                "texts": updated.branding.texts,
                "time_zone": updated.branding.time_zone,
            }),
            result: TenantSettings::from(&updated),
        })
    })
}
