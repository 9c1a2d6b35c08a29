//! The console's settings section.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::{self, AdminError};
use crate::tenancy::tenants::{BrandingChanges, PolicyChanges};
use crate::web::AppState;

use super::page::*;
use super::*;

page_handler!(settings, "settings", settings_page);

fn settings_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let current = admin::settings::get(call.conn, &call.who, &call.ctx.tenant)?;
    let policy = &current.policy;
    let lifetime = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut page = ConsolePage::new("Settings");
    page.push(Block::Form(
        FormView::post(
            "policy",
            call.url("/settings/policy"),
            "Save policies",
            vec![
                Field::input(
                    "password_min_length",
                    "Minimum password length",
                    "number",
                    policy.password_min_length.to_string(),
                )
                .hint("8 to 64 characters."),
                Field::select(
                    "mfa",
                    "Two-step verification",
                    &[
                        ("off", "Off"),
                        ("optional", "Optional (users who enrolled)"),
                        ("required", "Required for everyone"),
                    ],
                    policy.mfa.as_str(),
                ),
                Field::checkbox("self_signup", "Allow self sign-up", policy.self_signup),
                Field::select(
                    "email_verification",
                    "Email verification",
                    &[
                        ("optional", "Optional"),
                        ("required", "Required before sign-in"),
                    ],
                    &policy.email_verification,
                ),
                Field::select(
                    "client_registration",
                    "Dynamic client registration (RFC 7591)",
                    &[
                        ("off", "Off"),
                        ("token", "With an initial access token"),
                        ("open", "Open: public clients with loopback or https redirect URIs"),
                    ],
                    &policy.client_registration,
                ),
                Field::input(
                    "session_idle_secs",
                    "Session idle timeout (seconds)",
                    "number",
                    lifetime(policy.session_idle_secs),
                )
                .hint("Empty or 0: the instance default."),
                Field::input(
                    "session_absolute_secs",
                    "Session lifetime (seconds)",
                    "number",
                    lifetime(policy.session_absolute_secs),
                ),
                Field::input(
                    "access_token_secs",
                    "Access-token lifetime (seconds)",
                    "number",
                    lifetime(policy.access_token_secs),
                ),
                Field::input(
                    "refresh_idle_secs",
                    "Refresh-token idle lifetime (seconds)",
                    "number",
                    lifetime(policy.refresh_idle_secs),
                ),
                Field::input(
                    "refresh_absolute_secs",
                    "Refresh-token lifetime (seconds)",
                    "number",
                    lifetime(policy.refresh_absolute_secs),
                ),
                Field::input(
                    "retention_inactive_days",
                    "Erase accounts unused for (days)",
                    "number",
                    lifetime(policy.retention_inactive_days),
                )
                .hint("30 or more; a warning mail goes out 14 days before. Empty or 0: never."),
                Field::input(
                    "retention_audit_days",
                    "Keep audit entries for (days)",
                    "number",
                    lifetime(policy.retention_audit_days),
                )
                .hint("7 or more; older entries are dropped behind a signed anchor. Empty or 0: forever."),
            ],
        )
        .titled("Policies"),
    ));
    page.push(Block::Form(
        FormView::post(
            "branding",
            call.url("/settings/branding"),
            "Save branding",
            vec![
                Field::text("name", "Display name", current.name.clone()).required(),
                Field::input(
                    "logo_url",
                    "Logo URL",
                    "url",
                    current.branding.logo_url.clone().unwrap_or_default(),
                )
                .hint("https; shown above the hosted pages. Empty for none."),
                Field::input(
                    "accent_color",
                    "Accent colour",
                    "text",
                    current.branding.accent_color.clone().unwrap_or_default(),
                )
                .hint("Like #3b5bdb. Empty for the default."),
                Field::text("time_zone", "Time zone", current.branding.time_zone.clone())
                    .hint("An IANA name such as Europe/Berlin: times on the hosted pages and in this console are shown in it. Empty for UTC."),
                Field::area(
                    "texts",
                    "Your own texts",
                    crate::tenancy::branding::text_lines(&current.branding.texts),
                )
                .hint("One per line: LANG ID = TEXT, e.g. de login-title = Willkommen bei Acme. The ids and the English texts are in locales/en/*.ftl; { $name } arguments may be used as there. Empty for the built-in texts."),
            ],
        )
        .titled("Branding"),
    ));
    Ok(page)
}

fn number(value: Option<&str>, what: &str) -> Result<Option<i64>, AdminError> {
    match value.map(str::trim) {
        None | Some("") => Ok(Some(0)),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AdminError::Invalid(format!("{what} must be a whole number"))),
    }
}

pub async fn settings_action(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let tenant = call.ctx.tenant.clone();
        let result = match call.param("section").as_str() {
            "policy" => policy_changes(&form).and_then(|changes| {
                admin::settings::set_policy(
                    call.conn,
                    &call.state.settings,
                    &call.who,
                    &tenant,
                    changes,
                )
                .map(|_| "policy")
            }),
            "branding" => {
                let lines = form.texts.as_deref().unwrap_or_default();
                crate::tenancy::branding::parse_text_lines(lines)
                    .map_err(|e| AdminError::Invalid(e.to_string()))
                    .and_then(|texts| {
                        let changes = BrandingChanges {
                            name: form.name.clone().unwrap_or_default(),
                            logo_url: form.logo_url.clone().unwrap_or_default(),
                            accent_color: form.accent_color.clone().unwrap_or_default(),
                            texts,
                            time_zone: form.time_zone.clone().unwrap_or_default(),
                        };
                        admin::settings::set_branding(call.conn, &call.who, &tenant, &changes)
                    })
                    .map(|_| "branding")
            }
            _ => return Err(AdminError::NotFound),
        };
        match result {
            Ok(code) => {
                crate::web::admin::forget_tenant(call.state, tenant.slug.as_str());
                Ok(done(call, "/settings", code))
            }
            Err(e) => retry(call, "settings", e, settings_page),
        }
    })
    .await
}

fn policy_changes(form: &ConsoleForm) -> Result<PolicyChanges, AdminError> {
    let length = form
        .password_min_length
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<usize>().map_err(|_| {
                AdminError::Invalid("the minimum password length must be a whole number".into())
            })
        })
        .transpose()?;
    let mfa = match form.mfa.as_deref() {
        Some(value) => Some(
            crate::tenancy::policy::MfaPolicy::parse(value)
                .ok_or_else(|| AdminError::Invalid("unknown second-factor policy".into()))?,
        ),
        None => None,
    };
    Ok(PolicyChanges {
        password_min_length: length,
        mfa,
        // An unchecked box is absent from the form: absent means off here.
        self_signup: Some(form.self_signup.is_some()),
        email_verification: form.email_verification.clone(),
        client_registration: form.client_registration.clone(),
        session_idle_secs: number(
            form.session_idle_secs.as_deref(),
            "the session idle timeout",
        )?,
        session_absolute_secs: number(
            form.session_absolute_secs.as_deref(),
            "the session lifetime",
        )?,
        access_token_secs: number(
            form.access_token_secs.as_deref(),
            "the access-token lifetime",
        )?,
        refresh_idle_secs: number(
            form.refresh_idle_secs.as_deref(),
            "the refresh-token idle lifetime",
        )?,
        refresh_absolute_secs: number(
            form.refresh_absolute_secs.as_deref(),
            "the refresh-token lifetime",
        )?,
        retention_inactive_days: number(
            form.retention_inactive_days.as_deref(),
            "the inactivity period",
        )?,
        retention_audit_days: number(form.retention_audit_days.as_deref(), "the audit retention")?,
    })
}
