//! `/metrics` and the request observer that feeds it (see `crate::metrics`).

use std::time::Instant;

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};

use super::AppState;

/// Methods with a label of their own; anything else a client sends is `other`.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Counts one answered request: its route template (`unmatched` when no route took it), its
/// method, status class, and the tenant it named if that tenant exists (a made-up slug
/// never becomes a label).
pub fn observe<B>(response: &ServiceResponse<B>, started: Instant) {
    let req = response.request();
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return;
    };
    let Some(metrics) = &state.metrics else {
        return;
    };
    let route = req
        .match_pattern()
        .map(|pattern| colon_style(&pattern))
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = METHODS
        .into_iter()
        .find(|m| *m == req.method().as_str())
        .unwrap_or("other");
    let tenant = super::extract::requested_slug(req, state)
        .filter(|slug| state.tenants.get(slug).is_some())
        .unwrap_or_default();
    metrics.request(
        &route,
        method,
        response.status().as_u16(),
        &tenant,
        started.elapsed().as_secs_f64(),
    );
}

/// A route template as `/t/:tenant/token`: braces inside label values trip simple
/// exposition-format parsers (and need escaping in PromQL regular expressions).
fn colon_style(pattern: &str) -> String {
    pattern.replace('{', ":").replace('}', "")
}

/// `GET /metrics` on the main listener, unless `metrics.listen` moved it elsewhere.
pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    if !state.settings.metrics.listen.trim().is_empty() {
        return super::not_found().await;
    }
    scrape_here(state).await
}

/// `GET /metrics`: the Prometheus text format. Gauges kept in the database are read now.
pub async fn scrape_here(state: web::Data<AppState>) -> HttpResponse {
    let Some(metrics) = state.metrics.clone() else {
        return super::not_found().await;
    };
    let pool = state.db.pool_status();
    metrics
        .pool_connections
        .with_label_values(&["in_use"])
        .set(i64::from(pool.in_use));
    metrics
        .pool_connections
        .with_label_values(&["idle"])
        .set(i64::from(pool.idle));
    metrics.pool_waiting.set(pool.waiting);
    metrics
        .pool_waits
        .set(i64::try_from(pool.waits).unwrap_or(i64::MAX));
    metrics.pool_wait_seconds.set(pool.wait_seconds);
    match state.db.run(crate::webhooks::delivery::status).await {
        Ok(status) => {
            metrics.outbox_backlog.set(status.backlog);
            let waiting = &metrics.deliveries_waiting;
            waiting.with_label_values(&["pending"]).set(status.pending);
            waiting.with_label_values(&["dead"]).set(status.dead);
            metrics.delivery_lag_seconds.set(status.lag_secs);
        }
        // The figures that need the database are stale this time; the rest still answer.
        Err(e) => tracing::warn!(error = %e, "metrics could not read the outbox"),
    }
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(metrics.encode())
}
