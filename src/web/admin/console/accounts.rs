//! The console's accounts section.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::{self, AdminError, PageRequest, Permission};
use crate::web::AppState;

use super::page::*;
use super::*;

page_handler!(accounts, "accounts", accounts_page);
page_handler!(account, "accounts", account_page);
page_handler!(duplicates, "accounts", duplicates_page);
page_handler!(merge_preview, "accounts", merge_page);

/// `?from=` of the merge preview: the account to merge away (id or email).
#[derive(Debug, Default, serde::Deserialize)]
struct MergeQuery {
    from: Option<String>,
}

/// `GET {issuer}/admin/duplicates`: accounts that look like one person, each pair linking
/// to the merge preview.
fn duplicates_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let flash: Flash = call.query();
    let vault = call.state.keys.vault();
    let groups = admin::accounts::duplicates(call.conn, vault, &call.who, flash.reveal(&call.who))?;
    let mut page = ConsolePage::new("Accounts that look like one person");
    page.push(Block::Text(
        "Each row is an account whose sign-in address is another account's profile email, \
         or two accounts acting for customers that share an identifier. If both are one \
         person, review the merge: the other account's profiles move to the first, and the \
         other account becomes a tombstone."
            .into(),
    ));
    let mut rows = Vec::new();
    for group in &groups {
        for other in &group.others {
            let review = format!("/accounts/{}/merge?from={}", group.account, other.account);
            let shared = match &group.identifier {
                Some(kind) => format!("Customer identifier {kind}"),
                None => group.email.clone(),
            };
            rows.push(vec![
                Cell::Text(shared),
                Cell::Link(link(
                    group.account.clone(),
                    call.url(&format!("/accounts/{}", group.account)),
                )),
                Cell::Link(link(
                    other.account.clone(),
                    call.url(&format!("/accounts/{}", other.account)),
                )),
                Cell::Link(link("Review merge", call.url(&review))),
            ]);
        }
    }
    page.push(Block::Table(TableView {
        headers: vec!["Shared", "Account", "Looks like the same person", "Merge"],
        rows,
        empty: "No accounts look like one person.",
    }));
    if let Some(block) = reveal_form(call, &flash, "/duplicates", Vec::new()) {
        page.push(block);
    }
    Ok(page)
}

/// `GET {issuer}/admin/accounts/{id}/merge?from=…`: what a merge would move, and the button.
fn merge_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let id = call.param("account_id");
    let from = call.query::<MergeQuery>().from.unwrap_or_default();
    let vault = call.state.keys.vault();
    let plan = admin::accounts::merge_preview(call.conn, vault, &call.who, &id, from.trim())?;
    let mut page = ConsolePage::new("Merge two accounts");
    let account = |id: &str| call.url(&format!("/accounts/{id}"));
    page.push(Block::Table(TableView {
        headers: vec!["", "Account"],
        rows: vec![
            vec![
                Cell::Text("Stays".into()),
                Cell::Link(link(plan.into.clone(), account(&plan.into))),
            ],
            vec![
                Cell::Text("Is merged away".into()),
                Cell::Link(link(plan.from.clone(), account(&plan.from))),
            ],
        ],
        empty: "",
    }));
    page.push(Block::Heading("Profiles that move".into()));
    page.push(Block::Table(TableView {
        headers: vec!["Profile", "Profile ID", "Name after the merge"],
        rows: plan
            .profiles
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.name.clone()),
                    Cell::Code(p.id.clone()),
                    Cell::Text(p.new_name.clone()),
                ]
            })
            .collect(),
        empty: "The account has no profiles.",
    }));
    page.push(Block::Text(format!(
        "Profiles keep their ids, consents and roles. The merged-away account's {} live \
         session(s) end and what was issued to it is revoked{}; it becomes a tombstone that \
         names the account that stays, and its address is free again. This cannot be undone.",
        plan.sessions,
        if plan.second_factor {
            ", and its second factor is removed"
        } else {
            ""
        },
    )));
    page.push(Block::Form(
        FormView::post(
            "merge",
            call.url(&format!("/accounts/{}/merge", plan.into)),
            "Merge the accounts",
            Vec::new(),
        )
        .hidden("merge_from", plan.from.clone())
        .danger(),
    ));
    Ok(page)
}

