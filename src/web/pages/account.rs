//! `{issuer}/account`: self-service for the signed-in account. Profiles (create, rename,
//! delete, default, email), password change, and sessions. Every action is a CSRF-protected
//! form acting only on the session's own account, and redirects back with a fixed message
//! (never echoing input).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{respond, Outcome, PageFrame};
use crate::db::{sessions as session_rows, AnyConnection, DbError};
use crate::domain::{unix_now, ProfileId};
use crate::i18n::Texts;
use crate::identity::{self, mfa, signin, AccountError};
use crate::profiles::{self, NewProfile, ProfileChanges, ProfileError};
use crate::sessions::{self, BROWSER_COOKIE};
use crate::web::cookies::CookieScope;
use crate::web::extract::{ClientIp, CsrfForm, SignedIn};
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

struct AppView {
    profile_id: String,
    profile_name: String,
    client_id: String,
    client_name: String,
    scopes: String,
    since: String,
    /// The consent purposes the app needs, with this profile's decisions.
    purposes: String,
}

/// A decision in force about a consent purpose.
struct ChoiceView {
    profile_id: String,
    profile_name: String,
    purpose: String,
    name: String,
    /// "Accepted version 2 on …", "Declined …".
    state: String,
    /// An optional purpose accepted: it can be withdrawn here.
    withdrawable: bool,
    /// A newer version exists than the one decided.
    outdated: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    /// The tenant's shortest password, for the change-password form.
    min_length: usize,
    email: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    profiles: Vec<ProfileView>,
    apps: Vec<AppView>,
    choices: Vec<ChoiceView>,
    sessions: Vec<SessionView>,
    mfa_enrolled: bool,
    /// Signed in recently enough to change the sign-in email (else: sign in again first).
    email_change_open: bool,
    /// How long a deletion waits before the data is destroyed, in words.
    erasure_grace: String,
    csrf_token: &'a str,
    /// The tenant console, for accounts that may open it.
    console_href: Option<String>,
}

/// `604800` → "7 days": the grace period as the deletion form states it.
fn in_words(t: &Texts, secs: i64) -> String {
    match secs {
        s if s >= 86_400 => t.count("duration-days", s / 86_400),
        s if s >= 3_600 => t.count("duration-hours", s / 3_600),
        s if s >= 60 => t.count("duration-minutes", s / 60),
        _ => t.get("duration-moment"),
    }
}

#[derive(Template)]
#[template(path = "mfa_enroll.html")]
pub(super) struct EnrollPage<'a> {
    pub issuer: &'a str,
    pub tenant_name: &'a str,
    pub t: &'a Texts,
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
    pub t: &'a Texts,
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
    profile_id: Option<String>,
    client_id: Option<String>,
    /// A consent purpose key.
    purpose: Option<String>,
    name: Option<String>,
    email: Option<String>,
    pub(super) current_password: Option<String>,
    new_password: Option<String>,
    code: Option<String>,
    /// A second account's password (a self-service merge proves it).
    other_password: Option<String>,
    /// The single-use proof a merge preview carries to its confirmation.
    proof: Option<String>,
    /// The export's format: `json` (a download) or `html`.
    pub(super) format: Option<String>,
}

/// The text of a `?done=` notice code, if it is one.
fn notice(t: &Texts, code: &str) -> Option<String> {
    t.find(&format!("account-done-{code}"))
}

