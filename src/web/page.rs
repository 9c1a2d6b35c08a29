//! How a hosted page answers: an [`Outcome`] (a page, a redirect, the answer to a client, a
//! refusal) turned into a response by [`respond`], with the pages' security headers. Shared by
//! the hosted pages, the consoles and the extractors that refuse requests.

use actix_web::cookie::Cookie;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use super::AppState;
use crate::crypto::random_token;
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

/// Shared page facts: the tenant's issuer and display name.
#[derive(Clone)]
pub struct PageFrame {
    pub issuer: String,
    pub tenant_name: String,
}

impl PageFrame {
    pub fn new(state: &AppState, tenant: &Tenant) -> PageFrame {
        PageFrame {
            issuer: state.issuer(tenant),
            tenant_name: tenant.name.clone(),
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

    pub fn message(&self, status: StatusCode, title: &str, message: &str) -> Outcome {
        Outcome::Page(status, self.message_html(title, message, &[]))
    }

    /// A message page with links onward.
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
            title,
            message,
            links,
        }
        .render()
        .unwrap_or_else(|_| message.to_owned())
    }

    pub fn expired_request(&self) -> Outcome {
        self.message(
            StatusCode::BAD_REQUEST,
            "This sign-in has expired",
            "The sign-in request is too old or was started in another browser. Go back to the application and start again.",
        )
    }

    pub fn bad_form(&self) -> Outcome {
        self.message(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form could not be verified (it may be too old, or cookies are blocked). Go back to the application and start again.",
        )
    }

    pub fn failure(&self) -> Outcome {
        self.message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The request could not be completed. Please try again in a moment.",
        )
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
            let html = frame.message_html(
                "Busy for a moment",
                "Tessera is very busy right now and nothing was changed. Please try again in a few seconds.",
                &[],
            );
            let mut builder = HttpResponse::ServiceUnavailable();
            secure(&mut builder, None, None);
            return builder
                .insert_header((header::RETRY_AFTER, crate::db::RETRY_AFTER_SECS.to_string()))
                .content_type("text/html; charset=utf-8")
                .body(html);
        }
        Outcome::RateLimited(frame, retry_after) => {
            let html = frame.message_html(
                "Too many attempts",
                "There were too many sign-in attempts from your network. Wait a minute and try again.",
                &[],
            );
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
