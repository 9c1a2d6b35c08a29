//! `{issuer}/account`: self-service for the signed-in account. Profiles (create, rename,
//! delete, default, email), password change, and sessions. Every action is a CSRF-protected
//! form acting only on the session's own account, and redirects back with a fixed message
//! (never echoing input).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{browser, browser_value, csrf_ok, respond, session_value, Outcome, PageFrame};
use crate::db::{sessions as session_rows, AnyConnection, DbError};
use crate::domain::{rfc3339, unix_now, ProfileId};
use crate::identity::{self, mfa, signin, AccountError};
use crate::profiles::{self, NewProfile, ProfileChanges, ProfileError};
use crate::sessions::{self, Session};
use crate::tenancy::CurrentTenant;
use crate::web::AppState;

struct ProfileView {
    id: String,
    name: String,
    is_default: bool,
    email: Option<String>,
    email_verified: bool,
}

struct SessionView {
    created_at: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    email: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    profiles: Vec<ProfileView>,
    sessions: Vec<SessionView>,
    mfa_enrolled: bool,
    csrf_token: &'a str,
}

#[derive(Template)]
#[template(path = "mfa_enroll.html")]
pub(super) struct EnrollPage<'a> {
    pub issuer: &'a str,
    pub tenant_name: &'a str,
    pub qr_svg: &'a str,
    pub secret: &'a str,
    pub csrf_token: &'a str,
    /// Where the code goes: the console, or the sign-in that requires enrollment.
    pub action: &'a str,
    pub challenge: Option<&'a str>,
    pub notice: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub(super) struct RecoveryCodesPage<'a> {
    pub issuer: &'a str,
    pub tenant_name: &'a str,
    pub codes: Vec<String>,
    pub csrf_token: &'a str,
    pub challenge: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct Flash {
    done: Option<String>,
    error: Option<String>,
}

/// Every form on the page; each action reads the fields it needs.
#[derive(Deserialize)]
pub struct AccountForm {
    csrf_token: Option<String>,
    profile_id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    current_password: Option<String>,
    new_password: Option<String>,
    code: Option<String>,
}

fn notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "The profile was added.",
        "renamed" => "The profile was renamed.",
        "deleted" => "The profile was deleted.",
        "default" => "The default profile was changed.",
        "email" => "The profile email was saved. It is used in tokens once verified.",
        "password" => "Your password was changed and your other sessions were signed out.",
        "sessions" => "Your other sessions were signed out.",
        "mfa_off" => "Two-step verification was turned off.",
        "verify_sent" => "We sent a confirmation link to the profile's address.",
        _ => return None,
    })
}

fn error_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "name" => "A profile name must be 1 to 64 characters.",
        "name_taken" => "You already have a profile with that name.",
        "last" => "You need at least one profile: add another before deleting this one.",
        "email" => "That email address is not valid.",
        "email_taken" => "That email address is already used by another profile.",
        "wrong_password" => "The current password is not correct.",
        "rate_limited" => "Too many attempts from your network. Wait a minute and try again.",
        "weak_password" => "The new password is too short for this organisation's policy.",
        "common_password" => "That password is too common. Choose another.",
        "not_found" => "That profile no longer exists.",
        "mfa_code" => "That code did not match. Start the set-up again and use the newest code.",
        _ => return None,
    })
}

fn profile_error_code(e: &ProfileError) -> &'static str {
    match e {
        ProfileError::InvalidName => "name",
        ProfileError::NameTaken(_) => "name_taken",
        ProfileError::LastProfile => "last",
        ProfileError::Email(_) => "email",
        ProfileError::EmailTaken(_) => "email_taken",
        _ => "not_found",
    }
}

fn current(
    conn: &mut AnyConnection,
    state: &AppState,
    tenant: &CurrentTenant,
    cookie: Option<&str>,
) -> Result<Option<Session>, DbError> {
    // The tenant's own session timeouts, as everywhere else.
    let settings = tenant.policy.effective_settings(&state.settings);
    match cookie {
        Some(value) => sessions::current(conn, &settings.sessions, &tenant.id, value),
        None => Ok(None),
    }
}