/// The text of an `?error=` code, if it is one.
fn error_text(t: &Texts, code: &str) -> Option<String> {
    t.find(&format!("account-error-{code}"))
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

/// `GET {issuer}/account`
pub async fn account_page(
    state: web::Data<AppState>,
    user: SignedIn,
    req: HttpRequest,
    flash: web::Query<Flash>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &user.tenant, &req);
    let scope = CookieScope::tenant(&state, &user.tenant);
    let (browser, new_cookie) = scope.browser(&req, BROWSER_COOKIE);
    let (flash, page_frame) = (flash.into_inner(), frame.clone());
    let (keys, grace) = (
        state.keys.clone(),
        state.settings.privacy.erasure_grace_secs,
    );
    let outcome = state
        .db
        .run(move |conn| {
            overview(
                conn,
                keys.vault(),
                grace,
                &user,
                &page_frame,
                &browser,
                &flash,
            )
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, new_cookie.into_iter().collect())
}

/// The account page: its address, profiles, sessions and second factor.
fn overview(
    conn: &mut AnyConnection,
    vault: &crate::keys::Vault,
    erasure_grace_secs: i64,
    user: &SignedIn,
    frame: &PageFrame,
    browser: &str,
    flash: &Flash,
) -> Result<Outcome, DbError> {
    let tenant = &user.tenant.id;
    let account = match identity::find_account(conn, vault, tenant, &user.session.account_id) {
        Ok(account) => account,
        Err(AccountError::Db(e)) => return Err(e),
        Err(_) => return Ok(frame.failure()),
    };
    let profiles = match profiles::list(conn, vault, tenant, &account.id) {
        Ok(list) => list,
        Err(ProfileError::Db(e)) => return Err(e),
        Err(_) => return Ok(frame.failure()),
    };
    // The page speaks the default profile's language unless the reader chose another.
    let locale = profiles
        .iter()
        .find(|p| p.is_default)
        .and_then(|p| p.locale.as_deref());
    let frame = &frame.refine(None, locale);
    let t = &frame.t;
    let zone = user.tenant.branding.time_zone.as_str();
    let ids: Vec<String> = profiles.iter().map(|p| p.id.to_string()).collect();
    let profile_name = |id: &str| {
        profiles
            .iter()
            .find(|p| p.id.as_str() == id)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    };
    let states = crate::consent::in_force(conn, tenant, &ids)?;
    let apps = crate::consent::connected_apps(conn, tenant, &ids)?
        .into_iter()
        .map(|app| AppView {
            profile_name: profile_name(&app.profile_id),
            purposes: app
                .purposes
                .iter()
                .map(|key| {
                    let state = states
                        .iter()
                        .find(|s| s.profile_id == app.profile_id && &s.purpose == key);
                    match state {
                        Some(s) => format!("{} ({} v{})", s.name, s.decision, s.version),
                        None => key.clone(),
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
            profile_id: app.profile_id,
            client_id: app.client_id,
            client_name: app.client_name,
            scopes: app.scopes.join(" "),
            since: app.since,
        })
        .collect();
    let choices = states
        .into_iter()
        .map(|s| ChoiceView {
            profile_name: profile_name(&s.profile_id),
            state: t.arg2(
                match s.decision.as_str() {
                    "granted" => "account-consent-accepted",
                    "declined" => "account-consent-declined",
                    _ => "account-consent-withdrawn",
                },
                "version",
                s.version,
                "when",
                crate::web::when::describe_rfc3339_in(t, zone, &s.at),
            ),
            withdrawable: s.decision == "granted" && !s.required,
            outdated: s.version < s.current_version,
            profile_id: s.profile_id,
            purpose: s.purpose,
            name: s.name,
        })
        .collect();
    let profiles = profiles
        .into_iter()
        .map(|p| ProfileView {
            id: p.id.to_string(),
            email: p.email.as_ref().map(ToString::to_string),
            email_verified: p.email_verified,
            name: p.name,
            is_default: p.is_default,
        })
        .collect();
    let sessions = session_rows::list_active_for_account(conn, tenant, &account.id, unix_now())?
        .into_iter()
        .map(|s| SessionView {
            created_at: crate::web::when::describe_in(t, zone, s.created_at),
            current: s.id == user.session.id.as_str(),
        })
        .collect();
    let html = AccountPage {
        issuer: &frame.issuer,
        tenant_name: &frame.tenant_name,
        t,
        min_length: user.tenant.policy.password_min_length,
        email: account.email.as_str(),
        notice: flash.done.as_deref().and_then(|c| notice(t, c)).as_deref(),
        error: flash
            .error
            .as_deref()
            .and_then(|c| error_text(t, c))
            .as_deref(),
        profiles,
        apps,
        choices,
        sessions,
        mfa_enrolled: mfa::is_enrolled(conn, tenant, &account.id)?,
        email_change_open: unix_now().saturating_sub(user.session.auth_time)
            <= crate::identity::email_change::RECENT_SIGN_IN_SECS,
        erasure_grace: in_words(t, erasure_grace_secs),
        csrf_token: &sessions::csrf_token(browser),
        console_href: crate::admin::accounts::administers(conn, tenant, &account.id)?
            .then(|| format!("{}/admin", frame.issuer)),
    }
    .render();
    Ok(frame.page(html))
}

/// `POST {issuer}/account/{action}` and `…/{section}/{action}`: one change to the session's
/// own account, then back to the page with a fixed notice or error code.
pub async fn account_action(
    state: web::Data<AppState>,
    user: SignedIn,
    ip: ClientIp,
    req: HttpRequest,
    form: CsrfForm<AccountForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &user.tenant, &req);
    let info = req.match_info();
    let action = match (info.get("section"), info.get("action")) {
        (Some(section), Some(action)) => format!("{section}/{action}"),
        (None, Some(action)) => action.to_owned(),
        _ => String::new(),
    };
    if action == "merge/prove" {
        return merge_preview(state, user, ip, frame, form.browser, form.form).await;
    }
    let (app, form, issuer) = (state.clone(), form.into_inner(), frame.issuer.clone());
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let call = Action {
                state: &app,
                texts: page_frame.t.clone(),
                user: &user,
                form: &form,
                ip: &ip.0,
            };
            let query = match call.perform(conn, &action)? {
                Ok(DELETION_SCHEDULED) => {
                    let t = &page_frame.t;
                    let grace = in_words(t, app.settings.privacy.erasure_grace_secs);
                    return Ok(page_frame.say(
                        actix_web::http::StatusCode::OK,
                        "deletion-scheduled",
                        &[("grace", &grace)],
                    ));
                }
                Ok(done) => format!("done={done}"),
                Err(code) => format!("error={code}"),
            };
            Ok::<_, DbError>(Outcome::Redirect(format!("{issuer}/account?{query}")))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}

/// The notice code of a scheduled deletion: the session is over, so it gets a page of its own
/// instead of the account page.
const DELETION_SCHEDULED: &str = "deletion_scheduled";

/// One account action: `Ok(notice code)` or `Err(error code)`.
type Done = Result<&'static str, &'static str>;

struct Action<'a> {
    state: &'a AppState,
    /// The page's language, for the mail an action sends.
    texts: Texts,
    user: &'a SignedIn,
    form: &'a AccountForm,
    ip: &'a str,
}

impl Action<'_> {
    fn perform(&self, conn: &mut AnyConnection, action: &str) -> Result<Done, DbError> {
        match action {
            "profile/create" | "profile/verify" | "profile/rename" | "profile/email"
            | "profile/default" | "profile/delete" => self.profile(conn, action),
            "password" | "mfa/disable" | "delete" | "profile/move" => {
                self.credentials(conn, action)
            }
            "email" => self.change_email(conn),
            "merge/confirm" => self.confirm_merge(conn),
            "apps/revoke" => self.revoke_app(conn),
            "purposes/withdraw" => self.withdraw_purpose(conn),
            "sessions/end-others" => {
                let (tenant, session) = (&self.user.tenant.id, &self.user.session);
                let reason = crate::sessions::EndReason::EndedByUser;
                crate::sessions::end_others(
                    conn,
                    tenant,
                    &session.account_id,
                    &session.id,
                    reason,
                )?;
                Ok(Ok("sessions"))
            }
            _ => Ok(Err("not_found")),
        }
    }

    /// Asks to change the sign-in email: the confirmation goes to the new address (or, when
    /// another account holds it, a notice does; the page says the same either way).
    fn change_email(&self, conn: &mut AnyConnection) -> Result<Done, DbError> {
        use crate::identity::email_change::{self, EmailChangeError, Requested};
        let (tenant, session) = (&self.user.tenant, &self.user.session);
        let actor = crate::audit::Actor {
            id: session.account_id.to_string(),
            ip: self.ip.to_owned(),
        };
        let requested = email_change::request(
            conn,
            self.state.keys.vault(),
            &tenant.id,
            &session.account_id,
            session.auth_time,
            self.form.email.as_deref().unwrap_or_default(),
            &actor,
        );
        let issuer = self.state.issuer(tenant);
        let (t, name) = (&self.texts, &tenant.name);
        let mail = match requested {
            Ok(Requested::Confirm { to, token }) => {
                let link = format!("{issuer}/email-change/confirm?token={token}");
                crate::mail::messages::email_change_confirm(t, to.as_str(), name, &link)
            }
            Ok(Requested::Taken { to }) => {
                let link = format!("{issuer}/login?next=account");
                crate::mail::messages::email_change_taken(t, to.as_str(), name, &link)
            }
            Err(EmailChangeError::SignInTooOld) => return Ok(Err("sign_in_again")),
            Err(EmailChangeError::Unchanged) => return Ok(Err("email_unchanged")),
            Err(EmailChangeError::Account(AccountError::Email(_))) => return Ok(Err("email")),
            Err(EmailChangeError::Account(AccountError::Db(e))) => return Err(e),
            Err(e) => {
                tracing::error!(error = %e, "email change request failed");
                return Ok(Err("email_change_failed"));
            }
        };
        match mail {
            Ok(mail) => super::send_later(self.state, mail),
            Err(e) => tracing::error!(error = %e, "the email-change mail could not be composed"),
        }
        Ok(Ok("email_change_sent"))
    }

    /// Merges the account a preview's proof names into this one.
    fn confirm_merge(&self, conn: &mut AnyConnection) -> Result<Done, DbError> {
        use crate::lifecycle::merge::{merge_with_proof, MergeError};
        let (tenant, account) = (&self.user.tenant.id, &self.user.session.account_id);
        let actor = crate::audit::Actor {
            id: account.to_string(),
            ip: self.ip.to_owned(),
        };
        let proof = self.form.proof.as_deref().unwrap_or_default();
        let vault = self.state.keys.vault();
        match merge_with_proof(conn, vault, tenant, account, proof, &actor) {
            Ok(Some(_)) => Ok(Ok("merged")),
            Ok(None) => Ok(Err("merge_expired")),
            Err(MergeError::Account(AccountError::Db(e))) => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "a self-service merge was refused");
                Ok(Err("merge_failed"))
            }
        }
    }

    /// Withdraws a profile's consent to a client: what the client holds for it ends at once.
    fn revoke_app(&self, conn: &mut AnyConnection) -> Result<Done, DbError> {
        let (Some(profile), Some(client)) = (self.own_profile(conn)?, &self.form.client_id) else {
            return Ok(Err("not_found"));
        };
        let actor = crate::audit::Actor {
            id: self.user.session.account_id.to_string(),
            ip: self.ip.to_owned(),
        };
        let client = crate::domain::ClientId::from(client.clone());
        let vault = self.state.keys.vault();
        let tenant = &self.user.tenant.id;
        Ok(
            match crate::consent::withdraw(conn, vault, tenant, &profile, &client, &actor)? {
                true => Ok("app_revoked"),
                false => Err("not_found"),
            },
        )
    }

    /// Withdraws an optional consent purpose a profile of this account accepted.
    fn withdraw_purpose(&self, conn: &mut AnyConnection) -> Result<Done, DbError> {
        let (Some(profile), Some(key)) = (self.own_profile(conn)?, &self.form.purpose) else {
            return Ok(Err("not_found"));
        };
        let account = &self.user.session.account_id;
        let actor = crate::audit::Actor {
            id: account.to_string(),
            ip: self.ip.to_owned(),
        };
        let (vault, tenant) = (self.state.keys.vault(), &self.user.tenant.id);
        use crate::consent::Withdrawal;
        Ok(
            match crate::consent::withdraw_purpose(
                conn, vault, tenant, account, &profile, key, &actor,
            )? {
                Withdrawal::Withdrawn => Ok("purpose_withdrawn"),
                Withdrawal::Required => Err("purpose_required"),
                Withdrawal::NotGranted => Err("not_found"),
            },
        )
    }

    /// A profile the form names, only if it belongs to this account.
    fn own_profile(&self, conn: &mut AnyConnection) -> Result<Option<ProfileId>, DbError> {
        let Some(id) = self.form.profile_id.as_deref() else {
            return Ok(None);
        };
        Ok(
            crate::db::accounts::find_profile(conn, &self.user.tenant.id, &id.into())?
                .filter(|p| p.account_id == self.user.session.account_id.as_str())
                .map(|p| ProfileId::from_stored(p.id)),
        )
    }

    fn profile(&self, conn: &mut AnyConnection, action: &str) -> Result<Done, DbError> {
        let (tenant, account) = (&self.user.tenant.id, &self.user.session.account_id);
        let (form, vault) = (self.form, self.state.keys.vault());
        if action == "profile/create" {
            let new = NewProfile {
                name: form.name.clone().unwrap_or_default(),
                ..NewProfile::default()
            };
            return profile_done(
                profiles::create(conn, vault, tenant, account, new).map(|_| ()),
                "created",
            );
        }
        let Some(profile) = self.own_profile(conn)? else {
            return Ok(Err("not_found"));
        };
        let name = form.name.as_deref().unwrap_or_default();
        match action {
            "profile/verify" => self.send_verification(conn, &profile),
            "profile/rename" => profile_done(
                profiles::rename(conn, vault, tenant, &profile, name).map(|_| ()),
                "renamed",
            ),
            "profile/email" => {
                let changes = ProfileChanges {
                    email: Some(form.email.clone().unwrap_or_default()),
                    ..ProfileChanges::default()
                };
                profile_done(
                    profiles::update(conn, vault, tenant, &profile, changes).map(|_| ()),
                    "email",
                )
            }
            "profile/default" => profile_done(
                profiles::set_default(conn, vault, tenant, &profile).map(|_| ()),
                "default",
            ),
            _ => profile_done(profiles::delete(conn, tenant, &profile), "deleted"),
        }
    }

    fn send_verification(
        &self,
        conn: &mut AnyConnection,
        profile: &ProfileId,
    ) -> Result<Done, DbError> {
        let (tenant, account) = (&self.user.tenant, &self.user.session.account_id);
        let Some((email, token)) = crate::identity::verification::profile_token(
            conn,
            self.state.keys.vault(),
            &tenant.id,
            account,
            profile,
        )?
        else {
            return Ok(Err("not_found"));
        };
        let link = format!("{}/verify?token={token}", self.state.issuer(tenant));
        let t = &self.texts;
        if let Ok(mail) = crate::mail::messages::verify_email(t, &email, &tenant.name, &link) {
            super::send_later(self.state, mail);
        }
        Ok(Ok("verify_sent"))
    }

    /// Both need the current password, counted toward the lockout like a sign-in.
    fn credentials(&self, conn: &mut AnyConnection, action: &str) -> Result<Done, DbError> {
        let (tenant, session) = (&self.user.tenant, &self.user.session);
        let attempt = signin::Attempt {
            tenant: &tenant.id,
            vault: self.state.keys.vault(),
            security: &self.state.settings.security,
            sessions: &self.state.settings.sessions,
            ip: self.ip,
            browser_hash: "",
            previous_session: None,
        };
        let current = self.form.current_password.as_deref().unwrap_or_default();
        let hasher = &self.state.password_hasher;
        match signin::reauthenticate_password(conn, hasher, &attempt, &session.account_id, current)?
        {
            signin::Reauth::Confirmed => {}
            signin::Reauth::Refused => return Ok(Err("wrong_password")),
            signin::Reauth::RateLimited(_) => return Ok(Err("rate_limited")),
        }
        if action == "password" {
            return self.change_password(conn);
        }
        if action == "profile/move" {
            return self.move_profile(conn);
        }
        let actor = crate::audit::Actor {
            id: session.account_id.to_string(),
            ip: self.ip.to_owned(),
        };
        if action == "delete" {
            let grace = self.state.settings.privacy.erasure_grace_secs;
            identity::erasure::schedule(conn, &tenant.id, &session.account_id, grace, &actor)?;
            return Ok(Ok(DELETION_SCHEDULED));
        }
        match mfa::disable(conn, &tenant.id, &session.account_id, &actor) {
            Ok(()) => Ok(Ok("mfa_off")),
            Err(mfa::MfaError::Db(e)) => Err(e),
            Err(_) => Ok(Err("not_found")),
        }
    }

    /// Gives one of the account's profiles an account of its own for an address, whose owner
    /// is invited to choose a password (after the current password was confirmed).
    fn move_profile(&self, conn: &mut AnyConnection) -> Result<Done, DbError> {
        let Some(profile) = self.own_profile(conn)? else {
            return Ok(Err("not_found"));
        };
        let (tenant, account) = (&self.user.tenant, &self.user.session.account_id);
        let actor = crate::audit::Actor {
            id: account.to_string(),
            ip: self.ip.to_owned(),
        };
        let email = self.form.email.as_deref().unwrap_or_default();
        let vault = self.state.keys.vault();
        let split = crate::lifecycle::split::split(
            conn, vault, &tenant.id, account, &profile, email, &actor,
        );
        let invitation = match split {
            Ok(invitation) => invitation,
            Err(AccountError::Db(e)) => return Err(e),
            Err(AccountError::Email(_)) => return Ok(Err("email")),
            Err(AccountError::EmailTaken) => return Ok(Err("email_has_account")),
            Err(AccountError::Profile(e)) => return Ok(Err(profile_error_code(&e))),
            Err(e) => {
                tracing::error!(error = %e, "moving a profile failed");
                return Ok(Err("not_found"));
            }
        };
        let as_admin =
            crate::admin::accounts::administers(conn, &tenant.id, &invitation.account.id)?;
        let issuer = self.state.issuer(tenant);
        crate::web::pages::mail_invitation(
            self.state,
            &issuer,
            &tenant.name,
            &invitation,
            as_admin,
        );
        Ok(Ok("profile_moved"))
    }

    /// The new password, after the current one was confirmed.
    fn change_password(&self, conn: &mut AnyConnection) -> Result<Done, DbError> {
        let (tenant, session) = (&self.user.tenant, &self.user.session);
        let change = identity::PasswordChange {
            new: self.form.new_password.as_deref().unwrap_or_default(),
            min_chars: tenant.policy.password_min_length,
            keep_session: &session.id,
        };
        let hasher = &self.state.password_hasher;
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
}

