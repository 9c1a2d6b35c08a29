//! The console's webhooks section: where this organisation's change events go, what waits,
//! what was given up (dead letters, sent again from here), and a form to subscribe a URL.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::{self, AdminError};
use crate::web::AppState;
use crate::webhooks::{DeliveryState, NewSubscription, SubscriptionChanges};

use super::page::*;
use super::*;

page_handler!(webhooks, "webhooks", webhooks_page);

/// Dead letters listed per subscription.
const DEAD_SHOWN: usize = 50;

fn webhooks_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let listed = admin::webhooks::list(call.conn, &call.who, &listing(call))?;
    let zone = call.ctx.tenant.branding.time_zone.clone();
    let mut page = ConsolePage::new("Webhooks");
    page.push(Block::Text(
        "Each change to an account, profile, consent, role membership or session becomes an event; a subscription sends the types it names to its URL, signed as Standard Webhooks (verify webhook-signature with the secret shown when you subscribe). Failed deliveries are retried with growing pauses; after the last attempt they wait below as dead letters until you send them again.".into(),
    ));
    let action = |call: &Call, verb: &str| call.url(&format!("/webhooks/{verb}"));
    let mut dead_rows = Vec::new();
    let mut rows = Vec::new();
    for view in &listed.items {
        let s = &view.subscription;
        let id = || vec![("webhook_id", s.id.clone())];
        let toggle = if s.enabled {
            button(action(call, "pause"), "Pause", id())
        } else {
            button(action(call, "resume"), "Resume", id())
        };
        rows.push(vec![
            Cell::Code(s.url.clone()),
            Cell::Text(s.event_types.join(", ")),
            Cell::Text(if s.include_personal_data { "yes" } else { "no" }.into()),
            Cell::Text(if s.enabled { "sending" } else { "paused" }.into()),
            Cell::Text(view.backlog.pending.to_string()),
            Cell::Text(view.backlog.dead.to_string()),
            toggle,
            button(action(call, "rotate"), "New secret", id()),
            danger_button(action(call, "delete"), "Delete", id()),
        ]);
        if view.backlog.dead > 0 {
            let dead = admin::webhooks::deliveries(
                call.conn,
                &call.who,
                &s.id,
                Some(DeliveryState::Dead),
                DEAD_SHOWN,
            )?;
            for d in dead {
                dead_rows.push(vec![
                    Cell::Code(s.url.clone()),
                    Cell::Code(d.event_id.clone()),
                    Cell::Text(d.attempts.to_string()),
                    Cell::Text(d.last_error.clone().unwrap_or_default()),
                    Cell::Text(
                        d.finished_at
                            .as_deref()
                            .map(|at| crate::web::when::describe_rfc3339(at, &zone))
                            .unwrap_or_default(),
                    ),
                    button(
                        action(call, "redeliver"),
                        "Send again",
                        vec![("webhook_id", s.id.clone()), ("delivery_id", d.id.clone())],
                    ),
                ]);
            }
        }
    }
    page.push(Block::Table(TableView {
        headers: vec![
            "URL",
            "Events",
            "Personal data",
            "State",
            "Pending",
            "Dead",
            "",
            "",
            "",
        ],
        rows,
        empty: "No subscriptions yet.",
    }));
    next_page(call, &mut page, "webhooks", listed.next.clone());
    if !dead_rows.is_empty() {
        page.push(Block::Heading("Dead letters".into()));
        page.push(Block::Table(TableView {
            headers: vec!["URL", "Event", "Attempts", "Last error", "Given up", ""],
            rows: dead_rows,
            empty: "",
        }));
    }
    let types: Vec<String> = crate::events::Kind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    page.push(Block::Form(
        FormView::post(
            "new-webhook",
            call.url("/webhooks"),
            "Subscribe",
            vec![
                Field::text("url", "URL", "")
                    .required()
                    .hint("https://… (plain http only to localhost). It must answer 2xx within the outbound deadline."),
                Field::text("event_types", "Event types", "*").required().hint(
                    "Comma-separated: event types, areas such as profile.*, or * for all. See docs/events.md.",
                ),
                Field::checkbox(
                    "personal_data",
                    "Include personal values (email, names, attributes; sensitive ones stay masked)",
                    false,
                ),
                Field::text("description", "Description", ""),
            ],
        )
        .titled("New subscription"),
    ));
    page.push(Block::Facts(vec![("Event types".into(), types.join(", "))]));
    Ok(page)
}

fn event_types(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

pub async fn webhook_action(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    let master = state.keys.clone();
    act(state, admin, req, form, move |call, form| {
        let id = form.webhook_id.clone().unwrap_or_default();
        let pause = |enabled: bool| SubscriptionChanges {
            enabled: Some(enabled),
            ..SubscriptionChanges::default()
        };
        let result = match call.param("action").as_str() {
            "" => {
                let new = NewSubscription {
                    url: form.url.clone().unwrap_or_default(),
                    event_types: event_types(form.event_types.as_deref()),
                    include_personal_data: form.personal_data.is_some(),
                    description: form.description.clone().unwrap_or_default(),
                };
                return match admin::webhooks::create(call.conn, &call.who, master.master(), &new) {
                    Ok(created) => shown_once(call, "The subscription was created.", created.secret),
                    Err(e) => retry(call, "webhooks", e, webhooks_page),
                };
            }
            "rotate" => {
                return match admin::webhooks::rotate_secret(call.conn, &call.who, master.master(), &id) {
                    Ok(secret) => shown_once(call, "The secret was replaced: deliveries are signed with the new one from now on.", secret),
                    Err(e) => retry(call, "webhooks", e, webhooks_page),
                };
            }
            "pause" => admin::webhooks::update(call.conn, &call.who, &id, &pause(false))
                .map(|_| "webhook_paused"),
            "resume" => admin::webhooks::update(call.conn, &call.who, &id, &pause(true))
                .map(|_| "webhook_resumed"),
            "delete" => admin::webhooks::delete(call.conn, &call.who, &id).map(|_| "webhook_deleted"),
            "redeliver" => admin::webhooks::redeliver(
                call.conn,
                &call.who,
                &id,
                form.delivery_id.as_deref(),
            )
            .map(|_| "webhook_redelivered"),
            _ => return Err(AdminError::NotFound),
        };
        finish(
            call,
            ("webhooks", "/webhooks"),
            result,
            "No such subscription in this organisation.",
            webhooks_page,
        )
    })
    .await
}

/// The section again with a secret that is shown this once.
fn shown_once(call: &mut Call, notice: &str, secret: String) -> Result<Answer, AdminError> {
    let mut page = webhooks_page(call)?;
    page.notice = Some(notice.into());
    page.blocks.insert(
        0,
        Block::Secret(SecretView {
            label: "Signing secret".into(),
            value: secret,
        }),
    );
    Ok(Answer::Page(StatusCode::OK, "webhooks", page))
}
