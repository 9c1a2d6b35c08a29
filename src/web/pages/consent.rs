//! `GET|POST {issuer}/consent`: the user allows or denies the client's requested scopes for
//! the chosen profile, and answers the consent purposes the client needs that the profile has
//! not accepted as they now stand (what changed is shown).

use std::collections::{BTreeSet, HashMap};

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::flow::{resume_pending, Resumed};
use super::target::RequestQuery;
use super::{Outcome, PageFrame};
use crate::db::{AnyConnection, DbError};
use crate::i18n::Texts;
use crate::identity;
use crate::oidc::authorize::{self, Next};
use crate::oidc::context::OidcContext;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::profiles;
use crate::sessions;
use crate::web::extract::{CsrfForm, CurrentTenant};
use crate::web::language::Reader;
use crate::web::AppState;

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    title: String,
    signed_in: String,
    would_like: String,
    scopes: Vec<String>,
    purposes: Vec<PurposeView>,
    /// Whether any required purpose is asked (the button then says so).
    accepts_required: bool,
    shown: String,
    csrf_token: &'a str,
    request_id: &'a str,
    /// For a device's request: the warning naming its user code (RFC 8628 §5.4).
    device_warning: Option<String>,
}

struct PurposeView {
    key: String,
    name: String,
    /// "version 3, required", in the page's language.
    version_label: String,
    required: bool,
    text: Option<String>,
    url: Option<String>,
    read_label: String,
    /// Said when the words changed since the version accepted before.
    accepted_label: Option<String>,
    changes: Vec<String>,
}

impl PurposeView {
    fn new(due: &crate::consent::Due, t: &Texts) -> PurposeView {
        let version = due.current.version.to_string();
        let label = match due.current.required {
            true => "consent-version-required",
            false => "consent-version-optional",
        };
        PurposeView {
            key: due.purpose.key.clone(),
            name: due.purpose.name.clone(),
            version_label: t.with(label, &[("version", &version)]),
            required: due.current.required,
            text: due.current.text.clone(),
            url: due.current.url.clone(),
            read_label: t.with("consent-read", &[("name", &due.purpose.name)]),
            accepted_label: due.accepted.map(|accepted| {
                t.with(
                    "consent-changed-since",
                    &[("version", &accepted.to_string())],
                )
            }),
            changes: due.changes(),
        }
    }
}

/// The optional purposes a form ticks arrive as `accept_{key}` fields.
const TICK_PREFIX: &str = "accept_";

