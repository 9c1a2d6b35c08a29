//! Listing, creating, suspending, resuming and deleting tenants.

use super::*;

pub(super) fn notice(code: Option<&str>) -> Option<String> {
    Some(
        match code? {
            "created" => "The tenant was created.",
            "invited" => "The tenant was created and its administrator was mailed a link to choose a password.",
            "suspended" => "The tenant was suspended: its pages and endpoints answer 403.",
            "resumed" => "The tenant is active again.",
            "deleted" => "The tenant and everything it held were deleted.",
            _ => return None,
        }
        .to_owned(),
    )
}

fn tenants_page(call: &mut Call, error: Option<String>) -> Result<ConsolePage, DbError> {
    let base = base(call.state);
    let list = platform::tenant_summaries(call.conn)?;
    let mut page = ConsolePage::new("Tenants");
    page.error = error;
    page.push(Block::Table(TableView {
        headers: vec!["Slug", "Name", "Status", "Accounts", "Clients", "Created"],
        rows: list
            .iter()
            .map(|t| {
                vec![
                    Cell::Link(link(&t.slug, format!("{base}/tenants/{}", t.slug))),
                    Cell::Text(t.name.clone()),
                    Cell::Text(t.status.clone()),
                    Cell::Text(t.accounts.to_string()),
                    Cell::Text(t.clients.to_string()),
                    Cell::Text(t.created_at.clone()),
                ]
            })
            .collect(),
        empty: "No tenants yet.",
    }));
    page.push(Block::Form(
        FormView::post(
            "new-tenant",
            format!("{base}/tenants"),
            "Create tenant",
            vec![
                Field::text("slug", "Slug", "")
                    .required()
                    .hint("Lowercase letters, digits and hyphens; part of the issuer URL."),
                Field::text("name", "Display name", "").required(),
                Field::input("admin_email", "First administrator's email", "email", "")
                    .hint("Optional: they get tenant:admin and a link to choose a password."),
            ],
        )
        .titled("New tenant"),
    ));
    page.push(Block::Form(
        FormView::post("logout", format!("{base}/logout"), "Sign out", Vec::new())
            .titled("Session"),
    ));
    Ok(page)
}

pub async fn tenants(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
) -> HttpResponse {
    let done = done_code(&req);
    serve(state, req, Gate::SignedIn(admin), move |call| {
        let mut page = tenants_page(call, None)?;
        page.notice = notice(done.as_deref());
        page_only(call.render(&page, StatusCode::OK))
    })
    .await
}

fn tenant_error(e: PlatformError) -> Result<String, DbError> {
    match e {
        PlatformError::Db(e) | PlatformError::Tenant(TenantError::Db(e)) => Err(e),
        PlatformError::Account(crate::identity::AccountError::Db(e)) => Err(e),
        other => Ok(other.to_string()),
    }
}

pub async fn create_tenant(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    act(
        state,
        req,
        form,
        Gate::SignedIn(admin),
        move |call, form| {
            let actor = call.actor();
            let created = platform::create_tenant(
                call.conn,
                call.state.keys.vault(),
                &call.state.password_hasher,
                &actor,
                form.slug.as_deref().unwrap_or_default().trim(),
                form.name.as_deref().unwrap_or_default(),
                form.admin_email.as_deref(),
            );
            match created {
                Ok((tenant, invitation)) => {
                    let code = match invitation {
                        Some(invitation) => {
                            let issuer = call.state.issuer(&tenant);
                            crate::web::pages::mail_reset_link(
                                call.state,
                                &issuer,
                                &tenant.name,
                                invitation.to.as_str(),
                                &invitation.token,
                            );
                            "invited"
                        }
                        None => "created",
                    };
                    page_only(Outcome::Redirect(format!(
                        "{}?done={code}",
                        base(call.state)
                    )))
                }
                Err(e) => {
                    let message = tenant_error(e)?;
                    let page = tenants_page(call, Some(message))?;
                    page_only(call.render(&page, StatusCode::BAD_REQUEST))
                }
            }
        },
    )
    .await
}