pub async fn account_page(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    flash: web::Query<Flash>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let (browser, new_cookie) = browser(&state, &tenant, &req);
    let cookies: Vec<_> = new_cookie.into_iter().collect();
    let cookie = session_value(&req);
    let flash = flash.into_inner();
    let (app, page_frame) = (state.clone(), frame.clone());
    let outcome = state
        .db
        .run(move |conn| {
            let Some(session) = current(conn, &app, &tenant, cookie.as_deref())? else {
                return Ok(Outcome::Redirect(format!(
                    "{}/login?next=account",
                    page_frame.issuer
                )));
            };
            let account = match identity::find_account(conn, &tenant.id, &session.account_id) {
                Ok(account) => account,
                Err(_) => return Ok(page_frame.failure()),
            };
            let profiles = crate::db::accounts::profiles(conn, &tenant.id, &account.id)?
                .into_iter()
                .map(profiles::Profile::from)
                .map(|p| ProfileView {
                    id: p.id.to_string(),
                    email: p.email.as_ref().map(ToString::to_string),
                    email_verified: p.email_verified,
                    name: p.name,
                    is_default: p.is_default,
                })
                .collect();
            let sessions =
                session_rows::list_active_for_account(conn, &tenant.id, &account.id, unix_now())?
                    .into_iter()
                    .map(|s| SessionView {
                        created_at: rfc3339(s.created_at),
                        current: s.id == session.id.as_str(),
                    })
                    .collect();
            let mfa_enrolled = crate::identity::mfa::is_enrolled(conn, &tenant.id, &account.id)?;
            let html = AccountPage {
                issuer: &page_frame.issuer,
                tenant_name: &page_frame.tenant_name,
                email: account.email.as_str(),
                notice: flash.done.as_deref().and_then(notice),
                error: flash.error.as_deref().and_then(error_text),
                profiles,
                sessions,
                mfa_enrolled,
                csrf_token: &sessions::csrf_token(&browser),
            }
            .render();
            Ok::<_, DbError>(page_frame.page(html))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, cookies)
}

pub async fn account_action(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<AccountForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let form = form.into_inner();
    if browser_value(&req).is_none() || !csrf_ok(&req, form.csrf_token.as_deref()) {
        return respond(frame.bad_form(), vec![]);
    }
    // The action is the path under /account, e.g. profile/rename or password.
    let info = req.match_info();
    let action = match (info.get("section"), info.get("action")) {
        (Some(section), Some(action)) => format!("{section}/{action}"),
        (None, Some(action)) => action.to_owned(),
        _ => String::new(),
    };
    let cookie = session_value(&req);
    let ip = crate::web::client_ip::client_ip(&req, &state.settings.server.trusted_proxies);
    let (app, page_frame) = (state.clone(), frame.clone());
    let outcome = state
        .db
        .run(move |conn| {
            let Some(session) = current(conn, &app, &tenant, cookie.as_deref())? else {
                return Ok(Outcome::Redirect(format!(
                    "{}/login?next=account",
                    page_frame.issuer
                )));
            };
            let result = perform(conn, &app, &tenant, &session, &action, &form, &ip)?;
            let query = match result {
                Ok(done) => format!("done={done}"),
                Err(code) => format!("error={code}"),
            };
            Ok::<_, DbError>(Outcome::Redirect(format!(
                "{}/account?{query}",
                page_frame.issuer
            )))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}

/// Runs one action for the session's account; `Ok(notice)` or `Err(error code)`.
fn perform(
    conn: &mut AnyConnection,
    state: &AppState,
    tenant: &CurrentTenant,
    session: &Session,
    action: &str,
    form: &AccountForm,
    ip: &str,
) -> Result<Result<&'static str, &'static str>, DbError> {
    let tenant_id = &tenant.id;
    // A profile the form names, only if it belongs to this account.
    let own_profile = |conn: &mut AnyConnection| -> Result<Option<ProfileId>, DbError> {
        let Some(id) = form.profile_id.as_deref() else {
            return Ok(None);
        };
        Ok(crate::db::accounts::find_profile(conn, tenant_id, id)?
            .filter(|p| p.account_id == session.account_id.as_str())
            .map(|p| ProfileId::from_stored(p.id)))
    };
    let profile_result = |r: Result<profiles::Profile, ProfileError>, done| match r {
        Ok(_) => Ok(Ok(done)),
        Err(ProfileError::Db(e)) => Err(e),
        Err(e) => Ok(Err(profile_error_code(&e))),
    };
    match action {
        "profile/create" => {
            let new = NewProfile {
                name: form.name.clone().unwrap_or_default(),
                ..NewProfile::default()
            };
            profile_result(
                profiles::create(conn, tenant_id, &session.account_id, new),
                "created",
            )
        }
        "profile/verify" => {
            let Some(profile) = own_profile(conn)? else {
                return Ok(Err("not_found"));
            };
            let Some((email, token)) = crate::identity::verification::profile_token(
                conn,
                tenant_id,
                &session.account_id,
                &profile,
            )?
            else {
                return Ok(Err("not_found"));
            };
            let link = format!("{}/verify?token={token}", state.issuer(tenant));
            if let Ok(mail) = crate::mail::messages::verify_email(&email, &tenant.name, &link) {
                let (mailer, from) = (state.mailer.clone(), state.mail_from.clone());
                tokio::runtime::Handle::current()
                    .spawn(async move { mailer.send(&from, mail).await });
            }
            Ok(Ok("verify_sent"))
        }
        "profile/rename" | "profile/email" | "profile/default" | "profile/delete" => {
            let Some(profile) = own_profile(conn)? else {
                return Ok(Err("not_found"));
            };
            match action {
                "profile/rename" => profile_result(
                    profiles::rename(
                        conn,
                        tenant_id,
                        &profile,
                        form.name.as_deref().unwrap_or_default(),
                    ),
                    "renamed",
                ),
                "profile/email" => {
                    let changes = ProfileChanges {
                        email: Some(form.email.clone().unwrap_or_default()),
                        ..ProfileChanges::default()
                    };
                    profile_result(
                        profiles::update(conn, tenant_id, &profile, changes),
                        "email",
                    )
                }
                "profile/default" => {
                    profile_result(profiles::set_default(conn, tenant_id, &profile), "default")
                }
                _ => match profiles::delete(conn, tenant_id, &profile) {
                    Ok(()) => Ok(Ok("deleted")),
                    Err(ProfileError::Db(e)) => Err(e),
                    Err(e) => Ok(Err(profile_error_code(&e))),
                },
            }
        }
        "password" | "mfa/disable" => {
            // Both need the current password, counted toward the lockout like a sign-in.
            let attempt = signin::Attempt {
                tenant: tenant_id,
                security: &state.settings.security,
                sessions: &state.settings.sessions,
                ip,
                browser_hash: "",
                previous_session: None,
            };
            let current = form.current_password.as_deref().unwrap_or_default();
            let hasher = &state.password_hasher;
            match signin::reauthenticate_password(
                conn,
                hasher,
                &attempt,
                &session.account_id,
                current,
            )? {
                signin::Reauth::Confirmed => {}
                signin::Reauth::Refused => return Ok(Err("wrong_password")),
                signin::Reauth::RateLimited(_) => return Ok(Err("rate_limited")),
            }
            if action == "password" {
                change_password(conn, state, tenant, session, form)
            } else {
                let actor = crate::audit::Actor {
                    id: session.account_id.to_string(),
                    ip: ip.to_owned(),
                };
                match mfa::disable(conn, tenant_id, &session.account_id, &actor) {
                    Ok(()) => Ok(Ok("mfa_off")),
                    Err(mfa::MfaError::Db(e)) => Err(e),
                    Err(_) => Ok(Err("not_found")),
                }
            }
        }
        "sessions/end-others" => {
            session_rows::end_others(
                conn,
                tenant_id,
                &session.account_id,
                &session.id,
                unix_now(),
            )?;
            Ok(Ok("sessions"))
        }
        _ => Ok(Err("not_found")),
    }
}

/// The new password, after the current one was confirmed.
fn change_password(
    conn: &mut AnyConnection,
    state: &AppState,
    tenant: &CurrentTenant,
    session: &Session,
    form: &AccountForm,
) -> Result<Result<&'static str, &'static str>, DbError> {
    let change = identity::PasswordChange {
        new: form.new_password.as_deref().unwrap_or_default(),
        min_chars: tenant.policy.password_min_length,
        keep_session: &session.id,
    };
    let hasher = &state.password_hasher;
    match identity::change_password(conn, hasher, &tenant.id, &session.account_id, change) {
        Ok(()) => Ok(Ok("password")),
        Err(AccountError::PasswordTooShort(_) | AccountError::PasswordTooLong) => {
            Ok(Err("weak_password"))
        }
        Err(AccountError::CommonPassword) => Ok(Err("common_password")),
        Err(AccountError::Db(e)) => Err(e),
        Err(e) => {
            tracing::error!(error = %e, "password change failed");
            Ok(Err("not_found"))
        }
    }
}

/// `POST {issuer}/account/mfa/start`: a new seed, shown as a QR code and a key.
pub async fn mfa_start(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<AccountForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    let Some(browser) = browser_value(&req).filter(|_| csrf_ok(&req, form.csrf_token.as_deref()))
    else {
        return respond(frame.bad_form(), vec![]);
    };
    let cookie = session_value(&req);
    let (app, page_frame) = (state.clone(), frame.clone());
    let outcome = state
        .db
        .run(move |conn| {
            let Some(session) = current(conn, &app, &tenant, cookie.as_deref())? else {
                return Ok(Outcome::Redirect(format!(
                    "{}/login?next=account",
                    page_frame.issuer
                )));
            };
            let Ok(account) = identity::find_account(conn, &tenant.id, &session.account_id) else {
                return Ok(page_frame.failure());
            };
            let enrollment = match mfa::start_enrollment(
                conn,
                app.keys.master(),
                &tenant.id,
                &account.id,
                &tenant.name,
                account.email.as_str(),
            ) {
                Ok(enrollment) => enrollment,
                Err(mfa::MfaError::Db(e)) => return Err(e),
                Err(_) => return Ok(Outcome::Redirect(format!("{}/account", page_frame.issuer))),
            };
            let qr = mfa::qr_svg(&enrollment.otpauth_url).unwrap_or_default();
            let html = EnrollPage {
                issuer: &page_frame.issuer,
                tenant_name: &page_frame.tenant_name,
                qr_svg: &qr,
                secret: &enrollment.secret_base32,
                csrf_token: &sessions::csrf_token(&browser),
                action: &format!("{}/account/mfa/confirm", page_frame.issuer),
                challenge: None,
                notice: None,
            }
            .render();
            Ok::<_, DbError>(page_frame.page(html))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}

/// `POST {issuer}/account/mfa/confirm`: a valid code turns it on; the recovery codes are shown once.
pub async fn mfa_confirm(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    form: web::Form<AccountForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant);
    if browser_value(&req).is_none() || !csrf_ok(&req, form.csrf_token.as_deref()) {
        return respond(frame.bad_form(), vec![]);
    }
    let cookie = session_value(&req);
    let code = form.into_inner().code.unwrap_or_default();
    let ip = crate::web::client_ip::client_ip(&req, &state.settings.server.trusted_proxies);
    let (app, page_frame) = (state.clone(), frame.clone());
    let outcome = state
        .db
        .run(move |conn| {
            let Some(session) = current(conn, &app, &tenant, cookie.as_deref())? else {
                return Ok(Outcome::Redirect(format!(
                    "{}/login?next=account",
                    page_frame.issuer
                )));
            };
            let actor = crate::audit::Actor {
                id: session.account_id.to_string(),
                ip: ip.clone(),
            };
            let codes = match mfa::confirm_enrollment(
                conn,
                app.keys.master(),
                &tenant.id,
                &session.account_id,
                &code,
                &actor,
            ) {
                Ok(codes) => codes,
                Err(mfa::MfaError::Db(e)) => return Err(e),
                Err(_) => {
                    return Ok(Outcome::Redirect(format!(
                        "{}/account?error=mfa_code",
                        page_frame.issuer
                    )))
                }
            };
            let html = RecoveryCodesPage {
                issuer: &page_frame.issuer,
                tenant_name: &page_frame.tenant_name,
                codes,
                csrf_token: "",
                challenge: None,
            }
            .render();
            Ok::<_, DbError>(page_frame.page(html))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}
