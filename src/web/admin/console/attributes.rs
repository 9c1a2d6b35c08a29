//! The console's attribute schema section: each custom profile attribute's type, whether it
//! is sensitive, the scope that releases it, and how long values are kept.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::{self, AdminError};
use crate::profiles::attributes::{AttributeKind, DefinitionChanges, NewDefinition};
use crate::web::AppState;

use super::page::*;
use super::*;

page_handler!(attributes, "attributes", attributes_page);

const KINDS: [(&str, &str); 4] = [
    ("string", "Text"),
    ("number", "Number"),
    ("boolean", "Yes / no"),
    ("date", "Date (YYYY-MM-DD)"),
];

const SCOPES: [(&str, &str); 3] = [
    ("", "Never in tokens"),
    ("profile", "With the profile scope"),
    ("email", "With the email scope"),
];

fn attributes_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let schema = admin::attributes::list(call.conn, &call.who)?;
    let mut page = ConsolePage::new("Profile attributes");
    page.push(Block::Text(
        "Custom attributes of profiles, sealed with the rest of their personal data. Sensitive ones are masked for administrators without pii:read; attributes not listed here are treated as sensitive and never put in tokens.".into(),
    ));
    page.push(Block::Table(TableView {
        headers: vec!["Name", "Type", "Sensitive", "In tokens", "Kept", ""],
        rows: schema
            .iter()
            .map(|d| {
                vec![
                    Cell::Code(d.name.clone()),
                    Cell::Text(
                        serde_json::json!(d.kind)
                            .as_str()
                            .unwrap_or_default()
                            .into(),
                    ),
                    Cell::Text(if d.sensitive { "yes" } else { "no" }.into()),
                    Cell::Text(
                        d.claim_scope
                            .as_deref()
                            .map_or("never".to_owned(), |s| format!("with {s}")),
                    ),
                    Cell::Text(
                        d.retention_days
                            .map_or("until changed".to_owned(), |n| format!("{n} days")),
                    ),
                    danger_button(
                        call.url("/attributes/remove"),
                        "Remove",
                        vec![("name", d.name.clone())],
                    ),
                ]
            })
            .collect(),
        empty: "No attributes declared.",
    }));
    page.push(Block::Form(
        FormView::post(
            "define-attribute",
            call.url("/attributes"),
            "Save attribute",
            vec![
                Field::text("name", "Name", "")
                    .required()
                    .hint("Letters, digits and _, starting with a letter; the claim's name in tokens. An existing name is changed."),
                Field::select("kind", "Type", &KINDS, "string"),
                Field::checkbox("sensitive", "Sensitive (masked for administrators)", false),
                Field::select("claim_scope", "Released in tokens", &SCOPES, ""),
                Field::input("retention_days", "Keep values for (days)", "number", "")
                    .hint("Empty: until changed or erased."),
            ],
        )
        .titled("Declare or change an attribute"),
    ));
    Ok(page)
}

pub async fn attribute_action(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let name = form.name.clone().unwrap_or_default().trim().to_owned();
        let result = match call.param("action").as_str() {
            "" => save(call, &form, &name),
            "remove" => {
                admin::attributes::remove(call.conn, &call.who, &name).map(|_| "attribute_removed")
            }
            _ => return Err(AdminError::NotFound),
        };
        if result.is_ok() {
            // Discovery's claims_supported is read with the tenant.
            crate::web::admin::forget_tenant(call.state, call.ctx.tenant.slug.as_str());
        }
        finish(
            call,
            ("attributes", "/attributes"),
            result,
            "No such attribute in the schema.",
            attributes_page,
        )
    })
    .await
}

/// Declares the attribute, or changes it to exactly what the form says.
fn save(call: &mut Call, form: &ConsoleForm, name: &str) -> Result<&'static str, AdminError> {
    let kind: AttributeKind =
        serde_json::from_value(serde_json::json!(form.kind.as_deref().unwrap_or("string")))
            .map_err(|_| AdminError::Invalid("unknown attribute type".into()))?;
    let retention = match form.retention_days.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(days) => Some(days.parse::<i64>().map_err(|_| {
            AdminError::Invalid("the retention must be a whole number of days".into())
        })?),
    };
    let claim_scope = form.claim_scope.clone().filter(|s| !s.is_empty());
    let exists = admin::attributes::list(call.conn, &call.who)?
        .iter()
        .any(|d| d.name == name);
    if exists {
        let changes = DefinitionChanges {
            kind: Some(kind),
            sensitive: Some(form.sensitive.is_some()),
            claim_scope: Some(claim_scope.unwrap_or_default()),
            retention_days: Some(retention.unwrap_or(0)),
        };
        admin::attributes::change(call.conn, &call.who, name, &changes)?;
    } else {
        let new = NewDefinition {
            name: name.to_owned(),
            kind,
            sensitive: form.sensitive.is_some(),
            claim_scope,
            retention_days: retention,
        };
        admin::attributes::create(call.conn, &call.who, &new)?;
    }
    Ok("attribute_saved")
}
