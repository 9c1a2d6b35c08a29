//! The admin REST API under `{issuer}/admin/api/v1/`, authenticated by this tenant's own
//! access tokens. Every request is authorized server-side from the caller's current
//! permissions (read from the database, not the token's snapshot): `tenant:admin`, or the
//! finer permission the route needs. Errors are JSON with stable codes; lists paginate.
//!
//! First slice: clients (read) and account suspension. The console and the rest of the API
//! build on the same `authorize` step.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::oauth::context;
use super::AppState;
use crate::db::DbError;
use crate::domain::{AccountId, ProfileId};
use crate::identity::{self, AccountError};
use crate::oidc::access_token::{self, Inactive};
use crate::oidc::context::OidcContext;
use crate::tenancy::CurrentTenant;

const MAX_PAGE: usize = 200;

/// Who is calling and what they may do, checked for this request.
struct Admin {
    actor: String,
}

#[derive(Debug)]
enum AdminError {
    Unauthorized(&'static str),
    Forbidden(&'static str),
    NotFound,
    Internal(String),
}

impl From<DbError> for AdminError {
    fn from(e: DbError) -> Self {
        AdminError::Internal(e.to_string())
    }
}

fn reply(result: Result<serde_json::Value, AdminError>) -> HttpResponse {
    let (status, body) = match result {
        Ok(body) => (StatusCode::OK, body),
        Err(AdminError::Unauthorized(why)) => (
            StatusCode::UNAUTHORIZED,
            json!({ "error": "unauthorized", "message": why }),
        ),
        Err(AdminError::Forbidden(needed)) => (
            StatusCode::FORBIDDEN,
            json!({ "error": "forbidden", "message": format!("this needs the {needed} (or tenant:admin) permission") }),
        ),
        Err(AdminError::NotFound) => (
            StatusCode::NOT_FOUND,
            json!({ "error": "not_found", "message": "no such object in this tenant" }),
        ),
        Err(AdminError::Internal(cause)) => {
            tracing::error!(error = %cause, "admin API request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "server_error", "message": "the request could not be completed" }),
            )
        }
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
    }
    response.json(body)
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    (value.len() > 7 && value[..7].eq_ignore_ascii_case("bearer "))
        .then(|| value[7..].trim().to_owned())
}

/// The one authorization step for every admin route (the console will share it).
fn authorize(
    conn: &mut crate::db::AnyConnection,
    ctx: &OidcContext,
    token: Option<&str>,
    needed: &'static str,
) -> Result<Admin, AdminError> {
    let token = token.ok_or(AdminError::Unauthorized(
        "an access token of this tenant is required",
    ))?;
    let claims = match access_token::verify(conn, ctx, token) {
        Ok(claims) => claims,
        Err(Inactive::Db(e)) => return Err(e.into()),
        Err(Inactive::Invalid(_)) => {
            return Err(AdminError::Unauthorized(
                "the access token is invalid or expired",
            ))
        }
    };
    // Permissions now, not as snapshotted in the token: a removed role stops working at once.
    let permissions = match &claims.profile_id {
        Some(profile) => {
            crate::profiles::authorization(
                conn,
                &ctx.tenant.id,
                &ProfileId::from_stored(profile.clone()),
            )?
            .permissions
        }
        None => Vec::new(),
    };
    if !permissions
        .iter()
        .any(|p| p == "tenant:admin" || p == needed)
    {
        return Err(AdminError::Forbidden(needed));
    }
    Ok(Admin {
        actor: claims.profile_id.unwrap_or(claims.sub),
    })
}

async fn run<F>(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    needed: &'static str,
    work: F,
) -> HttpResponse
where
    F: FnOnce(
            &mut crate::db::AnyConnection,
            &OidcContext,
            Admin,
        ) -> Result<serde_json::Value, AdminError>
        + Send
        + 'static,
{
    let token = bearer(&req);
    let Ok(ctx) = context(&state, tenant).await else {
        return reply(Err(AdminError::Internal("no key set".into())));
    };
    let result = state
        .db
        .run(move |conn| {
            let admin = authorize(conn, &ctx, token.as_deref(), needed)?;
            work(conn, &ctx, admin)
        })
        .await;
    reply(result)
}

#[derive(Deserialize)]
pub struct Page {
    limit: Option<usize>,
    after: Option<String>,
}

/// `GET …/clients?limit=&after=`: clients ordered by id, `next` for the following page.
pub async fn list_clients(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
    page: web::Query<Page>,
) -> HttpResponse {
    let Page { limit, after } = page.into_inner();
    let limit = limit.unwrap_or(50).clamp(1, MAX_PAGE);
    run(state, tenant, req, "clients:read", move |conn, ctx, _| {
        let all = crate::clients::list(conn, &ctx.tenant.id)
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        let items: Vec<_> = all
            .iter()
            .filter(|c| after.as_deref().is_none_or(|a| c.id.as_str() > a))
            .take(limit + 1)
            .collect();
        let next = (items.len() > limit).then(|| items[limit - 1].id.to_string());
        let views: Vec<_> = items.iter().take(limit).map(|c| c.view()).collect();
        Ok(json!({ "items": views, "next": next }))
    })
    .await
}

/// `GET …/clients/{client_id}`
pub async fn get_client(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
) -> HttpResponse {
    // By name: in path mode the route also holds {tenant}.
    let client_id = req
        .match_info()
        .get("client_id")
        .unwrap_or_default()
        .to_owned();
    run(
        state,
        tenant,
        req,
        "clients:read",
        move |conn, ctx, _| match crate::clients::find(conn, &ctx.tenant.id, &client_id) {
            Ok(client) => Ok(serde_json::to_value(client.view())
                .map_err(|e| AdminError::Internal(e.to_string()))?),
            Err(crate::clients::ClientError::NotFound(_)) => Err(AdminError::NotFound),
            Err(e) => Err(AdminError::Internal(e.to_string())),
        },
    )
    .await
}

/// `POST …/accounts/{account_id}/suspend` and `…/resume`
pub async fn account_status(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    req: HttpRequest,
) -> HttpResponse {
    let info = req.match_info();
    let account_id = info.get("account_id").unwrap_or_default().to_owned();
    let action = info.get("action").unwrap_or_default().to_owned();
    run(
        state,
        tenant,
        req,
        "accounts:write",
        move |conn, ctx, admin| {
            let account = AccountId::from_stored(account_id);
            let result = match action.as_str() {
                "suspend" => identity::suspend(conn, &ctx.tenant.id, &account, &admin.actor),
                "resume" => identity::resume(conn, &ctx.tenant.id, &account, &admin.actor),
                _ => return Err(AdminError::NotFound),
            };
            match result {
                Ok(account) => Ok(
                    json!({ "id": account.id, "email": account.email, "status": account.status }),
                ),
                Err(AccountError::NotFound) => Err(AdminError::NotFound),
                Err(e) => Err(AdminError::Internal(e.to_string())),
            }
        },
    )
    .await
}
