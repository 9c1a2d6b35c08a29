//! Thin actix handlers: extract, parse into domain types, call the service, map to a response.

pub mod admin;
pub mod cookies;
mod discovery;
mod error;
pub mod extract;
mod health;
mod language;
pub mod metrics;
pub mod oauth;
mod page;
mod pages;
mod registration;
mod state;
mod when;

use actix_web::web;

pub use error::ApiError;
pub use state::AppState;

use crate::config::TenantRouting;

/// Largest request body of the protocol endpoints and hosted pages: their parameters are
/// short, and a bigger body is refused (413) before anything reads it.
pub const BODY_LIMIT: usize = 16 * 1024;
/// Largest request body of the admin API (client registrations carry JWKS).
pub const ADMIN_API_BODY_LIMIT: usize = 256 * 1024;

/// Whether the request's path or query, percent-decoded, holds a NUL: no route takes one,
/// and PostgreSQL cannot store it, so such a request is refused before any handler runs.
pub fn uri_holds_nul(uri: &actix_web::http::Uri) -> bool {
    // Percent-decoding is one pass, so `%00` is the only spelling that decodes to NUL (a raw
    // NUL never gets past the HTTP parser).
    uri.path_and_query()
        .is_some_and(|target| target.as_str().contains("%00"))
}

/// Every route. In path mode tenant routes live under `/t/{tenant}`; in subdomain mode they
/// live at the root of each tenant host.
pub fn routes(routing: TenantRouting) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        // Browsers ask for it on every origin; an empty answer keeps their consoles clean.
        cfg.route(
            "/favicon.ico",
            web::get().to(|| async { actix_web::HttpResponse::NoContent().finish() }),
        )
        .configure(platform_routes)
        .route("/", web::get().to(pages::root))
        .route("/healthz", web::get().to(health::healthz))
        .route("/metrics", web::get().to(metrics::scrape))
        .route("/readyz", web::get().to(health::readyz));
        match routing {
            TenantRouting::Path => {
                cfg.service(
                    web::scope("/t/{tenant}")
                        .route("", web::get().to(pages::issuer_page))
                        .route("/", web::get().to(pages::issuer_page))
                        .configure(tenant_routes),
                )
                // RFC 8414 §3: for an issuer with a path, the well-known segment goes
                // between host and path.
                .route(
                    "/.well-known/oauth-authorization-server/t/{tenant}",
                    web::get().to(discovery::provider_metadata),
                );
            }
            TenantRouting::Subdomain => {
                cfg.configure(tenant_routes);
            }
        }
    }
}

/// Routes are matched in order, and patterns with placeholders cost a regular-expression match
/// each: the protocol endpoints every sign-in uses come first, administration last.
fn tenant_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/token")
            .route(web::post().to(oauth::token))
            .default_service(web::to(oauth::method_not_allowed)),
    )
    .service(
        web::resource("/introspect")
            .route(web::post().to(oauth::introspect))
            .default_service(web::to(oauth::method_not_allowed)),
    )
    .service(
        web::resource("/par")
            .route(web::post().to(oauth::pushed_authorization_request))
            .default_service(web::to(oauth::method_not_allowed)),
    )
    .service(
        web::resource("/register")
            .route(web::post().to(registration::register))
            .default_service(web::to(oauth::method_not_allowed)),
    )
    .service(
        web::resource("/register/{client_id}")
            .route(web::get().to(registration::manage))
            .route(web::put().to(registration::manage))
            .route(web::delete().to(registration::manage))
            .default_service(web::to(oauth::method_not_allowed)),
    )
    .service(
        web::resource("/device_authorization")
            .route(web::post().to(oauth::device_authorization))
            .default_service(web::to(oauth::method_not_allowed)),
    )
    .service(
        web::resource("/revoke")
            .route(web::post().to(oauth::revoke))
            .default_service(web::to(oauth::method_not_allowed)),
    )
    .service(
        web::resource("/userinfo")
            .route(web::get().to(oauth::userinfo))
            .route(web::post().to(oauth::userinfo))
            .default_service(web::to(oauth::method_not_allowed)),
    )
    .route(
        "/.well-known/openid-configuration",
        web::get().to(discovery::provider_metadata),
    )
    .route(
        "/.well-known/oauth-authorization-server",
        web::get().to(discovery::provider_metadata),
    )
    .route("/jwks.json", web::get().to(discovery::jwks))
    .route(
        "/audit/checkpoints",
        web::get().to(discovery::audit_checkpoints),
    )
    .route("/assets/tessera.css", web::get().to(pages::stylesheet))
    .route("/assets/brand.css", web::get().to(pages::brand_stylesheet))
    .route("/authorize", web::get().to(pages::authorize))
    .route("/authorize", web::post().to(pages::authorize))
    .route("/login", web::get().to(pages::login_form))
    .route("/login", web::post().to(pages::login_submit))
    .route("/signup", web::get().to(pages::signup_form))
    .route("/signup", web::post().to(pages::signup_submit))
    .route("/verify", web::get().to(pages::verify_form))
    .route("/verify", web::post().to(pages::verify_submit))
    .route(
        "/email-change/confirm",
        web::get().to(pages::email_change::confirm_form),
    )
    .route(
        "/email-change/confirm",
        web::post().to(pages::email_change::confirm_submit),
    )
    .route(
        "/email-change/revert",
        web::get().to(pages::email_change::revert_form),
    )
    .route(
        "/email-change/revert",
        web::post().to(pages::email_change::revert_submit),
    )
    .route("/reset", web::get().to(pages::reset_request_form))
    .route("/reset", web::post().to(pages::reset_request_submit))
    .route("/reset/confirm", web::get().to(pages::reset_form))
    .route("/reset/confirm", web::post().to(pages::reset_submit))
    .route("/invitation", web::get().to(pages::invitation_form))
    .route("/invitation", web::post().to(pages::invitation_submit))
    .route("/mfa/setup", web::get().to(pages::setup_form))
    .route("/mfa/setup", web::post().to(pages::setup_submit))
    .route("/mfa/continue", web::post().to(pages::setup_continue))
    .route("/mfa", web::get().to(pages::mfa_form))
    .route("/mfa", web::post().to(pages::mfa_submit))
    .route("/select-profile", web::get().to(pages::picker_form))
    .route("/select-profile", web::post().to(pages::picker_submit))
    .route("/device", web::get().to(pages::device_form))
    .route("/device", web::post().to(pages::device_submit))
    .route("/consent", web::get().to(pages::consent_form))
    .route("/consent", web::post().to(pages::consent_submit))
    .route("/account", web::get().to(pages::account_page))
    .route("/account/mfa/start", web::post().to(pages::mfa_start))
    .route("/account/mfa/confirm", web::post().to(pages::mfa_confirm))
    .route("/account/export", web::post().to(pages::account_export))
    .route(
        "/account/{section}/{action}",
        web::post().to(pages::account_action),
    )
    .route("/account/{action}", web::post().to(pages::account_action))
    .route("/logout", web::get().to(pages::logout))
    .route("/logout", web::post().to(pages::logout))
    .configure(admin::api::routes)
    .configure(console_routes);
}

