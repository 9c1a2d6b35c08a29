//! The console's customers section: verified legal entities that accounts act for, with forms
//! to create one, record or withdraw a verification, link accounts, and delete.

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::customers::CustomerLink;
use crate::admin::{self, AdminError, Permission};
use crate::customers::{CustomerKind, NewCustomer, NewVerification, EVIDENCE_TYPES};
use crate::web::AppState;

use super::accounts::reveal_form;
use super::page::*;
use super::*;

page_handler!(customers, "customers", customers_page);
page_handler!(customer, "customers", customer_page);

/// `kind = value` per line, as the create form takes identifiers.
fn parse_identifiers(text: &str) -> Result<BTreeMap<String, String>, AdminError> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once('=') {
            Some((kind, value)) => Ok((kind.trim().to_owned(), value.trim().to_owned())),
            None => Err(AdminError::Invalid(
                "write each identifier as kind = value, one per line".into(),
            )),
        })
        .collect()
}

/// A date (`YYYY-MM-DD`, as a date input sends it) as Unix seconds at noon UTC.
fn parse_date(text: &str) -> Result<i64, AdminError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), format)
        .map(|d| {
            d.with_hms(12, 0, 0)
                .map(|t| t.assume_utc().unix_timestamp())
        })
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| AdminError::Invalid("give the verification date as YYYY-MM-DD".into()))
}

fn customers_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let flash: Flash = call.query();
    let vault = call.state.keys.vault();
    let listed = admin::customers::list(
        call.conn,
        vault,
        &call.who,
        &listing(call),
        flash.reveal(&call.who),
    )?;
    let mut page = ConsolePage::new("Customers");
    page.push(Block::Text(
        "Verified legal entities, a person or an organization, that accounts act for. Tessera records verification outcomes made elsewhere (your office, or a KYC provider through the API); relying parties receive them as verified_claims when they ask and the person agrees.".into(),
    ));
    page.push(Block::Table(TableView {
        headers: vec!["Customer", "Kind", "Legal name", "Verification"],
        rows: listed
            .items
            .iter()
            .map(|c| {
                let id = c.id.to_string();
                vec![
                    Cell::Link(link(id.clone(), call.url(&format!("/customers/{id}")))),
                    Cell::Text(c.kind.as_str().into()),
                    Cell::Text(c.legal_name.clone()),
                    Cell::Text(match &c.verification {
                        Some(v) => format!(
                            "{} {}",
                            v.trust_framework,
                            v.assurance_level.as_deref().unwrap_or_default()
                        ),
                        None => "not verified".into(),
                    }),
                ]
            })
            .collect(),
        empty: "No customers yet.",
    }));
    next_page(call, &mut page, "customers", listed.next.clone());
    if let Some(block) = reveal_form(call, &flash, "/customers", Vec::new()) {
        page.push(block);
    }
    let shared = admin::customers::duplicates(call.conn, &call.who)?;
    if !shared.is_empty() {
        page.push(Block::Heading("Customers sharing an identifier".into()));
        page.push(Block::Table(TableView {
            headers: vec!["Identifier", "Customers"],
            rows: shared
                .iter()
                .map(|d| {
                    vec![
                        Cell::Code(d.identifier.clone()),
                        Cell::Text(d.customers.join(", ")),
                    ]
                })
                .collect(),
            empty: "",
        }));
    }
    if call.who.may(Permission::AccountsWrite) {
        page.push(Block::Form(
            FormView::post(
                "new-customer",
                call.url("/customers"),
                "Create customer",
                vec![
                    Field::select(
                        "kind",
                        "Kind",
                        &[("person", "Person"), ("organization", "Organization")],
                        "person",
                    ),
                    Field::text("name", "Legal name", "").required(),
                    Field::area("identifiers", "Identifiers", "").hint(
                        "One per line as kind = value, e.g. tax_id = DE123456789. Two customers with one identifier are listed as duplicates.",
                    ),
                ],
            )
            .titled("New customer"),
        ));
    }
    Ok(page)
}

