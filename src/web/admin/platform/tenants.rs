//! Listing, creating, suspending, resuming and deleting tenants.

use super::*;
use crate::web::pages::mail_invitation;

pub(super) fn notice(code: Option<&str>) -> Option<String> {
    Some(
        match code? {
            "created" => "The tenant was created.",
            "invited" => "The tenant was created and its administrator was mailed an invitation (valid for 7 days).",
            "admin_invited" => "The administrator was mailed an invitation (valid for 7 days).",
            "invitation_resent" => "A new invitation was mailed; the earlier links no longer work.",
            "suspended" => "The tenant was suspended: its pages and endpoints answer 403.",
            "resumed" => "The tenant is active again.",
            "deleted" => "The tenant and everything it held were deleted.",
            _ => return None,
        }
        .to_owned(),
    )
}

/// The tenants and the form for a new one (refilled with what was typed when it was refused).
fn tenants_page(
    call: &mut Call,
    error: Option<String>,
    typed: &Fields,
) -> Result<ConsolePage, DbError> {
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
                    Cell::Text(crate::web::when::describe_rfc3339(&t.created_at, "UTC")),
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
                Field::text("slug", "Slug", typed.slug.clone().unwrap_or_default())
                    .required()
                    .hint("Lowercase letters, digits and hyphens; part of the issuer URL."),
                Field::text("name", "Display name", typed.name.clone().unwrap_or_default())
                    .required(),
                Field::input(
                    "admin_email",
                    "First administrator's email",
                    "email",
                    typed.admin_email.clone().unwrap_or_default(),
                )
                .hint("Optional: they are invited by mail to administer the tenant (the link works for 7 days)."),
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
        let mut page = tenants_page(call, None, &Fields::default())?;
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
                            mail_invitation(call.state, &issuer, &tenant.name, &invitation, true);
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
                    let page = tenants_page(call, Some(message), &form)?;
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
        (
            "Created".into(),
            crate::web::when::describe_rfc3339(&summary.created_at, "UTC"),
        ),
    ]));
    let action = |verb: &str| format!("{base}/tenants/{slug}/{verb}");
    let admins = match platform::tenant_admins(call.conn, call.state.keys.vault(), &tenant) {
        Ok(admins) => admins,
        Err(e) => {
            tenant_error(e)?;
            Vec::new()
        }
    };
    page.push(Block::Heading("Administrators".into()));
    page.push(Block::Table(TableView {
        headers: vec!["Email", "Profile", "Status", "Action"],
        rows: admins
            .iter()
            .map(|admin| {
                let (status, action_cell) = match (admin.invited_at, admin.link_expires_at) {
                    (None, _) => ("Active".to_owned(), Cell::Text(String::new())),
                    (Some(invited), expires) => (
                        match expires {
                            Some(at) => format!(
                                "Invited {}; the link works until {}",
                                crate::web::when::describe(invited, "UTC"),
                                crate::web::when::describe(at, "UTC")
                            ),
                            None => format!(
                                "Invited {}; the link has expired",
                                crate::web::when::describe(invited, "UTC")
                            ),
                        },
                        super::super::console::page::button(
                            action("resend"),
                            "Re-send invitation",
                            vec![("account", admin.account_id.clone())],
                        ),
                    ),
                };
                vec![
                    Cell::Text(admin.email.clone()),
                    Cell::Text(admin.profile_name.clone()),
                    Cell::Text(status),
                    action_cell,
                ]
            })
            .collect(),
        empty: "No administrator yet: invite one below.",
    }));
    page.push(Block::Form(
        FormView::post(
            "invite-admin",
            action("invite"),
            "Send invitation",
            vec![Field::input("email", "Email", "email", "")
                .required()
                .hint("They get tenant:admin and a link, valid for 7 days, to choose a password; it lands them signed in on the tenant's console.")],
        )
        .titled("Invite an administrator"),
    ));
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
    // What the action that led here did (an invitation sent, the tenant suspended…).
    let done = done_code(&req);
    serve(
        state,
        req,
        Gate::SignedIn(admin),
        move |call| match tenant_page(call, &slug, None)? {
            Some(mut page) => {
                page.notice = notice(done.as_deref());
                page_only(call.render(&page, StatusCode::OK))
            }
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
                "invite" | "resend" => {
                    let vault = call.state.keys.vault();
                    let invited = if verb == "invite" {
                        let email = form.email.as_deref().unwrap_or_default();
                        platform::invite_admin(call.conn, vault, &actor, &slug, email)
                            .map(|i| (i, "admin_invited"))
                    } else {
                        let account = form.account.as_deref().unwrap_or_default();
                        platform::resend_invitation(call.conn, vault, &actor, &slug, account)
                            .map(|i| (i, "invitation_resent"))
                    };
                    invited.and_then(|(invitation, code)| {
                        let tenant = crate::tenancy::tenants::find(call.conn, &slug)?;
                        let issuer = call.state.issuer(&tenant);
                        mail_invitation(call.state, &issuer, &tenant.name, &invitation, true);
                        Ok(code)
                    })
                }
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
