//! Liveness and readiness probes.

use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;

const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`: the process is alive and serving.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers; otherwise 503 with the reason.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping(READINESS_TIMEOUT).await {
        Ok(()) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .json(json!({ "status": "ready", "database": state.db.engine() })),
        Err(e) => {
            // Details (hosts, database names) go to the log, not to anonymous callers.
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
                .json(json!({
                    "status": "unavailable",
                    "reason": "database unreachable",
                    "database": state.db.engine(),
                }))
        }
    }
}