/// A form asking why personal data should be shown, for callers holding `pii:read`, on a page
/// showing it masked. `path` is the page; `keep` are its query parameters.
pub(super) fn reveal_form(
    call: &Call,
    flash: &Flash,
    path: &str,
    keep: Vec<(&'static str, String)>,
) -> Option<Block> {
    if flash.revealed(&call.who) || !call.who.may(Permission::PiiRead) {
        return None;
    }
    let mut form = FormView {
        method: "get",
        ..FormView::post(
            "reveal",
            call.url(path),
            "Show personal data",
            vec![Field::input(
                "reason",
                "Why do you need to see it? (recorded in the audit log)",
                "text",
                "",
            )
            .required()],
        )
    }
    .hidden("reveal", "1");
    for (name, value) in keep.into_iter().filter(|(_, v)| !v.is_empty()) {
        form = form.hidden(name, value);
    }
    Some(Block::Form(form))
}

fn accounts_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let flash: Flash = call.query();
    let email = flash.email.clone().unwrap_or_default();
    let searched = admin::accounts::search(
        call.conn,
        call.state.keys.vault(),
        &call.who,
        &email,
        &PageRequest {
            limit: Some(50),
            after: flash.after.clone(),
        },
        flash.reveal(&call.who),
    );
    let mut page = ConsolePage::new("Accounts");
    // A partial address cannot match sealed emails: say so beside the form, keep what was typed.
    let found = match searched {
        Err(AdminError::Invalid(why)) => {
            page.push(Block::Text(why));
            crate::admin::Page {
                items: Vec::new(),
                next: None,
            }
        }
        other => other?,
    };
    page.push(Block::Link(link(
        "Accounts that look like one person",
        call.url("/duplicates"),
    )));
    page.push(Block::Form(FormView {
        method: "get",
        ..FormView::post(
            "search",
            call.url("/accounts"),
            "Search",
            vec![Field::input(
                "email",
                "Email (the whole address; empty lists every account)",
                "search",
                email.clone(),
            )],
        )
    }));
    let rows = found
        .items
        .iter()
        .map(|a| {
            vec![
                Cell::Link(link(
                    a.email.clone(),
                    call.url(&format!("/accounts/{}", a.id)),
                )),
                Cell::Text(match &a.invited_at {
                    Some(_) if a.status == "active" => "invited".to_owned(),
                    _ => a.status.clone(),
                }),
                Cell::Text(if a.email_verified { "yes" } else { "no" }.into()),
                Cell::Text(crate::web::when::describe_rfc3339(
                    &a.created_at,
                    &call.ctx.tenant.branding.time_zone,
                )),
            ]
        })
        .collect();
    page.push(Block::Table(TableView {
        headers: vec!["Email", "Status", "Verified", "Created"],
        rows,
        empty: "No matching accounts.",
    }));
    let query = |extra: &str| {
        let mut q = format!("/accounts?email={}", urlencode(&email));
        if let admin::accounts::Reveal::Because(reason) = flash.reveal(&call.who) {
            // The next page is another reveal, recorded with the same reason.
            q.push_str(&format!("&reveal=1&reason={}", urlencode(reason)));
        }
        q.push_str(extra);
        q
    };
    if let Some(next) = &found.next {
        page.push(Block::Link(link(
            "Next page",
            call.url(&query(&format!("&after={}", urlencode(next)))),
        )));
    }
    if let Some(block) = reveal_form(call, &flash, "/accounts", vec![("email", email.clone())]) {
        page.push(block);
    }
    if call.who.may(Permission::AccountsWrite) {
        page.push(invite_form(call)?);
    }
    Ok(page)
}

/// Inviting someone: an email, a name for their first profile, and (for callers who may
/// grant roles) a role among those whose permissions the caller holds.
fn invite_form(call: &mut Call) -> Result<Block, AdminError> {
    let mut fields = vec![
        Field::input("email", "Email", "email", "").required(),
        Field::text("name", "Name", "")
            .hint("Their first profile's name, shown in apps (default: the part of the email before the @)."),
    ];
    if call.who.may(Permission::RolesWrite) {
        let roles = crate::profiles::role::list(call.conn, call.who.tenant())
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        let mut options = vec![(String::new(), "No role".to_owned())];
        options.extend(
            roles
                .into_iter()
                .filter(|r| call.who.require_holding(&r.permissions).is_ok())
                .map(|r| {
                    (
                        r.name.clone(),
                        format!("{} ({})", r.name, r.permissions.join(", ")),
                    )
                }),
        );
        fields.push(Field {
            kind: FieldKind::Select(options),
            ..Field::text("role", "Role", "")
        });
    }
    Ok(Block::Form(
        FormView::post("invite", call.url("/accounts"), "Send invitation", fields)
            .titled("Invite someone"),
    ))
}

