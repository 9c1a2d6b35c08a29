//! Errors as HTTP responses: a stable code and a safe description for the client, the cause for
//! the logs. Every error response is `Cache-Control: no-store`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("unknown tenant")]
    TenantNotFound,
    #[error("this tenant is suspended")]
    TenantSuspended,
    #[error("service unavailable: {0}")]
    Unavailable(&'static str),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn internal(cause: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(cause.into())
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound => "not_found",
            ApiError::TenantNotFound => "tenant_not_found",
            ApiError::TenantSuspended => "tenant_suspended",
            ApiError::Unavailable(_) => "temporarily_unavailable",
            ApiError::Internal(_) => "server_error",
        }
    }
}

impl From<crate::db::DbError> for ApiError {
    /// A passing database condition is 503 with `Retry-After`; anything else is a bug.
    fn from(e: crate::db::DbError) -> Self {
        if e.is_transient() {
            tracing::warn!(error = %e, "request met a busy database");
            ApiError::Unavailable("the database is busy; retry shortly")
        } else {
            ApiError::internal(e)
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: String,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound | ApiError::TenantNotFound => StatusCode::NOT_FOUND,
            ApiError::TenantSuspended => StatusCode::FORBIDDEN,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let ApiError::Unavailable(_) = self {
            response.insert_header((header::RETRY_AFTER, crate::db::RETRY_AFTER_SECS.to_string()));
        }
        response.json(ErrorBody {
            error: self.code(),
            error_description: self.to_string(),
        })
    }
}

/// The fallback for unmatched routes: JSON like every other error.
pub async fn not_found() -> HttpResponse {
    ApiError::NotFound.error_response()
}