#[derive(Deserialize)]
pub struct ConsentForm {
    request: Option<String>,
    decision: Option<String>,
    /// The purpose versions the page showed (`key:version …`).
    shown: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl ConsentForm {
    fn ticked(&self) -> BTreeSet<String> {
        self.rest
            .keys()
            .filter_map(|name| name.strip_prefix(TICK_PREFIX))
            .map(str::to_owned)
            .collect()
    }
}

pub async fn consent_form(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    query: web::Query<RequestQuery>,
) -> HttpResponse {
    // The language: as chosen on the sign-in page (remembered), the request's ui_locales, the
    // profile's locale, the browser's.
    let reader = Reader::of(&state, &tenant, &req, None);
    resume_pending(
        state,
        tenant,
        &req,
        query.into_inner().request_id(),
        move |conn, ctx, frame, r| {
            // Only when consent is the next step; otherwise move on.
            let next = authorize::decide(conn, ctx, &r.client, &r.request, r.session.as_ref())?;
            let (Some(session), Next::Consent(profile_id)) = (&r.session, next) else {
                return r.advance(conn, ctx, frame);
            };
            let Resumed {
                client,
                request,
                browser,
                request_id,
                ..
            } = &r;
            let email =
                identity::find_account(conn, ctx.vault(), &ctx.tenant.id, &session.account_id)
                    .map(|a| a.email.to_string())
                    .unwrap_or_default();
            let profile = profiles::find(conn, ctx.vault(), &ctx.tenant.id, &profile_id).ok();
            let profile_name = profile.as_ref().map(|p| p.name.clone()).unwrap_or_default();
            let locale = profile.as_ref().and_then(|p| p.locale.as_deref());
            let t = reader.texts(request.ui_locales.as_deref(), locale);
            let needs = authorize::consent_needs(conn, ctx, client, request, &profile_id)?;
            let scopes = match needs.scopes {
                true => {
                    let asked = request.consent_scopes();
                    let mut lines: Vec<String> = asked
                        .iter()
                        .filter_map(authorize::describe_scope)
                        .map(|id| t.get(id))
                        .collect();
                    for (api, scopes) in
                        crate::oidc::resource::described(conn, ctx, &request.resource, &asked)?
                    {
                        lines.push(t.with(
                            "scope-api",
                            &[("api", &api), ("scopes", &scopes.join(", "))],
                        ));
                    }
                    lines
                }
                false => Vec::new(),
            };
            let html = ConsentPage {
                issuer: &frame.issuer,
                tenant_name: &frame.tenant_name,
                title: t.with("consent-title", &[("client", &client.name)]),
                signed_in: t.with(
                    "consent-signed-in-as",
                    &[("user", &format!("{email} ({profile_name})"))],
                ),
                would_like: t.with("consent-would-like", &[("client", &client.name)]),
                t: &t,
                scopes,
                purposes: needs
                    .purposes
                    .iter()
                    .map(|d| PurposeView::new(d, &t))
                    .collect(),
                accepts_required: needs.purposes.iter().any(|d| d.current.required),
                device_warning: crate::oidc::device::user_code_of(conn, ctx, request)?
                    .map(|code| t.with("consent-device-warning", &[("code", &code)])),
                shown: needs.shown(),
                csrf_token: &sessions::csrf_token(browser),
                request_id,
            }
            .render();
            Ok(frame.page(html))
        },
    )
    .await
}

pub async fn consent_submit(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: CsrfForm<ConsentForm>,
) -> HttpResponse {
    let mut form = form.into_inner();
    let ip = crate::web::extract::ClientIp::of(&req).0;
    let request = form.request.take();
    resume_pending(state, tenant, &req, request, move |conn, ctx, frame, r| {
        decide(conn, ctx, frame, r, &form, &ip)
    })
    .await
}

/// Applies the user's decision, when the request still waits for consent.
fn decide(
    conn: &mut AnyConnection,
    ctx: &OidcContext,
    frame: &PageFrame,
    resumed: Resumed,
    form: &ConsentForm,
    ip: &str,
) -> Result<Outcome, DbError> {
    let mut r = resumed;
    let next = authorize::decide(conn, ctx, &r.client, &r.request, r.session.as_ref())?;
    if let Next::Consent(profile) = next {
        if form.decision.as_deref() != Some("allow") {
            authorize::finish_pending(conn, ctx, &r.request_id)?;
            let denied = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
            return super::flow::refuse(conn, ctx, frame, &r.request, denied);
        }
        let needs = authorize::consent_needs(conn, ctx, &r.client, &r.request, &profile)?;
        if form.shown.as_deref().unwrap_or_default() != needs.shown() {
            // A purpose changed while the page was open: the answer was about other words, so
            // the page is shown again as it now stands.
            return r.advance(conn, ctx, frame);
        }
        if needs.scopes {
            authorize::record_consent(conn, ctx, &r.client, &profile, &r.request, ip)?;
        }
        let asker = crate::consent::Asker {
            client: &r.client.id,
            scope: &r.request.scope,
            ip,
        };
        let ticked = form.ticked();
        crate::consent::decide_purposes(
            conn,
            ctx.vault(),
            &ctx.tenant.id,
            &profile,
            &asker,
            &needs.purposes,
            &ticked,
        )?;
        authorize::satisfied(conn, ctx, &r.request_id, &mut r.request, "consent")?;
    }
    r.advance(conn, ctx, frame)
}
