//! OpenTelemetry traces over OTLP (issue 16, item 5), from `tessera serve` as a real process
//! (the exporter is process-wide, so not from the in-process test servers) to an OTLP/HTTP
//! receiver started here: one trace per request continuing the caller's `traceparent`, a
//! child span per database call, and a span per outbound request (a webhook delivery).

use std::io::BufReader;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::Value;

use crate::serve::{banner_port, cli_in as cli, serve_in, wait_with_timeout};

/// Every span the receiver got: (trace id, span id, parent span id, name).
type Spans = Arc<Mutex<Vec<(String, String, String, String)>>>;

async fn traces(spans: web::Data<Spans>, body: web::Bytes) -> HttpResponse {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut got = spans.lock().unwrap();
    for resource in request["resourceSpans"].as_array().into_iter().flatten() {
        for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
            for span in scope["spans"].as_array().into_iter().flatten() {
                let field = |name: &str| span[name].as_str().unwrap_or_default().to_lowercase();
                got.push((
                    field("traceId"),
                    field("spanId"),
                    field("parentSpanId"),
                    span["name"].as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .body("{}")
}

#[tokio::test]
async fn requests_database_calls_and_outbound_requests_reach_an_otlp_receiver() {
    let spans: Spans = Arc::default();
    let shared = web::Data::new(spans.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let receiver = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
            .route("/v1/traces", web::post().to(traces))
            .route("/hook", web::post().to(HttpResponse::NoContent))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);

    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://{receiver}/v1/traces");
    let mut child = serve_in(
        dir.path(),
        &[
            ("TESSERA_LOG__OTLP_ENDPOINT", endpoint.as_str()),
            ("TESSERA_OUTBOUND__ALLOW_NETWORKS", "127.0.0.0/8"),
            ("TESSERA_WEBHOOKS__POLL_INTERVAL_MS", "50"),
            // Export batches quickly (the default waits 5 s).
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let port = banner_port(&mut stdout);
    cli(dir.path(), &["tenant", "create", "acme"]);
    let hook = format!("http://{receiver}/hook");
    cli(
        dir.path(),
        &[
            "webhook", "create", "--tenant", "acme", "--url", &hook, "--events", "*",
        ],
    );

    // A caller that is itself traced: its trace goes on here.
    let (trace_id, caller_span) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let response = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/t/acme/.well-known/openid-configuration"
        ))
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    // A change, whose event is delivered to the webhook: an outbound request.
    cli(
        dir.path(),
        &[
            "account",
            "create",
            "--tenant",
            "acme",
            "--email",
            "ada@example.com",
            "--password",
            "correct horse battery staple",
        ],
    );

    let deadline = Instant::now() + Duration::from_secs(60);
    let (request, db, outbound) = loop {
        let got = spans.lock().unwrap().clone();
        let request = got
            .iter()
            .find(|s| s.0 == trace_id && s.3.ends_with("/.well-known/openid-configuration"))
            .cloned();
        let db = request.as_ref().and_then(|r| {
            got.iter()
                .find(|s| s.0 == trace_id && s.3 == "db" && s.2 == r.1)
                .cloned()
        });
        let outbound = got.iter().find(|s| s.3 == "POST 127.0.0.1").cloned();
        if let (Some(request), Some(db), Some(outbound)) = (request, db, outbound) {
            break (request, db, outbound);
        }
        assert!(Instant::now() < deadline, "spans so far: {got:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        request.2, caller_span,
        "the request continues the caller's span"
    );
    assert_eq!(
        request.3,
        "GET /t/{tenant}/.well-known/openid-configuration"
    );
    assert_eq!(
        db.2, request.1,
        "the database call is a child of the request"
    );
    assert_ne!(outbound.0, trace_id, "the delivery is a trace of its own");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(wait_with_timeout(&mut child, Duration::from_secs(20)).success());
    handle.stop(false).await;
}
