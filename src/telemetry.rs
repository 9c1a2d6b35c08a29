//! Logging: `tracing` to stderr, pretty or JSON. Every line logged while serving a request
//! carries that request's id (the span opened by `tracing_actix_web`). With
//! `log.otlp_endpoint` set, the same spans also go out as OpenTelemetry traces over
//! OTLP/HTTP: one trace per request (continuing the caller's `traceparent`), with child
//! spans for database calls (`db::Db::run`) and outbound requests (`outbound`).

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::config::{LogFormat, LogSettings};

/// The trace pipeline, kept to flush it at exit.
static TRACES: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Installs the global subscriber once; later calls are ignored (tests call it repeatedly).
/// `traces`: also export OpenTelemetry traces when `log.otlp_endpoint` is set (the server;
/// command-line tools do not).
pub fn init(settings: &LogSettings, traces: bool) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let otel = traces.then(|| trace_layer(settings)).flatten();
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let result = match settings.format {
        // Colour only for a person at a terminal: a file or a log collector gets plain text.
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    // Already installed (tests, or a CLI command that serves): keep the first one.
    let _ = result;
}

type TraceLayer<S> = tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>;

/// The OTLP exporter and the layer that feeds it, if configured. A bad endpoint is reported
/// and traces stay off; serving goes on.
fn trace_layer<S>(settings: &LogSettings) -> Option<TraceLayer<S>>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    let endpoint = settings.otlp_endpoint.trim();
    if endpoint.is_empty() {
        return None;
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(endpoint)
        .with_timeout(Duration::from_secs(5))
        .build();
    let exporter = match exporter {
        Ok(exporter) => exporter,
        Err(e) => {
            eprintln!("OpenTelemetry traces are off: {e}");
            return None;
        }
    };
    let ratio = settings.trace_sample_ratio.clamp(0.0, 1.0);
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))))
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("tessera")
                .build(),
        )
        .build();
    let tracer = provider.tracer("tessera");
    let _ = TRACES.set(provider);
    Some(tracing_opentelemetry::layer().with_tracer(tracer))
}

/// Sends the traces still buffered (call once the server stopped, outside the runtime).
pub fn flush() {
    if let Some(provider) = TRACES.get() {
        if let Err(e) = provider.shutdown() {
            eprintln!("OpenTelemetry traces could not be flushed: {e}");
        }
    }
}

/// The caller's trace context (`traceparent`, `tracestate`), if it sent one.
struct Headers<'a>(&'a actix_web::http::header::HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The span every request is served in: `tracing_actix_web`'s fields, except that
/// `http.target` is the path alone. Query strings carry link tokens (`/verify?token=`,
/// `/reset?token=`, `/platform/setup?token=`), `login_hint` and `state`; logs must not.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage as _;
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let connection = request.connection_info();
        let span = tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.host = %connection.host(),
            http.client_ip = %connection.realip_remote_addr().unwrap_or(""),
            http.target = %request.path(),
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{} {}", request.method(), route),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        );
        if TRACES.get().is_some() {
            use opentelemetry::propagation::TextMapPropagator;
            use tracing_opentelemetry::OpenTelemetrySpanExt;
            let propagator = opentelemetry_sdk::propagation::TraceContextPropagator::new();
            let parent = propagator.extract(&Headers(request.headers()));
            let _ = span.set_parent(parent);
        }
        span
    }

    /// Records the status on the span and logs one line per failed request, with its
    /// request id: server errors at ERROR, except 503 (a passing database condition, already
    /// logged at WARN where it was met, which must not page anyone once per request during a
    /// restart), and client errors at INFO (they are the client's).
    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let failed = match outcome {
            Ok(response) => response
                .response()
                .error()
                .map(|e| (response.status(), format!("{:?}", e.as_response_error()))),
            Err(e) => Some((
                e.as_response_error().status_code(),
                format!("{:?}", e.as_response_error()),
            )),
        };
        if let Some((status, error)) = failed {
            let code = status.as_u16();
            span.in_scope(|| {
                if status.is_client_error() {
                    tracing::info!(status = code, error, "request refused");
                } else if status != actix_web::http::StatusCode::SERVICE_UNAVAILABLE {
                    tracing::error!(status = code, error, "request failed");
                }
            });
        }
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
