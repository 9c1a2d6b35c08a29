//! The console's consent purposes section: what this organisation asks people to agree to,
//! with every version, and forms to define, publish and retire.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::{self, AdminError};
use crate::consent::purposes::{NewPurpose, NewVersion};
use crate::web::AppState;

use super::page::*;
use super::*;

page_handler!(purposes, "purposes", purposes_page);

fn purposes_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let listed = admin::purposes::list(call.conn, &call.who, &listing(call))?;
    let mut page = ConsolePage::new("Consent purposes");
    page.push(Block::Text(
        "What people agree to beyond an app's scopes. A client lists the purposes it needs; at sign-in a person is asked for each one they have not accepted as it now stands. Publishing a new version asks again everyone who accepted an earlier one, showing what changed.".into(),
    ));
    page.push(Block::Table(TableView {
        headers: vec![
            "Key",
            "Name",
            "Version",
            "Required",
            "Published",
            "Status",
            "",
        ],
        rows: listed
            .items
            .iter()
            .map(|p| {
                let current = p.current();
                vec![
                    Cell::Code(p.key.clone()),
                    Cell::Text(p.name.clone()),
                    Cell::Text(current.map(|v| v.version.to_string()).unwrap_or_default()),
                    Cell::Text(
                        match current.is_some_and(|v| v.required) {
                            true => "required",
                            false => "optional",
                        }
                        .into(),
                    ),
                    Cell::Text(
                        current
                            .map(|v| {
                                crate::web::when::describe_rfc3339(
                                    &v.published_at,
                                    &call.ctx.tenant.branding.time_zone,
                                )
                            })
                            .unwrap_or_default(),
                    ),
                    Cell::Text(if p.retired { "retired" } else { "asked" }.into()),
                    if p.retired {
                        Cell::Text(String::new())
                    } else {
                        danger_button(
                            call.url("/purposes/retire"),
                            "Retire",
                            vec![("key", p.key.clone())],
                        )
                    },
                ]
            })
            .collect(),
        empty: "No consent purposes yet.",
    }));
    next_page(call, &mut page, "purposes", listed.next.clone());
    let terms_fields = || {
        vec![
            Field::area("text", "Text people agree to", "")
                .hint("Or give the address where it is published below (at least one)."),
            Field::text("url", "Published at (https URL)", ""),
        ]
    };
    let mut fields = vec![
        Field::text("key", "Key", "")
            .required()
            .hint("Lowercase letters, digits and '-', e.g. terms or marketing-email. Clients name it; it never changes."),
        Field::text("name", "Name", "").required(),
        Field::checkbox("required", "Required to use the clients that need it", false),
    ];
    fields.extend(terms_fields());
    page.push(Block::Form(
        FormView::post(
            "new-purpose",
            call.url("/purposes"),
            "Define purpose",
            fields,
        )
        .titled("New purpose"),
    ));
    let asked: Vec<(&str, &str)> = listed
        .items
        .iter()
        .filter(|p| !p.retired)
        .map(|p| (p.key.as_str(), p.name.as_str()))
        .collect();
    if !asked.is_empty() {
        let mut fields = vec![
            Field::select("key", "Purpose", &asked, ""),
            Field::text("changes", "What changed", "").required().hint(
                "Shown to everyone asked again, e.g. \"We now also send product news by e-mail\".",
            ),
            Field::checkbox("required", "Required", false),
        ];
        fields.extend(terms_fields());
        page.push(Block::Form(
            FormView::post(
                "publish-purpose",
                call.url("/purposes/publish"),
                "Publish version",
                fields,
            )
            .titled("Publish a new version"),
        ));
    }
    Ok(page)
}

pub async fn purpose_action(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let key = form.key.clone().unwrap_or_default();
        let result = match call.param("action").as_str() {
            "" => admin::purposes::create(
                call.conn,
                &call.who,
                &NewPurpose {
                    key: key.clone(),
                    name: form.name.clone().unwrap_or_default(),
                    required: form.required.is_some(),
                    text: form.text.clone(),
                    url: form.url.clone(),
                },
            )
            .map(|_| "purpose_created"),
            "publish" => admin::purposes::publish(
                call.conn,
                &call.who,
                &key,
                &NewVersion {
                    required: Some(form.required.is_some()),
                    text: form.text.clone(),
                    url: form.url.clone(),
                    changes: form.changes.clone().unwrap_or_default(),
                },
            )
            .map(|_| "purpose_published"),
            "retire" => {
                admin::purposes::retire(call.conn, &call.who, &key).map(|_| "purpose_retired")
            }
            _ => return Err(AdminError::NotFound),
        };
        finish(
            call,
            ("purposes", "/purposes"),
            result,
            "No such purpose in this organisation.",
            purposes_page,
        )
    })
    .await
}
