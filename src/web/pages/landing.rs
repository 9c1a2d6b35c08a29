//! The pages a browser finds when it opens a bare address: the root host (what this is, where
//! the platform console is, and in path mode where tenants live) and a tenant's issuer URL
//! (the tenant's name and the ways to sign in). Both are plain pages, never JSON errors.

use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

use super::{respond, PageFrame};
use crate::config::TenantRouting;
use crate::web::extract::CurrentTenant;
use crate::web::AppState;

/// `GET /`: in subdomain mode a tenant host shows its issuer page; the root host (and every
/// host in path mode) shows the landing page.
pub async fn root(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if state.settings.tenancy.routing == TenantRouting::Subdomain
        && crate::web::extract::tenant_host(&req, &state)
    {
        return match CurrentTenant::extract(&req).await {
            Ok(tenant) => issuer_page(state, tenant, req).await,
            Err(e) => actix_web::ResponseError::error_response(&e),
        };
    }
    let base = state.settings.public_base();
    // Styled by the platform console's sheets, the only ones the root host serves.
    let frame = PageFrame::plain(format!("{base}/platform"), "Tessera".into());
    let (message, example) = match state.settings.tenancy.routing {
        TenantRouting::Path => (
            "This server runs Tessera, an OpenID Connect identity provider. Each organisation \
             (tenant) lives under /t/ and its short name: acme's issuer is the address below, \
             its people sign in at /t/acme/account and its administrators at /t/acme/admin.",
            format!("{base}/t/acme"),
        ),
        TenantRouting::Subdomain => (
            "This server runs Tessera, an OpenID Connect identity provider. Each organisation \
             (tenant) has its own host: acme's issuer is the address below, its people sign in \
             at /account there and its administrators at /admin.",
            crate::tenancy::issuer(
                &state.settings,
                &crate::domain::TenantSlug::from_stored("acme".into()),
            ),
        ),
    };
    let links = [
        (
            "Platform administrators: the platform console",
            format!("{base}/platform"),
        ),
        ("Example issuer (tenant acme)", example),
    ];
    respond(
        frame.message_with_links(StatusCode::OK, "Tessera", message, &links),
        vec![],
    )
}

/// `GET {issuer}`: the tenant's name and its ways in.
pub async fn issuer_page(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
) -> HttpResponse {
    let frame = PageFrame::new(&state, &tenant, &req);
    let issuer = frame.issuer.clone();
    let links = [
        ("link-sign-in-account", format!("{issuer}/account")),
        ("link-console", format!("{issuer}/admin")),
        (
            "link-discovery",
            format!("{issuer}/.well-known/openid-configuration"),
        ),
    ];
    respond(
        frame.say_with_links(
            StatusCode::OK,
            "issuer-page",
            &[("tenant", &tenant.name)],
            &links,
        ),
        vec![],
    )
}