pub use error::not_found;

/// The platform console on the root host.
fn platform_routes(cfg: &mut web::ServiceConfig) {
    use admin::platform as p;
    cfg.route("/platform", web::get().to(p::tenants))
        .route("/platform/login", web::get().to(p::login_form))
        .route("/platform/login", web::post().to(p::login_submit))
        .route("/platform/logout", web::post().to(p::logout))
        .route("/platform/setup", web::get().to(p::setup_form))
        .route("/platform/setup", web::post().to(p::setup_submit))
        .route("/platform/security", web::get().to(p::security))
        .route("/platform/mfa/{action}", web::post().to(p::mfa_action))
        .route("/platform/tenants", web::post().to(p::create_tenant))
        .route("/platform/tenants/{slug}", web::get().to(p::tenant))
        .route(
            "/platform/tenants/{slug}/{action}",
            web::post().to(p::tenant_action),
        )
        .route(
            "/platform/assets/tessera.css",
            web::get().to(pages::stylesheet),
        )
        .route(
            "/platform/assets/brand.css",
            web::get().to(p::brand_stylesheet),
        );
}

/// The tenant console: pages (GET) and their forms (POST).
fn console_routes(cfg: &mut web::ServiceConfig) {
    use admin::console as c;
    cfg.route("/admin", web::get().to(c::overview))
        .route("/admin/profile", web::get().to(c::profile_form))
        .route("/admin/profile", web::post().to(c::profile_submit))
        .route("/admin/clients", web::get().to(c::clients))
        .route("/admin/clients", web::post().to(c::create_client))
        .route("/admin/clients/{client_id}", web::get().to(c::client))
        .route(
            "/admin/clients/{client_id}/{action}",
            web::post().to(c::client_action),
        )
        .route("/admin/accounts", web::get().to(c::accounts))
        .route("/admin/accounts", web::post().to(c::invite))
        .route("/admin/accounts/{account_id}", web::get().to(c::account))
        .route("/admin/duplicates", web::get().to(c::duplicates))
        // Before the generic action route, which answers 405 to a GET.
        .route(
            "/admin/accounts/{account_id}/merge",
            web::get().to(c::merge_preview),
        )
        .route(
            "/admin/accounts/{account_id}/{action}",
            web::post().to(c::account_action),
        )
        .route("/admin/roles", web::get().to(c::roles))
        .route("/admin/roles", web::post().to(c::role_action))
        .route("/admin/roles/{action}", web::post().to(c::role_action))
        .route("/admin/settings", web::get().to(c::settings))
        .route(
            "/admin/settings/{section}",
            web::post().to(c::settings_action),
        )
        .route("/admin/attributes", web::get().to(c::attributes))
        .route("/admin/attributes", web::post().to(c::attribute_action))
        .route(
            "/admin/attributes/{action}",
            web::post().to(c::attribute_action),
        )
        .route("/admin/customers", web::get().to(c::customers))
        .route("/admin/customers", web::post().to(c::create_customer))
        .route("/admin/customers/{customer_id}", web::get().to(c::customer))
        .route(
            "/admin/customers/{customer_id}/{action}",
            web::post().to(c::customer_action),
        )
        .route("/admin/purposes", web::get().to(c::purposes))
        .route("/admin/purposes", web::post().to(c::purpose_action))
        .route(
            "/admin/purposes/{action}",
            web::post().to(c::purpose_action),
        )
        .route("/admin/resources", web::get().to(c::resources))
        .route("/admin/resources", web::post().to(c::resource_action))
        .route(
            "/admin/resources/{action}",
            web::post().to(c::resource_action),
        )
        .route("/admin/webhooks", web::get().to(c::webhooks))
        .route("/admin/webhooks", web::post().to(c::webhook_action))
        .route(
            "/admin/webhooks/{action}",
            web::post().to(c::webhook_action),
        )
        .route("/admin/keys", web::get().to(c::keys))
        .route("/admin/keys/{action}", web::post().to(c::key_action))
        .route("/admin/audit", web::get().to(c::audit))
        .route("/admin/audit/export", web::get().to(c::audit_export));
}
