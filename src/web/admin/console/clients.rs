//! The console's clients section.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::{self, AdminError, Permission};
use crate::clients::{ConsentPolicy, GrantType};
use crate::domain::ClientId;
use crate::web::AppState;

use super::page::*;
use super::*;

page_handler!(clients, "clients", clients_page);
page_handler!(client, "clients", client_page);

fn lines(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Purpose keys typed space- or comma-separated.
fn words(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn purposes_field(current: &[String]) -> Field {
    Field::text("purposes", "Consent purposes", current.join(" ")).hint(
        "Keys of the purposes users accept before this client gets a code, space-separated (see Consent purposes).",
    )
}

fn logout_field(current: Option<&str>) -> Field {
    Field::text(
        "backchannel_logout_uri",
        "Back-channel logout URI",
        current.unwrap_or_default(),
    )
    .hint("Optional. Logout tokens are posted here when a session this client took part in ends (OIDC Back-Channel Logout); they always carry sid.")
}

fn par_field(required: bool) -> Field {
    Field::checkbox(
        "require_par",
        "Require pushed authorization requests (PAR, RFC 9126)",
        required,
    )
}

fn dpop_field(required: bool) -> Field {
    Field::checkbox(
        "require_dpop",
        "Require DPoP proofs: every token is bound to the client's key (RFC 9449)",
        required,
    )
}

fn fapi2_field(held: bool) -> Field {
    Field::checkbox(
        "fapi2",
        "FAPI 2.0 Security Profile: PAR, PKCE, DPoP and private_key_jwt (PS256 or ES256) required",
        held,
    )
}

fn grants_from(form: &ConsoleForm) -> Vec<GrantType> {
    let mut grants = Vec::new();
    if form.grant_authorization_code.is_some() {
        grants.push(GrantType::AuthorizationCode);
    }
    if form.grant_refresh_token.is_some() {
        grants.push(GrantType::RefreshToken);
    }
    if form.grant_device_code.is_some() {
        grants.push(GrantType::DeviceCode);
    }
    if form.grant_client_credentials.is_some() {
        grants.push(GrantType::ClientCredentials);
    }
    grants
}

fn consent_from(form: &ConsoleForm) -> Option<ConsentPolicy> {
    match form.consent.as_deref() {
        Some("skip") => Some(ConsentPolicy::Skip),
        Some("required") => Some(ConsentPolicy::Required),
        _ => None,
    }
}

const CONSENT_OPTIONS: [(&str, &str); 2] = [
    ("required", "Ask the user (third-party application)"),
    ("skip", "Do not ask (first-party application)"),
];

fn grant_fields(grants: &[GrantType]) -> Vec<Field> {
    vec![
        Field::checkbox(
            "grant_authorization_code",
            "Authorization code (users sign in)",
            grants.contains(&GrantType::AuthorizationCode),
        ),
        Field::checkbox(
            "grant_refresh_token",
            "Refresh tokens",
            grants.contains(&GrantType::RefreshToken),
        ),
        Field::checkbox(
            "grant_client_credentials",
            "Client credentials (machine access)",
            grants.contains(&GrantType::ClientCredentials),
        ),
        Field::checkbox(
            "grant_device_code",
            "Device sign-in (TVs, consoles, command-line tools: RFC 8628)",
            grants.contains(&GrantType::DeviceCode),
        ),
    ]
}

/// Only a tenant administrator sees (and may change) whether a client is an administration
/// client.
fn administration_field(call: &Call, checked: bool) -> Option<Field> {
    call.who.may(Permission::TenantAdmin).then(|| {
        Field::checkbox(
            "administration",
            "Administration client (may ask for tessera:admin: administrators' tokens for the admin API)",
            checked,
        )
    })
}

/// The form's administration choice, when the caller may make one.
fn administration_from(call: &Call, form: &ConsoleForm) -> Option<bool> {
    call.who
        .may(Permission::TenantAdmin)
        .then_some(form.administration.is_some())
}

fn clients_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let list = admin::clients::list(call.conn, &call.who, &listing(call))?;
    let mut page = ConsolePage::new("Clients");
    let rows = list
        .items
        .iter()
        .map(|c| {
            vec![
                Cell::Link(link(&c.name, call.url(&format!("/clients/{}", c.id)))),
                Cell::Code(c.id.to_string()),
                Cell::Text(format!("{:?}", c.client_type).to_lowercase()),
                Cell::Text(
                    c.grant_types
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                // Clients that registered themselves (RFC 7591) stand out: review or delete.
                Cell::Text(
                    match c.registration.as_deref() {
                        Some("open") => "itself (open registration)",
                        Some(_) => "itself (initial access token)",
                        None => "an administrator",
                    }
                    .into(),
                ),
            ]
        })
        .collect();
    page.push(Block::Table(TableView {
        headers: vec!["Name", "Client ID", "Type", "Grants", "Registered by"],
        rows,
        empty: "No clients yet.",
    }));
    next_page(call, &mut page, "clients", list.next.clone());
    if call.who.may(Permission::ClientsWrite) {
        let mut fields = vec![
            Field::text("name", "Name", "").required(),
            Field::select(
                "client_type",
                "Type",
                &[
                    (
                        "confidential",
                        "Confidential (a server that keeps a secret)",
                    ),
                    ("public", "Public (browser or mobile app, PKCE only)"),
                ],
                "confidential",
            ),
            Field::area("redirect_uris", "Redirect URIs", "")
                .hint("One per line; exact match. https, or http on loopback (a public client registered with 127.0.0.1 or [::1] may use any port)."),
            Field::area("post_logout_redirect_uris", "Post-logout redirect URIs", "")
                .hint("One per line (optional)."),
            Field::select("consent", "Consent", &CONSENT_OPTIONS, "required"),
            purposes_field(&[]),
            logout_field(None),
            par_field(false),
            dpop_field(false),
            fapi2_field(false),
        ];
        fields.extend(grant_fields(&[
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
        ]));
        fields.extend(administration_field(call, false));
        page.push(Block::Form(
            FormView::post("new-client", call.url("/clients"), "Create client", fields)
                .titled("New client"),
        ));
    }
    Ok(page)
}

fn client_page(call: &mut Call) -> Result<ConsolePage, AdminError> {
    let id = ClientId::from(call.param("client_id"));
    client_view(call, &id)
}

fn client_view(call: &mut Call, id: &ClientId) -> Result<ConsolePage, AdminError> {
    let client = admin::clients::get(call.conn, &call.who, id)?;
    let mut page = ConsolePage::new(format!("Client: {}", client.name));
    let uris = |list: &[crate::domain::RedirectUri]| {
        list.iter()
            .map(|u| u.as_str().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    page.push(Block::Facts(vec![
        ("Client ID".into(), client.id.to_string()),
        (
            "Type".into(),
            format!("{:?}", client.client_type).to_lowercase(),
        ),
        ("Authentication".into(), client.auth_method.to_string()),
        (
            "Grants".into(),
            client
                .grant_types
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("Consent purposes".into(), client.purposes.join(", ")),
        (
            "Roles (machine access)".into(),
            client.authorization.roles.join(", "),
        ),
        (
            "Created".into(),
            crate::web::when::describe(client.created_at, &call.ctx.tenant.branding.time_zone),
        ),
        (
            "Changed".into(),
            crate::web::when::describe(client.updated_at, &call.ctx.tenant.branding.time_zone),
        ),
    ]));
    if call.who.may(Permission::ClientsWrite) {
        let consent = match client.consent {
            ConsentPolicy::Skip => "skip",
            ConsentPolicy::Required => "required",
        };
        let mut fields = vec![
            Field::text("name", "Name", client.name.clone()).required(),
            Field::area(
                "redirect_uris",
                "Redirect URIs",
                uris(&client.redirect_uris),
            )
            .hint("One per line; exact match."),
            Field::area(
                "post_logout_redirect_uris",
                "Post-logout redirect URIs",
                uris(&client.post_logout_redirect_uris),
            ),
            Field::select("consent", "Consent", &CONSENT_OPTIONS, consent),
            purposes_field(&client.purposes),
            logout_field(client.backchannel_logout_uri.as_deref()),
            par_field(client.require_pushed_authorization_requests),
            dpop_field(client.dpop_bound_access_tokens),
            fapi2_field(client.fapi2),
        ];
        fields.extend(grant_fields(&client.grant_types));
        fields.extend(administration_field(call, client.administration));
        page.push(Block::Form(
            FormView::post(
                "edit-client",
                call.url(&format!("/clients/{id}/update")),
                "Save",
                fields,
            )
            .titled("Settings"),
        ));
        if client.secret_hash.is_some() {
            page.push(Block::Form(
                FormView::post(
                    "rotate-secret",
                    call.url(&format!("/clients/{id}/rotate")),
                    "Rotate secret",
                    Vec::new(),
                )
                .titled("Secret")
                .danger(),
            ));
        }
        page.push(Block::Form(
            FormView::post(
                "delete-client",
                call.url(&format!("/clients/{id}/delete")),
                "Delete client",
                vec![Field::text("name", "Type the client's name to confirm", "").required()],
            )
            .titled("Delete")
            .danger(),
        ));
    }
    Ok(page)
}

pub async fn create_client(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let new = admin::clients::NewClient {
            name: form.name.clone().unwrap_or_default(),
            client_type: match form.client_type.as_deref() {
                Some("public") => Some(crate::clients::ClientType::Public),
                _ => Some(crate::clients::ClientType::Confidential),
            },
            redirect_uris: lines(form.redirect_uris.as_deref()),
            post_logout_redirect_uris: lines(form.post_logout_redirect_uris.as_deref()),
            grant_types: Some(grants_from(&form)),
            auth_method: None,
            jwks: None,
            jwks_uri: None,
            consent: consent_from(&form),
            signing_alg: None,
            subject_mode: None,
            sector_identifier: None,
            administration: form.administration.is_some().then_some(true),
            purposes: words(form.purposes.as_deref()),
            backchannel_logout_uri: form.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: false,
            require_pushed_authorization_requests: form.require_par.is_some(),
            dpop_bound_access_tokens: form.require_dpop.is_some(),
            fapi2: form.fapi2.is_some(),
        };
        match admin::clients::create(call.conn, &call.who, new) {
            Ok((client, secret)) => {
                let mut page = client_view(call, &client.id)?;
                page.notice = Some("The client was created.".into());
                if let Some(secret) = secret {
                    page.blocks.insert(
                        0,
                        Block::Secret(SecretView {
                            label: "Client secret".into(),
                            value: secret,
                        }),
                    );
                }
                Ok(Answer::Page(StatusCode::CREATED, "clients", page))
            }
            Err(e) => retry(call, "clients", e, clients_page),
        }
    })
    .await
}

pub async fn client_action(
    state: web::Data<AppState>,
    admin: ConsoleAdmin,
    req: HttpRequest,
    form: CsrfForm<ConsoleForm>,
) -> HttpResponse {
    act(state, admin, req, form, |call, form| {
        let id = ClientId::from(call.param("client_id"));
        match call.param("action").as_str() {
            "update" => update_client(call, &form, &id),
            "rotate" => rotate_client_secret(call, &id),
            "delete" => delete_client(call, &form, &id),
            _ => Err(AdminError::NotFound),
        }
    })
    .await
}

fn update_client(call: &mut Call, form: &ConsoleForm, id: &ClientId) -> Result<Answer, AdminError> {
    let changes = admin::clients::ClientChanges {
        name: form.name.clone(),
        redirect_uris: Some(lines(form.redirect_uris.as_deref())),
        post_logout_redirect_uris: Some(lines(form.post_logout_redirect_uris.as_deref())),
        grant_types: Some(grants_from(form)),
        consent: consent_from(form),
        administration: administration_from(call, form),
        purposes: form.purposes.as_deref().map(|p| words(Some(p))),
        backchannel_logout_uri: Some(form.backchannel_logout_uri.clone().unwrap_or_default()),
        require_pushed_authorization_requests: Some(form.require_par.is_some()),
        dpop_bound_access_tokens: Some(form.require_dpop.is_some()),
        fapi2: Some(form.fapi2.is_some()),
        ..Default::default()
    };
    match admin::clients::update(call.conn, &call.who, id, changes) {
        Ok(client) => {
            crate::web::admin::api::forget_client(call.ctx, client.id.as_str());
            Ok(done(call, &format!("/clients/{id}"), "client_updated"))
        }
        Err(e) => retry(call, "clients", e, client_page),
    }
}

fn rotate_client_secret(call: &mut Call, id: &ClientId) -> Result<Answer, AdminError> {
    let secret = match admin::clients::rotate_secret(call.conn, &call.who, id) {
        Ok(secret) => secret,
        Err(e) => return retry(call, "clients", e, client_page),
    };
    crate::web::admin::api::forget_client(call.ctx, id.as_str());
    let mut page = client_page(call)?;
    page.notice = Some("The secret was replaced: the old one no longer works.".into());
    if let Some(value) = secret.client_secret {
        page.blocks.insert(
            0,
            Block::Secret(SecretView {
                label: "New client secret".into(),
                value,
            }),
        );
    }
    Ok(Answer::Page(StatusCode::OK, "clients", page))
}

fn delete_client(call: &mut Call, form: &ConsoleForm, id: &ClientId) -> Result<Answer, AdminError> {
    let client = admin::clients::get(call.conn, &call.who, id)?;
    if form.name.as_deref().map(str::trim) != Some(client.name.as_str()) {
        let message = "Type the client's exact name to confirm the deletion.";
        let refused = AdminError::Invalid(message.into());
        return retry(call, "clients", refused, client_page);
    }
    admin::clients::delete(call.conn, &call.who, id)?;
    crate::web::admin::api::forget_client(call.ctx, id.as_str());
    Ok(done(call, "/clients", "client_deleted"))
}
