//! How a hosted page answers: an [`Outcome`] (a page, a redirect, the answer to a client, a
//! refusal) turned into a response by [`respond`], with the pages' security headers. Shared by
//! the hosted pages, the consoles and the extractors that refuse requests.

use actix_web::cookie::Cookie;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::language::Reader;
use super::AppState;
use crate::crypto::random_token;
use crate::i18n::Texts;
use crate::oidc::authorize::{AuthorizationResponse, ResponseMode};
use crate::tenancy::Tenant;

/// What a page handler decided, turned into a response by [`respond`].
pub enum Outcome {
    Page(StatusCode, String),
    /// 429 with `Retry-After` seconds.
    RateLimited(PageFrame, i64),
    /// 503 with `Retry-After`: the database is passing through a busy moment.
    Unavailable(PageFrame),
    Redirect(String),
    Client(AuthorizationResponse),
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    title: &'a str,
    message: &'a str,
    /// Ways on from here: (text, address).
    links: &'a [(&'a str, String)],
}

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage<'a> {
    action: &'a str,
    params: &'a [(String, String)],
    nonce: &'a str,
}

/// Shared page facts: the tenant's issuer and display name, and the reader's language.
#[derive(Clone)]
pub struct PageFrame {
    pub issuer: String,
    pub tenant_name: String,
    /// The page's texts, in the language negotiated so far (see [`PageFrame::refine`]).
    pub t: Texts,
    reader: Reader,
    /// The tenant's own texts, which come before the catalogue's.
    own: std::sync::Arc<crate::i18n::Overrides>,
    /// A tenant's frame: its message pages offer its sign-in as the way on.
    tenant: bool,
}

impl PageFrame {
    /// The frame of a hosted page, in the language the request asks for (the remembered
    /// choice, then `Accept-Language`).
    pub fn new(state: &AppState, tenant: &Tenant, req: &HttpRequest) -> PageFrame {
        Self::reading(state, tenant, Reader::of(state, tenant, req, None))
    }

    /// The frame for what `reader` says about the language (a page with the switcher).
    pub fn reading(state: &AppState, tenant: &Tenant, reader: Reader) -> PageFrame {
        let own = tenant.branding.texts.clone();
        PageFrame {
            issuer: state.issuer(tenant),
            tenant_name: tenant.name.clone(),
            t: reader.texts(None, None).owned_by(&own),
            reader,
            own,
            tenant: true,
        }
    }

    /// A frame for pages outside any tenant (the platform's), in English.
    pub fn plain(issuer: String, tenant_name: String) -> PageFrame {
        PageFrame {
            issuer,
            tenant_name,
            t: Texts::default(),
            reader: Reader::default(),
            own: Default::default(),
            tenant: false,
        }
    }

    /// The same frame once the authorization request's `ui_locales` or the profile's locale
    /// are known: they weigh after an explicit choice and before `Accept-Language`.
    pub fn refine(&self, ui_locales: Option<&str>, profile_locale: Option<&str>) -> PageFrame {
        PageFrame {
            t: self
                .reader
                .texts(ui_locales, profile_locale)
                .owned_by(&self.own),
            ..self.clone()
        }
    }

    /// A rendered page (200), or the failure page when the template could not render.
    pub fn page(&self, rendered: askama::Result<String>) -> Outcome {
        match rendered {
            Ok(html) => Outcome::Page(StatusCode::OK, html),
            Err(e) => {
                tracing::error!(error = %e, "a page could not be rendered");
                self.failure()
            }
        }
    }

    /// A message page of already written texts.
    pub fn message(&self, status: StatusCode, title: &str, message: &str) -> Outcome {
        Outcome::Page(status, self.message_html(title, message, &[]))
    }

    /// The message page `{id}-title` / `{id}-body` in the reader's language, with `args`;
    /// on a tenant's pages it offers signing in to the account as the way on.
    pub fn say(&self, status: StatusCode, id: &str, args: &[(&str, &str)]) -> Outcome {
        let sign_in = self.sign_in_link();
        self.say_with_links(status, id, args, sign_in.as_slice())
    }

    /// The link to the tenant's sign-in (for the account page), if this is a tenant's frame.
    pub fn sign_in_link(&self) -> Option<(&'static str, String)> {
        self.tenant.then(|| {
            (
                "link-sign-in-account",
                format!("{}/login?next=account", self.issuer),
            )
        })
    }

    /// [`PageFrame::say`] with links onward: (message id of the text, address).
    pub fn say_with_links(
        &self,
        status: StatusCode,
        id: &str,
        args: &[(&str, &str)],
        links: &[(&str, String)],
    ) -> Outcome {
        let title = self.t.with(&format!("{id}-title"), args);
        let body = self.t.with(&format!("{id}-body"), args);
        let links: Vec<(String, String)> = links
            .iter()
            .map(|(text, href)| (self.t.get(text), href.clone()))
            .collect();
        let links: Vec<(&str, String)> = links
            .iter()
            .map(|(text, href)| (text.as_str(), href.clone()))
            .collect();
        Outcome::Page(status, self.message_html(&title, &body, &links))
    }

