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
        "A profile's permissions are the union of its roles'. Console permissions: tenant:admin, clients:read, clients:write, accounts:read, accounts:write, roles:write, settings:write, keys:write, audit:read, webhooks:write.".into(),
    ));
    let vault = call.state.keys.vault();
    let mut held = Vec::new();
    for r in roles {
        held.push(admin::roles::holders(call.conn, vault, &call.who, &r.name)?);
    }
    page.push(Block::Table(TableView {
        headers: vec!["Role", "Permissions", "Held by", ""],
        rows: roles
            .iter()
            .zip(&held)
            .map(|(r, people)| {
                vec![
                    Cell::Text(r.name.clone()),
                    Cell::Text(r.permissions.join(", ")),
                    Cell::Text(match people.len() {
                        0 => "nobody".into(),
                        1 => "1 profile".into(),
                        n => format!("{n} profiles"),
                    }),
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
    page.push(Block::Heading("Who holds which role".into()));
    page.push(Block::Table(TableView {
        headers: vec!["Role", "Person", "Profile", ""],
        rows: roles
            .iter()
            .zip(&held)
            .flat_map(|(r, people)| people.iter().map(move |p| (r.name.clone(), p)))
            .map(|(role, p)| {
                vec![
                    Cell::Text(role.clone()),
                    Cell::Link(link(
                        p.email.clone(),
                        call.url(&format!("/accounts/{}", p.account_id)),
                    )),
                    Cell::Text(p.profile_name.clone()),
                    danger_button(
                        call.url("/roles/revoke"),
                        "Take role",
                        vec![
                            ("role", role),
                            ("holder", "profile".into()),
                            ("holder_id", p.profile_id.clone()),
                        ],
                    ),
                ]
            })
            .collect(),
        empty: "No profile holds a role yet.",
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
                Field::text("holder_id", "Person's email, or client ID", "")
                    .required()
                    .hint("A person's email gives the role to their default profile (a profile ID works too); client IDs are on the client's page."),
                Field::text("profile_name", "Profile name (optional)", "")
                    .hint("For a person with several profiles: the one to change."),
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
        let holder = |call: &mut Call| {
            let id = form.holder_id.clone().unwrap_or_default().trim().to_owned();
            match form.holder.as_deref() {
                Some("client") => Ok(admin::roles::Holder {
                    profile_id: None,
                    client_id: Some(id),
                }),
                _ => admin::roles::person_holder(
                    call.conn,
                    call.state.keys.vault(),
                    &call.who,
                    &id,
                    form.profile_name.as_deref(),
                ),
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
            "grant" | "revoke" => holder(call).and_then(|holder| {
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
            }),
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
