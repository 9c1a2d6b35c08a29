//! A platform administrator's own second factor.

use super::*;

fn signed_in_account(call: &Call) -> crate::domain::AccountId {
    call.session
        .as_ref()
        .map(|s| s.account_id.clone())
        .unwrap_or_else(|| crate::domain::AccountId::from_stored(String::new()))
}

fn security_page(call: &mut Call, error: Option<String>) -> Result<ConsolePage, DbError> {
    let account = signed_in_account(call);
    let enrolled = mfa::is_enrolled(call.conn, &call.platform, &account)?;
    let base = base(call.state);
    let mut page = ConsolePage::new("Two-step verification");
    page.error = error;
    if enrolled {
        page.push(Block::Text(
            "On: signing in asks for a code from your authenticator app (or a recovery code)."
                .into(),
        ));
        page.push(Block::Form(
            FormView::post(
                "mfa-off",
                format!("{base}/mfa/disable"),
                "Turn off",
                vec![Field::input("password", "Current password", "password", "").required()],
            )
            .titled("Turn off")
            .danger(),
        ));
    } else {
        page.push(Block::Text(
            "Off. Platform administrators can create and delete tenants: protect this account with a second factor.".into(),
        ));
        page.push(Block::Form(FormView::post(
            "mfa-start",
            format!("{base}/mfa/start"),
            "Set up",
            Vec::new(),
        )));
    }
    Ok(page)
}

/// `GET /platform/security`
pub async fn security(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
) -> HttpResponse {
    let done = done_code(&req);
    serve(state, req, Gate::SignedIn(admin), move |call| {
        let mut page = security_page(call, None)?;
        page.notice = match done.as_deref() {
            Some("mfa_on") => Some("Two-step verification is on.".into()),
            Some("mfa_off") => Some("Two-step verification is off.".into()),
            _ => None,
        };
        page_only(call.render(&page, StatusCode::OK))
    })
    .await
}

/// `POST /platform/mfa/{start|confirm|disable}`
pub async fn mfa_action(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    let action = req
        .match_info()
        .get("action")
        .unwrap_or_default()
        .to_owned();
    act(
        state,
        req,
        form,
        Gate::SignedIn(admin),
        move |call, form| {
            let result = match action.as_str() {
                "start" => mfa_start(call),
                "confirm" => mfa_confirm(call, form.code.as_deref().unwrap_or_default()),
                "disable" => mfa_disable(call, form.password.as_deref().unwrap_or_default()),
                _ => return page_only(not_found(call)),
            };
            match result {
                Ok(answer) => Ok(answer),
                Err(mfa::MfaError::Db(e)) => Err(e),
                Err(e) => {
                    let message = match e {
                        mfa::MfaError::InvalidCode => {
                            "That code did not match. Set up again and use the newest code."
                                .to_owned()
                        }
                        other => other.to_string(),
                    };
                    let page = security_page(call, Some(message))?;
                    page_only(call.render(&page, StatusCode::BAD_REQUEST))
                }
            }
        },
    )
    .await
}

/// A new seed: the QR code, the key, and the form for the first code.
fn mfa_start(call: &mut Call) -> Result<Answer, mfa::MfaError> {
    let account = signed_in_account(call);
    let email =
        crate::identity::find_account(call.conn, call.state.keys.vault(), &call.platform, &account)
            .map(|a| a.email.to_string())
            .unwrap_or_default();
    let enrollment = mfa::start_enrollment(
        call.conn,
        call.state.keys.master(),
        &call.platform,
        &account,
        "Tessera platform",
        &email,
    )?;
    let mut page = ConsolePage::new("Two-step verification: set up");
    page.push(Block::Text(
        "Scan the code with an authenticator app, or enter the key by hand, then type the 6-digit code it shows.".into(),
    ));
    if let Some(svg) = mfa::qr_svg(&enrollment.otpauth_url) {
        page.push(Block::Qr(svg));
    }
    page.push(Block::Facts(vec![("Key".into(), enrollment.secret_base32)]));
    page.push(Block::Form(FormView::post(
        "mfa-confirm",
        format!("{}/mfa/confirm", base(call.state)),
        "Turn on",
        vec![Field::input("code", "Code", "text", "").required()],
    )));
    Ok(page_only(call.render(&page, StatusCode::OK))?)
}

/// The first code turns it on; the recovery codes are shown this once.
fn mfa_confirm(call: &mut Call, code: &str) -> Result<Answer, mfa::MfaError> {
    let account = signed_in_account(call);
    let (master, platform, actor) = (
        call.state.keys.master(),
        call.platform.clone(),
        call.actor(),
    );
    // The factor and its audit entry land together.
    let codes = mfa::confirm_enrollment(call.conn, master, &platform, &account, code, &actor)?;
    let mut page = ConsolePage::new("Two-step verification is on");
    page.push(Block::Text(
        "Keep these recovery codes somewhere safe. Each works once, if you lose your authenticator. They are shown only now.".into(),
    ));
    page.push(Block::Table(TableView {
        headers: vec!["Recovery codes"],
        rows: codes.into_iter().map(|c| vec![Cell::Code(c)]).collect(),
        empty: "",
    }));
    page.push(Block::Link(link(
        "Done",
        format!("{}/security", base(call.state)),
    )));
    Ok(page_only(call.render(&page, StatusCode::OK))?)
}

/// Turning it off needs the current password, counted toward the lockout when wrong.
fn mfa_disable(call: &mut Call, password: &str) -> Result<Answer, mfa::MfaError> {
    let account = signed_in_account(call);
    let (platform, actor) = (call.platform.clone(), call.actor());
    let hash = sessions::browser_hash(&call.browser);
    let state = call.state;
    let attempt = signin::Attempt {
        tenant: &platform,
        vault: state.keys.vault(),
        security: &state.settings.security,
        sessions: &state.settings.sessions,
        ip: &actor.ip,
        browser_hash: &hash,
        previous_session: None,
    };
    let hasher = &state.password_hasher;
    match signin::reauthenticate_password(call.conn, hasher, &attempt, &account, password)? {
        signin::Reauth::Confirmed => {}
        signin::Reauth::Refused | signin::Reauth::RateLimited(_) => {
            return Err(mfa::MfaError::WrongPassword)
        }
    }
    mfa::disable(call.conn, &platform, &account, &actor)?;
    Ok(page_only(Outcome::Redirect(format!(
        "{}/security?done=mfa_off",
        base(call.state)
    )))?)
}