    /// A message page with links onward, of already written texts.
    pub fn message_with_links(
        &self,
        status: StatusCode,
        title: &str,
        message: &str,
        links: &[(&str, String)],
    ) -> Outcome {
        Outcome::Page(status, self.message_html(title, message, links))
    }

    fn message_html(&self, title: &str, message: &str, links: &[(&str, String)]) -> String {
        MessagePage {
            issuer: &self.issuer,
            tenant_name: &self.tenant_name,
            t: &self.t,
            title,
            message,
            links,
        }
        .render()
        .unwrap_or_else(|_| message.to_owned())
    }

    fn said(&self, id: &str) -> String {
        self.message_html(
            &self.t.get(&format!("{id}-title")),
            &self.t.get(&format!("{id}-body")),
            &[],
        )
    }

    pub fn expired_request(&self) -> Outcome {
        self.say(StatusCode::BAD_REQUEST, "expired-request", &[])
    }

    pub fn bad_form(&self) -> Outcome {
        self.say(StatusCode::FORBIDDEN, "bad-form", &[])
    }

    pub fn failure(&self) -> Outcome {
        self.say(StatusCode::INTERNAL_SERVER_ERROR, "failure", &[])
    }

    /// The page for a failed step: 503 with `Retry-After` when the database was only busy
    /// (nothing was changed: the user can simply try again), else the failure page (a bug).
    pub fn error<E>(&self, error: &E) -> Outcome
    where
        E: crate::db::StorageFailure + std::fmt::Display,
    {
        if error.is_transient() {
            tracing::warn!(error = %error, "page step met a busy database");
            Outcome::Unavailable(self.clone())
        } else {
            tracing::error!(error = %error, "page step failed");
            self.failure()
        }
    }
}

/// Page security headers. No `form-action`: Chromium applies it to the redirect that follows
/// a form POST, which here leads to the client's origin.
fn secure(
    builder: &mut actix_web::HttpResponseBuilder,
    script_nonce: Option<&str>,
    form_action: Option<&str>,
) {
    let mut csp = String::from(
        "default-src 'none'; style-src 'self'; img-src 'self' data: https:; frame-ancestors 'none'; base-uri 'none'",
    );
    if let Some(nonce) = script_nonce {
        csp.push_str(&format!("; script-src 'nonce-{nonce}'"));
    }
    if let Some(origin) = form_action {
        csp.push_str(&format!("; form-action {origin}"));
    }
    builder
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
        .insert_header((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")));
    if let Ok(value) = HeaderValue::from_str(&csp) {
        builder.insert_header((header::CONTENT_SECURITY_POLICY, value));
    }
}

pub fn respond(outcome: Outcome, cookies: Vec<Cookie<'static>>) -> HttpResponse {
    let outcome = match outcome {
        Outcome::Unavailable(frame) => {
            let html = frame.said("busy");
            let mut builder = HttpResponse::ServiceUnavailable();
            secure(&mut builder, None, None);
            return builder
                .insert_header((header::RETRY_AFTER, crate::db::RETRY_AFTER_SECS.to_string()))
                .content_type("text/html; charset=utf-8")
                .body(html);
        }
        Outcome::RateLimited(frame, retry_after) => {
            let html = frame.said("rate-limited");
            let mut builder = HttpResponse::TooManyRequests();
            secure(&mut builder, None, None);
            return builder
                .insert_header((header::RETRY_AFTER, retry_after.to_string()))
                .content_type("text/html; charset=utf-8")
                .body(html);
        }
        other => other,
    };
    let mut builder = match &outcome {
        Outcome::RateLimited(..) => HttpResponse::TooManyRequests(),
        Outcome::Unavailable(..) => HttpResponse::ServiceUnavailable(),
        Outcome::Page(status, _) => HttpResponse::build(*status),
        Outcome::Redirect(_) => HttpResponse::SeeOther(),
        Outcome::Client(response) if response.response_mode == ResponseMode::Query => {
            HttpResponse::SeeOther()
        }
        Outcome::Client(_) => HttpResponse::Ok(),
    };
    for cookie in cookies {
        builder.cookie(cookie);
    }
    match outcome {
        Outcome::RateLimited(..) | Outcome::Unavailable(..) => builder.finish(),
        Outcome::Page(_, html) => {
            secure(&mut builder, None, None);
            builder.content_type("text/html; charset=utf-8").body(html)
        }
        Outcome::Redirect(location) => {
            secure(&mut builder, None, None);
            builder.insert_header((header::LOCATION, location)).finish()
        }
        Outcome::Client(response) if response.response_mode == ResponseMode::Query => {
            secure(&mut builder, None, None);
            builder
                .insert_header((header::LOCATION, response.location()))
                .finish()
        }
        Outcome::Client(response) => {
            let nonce = random_token();
            let origin = url::Url::parse(&response.redirect_uri)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            secure(&mut builder, Some(&nonce), Some(&origin));
            let html = FormPostPage {
                action: &response.redirect_uri,
                params: &response.params,
                nonce: &nonce,
            }
            .render()
            .unwrap_or_default();
            builder.content_type("text/html; charset=utf-8").body(html)
        }
    }
}
