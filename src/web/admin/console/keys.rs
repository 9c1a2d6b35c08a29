//! The console's keys section.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::{self, AdminError};
use crate::keys::KeyAlg;
use crate::web::AppState;

use super::page::*;
use super::*;

page_handler!(keys, "keys", keys_page);

fn keys_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let listed = admin::keys::list(call.conn, &call.who, &listing(call))?;
    let keys = &listed.items;
    let mut page = ConsolePage::new("Signing keys");
    page.push(Block::Text(
        "Rotation makes new keys active at once; earlier keys stay published (so tokens they signed still verify) until you retire them.".into(),
    ));
    page.push(Block::Table(TableView {
        headers: vec!["Key ID", "Algorithm", "Status", "Created", ""],
        rows: keys
            .iter()
            .map(|k| {
                let action = if k.status == "inactive" {
                    danger_button(
                        call.url("/keys/retire"),
                        "Retire",
                        vec![("kid", k.kid.clone())],
                    )
                } else {
                    Cell::Text(String::new())
                };
                vec![
                    Cell::Code(k.kid.clone()),
                    Cell::Text(k.alg.clone()),
                    Cell::Text(k.status.clone()),
                    Cell::Text(crate::web::when::describe(
                        k.created_at,
                        &call.ctx.tenant.branding.time_zone,
                    )),
                    action,
                ]
            })
            .collect(),
        empty: "No keys.",
    }));
    next_page(call, &mut page, "keys", listed.next.clone());
    page.push(Block::Form(
        FormView::post(
            "rotate",
            call.url("/keys/rotate"),
            "Rotate",
            vec![Field::select(
                "alg",
                "Algorithm",
                &[
                    ("", "All algorithms"),
                    ("RS256", "RS256"),
                    ("ES256", "ES256"),
                    ("EdDSA", "EdDSA"),
                ],
                "",
            )],
        )
        .titled("Rotate keys"),
    ));
    Ok(page)
}

pub async fn key_action(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let result = match call.param("action").as_str() {
            "rotate" => {
                // Empty means every algorithm; anything else must name one.
                match form
                    .alg
                    .as_deref()
                    .filter(|a| !a.is_empty())
                    .map(KeyAlg::parse)
                {
                    Some(None) => Err(AdminError::Invalid("Unknown algorithm.".into())),
                    choice => {
                        let algs: Vec<KeyAlg> = choice.flatten().into_iter().collect();
                        admin::keys::rotate(call.conn, call.state.keys.master(), &call.who, &algs)
                            .map(|_| "rotated")
                    }
                }
            }
            "retire" => admin::keys::retire(
                call.conn,
                &call.who,
                form.kid.as_deref().unwrap_or_default(),
            )
            .map(|_| "retired"),
            _ => return Err(AdminError::NotFound),
        };
        finish(
            call,
            ("keys", "/keys"),
            result,
            "No such key in this organisation.",
            keys_page,
        )
    })
    .await
}
