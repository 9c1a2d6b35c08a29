//! Prometheus metrics, one registry per running server (tests run many servers in one
//! process and read each one's own figures).
//!
//! - HTTP: requests and latency per route template, method, status class and tenant. The
//!   tenant label is bounded: the first `metrics.max_tenant_labels` tenants seen get their
//!   own value, the rest share `other`, so 10,000 tenants cannot blow up the series count.
//! - What the services count (tokens issued, sign-in outcomes, lockouts, purges, event
//!   deliveries) is recorded through [`record`], which reaches the server's metrics on the
//!   blocking thread `Db::run` set up (services get only a connection, as for the SQLite
//!   writer queue); called elsewhere (the CLI) it does nothing.
//! - Gauges that live in the database (outbox backlog, deliveries waiting, delivery lag) and
//!   the connection pool are read when `/metrics` is scraped.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// The label value of tenants past the bound.
pub const OTHER_TENANTS: &str = "other";

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pub tokens_issued: IntCounterVec,
    pub signins: IntCounterVec,
    pub lockouts: IntCounter,
    pub rate_limited: IntCounterVec,
    pub purged: IntCounterVec,
    pub deliveries: IntCounterVec,
    pub outbox_backlog: IntGauge,
    pub deliveries_waiting: IntGaugeVec,
    pub delivery_lag_seconds: IntGauge,
    pub pool_connections: IntGaugeVec,
    pub pool_waiting: IntGauge,
    pub pool_waits: IntGauge,
    pub pool_wait_seconds: prometheus::Gauge,
    /// This node's clock minus PostgreSQL's (`crate::clock`).
    pub clock_skew_seconds: prometheus::Gauge,
    tenants: Mutex<HashSet<String>>,
    max_tenants: usize,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Request latency buckets (seconds): 1 ms to about 16 s.
fn latency_buckets() -> Vec<f64> {
    prometheus::exponential_buckets(0.001, 2.0, 15).unwrap_or_default()
}

impl Metrics {
    pub fn new(max_tenants: usize) -> prometheus::Result<Metrics> {
        let registry = Registry::new_custom(Some("tessera".into()), None)?;
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(metric.clone()))?;
            Ok::<_, prometheus::Error>(metric)
        };
        let gauge_vec = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntGaugeVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(metric.clone()))?;
            Ok::<_, prometheus::Error>(metric)
        };
        let gauge = |name: &str, help: &str| {
            let metric = IntGauge::new(name, help)?;
            registry.register(Box::new(metric.clone()))?;
            Ok::<_, prometheus::Error>(metric)
        };
        let requests = counter(
            "http_requests_total",
            "HTTP requests answered, by route template, method, status class and tenant",
            &["route", "method", "status", "tenant"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from request to response, by route template, method and tenant",
            )
            .buckets(latency_buckets()),
            &["route", "method", "tenant"],
        )?;
        registry.register(Box::new(latency.clone()))?;
        let lockouts = IntCounter::new(
            "account_lockouts_total",
            "Accounts locked after failed sign-in steps",
        )?;
        registry.register(Box::new(lockouts.clone()))?;
        let pool_wait_seconds = prometheus::Gauge::new(
            "db_pool_wait_seconds_total",
            "Time requests spent waiting for a database connection, in all (a counter)",
        )?;
        registry.register(Box::new(pool_wait_seconds.clone()))?;
        let clock_skew_seconds = prometheus::Gauge::new(
            "clock_skew_seconds",
            "This node's clock minus the database's, measured every maintenance round (PostgreSQL only)",
        )?;
        registry.register(Box::new(clock_skew_seconds.clone()))?;
        Ok(Metrics {
            tokens_issued: counter(
                "tokens_issued_total",
                "Token responses issued by the token endpoint, by grant type",
                &["grant"],
            )?,
            signins: counter(
                "signins_total",
                "Sign-in attempts at the hosted pages, by outcome (success, failure, second_factor, locked, rate_limited)",
                &["outcome"],
            )?,
            rate_limited: counter(
                "rate_limited_total",
                "Requests refused with 429, by route template",
                &["route"],
            )?,
            purged: counter(
                "purged_rows_total",
                "Rows the maintenance round deleted (or sessions it ended), by table",
                &["table"],
            )?,
            deliveries: counter(
                "event_deliveries_total",
                "Delivery attempts of events, by receiver kind (webhook, backchannel_logout) and result (delivered, failed, dead)",
                &["kind", "result"],
            )?,
            outbox_backlog: gauge(
                "outbox_backlog",
                "Events committed but not yet handed to their receivers",
            )?,
            deliveries_waiting: gauge_vec(
                "event_deliveries_waiting",
                "Deliveries not yet delivered, by state (pending, dead)",
                &["state"],
            )?,
            delivery_lag_seconds: gauge(
                "event_delivery_lag_seconds",
                "Age of the oldest event whose delivery is still pending (0: none)",
            )?,
            pool_connections: gauge_vec(
                "db_pool_connections",
                "Database connections of this process, by state (in_use, idle)",
                &["state"],
            )?,
            pool_waiting: gauge(
                "db_pool_waiting",
                "Requests waiting for a database connection now",
            )?,
            pool_waits: gauge(
                "db_pool_waits_total",
                "Requests that had to wait for a database connection (a counter)",
            )?,
            pool_wait_seconds,
            clock_skew_seconds,
            requests,
            latency,
            lockouts,
            registry,
            tenants: Mutex::default(),
            max_tenants,
        })
    }

    /// The tenant label for `slug`: itself while the bound allows, else `other`.
    pub fn tenant_label(&self, slug: &str) -> String {
        if slug.is_empty() {
            return String::new();
        }
        let mut seen = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(slug) {
            return slug.to_owned();
        }
        if seen.len() < self.max_tenants {
            seen.insert(slug.to_owned());
            return slug.to_owned();
        }
        OTHER_TENANTS.into()
    }

    /// One answered request.
    pub fn request(&self, route: &str, method: &str, status: u16, tenant: &str, seconds: f64) {
        let tenant = self.tenant_label(tenant);
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.requests
            .with_label_values(&[route, method, class, &tenant])
            .inc();
        self.latency
            .with_label_values(&[route, method, &tenant])
            .observe(seconds);
        if status == 429 {
            self.rate_limited.with_label_values(&[route]).inc();
        }
    }

    /// The Prometheus text format (version 0.0.4).
    pub fn encode(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "metrics could not be encoded");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The content type of [`Metrics::encode`].
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

