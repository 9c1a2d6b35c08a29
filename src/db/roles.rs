//! Roles, their permissions, and which profiles hold them.

use diesel::prelude::*;

use super::schema::{client_roles, profile_roles, profiles, role_permissions, roles};
use super::{AnyConnection, DbError};
use crate::domain::{ClientId, ProfileId, RoleId, TenantId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = roles)]
pub struct RoleRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub created_at: i64,
}

impl RoleRow {
    pub fn role_id(&self) -> RoleId {
        RoleId::from_stored(self.id.clone())
    }
}

pub fn insert(conn: &mut AnyConnection, row: &RoleRow) -> Result<(), DbError> {
    diesel::insert_into(roles::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_name(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    name: &str,
) -> Result<Option<RoleRow>, DbError> {
    Ok(roles::table
        .filter(roles::tenant_id.eq(tenant.as_str()))
        .filter(roles::name.eq(name))
        .select(RoleRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut AnyConnection, tenant: &TenantId) -> Result<Vec<RoleRow>, DbError> {
    Ok(roles::table
        .filter(roles::tenant_id.eq(tenant.as_str()))
        .order(roles::name.asc())
        .select(RoleRow::as_select())
        .load(conn)?)
}

pub fn delete(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &RoleId,
) -> Result<(), DbError> {
    diesel::delete(
        role_permissions::table
            .filter(role_permissions::tenant_id.eq(tenant.as_str()))
            .filter(role_permissions::role_id.eq(role_id.as_str())),
    )
    .execute(conn)?;
    diesel::delete(
        profile_roles::table
            .filter(profile_roles::tenant_id.eq(tenant.as_str()))
            .filter(profile_roles::role_id.eq(role_id.as_str())),
    )
    .execute(conn)?;
    diesel::delete(
        roles::table
            .filter(roles::tenant_id.eq(tenant.as_str()))
            .filter(roles::id.eq(role_id.as_str())),
    )
    .execute(conn)?;
    // Clients cache the permissions of the roles they hold.
    clients_changed(conn, tenant)
}

fn clients_changed(conn: &mut AnyConnection, tenant: &TenantId) -> Result<(), DbError> {
    super::notify::send(conn, super::notify::Notice::Clients(tenant.to_string()))
}

fn client_changed(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client: &ClientId,
) -> Result<(), DbError> {
    let notice = super::notify::Notice::Client(tenant.to_string(), client.to_string());
    super::notify::send(conn, notice)
}

pub fn permissions(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &RoleId,
) -> Result<Vec<String>, DbError> {
    permissions_of(conn, tenant, role_id.as_str())
}

fn permissions_of(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &str,
) -> Result<Vec<String>, DbError> {
    Ok(role_permissions::table
        .filter(role_permissions::tenant_id.eq(tenant.as_str()))
        .filter(role_permissions::role_id.eq(role_id))
        .order(role_permissions::permission.asc())
        .select(role_permissions::permission)
        .load(conn)?)
}

/// Adds a permission; false when the role already had it.
pub fn permit(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &RoleId,
    permission: &str,
) -> Result<bool, DbError> {
    if permissions(conn, tenant, role_id)?
        .iter()
        .any(|p| p == permission)
    {
        return Ok(false);
    }
    diesel::insert_into(role_permissions::table)
        .values((
            role_permissions::role_id.eq(role_id.as_str()),
            role_permissions::tenant_id.eq(tenant.as_str()),
            role_permissions::permission.eq(permission),
        ))
        .execute(conn)?;
    clients_changed(conn, tenant)?;
    Ok(true)
}

pub fn unpermit(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &RoleId,
    permission: &str,
) -> Result<bool, DbError> {
    let removed = diesel::delete(
        role_permissions::table
            .filter(role_permissions::tenant_id.eq(tenant.as_str()))
            .filter(role_permissions::role_id.eq(role_id.as_str()))
            .filter(role_permissions::permission.eq(permission)),
    )
    .execute(conn)?
        == 1;
    clients_changed(conn, tenant)?;
    Ok(removed)
}

pub fn grant(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &RoleId,
    profile: &ProfileId,
) -> Result<bool, DbError> {
    let held = profile_roles::table
        .filter(profile_roles::tenant_id.eq(tenant.as_str()))
        .filter(profile_roles::profile_id.eq(profile.as_str()))
        .filter(profile_roles::role_id.eq(role_id.as_str()))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if held {
        return Ok(false);
    }
    diesel::insert_into(profile_roles::table)
        .values((
            profile_roles::profile_id.eq(profile.as_str()),
            profile_roles::role_id.eq(role_id.as_str()),
            profile_roles::tenant_id.eq(tenant.as_str()),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn revoke(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &RoleId,
    profile: &ProfileId,
) -> Result<bool, DbError> {
    Ok(diesel::delete(
        profile_roles::table
            .filter(profile_roles::tenant_id.eq(tenant.as_str()))
            .filter(profile_roles::profile_id.eq(profile.as_str()))
            .filter(profile_roles::role_id.eq(role_id.as_str())),
    )
    .execute(conn)?
        == 1)
}

/// The profiles holding a role, with their accounts: (profile id, account id), by account.
pub fn holders(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &RoleId,
) -> Result<Vec<(String, String)>, DbError> {
    Ok(profile_roles::table
        .inner_join(profiles::table.on(profiles::id.eq(profile_roles::profile_id)))
        .filter(profile_roles::tenant_id.eq(tenant.as_str()))
        .filter(profile_roles::role_id.eq(role_id.as_str()))
        .order((profiles::account_id.asc(), profiles::id.asc()))
        .select((profiles::id, profiles::account_id))
        .load(conn)?)
}

/// A profile's roles (names) and the union of their permissions, both sorted.
pub fn authorization(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    profile: &ProfileId,
) -> Result<(Vec<String>, Vec<String>), DbError> {
    let held: Vec<(String, String)> = profile_roles::table
        .inner_join(roles::table)
        .filter(profile_roles::tenant_id.eq(tenant.as_str()))
        .filter(profile_roles::profile_id.eq(profile.as_str()))
        .order(roles::name.asc())
        .select((roles::id, roles::name))
        .load(conn)?;
    union(conn, tenant, held)
}

/// Gives a client a role; false when it already held it.
pub fn grant_client(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &RoleId,
    client_id: &ClientId,
) -> Result<bool, DbError> {
    let held = client_roles::table
        .filter(client_roles::tenant_id.eq(tenant.as_str()))
        .filter(client_roles::client_id.eq(client_id.as_str()))
        .filter(client_roles::role_id.eq(role_id.as_str()))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if held {
        return Ok(false);
    }
    diesel::insert_into(client_roles::table)
        .values((
            client_roles::client_id.eq(client_id.as_str()),
            client_roles::role_id.eq(role_id.as_str()),
            client_roles::tenant_id.eq(tenant.as_str()),
        ))
        .execute(conn)?;
    client_changed(conn, tenant, client_id)?;
    Ok(true)
}

pub fn revoke_client(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &RoleId,
    client_id: &ClientId,
) -> Result<bool, DbError> {
    let removed = diesel::delete(
        client_roles::table
            .filter(client_roles::tenant_id.eq(tenant.as_str()))
            .filter(client_roles::client_id.eq(client_id.as_str()))
            .filter(client_roles::role_id.eq(role_id.as_str())),
    )
    .execute(conn)?
        == 1;
    client_changed(conn, tenant, client_id)?;
    Ok(removed)
}

/// A client's roles (names) and the union of their permissions, both sorted.
/// The clients holding a role, by client id.
pub fn client_holders(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    role_id: &RoleId,
) -> Result<Vec<String>, DbError> {
    Ok(client_roles::table
        .filter(client_roles::tenant_id.eq(tenant.as_str()))
        .filter(client_roles::role_id.eq(role_id.as_str()))
        .select(client_roles::client_id)
        .order(client_roles::client_id.asc())
        .load(conn)?)
}

pub fn client_authorization(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    client_id: &ClientId,
) -> Result<(Vec<String>, Vec<String>), DbError> {
    let held: Vec<(String, String)> = client_roles::table
        .inner_join(roles::table)
        .filter(client_roles::tenant_id.eq(tenant.as_str()))
        .filter(client_roles::client_id.eq(client_id.as_str()))
        .order(roles::name.asc())
        .select((roles::id, roles::name))
        .load(conn)?;
    union(conn, tenant, held)
}

/// Role names and the union of the roles' permissions, sorted.
fn union(
    conn: &mut AnyConnection,
    tenant: &TenantId,
    held: Vec<(String, String)>,
) -> Result<(Vec<String>, Vec<String>), DbError> {
    let mut permissions: Vec<String> = Vec::new();
    for (role_id, _) in &held {
        permissions.extend(permissions_of(conn, tenant, role_id)?);
    }
    permissions.sort();
    permissions.dedup();
    Ok((
        held.into_iter().map(|(_, name)| name).collect(),
        permissions,
    ))
}
