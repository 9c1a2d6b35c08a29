//! The console's APIs section (RFC 8707 resources): the APIs this organisation's access
//! tokens can be for, their scopes, and which clients may ask for which of them.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::{self, AdminError, Permission};
use crate::keys::KeyAlg;
use crate::resources::{ClientAccess, NewResource, ResourceChanges};
use crate::web::AppState;

use super::page::*;
use super::*;

page_handler!(resources, "resources", resources_page);

fn words(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn resources_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let listed = admin::resources::list(call.conn, &call.who, &listing(call))?;
    let writes = call.who.may(Permission::ClientsWrite);
    let mut page = ConsolePage::new("APIs");
    page.push(Block::Text(
        "An API is what an access token can be for. A client names it with the resource parameter (RFC 8707); its tokens then carry the API's identifier as aud and only the API's scopes this client may ask for. Without a resource, tokens are for this issuer (userinfo) as before.".into(),
    ));
    let action = |call: &Call, verb: &str| call.url(&format!("/resources/{verb}"));
    let mut rows = Vec::new();
    for r in &listed.items {
        let clients = r
            .clients
            .iter()
            .map(|a| format!("{}: {}", a.client_id, a.scopes.join(" ")))
            .collect::<Vec<_>>()
            .join("; ");
        let mut row = vec![
            Cell::Code(r.identifier.clone()),
            Cell::Text(r.name.clone()),
            Cell::Text(r.scopes.join(" ")),
            Cell::Text(if clients.is_empty() {
                "none yet".into()
            } else {
                clients
            }),
            Cell::Text(
                r.access_token_lifetime_secs
                    .map_or_else(|| "tenant's".into(), |s| format!("{s} s")),
            ),
            Cell::Text(
                r.signing_alg
                    .map_or_else(|| "client's".into(), |a| a.to_string()),
            ),
            Cell::Text(r.introspection_client_id.clone().unwrap_or_default()),
        ];
        if writes {
            row.push(danger_button(
                action(call, "delete"),
                "Delete",
                vec![("resource_id", r.id.clone())],
            ));
        }
        rows.push(row);
    }
    let mut headers = vec![
        "Identifier",
        "Name",
        "Scopes",
        "Clients",
        "Token lifetime",
        "Algorithm",
        "Introspected by",
    ];
    if writes {
        headers.push("");
    }
    page.push(Block::Table(TableView {
        headers,
        rows,
        empty: "No APIs yet: tokens are for this issuer only.",
    }));
    next_page(call, &mut page, "resources", listed.next.clone());
    if !writes {
        return Ok(page);
    }
    let algs: Vec<(&str, &str)> = std::iter::once(("", "The client's"))
        .chain(KeyAlg::ALL.iter().map(|a| (a.as_str(), a.as_str())))
        .collect();
    page.push(Block::Form(
        FormView::post(
            "new-resource",
            call.url("/resources"),
            "Register",
            vec![
                Field::text("identifier", "Identifier", "")
                    .required()
                    .hint("An absolute URI without query or fragment, e.g. https://api.example.com/orders"),
                Field::text("name", "Name", "").required().hint("Shown to people on the consent page."),
                Field::text("scopes", "Scopes", "")
                    .required()
                    .hint("Space- or comma-separated, e.g. orders:read orders:write"),
                Field::input("lifetime_secs", "Token lifetime (seconds)", "number", "")
                    .hint("60 to 86400; empty for the organisation's access-token lifetime."),
                Field::select("alg", "Signing algorithm", &algs, ""),
                Field::text("introspection_client", "Introspecting client", "")
                    .hint("The API's own client_id: it may introspect the tokens issued for this API."),
            ],
        )
        .titled("Register an API"),
    ));
    if !listed.items.is_empty() {
        let apis: Vec<(String, String)> = listed
            .items
            .iter()
            .map(|r| (r.id.clone(), r.identifier.clone()))
            .collect();
        let options: Vec<(&str, &str)> =
            apis.iter().map(|(v, l)| (v.as_str(), l.as_str())).collect();
        page.push(Block::Form(
            FormView::post(
                "resource-access",
                action(call, "access"),
                "Save",
                vec![
                    Field::select("resource_id", "API", &options, ""),
                    Field::text("holder_id", "Client", "")
                        .required()
                        .hint("The client_id."),
                    Field::text("scopes", "Scopes it may ask for", "")
                        .hint("Some of the API's scopes; empty to take the client off the API."),
                ],
            )
            .titled("Which client may ask for what"),
        ));
    }
    Ok(page)
}

pub async fn resource_action(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, move |call, form| {
        let id = form.resource_id.clone().unwrap_or_default();
        let result = match call.param("action").as_str() {
            "" => {
                let lifetime = match form.lifetime_secs.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(text) => match text.parse::<i64>() {
                        Ok(secs) => Some(secs),
                        Err(_) => {
                            return retry(
                                call,
                                "resources",
                                AdminError::Invalid(
                                    "the token lifetime is a number of seconds".into(),
                                ),
                                resources_page,
                            )
                        }
                    },
                };
                let new = NewResource {
                    identifier: form.identifier.clone().unwrap_or_default(),
                    name: form.name.clone().unwrap_or_default(),
                    scopes: words(form.scopes.as_deref()),
                    access_token_lifetime_secs: lifetime,
                    signing_alg: form.alg.as_deref().and_then(KeyAlg::parse),
                    introspection_client_id: form.introspection_client.clone(),
                    clients: Vec::new(),
                };
                admin::resources::create(call.conn, &call.who, &new).map(|_| "resource_created")
            }
            "access" => {
                let client = form.holder_id.clone().unwrap_or_default().trim().to_owned();
                let scopes = words(form.scopes.as_deref());
                match admin::resources::get(call.conn, &call.who, &id) {
                    Ok(current) => {
                        let mut clients: Vec<ClientAccess> = current
                            .clients
                            .into_iter()
                            .filter(|a| a.client_id != client)
                            .collect();
                        if !scopes.is_empty() {
                            clients.push(ClientAccess {
                                client_id: client,
                                scopes,
                            });
                        }
                        let changes = ResourceChanges {
                            clients: Some(clients),
                            ..ResourceChanges::default()
                        };
                        admin::resources::update(call.conn, &call.who, &id, &changes)
                            .map(|_| "resource_access")
                    }
                    Err(e) => Err(e),
                }
            }
            "delete" => {
                admin::resources::delete(call.conn, &call.who, &id).map(|_| "resource_deleted")
            }
            _ => return Err(AdminError::NotFound),
        };
        finish(
            call,
            ("resources", "/resources"),
            result,
            "No such API in this organisation.",
            resources_page,
        )
    })
    .await
}