thread_local! {
    static CURRENT: RefCell<Option<Arc<Metrics>>> = const { RefCell::new(None) };
}

/// Runs `work` with `metrics` as this thread's current metrics (what [`record`] reaches).
pub fn with_current<R>(metrics: Option<&Arc<Metrics>>, work: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|c| c.replace(metrics.cloned()));
    let result = work();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    result
}

/// Records into the current server's metrics, if this thread has one.
pub fn record(count: impl FnOnce(&Metrics)) {
    CURRENT.with(|c| {
        if let Some(metrics) = c.borrow().as_ref() {
            count(metrics);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_labels_are_bounded() {
        let metrics = Metrics::new(2).unwrap();
        assert_eq!(metrics.tenant_label("acme"), "acme");
        assert_eq!(metrics.tenant_label("globex"), "globex");
        assert_eq!(metrics.tenant_label("initech"), OTHER_TENANTS);
        assert_eq!(
            metrics.tenant_label("acme"),
            "acme",
            "seen ones keep theirs"
        );
    }

    #[test]
    fn record_reaches_only_the_current_metrics() {
        let metrics = Arc::new(Metrics::new(10).unwrap());
        record(|m| m.lockouts.inc());
        assert_eq!(metrics.lockouts.get(), 0, "no current metrics: nothing");
        with_current(Some(&metrics), || record(|m| m.lockouts.inc()));
        assert_eq!(metrics.lockouts.get(), 1);
        record(|m| m.lockouts.inc());
        assert_eq!(metrics.lockouts.get(), 1, "restored after");
    }

    #[test]
    fn encodes_prometheus_text() {
        let metrics = Metrics::new(10).unwrap();
        metrics.request("/t/:tenant/token", "POST", 200, "acme", 0.004);
        let text = metrics.encode();
        assert!(
            text.contains("# TYPE tessera_http_requests_total counter"),
            "{text}"
        );
        assert!(text.contains(
            r#"tessera_http_requests_total{method="POST",route="/t/:tenant/token",status="2xx",tenant="acme"} 1"#
        ), "{text}");
    }
}
