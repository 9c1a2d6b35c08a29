//! `GET|POST {issuer}/select-profile`: the profile picker. Shown after sign-in when the account
//! has several profiles, or on `prompt=select_account`. The form is stable for scripts and
//! conformance tools: radio inputs named `profile_id`, each labelled with the profile's name.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::flow::{resume_pending, Resumed};
use super::target::RequestQuery;
use super::{Outcome, PageFrame};
use crate::db::{AnyConnection, DbError};
use crate::i18n::Texts;
use crate::identity;
use crate::oidc::authorize;
use crate::oidc::context::OidcContext;
use crate::profiles::choice;
use crate::sessions;
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
    t: &'a Texts,
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

pub async fn picker_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<RequestQuery>,
) -> HttpResponse {
    let request = query.into_inner().request_id();
    resume_pending(state, tenant, &req, request, show_picker).await
}

pub async fn picker_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<PickerForm>,
) -> HttpResponse {
    let PickerForm {
        request,
        profile_id,
    } = form.into_inner();
    resume_pending(state, tenant, &req, request, move |conn, ctx, frame, r| {
        choose(conn, ctx, frame, r, profile_id.as_deref())
    })
    .await
}

fn show_picker(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    resumed: Resumed,
) -> Result<Outcome, DbError> {
    let Resumed {
        client,
        request,
        session,
        browser,
        request_id,
    } = resumed;
    let Some(session) = session else {
        return Ok(to_login(ctx, &request_id));
    };
    let email = identity::find_account(conn, ctx.vault(), &ctx.tenant.id, &session.account_id)
        .map(|a| a.email.to_string())
        .unwrap_or_default();
    let choices = choice::available(conn, ctx.vault(), &ctx.tenant.id, &session)?;
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
        t: &frame.t,
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
}

fn choose(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    resumed: Resumed,
    chosen: Option<&str>,
) -> Result<Outcome, DbError> {
    let mut r = resumed;
    let Some(session) = r.session.as_mut() else {
        return Ok(to_login(ctx, &r.request_id));
    };
    let details = serde_json::json!({ "client_id": r.client.id });
    if choice::choose(conn, ctx.vault(), &ctx.tenant.id, session, chosen, details)?.is_none() {
        return Ok(Outcome::Redirect(format!(
            "{}/select-profile?request={}",
            ctx.issuer, r.request_id
        )));
    }
    authorize::satisfied(conn, ctx, &r.request_id, &mut r.request, "select_account")?;
    r.advance(conn, ctx, frame)
}

fn to_login(ctx: &OidcContext, request_id: &str) -> Outcome {
    Outcome::Redirect(format!("{}/login?request={request_id}", ctx.issuer))
}
