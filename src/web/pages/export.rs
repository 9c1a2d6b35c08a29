//! `POST {issuer}/account/export`: a person downloads what Tessera holds about them
//! (`privacy::export`), after re-entering their password, as JSON or as a readable page.
//! A few per minute per account; each one audited.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::account::AccountForm;
use super::{respond, Outcome, PageFrame};
use crate::db::DbError;
use crate::i18n::Texts;
use crate::identity::signin;
use crate::privacy::export::Export;
use crate::web::extract::{ClientIp, CsrfForm, SignedIn};
use crate::web::AppState;

/// Exports per account and minute.
const EXPORTS_PER_MINUTE: i64 = 3;

#[derive(Template)]
#[template(path = "export.html")]
struct ExportPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    export: &'a Export,
    attributes: Vec<String>,
}

enum Answer {
    Back(&'static str),
    Export(Box<Export>),
}

pub async fn account_export(
    state: web::Data<AppState>,
    user: SignedIn,
    req: HttpRequest,
    ip: ClientIp,
    form: CsrfForm<AccountForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &user.tenant, &req);
    let form = form.into_inner();
    let (app, issuer, slug) = (
        state.clone(),
        frame.issuer.clone(),
        user.tenant.slug.to_string(),
    );
    let html = form.format.as_deref() == Some("html");
    let answer = state
        .db
        .run(move |conn| {
            let (tenant, session) = (&user.tenant, &user.session);
            let attempt = signin::Attempt {
                tenant: &tenant.id,
                vault: app.keys.vault(),
                security: &app.settings.security,
                sessions: &app.settings.sessions,
                ip: &ip.0,
                browser_hash: "",
                previous_session: None,
            };
            let current = form.current_password.as_deref().unwrap_or_default();
            let hasher = &app.password_hasher;
            let account = &session.account_id;
            match signin::reauthenticate_password(conn, hasher, &attempt, account, current)? {
                signin::Reauth::Confirmed => {}
                signin::Reauth::Refused => return Ok(Answer::Back("wrong_password")),
                signin::Reauth::RateLimited(_) => return Ok(Answer::Back("rate_limited")),
            }
            let scope = format!("export:{}", tenant.id);
            if crate::rate_limit::hit(conn, &scope, account.as_str(), EXPORTS_PER_MINUTE)?.is_some()
            {
                return Ok(Answer::Back("rate_limited"));
            }
            let export =
                crate::privacy::export::export(conn, app.keys.vault(), &tenant.id, &slug, account)
                    .map_err(|e| match e {
                        crate::privacy::export::ExportError::Db(e) => e,
                        other => DbError::Unreadable(other.to_string()),
                    })?;
            crate::db::tx::write(conn, |conn| {
                crate::audit::record(
                    conn,
                    &tenant.id,
                    crate::audit::Event {
                        actor: account.as_str(),
                        action: "account.export",
                        target: account.as_str(),
                        ip: &ip.0,
                        details: serde_json::json!({}),
                    },
                )
            })?;
            Ok::<_, DbError>(Answer::Export(Box::new(export)))
        })
        .await;
    match answer {
        Ok(Answer::Back(code)) => respond(
            Outcome::Redirect(format!("{issuer}/account?error={code}")),
            vec![],
        ),
        Ok(Answer::Export(export)) if html => {
            let attributes = export
                .profiles
                .iter()
                .map(|p| serde_json::to_string_pretty(&p.attributes).unwrap_or_default())
                .collect();
            let page = ExportPage {
                issuer: &frame.issuer,
                tenant_name: &frame.tenant_name,
                t: &frame.t,
                export: &export,
                attributes,
            }
            .render();
            respond(frame.page(page), vec![])
        }
        Ok(Answer::Export(export)) => match serde_json::to_vec_pretty(&export) {
            Ok(body) => HttpResponse::Ok()
                .content_type("application/json")
                .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"tessera-export-{}.json\"",
                        export.tenant
                    ),
                ))
                .body(body),
            Err(_) => respond(frame.failure(), vec![]),
        },
        Err(e) => respond(frame.error(&e), vec![]),
    }
    .map_into_boxed_body()
}