/// `POST {issuer}/admin/accounts`: invites someone.
pub async fn invite(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let invited = admin::invitations::invite(
            call.conn,
            call.state.keys.vault(),
            &call.who,
            form.email.as_deref().unwrap_or_default(),
            form.name.as_deref(),
            form.role.as_deref(),
        );
        match invited {
            Ok(invited) => {
                crate::web::pages::mail_invitation(
                    call.state,
                    &call.ctx.issuer,
                    &call.ctx.tenant.name,
                    &invited.invitation,
                    invited.as_admin,
                );
                let id = invited.invitation.account.id.clone();
                Ok(done(call, &format!("/accounts/{id}"), "invited"))
            }
            Err(e) => retry(call, "accounts", e, accounts_page),
        }
    })
    .await
}

fn account_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let flash: Flash = call.query();
    let id = call.param("account_id");
    let (vault, reveal) = (call.state.keys.vault(), flash.reveal(&call.who));
    let detail = admin::accounts::detail(call.conn, vault, &call.who, &id, reveal)?;
    let shown = |e: &str| e.to_owned();
    let mut page = ConsolePage::new(format!("Account {}", shown(&detail.account.email)));
    if let Some(into) = &detail.account.merged_into {
        page.push(Block::Text(format!("Merged into account {into}.")));
    }
    if let Some(customer) = &detail.account.customer_id {
        page.push(Block::Link(link(
            format!("Acts for customer {customer}"),
            call.url(&format!("/customers/{customer}")),
        )));
    }
    page.push(Block::Facts(vec![
        ("Account ID".into(), detail.account.id.clone()),
        ("Email".into(), shown(&detail.account.email)),
        (
            "Email verified".into(),
            detail.account.email_verified.to_string(),
        ),
        ("Status".into(), detail.account.status.clone()),
        (
            "Two-step verification".into(),
            if detail.mfa_enrolled { "on" } else { "off" }.into(),
        ),
        (
            "Locked until".into(),
            detail
                .locked_until
                .clone()
                .unwrap_or_else(|| "not locked".into()),
        ),
        (
            "Created".into(),
            crate::web::when::describe_rfc3339(
                &detail.account.created_at,
                &call.ctx.tenant.branding.time_zone,
            ),
        ),
    ]));
    if let Some(invited) = &detail.account.invited_at {
        let link = match &detail.invitation_link_expires_at {
            Some(at) => format!(
                "the link works until {}",
                crate::web::when::describe_rfc3339(at, &call.ctx.tenant.branding.time_zone)
            ),
            None => "the link has expired: re-send it".into(),
        };
        page.push(Block::Text(format!(
            "Invited {}; no password chosen yet ({link}).",
            crate::web::when::describe_rfc3339(invited, &call.ctx.tenant.branding.time_zone)
        )));
    }
    page.push(Block::Heading("Profiles".into()));
    page.push(Block::Table(TableView {
        headers: vec!["Name", "Profile ID", "Email", "Roles", "Attributes"],
        rows: detail
            .profiles
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(if p.is_default {
                        format!("{} (default)", p.name)
                    } else {
                        p.name.clone()
                    }),
                    Cell::Code(p.id.clone()),
                    Cell::Text(p.email.as_deref().map(shown).unwrap_or_default()),
                    Cell::Text(p.roles.join(", ")),
                    Cell::Text(attributes_text(&p.attributes)),
                ]
            })
            .collect(),
        empty: "No profiles.",
    }));
    let consents = admin::accounts::consents(call.conn, vault, &call.who, &id, reveal)?;
    // Names, not ids: the account's own profiles, and each client by its name.
    let profile_name = |profile_id: &str| {
        detail
            .profiles
            .iter()
            .find(|p| p.id == profile_id)
            .map_or_else(|| profile_id.to_owned(), |p| p.name.clone())
    };
    let mut client_names = std::collections::HashMap::new();
    for c in &consents.history {
        if !c.client_id.is_empty() && !client_names.contains_key(&c.client_id) {
            let name = match call.ctx.client(call.conn, &c.client_id) {
                Ok(client) => format!("{} ({})", client.name, c.client_id),
                Err(crate::clients::ClientError::Db(e)) => return Err(e.into()),
                Err(_) => format!("{} (deleted)", c.client_id),
            };
            client_names.insert(c.client_id.clone(), name);
        }
    }
    page.push(Block::Heading("Consent history".into()));
    page.push(Block::Table(TableView {
        headers: vec![
            "When", "Decision", "Client", "Profile", "Scopes", "Purpose", "Address",
        ],
        rows: consents
            .history
            .iter()
            .map(|c| {
                vec![
                    Cell::Text(crate::web::when::describe_rfc3339(
                        &c.at,
                        &call.ctx.tenant.branding.time_zone,
                    )),
                    Cell::Text(c.decision.clone()),
                    Cell::Text(match c.client_id.is_empty() {
                        true => "(account page)".to_owned(),
                        false => client_names
                            .get(&c.client_id)
                            .cloned()
                            .unwrap_or_else(|| c.client_id.clone()),
                    }),
                    Cell::Text(profile_name(&c.profile_id)),
                    Cell::Text(c.scope.clone()),
                    Cell::Text(match (&c.purpose, c.purpose_version) {
                        (Some(p), Some(v)) => format!("{p} v{v}"),
                        _ => String::new(),
                    }),
                    Cell::Text(c.ip.clone().unwrap_or_default()),
                ]
            })
            .collect(),
        empty: "No consent given yet.",
    }));
    page.push(Block::Heading("Live sessions".into()));
    page.push(Block::Table(TableView {
        headers: vec!["Started", "Last seen", "Methods"],
        rows: detail
            .sessions
            .iter()
            .map(|s| {
                vec![
                    Cell::Text(crate::web::when::describe_rfc3339(
                        &s.created_at,
                        &call.ctx.tenant.branding.time_zone,
                    )),
                    Cell::Text(crate::web::when::describe_rfc3339(
                        &s.last_seen_at,
                        &call.ctx.tenant.branding.time_zone,
                    )),
                    Cell::Text(s.amr.clone()),
                ]
            })
            .collect(),
        empty: "No live sessions.",
    }));
    if call.who.may(Permission::AccountsWrite) {
        let action = |verb: &str| call.url(&format!("/accounts/{id}/{verb}"));
        page.push(Block::Heading("Actions".into()));
        let mut buttons = Vec::new();
        if detail.account.status == "suspended" {
            buttons.push(button(action("resume"), "Resume account", vec![]));
        } else {
            buttons.push(danger_button(action("suspend"), "Suspend account", vec![]));
        }
        if detail.account.invited_at.is_some() && detail.account.status == "active" {
            buttons.push(button(
                action("resend-invitation"),
                "Re-send invitation",
                vec![],
            ));
        }
        buttons.push(button(action("sign-out"), "Sign out everywhere", vec![]));
        buttons.push(button(
            action("send-reset"),
            "Send password-reset mail",
            vec![],
        ));
        if detail.mfa_enrolled {
            buttons.push(danger_button(
                action("reset-mfa"),
                "Reset two-step verification",
                vec![],
            ));
        }
        if detail.account.status != "deleted" {
            buttons.push(danger_button(
                action("erase"),
                "Erase account and personal data now (cannot be undone)",
                vec![],
            ));
        }
        page.push(Block::Table(TableView {
            headers: vec!["Action"],
            rows: buttons.into_iter().map(|b| vec![b]).collect(),
            empty: "",
        }));
        page.push(Block::Text(
            "Administrators never set or see passwords: a reset mail lets the user choose one."
                .into(),
        ));
        if detail.account.status != "deleted" {
            page.push(Block::Form(
                FormView {
                    method: "get",
                    ..FormView::post(
                        "merge-from",
                        action("merge"),
                        "Review the merge",
                        vec![Field::text("from", "The other account (email or id)", "")
                            .required()
                            .hint("Its profiles move here and it becomes a tombstone; you see what moves before anything changes.")],
                    )
                }
                .titled("Merge another account into this one"),
            ));
        }
        if detail.profiles.len() > 1 && detail.account.status != "deleted" {
            let options: Vec<(&str, &str)> = detail
                .profiles
                .iter()
                .map(|p| (p.id.as_str(), p.name.as_str()))
                .collect();
            let fields = vec![
                Field::select("profile_id", "Profile", &options, ""),
                Field::input("email", "New account's email", "email", "")
                    .required()
                    .hint("It must not have an account here yet; its owner is invited to choose a password."),
            ];
            page.push(Block::Form(
                FormView::post(
                    "move-profile",
                    action("move-profile"),
                    "Move profile",
                    fields,
                )
                .titled("Move a profile to a new account"),
            ));
            page.push(Block::Text(
                "The profile keeps its id, consents and roles; what was issued for it is revoked, and this account keeps its other profiles.".into(),
            ));
        }
    }
    if let Some(block) = reveal_form(call, &flash, &format!("/accounts/{id}"), Vec::new()) {
        page.push(block);
    }
    Ok(page)
}

