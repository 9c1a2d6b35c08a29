//! `GET|POST {issuer}/select-profile`: the profile picker. Shown after sign-in when the account
//! has several profiles, or on `prompt=select_account`. The form is stable for scripts and
//! conformance tools: radio inputs named `profile_id`, each labelled with the profile's name.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::flow::{advance, resume_pending, Resumed};
use super::target::RequestQuery;
use super::Outcome;
use crate::db::{AnyConnection, DbError};
use crate::identity;
use crate::oidc::authorize;
use crate::oidc::context::OidcContext;
use crate::profiles::Profile;
use crate::sessions::{self, Session};
use crate::web::extract::{CsrfForm, CurrentTenant};
use crate::web::AppState;

struct Choice {
    id: String,
    name: String,
    email: Option<String>,
    selected: bool,
}

#[derive(Template)]
#[template(path = "select_profile.html")]
struct PickerPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    client_name: &'a str,
    email: &'a str,
    choices: Vec<Choice>,
    csrf_token: &'a str,
    request_id: &'a str,
}

#[derive(Deserialize)]
pub struct PickerForm {
    request: Option<String>,
    profile_id: Option<String>,
}

fn account_profiles(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    session: &Session,
) -> Result<Vec<Profile>, DbError> {
    Ok(
        crate::db::accounts::profiles(conn, &ctx.tenant.id, &session.account_id)?
            .into_iter()
            .map(Profile::from)
            .collect(),
    )
}

pub async fn picker_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<RequestQuery>,
) -> HttpResponse {
    resume_pending(
        state,
        tenant,
        &req,
        query.into_inner().request_id(),
        |conn, ctx, frame, r| {
            let Resumed {
                client,
                request,
                session,
                browser,
                request_id,
            } = r;
            let Some(session) = session else {
                return Ok(Outcome::Redirect(format!(
                    "{}/login?request={request_id}",
                    ctx.issuer
                )));
            };
            let email = identity::find_account(conn, &ctx.tenant.id, &session.account_id)
                .map(|a| a.email.to_string())
                .unwrap_or_default();
            let choices = account_profiles(conn, ctx, &session)?;
            // profile_hint (an id or a name) preselects; else the session's or default profile.
            let hinted = request.profile_hint.as_deref().and_then(|hint| {
                choices
                    .iter()
                    .find(|p| p.id.as_str() == hint || p.name.eq_ignore_ascii_case(hint))
            });
            let selected = hinted
                .or_else(|| {
                    choices
                        .iter()
                        .find(|p| session.profile_id.as_ref() == Some(&p.id))
                })
                .or_else(|| choices.iter().find(|p| p.is_default))
                .map(|p| p.id.clone());
            let html = PickerPage {
                issuer: &frame.issuer,
                tenant_name: &frame.tenant_name,
                client_name: &client.name,
                email: &email,
                choices: choices
                    .iter()
                    .map(|p| Choice {
                        id: p.id.to_string(),
                        name: p.name.clone(),
                        email: p.verified_email().map(ToString::to_string),
                        selected: selected.as_ref() == Some(&p.id),
                    })
                    .collect(),
                csrf_token: &sessions::csrf_token(&browser),
                request_id: &request_id,
            }
            .render();
            Ok(frame.page(html))
        },
    )
    .await
}

pub async fn picker_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<PickerForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let chosen_id = form.profile_id;
    resume_pending(
        state,
        tenant,
        &req,
        form.request,
        move |conn, ctx, frame, r| {
            let Resumed {
                client,
                mut request,
                session,
                browser,
                request_id,
            } = r;
            let Some(mut session) = session else {
                return Ok(Outcome::Redirect(format!(
                    "{}/login?request={request_id}",
                    ctx.issuer
                )));
            };
            // Only a profile of the signed-in account can be chosen.
            let choices = account_profiles(conn, ctx, &session)?;
            let Some(chosen) = choices
                .iter()
                .find(|p| Some(p.id.as_str()) == chosen_id.as_deref())
            else {
                return Ok(Outcome::Redirect(format!(
                    "{}/select-profile?request={request_id}",
                    ctx.issuer
                )));
            };
            crate::db::sessions::set_profile(conn, &ctx.tenant.id, &session.id, &chosen.id)?;
            session.profile_id = Some(chosen.id.clone());
            crate::audit::record(
                conn,
                &ctx.tenant.id,
                crate::audit::Event {
                    actor: session.account_id.as_str(),
                    action: "profile.select",
                    target: chosen.id.as_str(),
                    ip: "",
                    details: serde_json::json!({ "client_id": client.id }),
                },
            )?;
            authorize::satisfied(conn, ctx, &request_id, &mut request, "select_account")?;
            advance(
                conn,
                ctx,
                frame,
                &client,
                &request,
                Some(&session),
                &browser,
                Some(&request_id),
            )
        },
    )
    .await
}
