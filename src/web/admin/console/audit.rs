//! The console's audit section.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::{self, AdminError, Page, PageRequest};
use crate::db::audit::AuditFilter;
use crate::db::DbError;
use crate::web::pages::respond;
use crate::web::AppState;

use super::accounts::reveal_form;
use super::page::*;
use super::*;

page_handler!(audit, "audit", audit_page);

/// `YYYY-MM-DD` as the Unix time of that day's start (UTC), plus `end_of_day` seconds.
fn day(input: Option<&str>, end_of_day: bool) -> Option<i64> {
    let input = input?.trim();
    let mut parts = input.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let start = date.midnight().assume_utc().unix_timestamp();
    Some(if end_of_day { start + 86_399 } else { start })
}

fn audit_filter(flash: &Flash) -> AuditFilter {
    AuditFilter::new(
        flash.actor.as_deref(),
        flash.action.as_deref(),
        day(flash.from.as_deref(), false),
        day(flash.to.as_deref(), true),
    )
}

fn audit_query(flash: &Flash) -> String {
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("actor", &flash.actor),
        ("action", &flash.action),
        ("from", &flash.from),
        ("to", &flash.to),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            pairs.append_pair(name, value);
        }
    }
    pairs.finish()
}

fn mask_ip(ip: &str) -> String {
    if let Some((head, _)) = ip.rsplit_once('.') {
        format!("{head}.•")
    } else if let Some((head, _)) = ip.rsplit_once(':') {
        format!("{head}:•")
    } else {
        ip.to_owned()
    }
}

fn audit_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let flash: Flash = call.query();
    let filter = audit_filter(&flash);
    let found: Page<admin::audit_log::AuditEntry> = admin::audit_log::list(
        call.conn,
        &call.who,
        &filter,
        &PageRequest {
            limit: Some(50),
            after: flash.after.clone(),
        },
    )?;
    let mut page = ConsolePage::new("Audit log");
    page.push(Block::Form(FormView {
        method: "get",
        ..FormView::post(
            "filter",
            call.url("/audit"),
            "Filter",
            vec![
                Field::text("actor", "Actor", flash.actor.clone().unwrap_or_default())
                    .hint("A profile ID, client ID, account ID or cli."),
                Field::text("action", "Action", flash.action.clone().unwrap_or_default())
                    .hint("Exact (client.create) or an area ending in a dot (client.)."),
                Field::input(
                    "from",
                    "From (UTC day)",
                    "date",
                    flash.from.clone().unwrap_or_default(),
                ),
                Field::input(
                    "to",
                    "To (UTC day)",
                    "date",
                    flash.to.clone().unwrap_or_default(),
                ),
            ],
        )
    }));
    // Addresses and details are personal data: shown only as an audited reveal.
    let revealed = flash
        .reveal(&call.who)
        .record(call.conn, &call.who, "audit log", "audit")?;
    // People, not only ids: each actor and target that names a profile or an account.
    let mut names = std::collections::HashMap::new();
    for e in &found.items {
        for id in [&e.actor, &e.target] {
            if !names.contains_key(id) {
                let name = crate::admin::people::name_of(
                    call.conn,
                    call.state.keys.vault(),
                    &call.who,
                    id,
                )?;
                names.insert(id.clone(), name);
            }
        }
    }
    let named = |id: &String| match names.get(id).cloned().flatten() {
        Some(name) => Cell::Text(format!("{name} ({id})")),
        None => Cell::Code(id.clone()),
    };
    page.push(Block::Table(TableView {
        headers: vec![
            "#", "Time", "Actor", "Action", "Target", "Address", "Details",
        ],
        rows: found
            .items
            .iter()
            .map(|e| {
                vec![
                    Cell::Text(e.seq.to_string()),
                    Cell::Text(crate::web::when::describe_rfc3339(
                        &e.at,
                        &call.ctx.tenant.branding.time_zone,
                    )),
                    named(&e.actor),
                    Cell::Text(e.action.clone()),
                    named(&e.target),
                    Cell::Text(if revealed {
                        e.ip.clone()
                    } else {
                        mask_ip(&e.ip)
                    }),
                    Cell::Code(if revealed {
                        e.details.to_string()
                    } else {
                        "hidden".into()
                    }),
                ]
            })
            .collect(),
        empty: "No matching entries.",
    }));
    let query = audit_query(&flash);
    let reveal = match flash.reveal(&call.who) {
        crate::admin::accounts::Reveal::Because(reason) if revealed => {
            format!("&reveal=1&reason={}", urlencode(reason))
        }
        _ => String::new(),
    };
    if let Some(next) = &found.next {
        page.push(Block::Link(link(
            "Older entries",
            call.url(&format!("/audit?{query}&after={next}{reveal}")),
        )));
    }
    page.push(Block::Link(link(
        "Export the matching entries (JSON lines)",
        call.url(&format!("/audit/export?{query}")),
    )));
    let keep = vec![
        ("actor", flash.actor.clone().unwrap_or_default()),
        ("action", flash.action.clone().unwrap_or_default()),
        ("from", flash.from.clone().unwrap_or_default()),
        ("to", flash.to.clone().unwrap_or_default()),
    ];
    if let Some(block) = reveal_form(call, &flash, "/audit", keep) {
        page.push(block);
    }
    Ok(page)
}

/// `GET {issuer}/admin/audit/export`: the matching entries as a JSON-lines download.
pub async fn audit_export(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
) -> HttpResponse {
    let frame = admin.frame.clone();
    let flash = web::Query::<Flash>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let (who, page_frame) = (admin.who, frame.clone());
    let result = state
        .db
        .run(move |conn| {
            let lines = admin::audit_log::export(conn, &who, &audit_filter(&flash));
            Ok::<_, DbError>(lines.map_err(|e| denied_outcome(&page_frame, Denied::Admin(e))))
        })
        .await;
    match result {
        Ok(Ok(lines)) => HttpResponse::Ok()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .insert_header((
                actix_web::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.jsonl\"",
            ))
            .content_type("application/x-ndjson")
            .body(lines),
        Ok(Err(outcome)) => respond(outcome, vec![]),
        Err(e) => respond(frame.error(&e), vec![]),
    }
}