pub async fn account_action(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let id = call.param("account_id");
        let back = format!("/accounts/{id}");
        let code = match call.param("action").as_str() {
            "suspend" => {
                admin::accounts::set_suspended(
                    call.conn,
                    call.state.keys.vault(),
                    &call.who,
                    &id,
                    true,
                )?;
                "suspended"
            }
            "resume" => {
                admin::accounts::set_suspended(
                    call.conn,
                    call.state.keys.vault(),
                    &call.who,
                    &id,
                    false,
                )?;
                "resumed"
            }
            "reset-mfa" => {
                admin::accounts::reset_mfa(call.conn, &call.who, &id)?;
                "mfa_reset"
            }
            "erase" => {
                admin::accounts::erase(call.conn, &call.who, &id)?;
                "erased"
            }
            "sign-out" => {
                admin::accounts::sign_out_everywhere(call.conn, &call.who, &id)?;
                "signed_out"
            }
            "resend-invitation" => {
                match admin::invitations::resend(call.conn, call.state.keys.vault(), &call.who, &id)
                {
                    Ok(invited) => {
                        crate::web::pages::mail_invitation(
                            call.state,
                            &call.ctx.issuer,
                            &call.ctx.tenant.name,
                            &invited.invitation,
                            invited.as_admin,
                        );
                        "invitation_resent"
                    }
                    Err(e) => return retry(call, "accounts", e, account_page),
                }
            }
            "merge" => {
                let from = form.merge_from.clone().unwrap_or_default();
                let vault = call.state.keys.vault();
                match admin::accounts::merge(call.conn, vault, &call.who, &id, &from) {
                    Ok(_) => "merged",
                    Err(e) => return retry(call, "accounts", e, account_page),
                }
            }
            "move-profile" => match admin::invitations::split(
                call.conn,
                call.state.keys.vault(),
                &call.who,
                &id,
                form.profile_id.as_deref().unwrap_or_default(),
                form.email.as_deref().unwrap_or_default(),
            ) {
                Ok(invited) => {
                    crate::web::pages::mail_invitation(
                        call.state,
                        &call.ctx.issuer,
                        &call.ctx.tenant.name,
                        &invited.invitation,
                        invited.as_admin,
                    );
                    let to = invited.invitation.account.id.clone();
                    return Ok(done(call, &format!("/accounts/{to}"), "profile_moved"));
                }
                Err(e) => return retry(call, "accounts", e, account_page),
            },
            "send-reset" => match admin::accounts::send_reset(
                call.conn,
                call.state.keys.vault(),
                &call.who,
                &id,
            ) {
                Ok(mail) => {
                    crate::web::pages::mail_reset_link(
                        call.state,
                        &crate::i18n::Texts::default(),
                        &call.ctx.issuer,
                        &call.ctx.tenant.name,
                        mail.to.as_str(),
                        &mail.token,
                    );
                    "reset_sent"
                }
                Err(e) => return retry(call, "accounts", e, account_page),
            },
            _ => return Err(AdminError::NotFound),
        };
        Ok(done(call, &back, code))
    })
    .await
}

/// `name: value` pairs (masked values as the admin layer masked them).
fn attributes_text(attributes: &serde_json::Value) -> String {
    attributes
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(name, value)| match value {
                    serde_json::Value::String(s) => format!("{name}: {s}"),
                    other => format!("{name}: {other}"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}
