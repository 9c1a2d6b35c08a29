//! The console's roles section.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::{self, AdminError};
use crate::web::AppState;

use super::page::*;
use super::*;

page_handler!(roles, "roles", roles_page);

fn roles_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let listed = admin::roles::list(call.conn, &call.who, &listing(call))?;
    let roles = &listed.items;
    let mut page = ConsolePage::new("Roles and permissions");
    page.push(Block::Text(
        "A profile's permissions are the union of its roles'. Console permissions: tenant:admin, clients:read, clients:write, accounts:read, accounts:write, roles:write, settings:write, keys:write, audit:read.".into(),
    ));
    page.push(Block::Table(TableView {
        headers: vec!["Role", "Permissions", ""],
        rows: roles
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.name.clone()),
                    Cell::Text(r.permissions.join(", ")),
                    danger_button(
                        call.url("/roles/delete"),
                        "Delete",
                        vec![("role", r.name.clone())],
                    ),
                ]
            })
            .collect(),
        empty: "No roles yet.",
    }));
    let names: Vec<(&str, &str)> = roles
        .iter()
        .map(|r| (r.name.as_str(), r.name.as_str()))
        .collect();
    next_page(call, &mut page, "roles", listed.next.clone());
    page.push(Block::Form(
        FormView::post(
            "new-role",
            call.url("/roles"),
            "Create role",
            vec![Field::text("role", "Name", "").required()],
        )
        .titled("New role"),
    ));
    if !roles.is_empty() {
        let permission_fields = || {
            vec![
                Field::select("role", "Role", &names, ""),
                Field::text("permission", "Permission", "")
                    .required()
                    .hint("e.g. clients:write or invoices:read"),
            ]
        };
        page.push(Block::Form(
            FormView::post(
                "permit",
                call.url("/roles/permit"),
                "Add permission",
                permission_fields(),
            )
            .titled("Add a permission"),
        ));
        page.push(Block::Form(
            FormView::post(
                "unpermit",
                call.url("/roles/unpermit"),
                "Remove permission",
                permission_fields(),
            )
            .titled("Remove a permission"),
        ));
        let holder_fields = || {
            vec![
                Field::select("role", "Role", &names, ""),
                Field::select(
                    "holder",
                    "Holder",
                    &[("profile", "Profile"), ("client", "Client")],
                    "profile",
                ),
                Field::text("holder_id", "Profile ID or client ID", "")
                    .required()
                    .hint(
                        "Profile IDs are on the account's page; client IDs on the client's page.",
                    ),
            ]
        };
        page.push(Block::Form(
            FormView::post(
                "grant",
                call.url("/roles/grant"),
                "Give role",
                holder_fields(),
            )
            .titled("Give a role"),
        ));
        page.push(Block::Form(
            FormView::post(
                "revoke",
                call.url("/roles/revoke"),
                "Take role",
                holder_fields(),
            )
            .titled("Take a role away"),
        ));
    }
    Ok(page)
}

pub async fn role_action(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let role = form.role.clone().unwrap_or_default();
        let permission = form.permission.clone().unwrap_or_default();
        let holder = || {
            let id = form.holder_id.clone().map(|s| s.trim().to_owned());
            match form.holder.as_deref() {
                Some("client") => admin::roles::Holder {
                    profile_id: None,
                    client_id: id,
                },
                _ => admin::roles::Holder {
                    profile_id: id,
                    client_id: None,
                },
            }
        };
        let action = call.param("action");
        let result = match action.as_str() {
            "" => admin::roles::create(call.conn, &call.who, &role).map(|_| "role_created"),
            "delete" => admin::roles::delete(call.conn, &call.who, &role).map(|_| "role_deleted"),
            "permit" | "unpermit" => admin::roles::set_permission(
                call.conn,
                &call.who,
                &role,
                &permission,
                action == "permit",
            )
            .map(|_| "role_changed"),
            "grant" | "revoke" => {
                let holder = holder();
                let result = admin::roles::set_holder(
                    call.conn,
                    &call.who,
                    &role,
                    &holder,
                    action == "grant",
                );
                if let (Ok(_), Some(client)) = (&result, &holder.client_id) {
                    crate::web::admin::api::forget_client(call.ctx, client);
                }
                result.map(|_| "role_changed")
            }
            _ => return Err(AdminError::NotFound),
        };
        finish(
            call,
            ("roles", "/roles"),
            result,
            "No such role, profile or client in this organisation.",
            roles_page,
        )
    })
    .await
}