fn tenant_page(
    call: &mut Call,
    slug: &str,
    error: Option<String>,
) -> Result<Option<ConsolePage>, DbError> {
    let Some(tenant) = crate::tenancy::tenants::resolve(call.conn, slug)? else {
        return Ok(None);
    };
    let Some(summary) = platform::tenant_summaries(call.conn)?
        .into_iter()
        .find(|t| t.slug == slug)
    else {
        return Ok(None);
    };
    let base = base(call.state);
    let mut page = ConsolePage::new(format!("Tenant {}", summary.slug));
    page.error = error;
    page.push(Block::Facts(vec![
        ("Name".into(), summary.name.clone()),
        ("Issuer".into(), call.state.issuer(&tenant)),
        (
            "Console".into(),
            format!("{}/admin", call.state.issuer(&tenant)),
        ),
        ("Status".into(), summary.status.clone()),
        ("Accounts".into(), summary.accounts.to_string()),
        ("Clients".into(), summary.clients.to_string()),
        ("Created".into(), summary.created_at.clone()),
    ]));
    let action = |verb: &str| format!("{base}/tenants/{slug}/{verb}");
    let status_button = if summary.status == "active" {
        danger_button(action("suspend"), "Suspend tenant", vec![])
    } else {
        super::super::console::page::button(action("resume"), "Resume tenant", vec![])
    };
    page.push(Block::Table(TableView {
        headers: vec!["Action"],
        rows: vec![vec![status_button]],
        empty: "",
    }));
    page.push(Block::Form(
        FormView::post(
            "delete-tenant",
            action("delete"),
            "Delete tenant and all its data",
            vec![Field::text("confirm", "Type the slug to confirm", "").required()],
        )
        .titled("Delete")
        .danger(),
    ));
    Ok(Some(page))
}

pub async fn tenant(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
) -> HttpResponse {
    let slug = req.match_info().get("slug").unwrap_or_default().to_owned();
    serve(
        state,
        req,
        Gate::SignedIn(admin),
        move |call| match tenant_page(call, &slug, None)? {
            Some(page) => page_only(call.render(&page, StatusCode::OK)),
            None => page_only(not_found(call)),
        },
    )
    .await
}

pub async fn tenant_action(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    req: HttpRequest,
    form: PlatformForm,
) -> HttpResponse {
    let slug = req.match_info().get("slug").unwrap_or_default().to_owned();
    let verb = req
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
            let actor = call.actor();
            let result = match verb.as_str() {
                "suspend" => {
                    platform::set_status(call.conn, &actor, &slug, TenantStatus::Suspended)
                        .map(|_| "suspended")
                }
                "resume" => platform::set_status(call.conn, &actor, &slug, TenantStatus::Active)
                    .map(|_| "resumed"),
                "delete" => platform::delete_tenant(
                    call.conn,
                    &actor,
                    &slug,
                    form.confirm.as_deref().unwrap_or_default(),
                )
                .map(|_| "deleted"),
                _ => return page_only(not_found(call)),
            };
            match result {
                Ok(code) => {
                    // This node forgets the tenant at once; others within the cache TTL.
                    super::super::forget_tenant(call.state, &slug);
                    let base = base(call.state);
                    let back = if code == "deleted" {
                        base.clone()
                    } else {
                        format!("{base}/tenants/{slug}")
                    };
                    page_only(Outcome::Redirect(format!("{back}?done={code}")))
                }
                Err(PlatformError::Tenant(TenantError::NotFound(_))) => page_only(not_found(call)),
                Err(e) => {
                    let message = tenant_error(e)?;
                    match tenant_page(call, &slug, Some(message))? {
                        Some(page) => page_only(call.render(&page, StatusCode::BAD_REQUEST)),
                        None => page_only(not_found(call)),
                    }
                }
            }
        },
    )
    .await
}

// ----- the administrator's own second factor ------------------------------------------
