//! Hosted pages: plain HTML forms (no JavaScript needed), rendered with askama.
//! Every page is `no-store`, unframeable, and carries a CSRF token in each form.

mod account;
mod authorize;
mod consent;
mod device;
pub mod email_change;
mod export;
mod flow;
mod invitation;
mod landing;
mod login;
mod logout;
mod mfa;
mod reset;
mod select_profile;
mod signup;
mod target;
mod verify;

pub use account::{account_action, account_page, mfa_confirm, mfa_start};
pub use authorize::authorize;
pub use consent::{consent_form, consent_submit};
pub use device::{device_form, device_submit};
pub use export::account_export;
pub use invitation::{invitation_form, invitation_submit, mail_invitation};
pub use landing::{issuer_page, root};
pub use login::{login_form, login_submit};
pub use logout::logout;
pub use mfa::{mfa_form, mfa_submit, setup_continue, setup_form, setup_submit};
pub use reset::{
    mail_reset_link, reset_form, reset_request_form, reset_request_submit, reset_submit,
};
pub use select_profile::{picker_form, picker_submit};
pub use signup::{signup_form, signup_submit};
pub use verify::{verify_form, verify_submit};

use actix_web::http::header;
use actix_web::HttpResponse;

pub use super::page::{respond, Outcome, PageFrame};
use super::AppState;
use crate::sessions::SESSION_COOKIE;
use crate::tenancy::Tenant;
use crate::web::cookies::CookieScope;

/// The cookies a sign-in hands the browser: its new session and its new binding cookie.
pub struct Started {
    pub session: String,
    pub browser: String,
}

impl From<crate::identity::signin::SignedIn> for Started {
    fn from(signed_in: crate::identity::signin::SignedIn) -> Started {
        Started {
            session: signed_in.cookie,
            browser: signed_in.browser,
        }
    }
}

/// The end of a sign-in step: its page or redirect, with the new session and browser cookies
/// when a session started (password sign-in, second factor, factor set-up).
pub fn respond_signed_in(
    state: &AppState,
    tenant: &Tenant,
    frame: &PageFrame,
    result: Result<(Outcome, Option<Started>), crate::db::DbError>,
) -> HttpResponse {
    match result {
        Ok((outcome, Some(started))) => {
            let max_age = state.settings.sessions.absolute_lifetime_secs;
            let scope = CookieScope::tenant(state, tenant);
            let session = scope.set(SESSION_COOKIE, started.session, max_age);
            let browser = scope.browser_cookie(crate::sessions::BROWSER_COOKIE, started.browser);
            respond(outcome, vec![session, browser])
        }
        Ok((outcome, None)) => respond(outcome, vec![]),
        Err(e) => respond(frame.error(&e), vec![]),
    }
}

/// `GET {issuer}/assets/brand.css`: the tenant's accent colour and logo (see `tenancy::branding`).
pub async fn brand_stylesheet(tenant: crate::web::extract::CurrentTenant) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        // Revalidated every time: a branding change shows at the next page view.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(crate::tenancy::branding::stylesheet(&tenant.branding))
}

/// `GET {issuer}/assets/tessera.css`
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(include_str!("../../../static/tessera.css"))
}

/// Sends in the background: pages never wait for, or reveal, a delivery (failures are logged
/// by the mailer). Callable from a handler and from the blocking pool alike (both run inside
/// the runtime).
pub(crate) fn send_later(state: &AppState, mail: crate::mail::Outgoing) {
    let (mailer, from) = (state.mailer.clone(), state.mail_from.clone());
    tokio::runtime::Handle::current().spawn(async move { mailer.send(&from, mail).await });
}

/// The message id that tells a person why a password or address they chose was refused;
/// `None` for a failure that is not theirs to fix.
fn refusal_of(e: &crate::identity::AccountError) -> Option<&'static str> {
    use crate::identity::AccountError;
    Some(match e {
        AccountError::PasswordTooShort(_) => "password-too-short",
        AccountError::PasswordTooLong => "password-too-long",
        AccountError::CommonPassword => "password-common",
        AccountError::Email(_) => "email-invalid",
        _ => return None,
    })
}