fn customer_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let flash: Flash = call.query();
    let id = call.param("customer_id");
    let vault = call.state.keys.vault();
    let customer =
        admin::customers::get(call.conn, vault, &call.who, &id, flash.reveal(&call.who))?;
    let mut page = ConsolePage::new(format!("Customer {}", customer.legal_name));
    let mut facts = vec![
        ("Customer ID".to_owned(), id.clone()),
        ("Kind".into(), customer.kind.as_str().into()),
        ("Legal name".into(), customer.legal_name.clone()),
    ];
    for (kind, value) in &customer.identifiers {
        facts.push((format!("Identifier {kind}"), value.clone()));
    }
    match &customer.verification {
        Some(v) => {
            let zone = &call.ctx.tenant.branding.time_zone;
            let when =
                |t: i64| crate::web::when::describe_rfc3339(&crate::domain::rfc3339(t), zone);
            facts.push(("Trust framework".into(), v.trust_framework.clone()));
            facts.push((
                "Assurance level".into(),
                v.assurance_level.clone().unwrap_or_default(),
            ));
            facts.push((
                "Evidence".into(),
                format!(
                    "{}, checked by {} ({})",
                    v.evidence_type, v.method, v.verifier
                ),
            ));
            facts.push(("Reference".into(), v.reference.clone().unwrap_or_default()));
            facts.push(("Verified".into(), when(v.verified_at)));
            facts.push((
                "Recorded".into(),
                format!("{} by {}", when(v.recorded_at), v.recorded_by),
            ));
        }
        None => facts.push(("Verification".into(), "not verified".into())),
    }
    page.push(Block::Facts(facts));
    let path = format!("/customers/{id}");
    if let Some(block) = reveal_form(call, &flash, &path, Vec::new()) {
        page.push(block);
    }
    page.push(Block::Heading("Accounts acting for it".into()));
    let writes = call.who.may(Permission::AccountsWrite);
    page.push(Block::Table(TableView {
        headers: vec!["Account", ""],
        rows: customer
            .accounts
            .iter()
            .map(|account| {
                vec![
                    Cell::Link(link(
                        account.clone(),
                        call.url(&format!("/accounts/{account}")),
                    )),
                    if writes {
                        danger_button(
                            call.url(&format!("{path}/unlink")),
                            "Unlink",
                            vec![("account_id", account.clone())],
                        )
                    } else {
                        Cell::Text(String::new())
                    },
                ]
            })
            .collect(),
        empty: "No account acts for this customer.",
    }));
    if !writes {
        return Ok(page);
    }
    page.push(Block::Form(
        FormView::post(
            "link-account",
            call.url(&format!("{path}/link")),
            "Link account",
            vec![Field::text("account_id", "Account ID", "").required()],
        )
        .titled("Link an account"),
    ));
    let evidence: Vec<(&str, &str)> = EVIDENCE_TYPES.iter().map(|t| (*t, *t)).collect();
    page.push(Block::Form(
        FormView::post(
            "verify-customer",
            call.url(&format!("{path}/verify")),
            "Record verification",
            vec![
                Field::text("trust_framework", "Trust framework", "")
                    .required()
                    .hint("The rules it was made under, e.g. de_aml, eidas, uk_tfida."),
                Field::text("assurance_level", "Assurance level", "")
                    .hint("As the trust framework names it, e.g. substantial or high."),
                Field::select("evidence_type", "Evidence", &evidence, "document"),
                Field::text("method", "Check method", "").required().hint(
                    "How the evidence was checked, e.g. vpip (in person), vri (remote), pvp.",
                ),
                Field::text("verifier", "Verified by", "")
                    .required()
                    .hint("The office or KYC provider that checked."),
                Field::text("reference", "Reference", "")
                    .hint("The verifier's reference for the check."),
                Field::input("verified_on", "Verified on", "date", "").required(),
            ],
        )
        .titled("Record a verification outcome"),
    ));
    if customer.verification.is_some() {
        page.push(Block::Form(
            FormView::post(
                "withdraw-verification",
                call.url(&format!("{path}/withdraw")),
                "Withdraw verification",
                Vec::new(),
            )
            .titled("Withdraw the verification")
            .danger(),
        ));
    }
    page.push(Block::Form(
        FormView::post(
            "delete-customer",
            call.url(&format!("{path}/delete")),
            "Delete customer",
            Vec::new(),
        )
        .titled("Delete the customer (its accounts stay, unlinked)")
        .danger(),
    ));
    Ok(page)
}

fn blank(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// `POST /admin/customers`: creates a customer.
pub async fn create_customer(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let vault = call.state.keys.vault();
        let created = parse_identifiers(form.identifiers.as_deref().unwrap_or_default()).and_then(
            |identifiers| {
                let kind = match form.kind.as_deref() {
                    Some("organization") => CustomerKind::Organization,
                    _ => CustomerKind::Person,
                };
                let new = NewCustomer {
                    kind,
                    legal_name: form.name.clone().unwrap_or_default(),
                    identifiers,
                };
                admin::customers::create(call.conn, vault, &call.who, &new)
            },
        );
        match created {
            Ok(customer) => Ok(done(
                call,
                &format!("/customers/{}", customer.id),
                "customer_created",
            )),
            Err(e) => retry(call, "customers", e, customers_page),
        }
    })
    .await
}

/// `POST /admin/customers/{customer_id}/{action}`.
pub async fn customer_action(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let id = call.param("customer_id");
        let vault = call.state.keys.vault();
        let back = format!("/customers/{id}");
        let result = match call.param("action").as_str() {
            "verify" => parse_date(form.verified_on.as_deref().unwrap_or_default())
                .and_then(|verified_at| {
                    let new = NewVerification {
                        trust_framework: form.trust_framework.clone().unwrap_or_default(),
                        assurance_level: blank(&form.assurance_level),
                        evidence_type: blank(&form.evidence_type),
                        method: form.method.clone().unwrap_or_default(),
                        verifier: form.verifier.clone().unwrap_or_default(),
                        reference: blank(&form.reference),
                        verified_at,
                    };
                    admin::customers::verify(call.conn, vault, &call.who, &id, &new)
                })
                .map(|_| "customer_verified"),
            "withdraw" => admin::customers::withdraw_verification(call.conn, vault, &call.who, &id)
                .map(|_| "verification_withdrawn"),
            "link" | "unlink" => {
                let account = form.account_id.clone().unwrap_or_default();
                let link = CustomerLink {
                    customer_id: (call.param("action") == "link").then(|| id.clone()),
                };
                admin::customers::link_account(call.conn, &call.who, account.trim(), &link)
                    .map(|_| "customer_linked")
            }
            "delete" => {
                let deleted = admin::customers::delete(call.conn, &call.who, &id);
                return match deleted {
                    Ok(()) => Ok(done(call, "/customers", "customer_deleted")),
                    Err(e) => retry(call, "customers", e, customer_page),
                };
            }
            _ => return Err(AdminError::NotFound),
        };
        finish(
            call,
            ("customers", &back),
            result,
            "No such customer or account in this organisation.",
            customer_page,
        )
    })
    .await
}
