//! Signing platform administrators in and out, and the one-time setup of the first one.

use super::*;

fn login_page(call: &Call, error: Option<&str>, status: StatusCode) -> Outcome {
    let mut page = ConsolePage::new("Sign in");
    page.error = error.map(str::to_owned);
    page.push(Block::Form(FormView::post(
        "login",
        format!("{}/login", base(call.state)),
        "Sign in",
        vec![
            Field::input("email", "Email", "email", "").required(),
            Field::input("password", "Password", "password", "").required(),
            Field::input("code", "Authentication code", "text", "").hint(
                "From your authenticator app, or a recovery code, if two-step verification is on.",
            ),
        ],
    )));
    render(call.state, &page, &call.browser, false, status)
}

/// Runs a sign-in step of `identity::signin` for this browser in one write transaction.
fn signin_step<T>(
    call: &mut Call,
    step: impl FnMut(&mut AnyConnection, &signin::Attempt) -> Result<T, DbError>,
) -> Result<T, DbError> {
    let mut step = step;
    let hash = sessions::browser_hash(&call.browser);
    let attempt = signin::Attempt {
        tenant: &call.platform,
        vault: call.state.keys.vault(),
        security: &call.state.settings.security,
        sessions: &call.state.settings.sessions,
        ip: &call.ip,
        browser_hash: &hash,
        previous_session: call.cookie.as_deref(),
    };
    tx::write(call.conn, |conn| step(conn, &attempt))
}

/// The new session's cookie and the console.
fn signed_in(call: &Call, signed_in: signin::SignedIn) -> Result<Answer, DbError> {
    let max_age = call.state.settings.sessions.absolute_lifetime_secs;
    let scope = scope(call.state);
    let cookie = scope.set(SESSION, signed_in.cookie, max_age);
    let browser = scope.browser_cookie(BROWSER, signed_in.browser);
    Ok((Outcome::Redirect(base(call.state)), vec![cookie, browser]))
}

pub async fn login_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    serve(state, req, Gate::Anonymous, |call| {
        page_only(login_page(call, None, StatusCode::OK))
    })
    .await
}

/// Email, password and (once set up) the second factor's code, in one form: every part is
/// checked by `identity::signin`, and any failure gets the same answer.
pub async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    let form = form.into_inner();
    let ip = ClientIp::of(&req).0;
    let checked = match check_password(&state, &ip, &form).await {
        Ok(checked) => checked,
        Err(outcome) => return respond(outcome, vec![]),
    };
    serve(state, req, Gate::Anonymous, move |call| {
        let factor = signin::Factor::Inline(form.code.as_deref());
        let step = signin_step(call, |conn, attempt| {
            signin::password(conn, attempt, &checked, factor, false)
        })?;
        match step {
            signin::Step::SignedIn(session) => signed_in(call, *session),
            _ => page_only(login_page(
                call,
                Some("The email, password or code is incorrect, or this account cannot sign in."),
                StatusCode::UNAUTHORIZED,
            )),
        }
    })
    .await
}

/// The per-address limit and the account, then the password in its turn with no database
/// connection held.
async fn check_password(
    state: &AppState,
    ip: &str,
    form: &Fields,
) -> Result<signin::Checked, Outcome> {
    let limit = state.settings.security.login_attempts_per_minute;
    let (email, limited) = (form.email.clone().unwrap_or_default(), frame(state));
    let ip = ip.to_owned();
    let keys = state.keys.clone();
    let found = state
        .db
        .run(move |conn| {
            let platform = platform::internal_tenant(conn)?;
            let door = signin::Door::Password;
            if let Some(retry_after) = signin::admit(conn, &platform, &ip, door, limit)? {
                return Ok(Err(Outcome::RateLimited(limited, retry_after)));
            }
            Ok::<_, DbError>(Ok(signin::find(conn, keys.vault(), &platform, &email)?))
        })
        .await
        .map_err(|e| frame(state).error(&e))??;
    let password = form.password.clone().unwrap_or_default();
    let check = move |hasher: &_| signin::check(hasher, found, &password);
    state.password_hasher.run(check).await.map_err(|e| {
        tracing::error!(error = %e, "password check failed");
        frame(state).failure()
    })
}

pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    act(state, req, form, Gate::Anonymous, move |call, _form| {
        if let Some(session) = call.session.take() {
            sessions::end(
                call.conn,
                &call.platform,
                &session.id,
                sessions::EndReason::Logout,
            )?;
        }
        let removal = scope(call.state).clear(SESSION);
        Ok((
            Outcome::Redirect(format!("{}/login", base(call.state))),
            vec![removal],
        ))
    })
    .await
}

fn setup_page(call: &Call, token: &str, error: Option<String>, status: StatusCode) -> Outcome {
    let mut page = ConsolePage::new("Create the first platform administrator");
    page.error = error;
    page.push(Block::Form(
        FormView::post(
            "setup",
            format!("{}/setup", base(call.state)),
            "Create administrator",
            vec![
                Field::input("email", "Email", "email", "").required(),
                Field::input("password", "Password", "password", "")
                    .required()
                    .hint("At least 12 characters."),
            ],
        )
        .hidden("token", token),
    ));
    call.render(&page, status)
}

fn setup_expired(call: &mut Call) -> Result<Outcome, DbError> {
    let mut page = ConsolePage::new("This setup link no longer works");
    if platform::has_admin(call.conn)? {
        // The link did its job (or another one did): the way on is signing in.
        page.push(Block::Text(
            "A platform administrator exists already, so setup links are no longer needed.".into(),
        ));
        page.push(Block::Link(link(
            "Sign in to the platform console",
            format!("{}/login", super::base(call.state)),
        )));
    } else {
        page.push(Block::Text(
            "Links last an hour, and only the newest one works. For a new link, run this on the server (or restart it: the link is printed at start):".into(),
        ));
        page.push(Block::Facts(vec![(
            "Command".into(),
            "tessera admin setup-link".into(),
        )]));
    }
    Ok(call.render(&page, StatusCode::GONE))
}

/// `GET /platform/setup?token=…`: the one-time link printed at start.
pub async fn setup_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PlatformQuery>,
) -> HttpResponse {
    let token = query.into_inner().token.unwrap_or_default();
    serve(state, req, Gate::Anonymous, move |call| {
        if platform::setup_token_is_live(call.conn, &token)? {
            page_only(setup_page(call, &token, None, StatusCode::OK))
        } else {
            page_only(setup_expired(call)?)
        }
    })
    .await
}

pub async fn setup_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    act(state, req, form, Gate::Anonymous, move |call, form| {
        let token = form.token.clone().unwrap_or_default();
        let created = platform::complete_setup(
            call.conn,
            call.state.keys.vault(),
            &call.state.password_hasher,
            &token,
            form.email.as_deref().unwrap_or_default(),
            form.password.as_deref().unwrap_or_default(),
            &call.ip,
        );
        match created {
            Ok(account) => {
                let session = signin_step(call, |conn, attempt| {
                    signin::start_session(conn, attempt, account.clone(), &["pwd"], "setup")
                })?;
                signed_in(call, session)
            }
            Err(PlatformError::SetupLinkInvalid) => page_only(setup_expired(call)?),
            Err(PlatformError::Db(e)) => Err(e),
            Err(e) => page_only(setup_page(
                call,
                &token,
                Some(e.to_string()),
                StatusCode::BAD_REQUEST,
            )),
        }
    })
    .await
}

// ----- tenants ----------------------------------------------------------------------------