fn profile_done(result: Result<(), ProfileError>, done: &'static str) -> Result<Done, DbError> {
    match result {
        Ok(()) => Ok(Ok(done)),
        Err(ProfileError::Db(e)) => Err(e),
        Err(e) => Ok(Err(profile_error_code(&e))),
    }
}

/// `POST {issuer}/account/mfa/start`: a new seed, shown as a QR code and a key.
pub async fn mfa_start(
    state: web::Data<AppState>,
    user: SignedIn,
    req: HttpRequest,
    form: CsrfForm<AccountForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &user.tenant, &req);
    let (app, page_frame, browser) = (state.clone(), frame.clone(), form.browser);
    let outcome = state
        .db
        .run(move |conn| {
            let tenant = &user.tenant;
            let Ok(account) = identity::find_account(
                conn,
                app.keys.vault(),
                &tenant.id,
                &user.session.account_id,
            ) else {
                return Ok(page_frame.failure());
            };
            let (master, email) = (app.keys.master(), account.email.as_str());
            let enrollment = match mfa::start_enrollment(
                conn,
                master,
                &tenant.id,
                &account.id,
                &tenant.name,
                email,
            ) {
                Ok(enrollment) => enrollment,
                Err(mfa::MfaError::Db(e)) => return Err(e),
                Err(_) => return Ok(Outcome::Redirect(format!("{}/account", page_frame.issuer))),
            };
            let qr = mfa::qr_svg(&enrollment.otpauth_url).unwrap_or_default();
            let html = EnrollPage {
                issuer: &page_frame.issuer,
                tenant_name: &page_frame.tenant_name,
                t: &page_frame.t,
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

/// `POST {issuer}/account/mfa/confirm`: a valid code turns it on (audited); the recovery
/// codes are shown once.
pub async fn mfa_confirm(
    state: web::Data<AppState>,
    user: SignedIn,
    req: HttpRequest,
    ip: ClientIp,
    form: CsrfForm<AccountForm>,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &user.tenant, &req);
    let code = form.into_inner().code.unwrap_or_default();
    let (app, page_frame) = (state.clone(), frame.clone());
    let outcome = state
        .db
        .run(move |conn| {
            let (tenant, account) = (&user.tenant.id, &user.session.account_id);
            let actor = crate::audit::Actor {
                id: account.to_string(),
                ip: ip.0.clone(),
            };
            let codes = match mfa::confirm_enrollment(
                conn,
                app.keys.master(),
                tenant,
                account,
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
                t: &page_frame.t,
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

#[derive(Template)]
#[template(path = "merge_preview.html")]
struct MergePreviewPage<'a> {
    issuer: &'a str,
    tenant_name: &'a str,
    t: &'a Texts,
    csrf_token: &'a str,
    other_email: &'a str,
    plan: &'a crate::lifecycle::merge::MergePlan,
    proof: &'a str,
}

/// `POST {issuer}/account/merge/prove`: the person proves a second account of theirs (its
/// address, password and second factor, as at a sign-in); the answer is the preview of
/// merging it into the signed-in one, carrying a single-use proof to the confirmation.
async fn merge_preview(
    state: web::Data<AppState>,
    user: SignedIn,
    ip: ClientIp,
    frame: PageFrame,
    browser: String,
    form: AccountForm,
) -> HttpResponse {
    use crate::lifecycle::merge;
    let app = state.clone();
    let page_frame = frame.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let (tenant, account) = (&user.tenant, &user.session.account_id);
            let issuer = &page_frame.issuer;
            let back = |code: &str| Outcome::Redirect(format!("{issuer}/account?error={code}"));
            let attempt = signin::Attempt {
                tenant: &tenant.id,
                vault: app.keys.vault(),
                security: &app.settings.security,
                sessions: &app.settings.sessions,
                ip: &ip.0,
                browser_hash: "",
                previous_session: None,
            };
            let email = form.email.as_deref().unwrap_or_default();
            let proof = signin::prove_other_account(
                conn,
                &app.password_hasher,
                app.keys.master(),
                &attempt,
                email,
                form.other_password.as_deref().unwrap_or_default(),
                form.code.as_deref(),
            )?;
            let other = match proof {
                signin::Proof::Proved(other) if other == *account => return Ok(back("merge_same")),
                signin::Proof::Proved(other) => other,
                signin::Proof::Refused => return Ok(back("merge_refused")),
                signin::Proof::CodeNeeded => return Ok(back("merge_code")),
                signin::Proof::RateLimited(_) => return Ok(back("rate_limited")),
            };
            let plan = match merge::preview(conn, app.keys.vault(), &tenant.id, account, &other) {
                Ok(plan) => plan,
                Err(merge::MergeError::Account(AccountError::Db(e))) => return Err(e),
                Err(_) => return Ok(back("merge_failed")),
            };
            let token = merge::issue_proof(conn, &tenant.id, account, &other)?;
            let html = MergePreviewPage {
                issuer,
                tenant_name: &page_frame.tenant_name,
                t: &page_frame.t,
                csrf_token: &sessions::csrf_token(&browser),
                other_email: email,
                plan: &plan,
                proof: &token,
            }
            .render();
            Ok::<_, DbError>(page_frame.page(html))
        })
        .await
        .unwrap_or_else(|e| frame.error(&e));
    respond(outcome, vec![])
}
