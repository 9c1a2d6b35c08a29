//! `tessera serve`

use crate::config::{Settings, TenantRouting};
use crate::startup::Application;

pub fn run(settings: Settings) -> anyhow::Result<()> {
    crate::telemetry::init(&settings.log, true);
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings.clone()).await?;
        print_banner(&settings, app.port(), app.tenant_count().await);
        if let Some(token) = app.platform_setup_token().await {
            println!();
            println!(
                "No platform administrator yet. Create one within the hour at this one-time link:"
            );
            println!("    {}", super::admin::setup_link(&settings, &token));
            println!("  (or: tessera admin create --email you@example.com --password-stdin)");
        }
        // actix stops gracefully on SIGTERM/SIGINT: no new connections, in-flight requests get
        // server.shutdown_timeout_secs to finish.
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok::<_, anyhow::Error>(())
    })?;
    crate::telemetry::flush();
    Ok(())
}

fn print_banner(settings: &Settings, port: u16, tenants: Option<usize>) {
    let public = settings.public_base();
    let host = settings
        .listen_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    println!(
        "Tessera {} is listening on {host}:{port}",
        env!("CARGO_PKG_VERSION")
    );
    println!(
        "Public URL: {public} (tenant routing: {})",
        settings.tenancy.routing.as_str()
    );
    if let Some(warning) = settings.public_url_mismatch(port) {
        tracing::warn!("{warning}");
        println!();
        println!("Warning: {warning}");
    }
    let example = crate::domain::TenantSlug::from_stored("acme".into());
    let issuer = crate::tenancy::issuer(settings, &example);
    if tenants == Some(0) {
        println!();
        println!("No tenants yet. Create one in the platform console ({public}/platform)");
        println!("or, in another terminal, with its first administrator invited by mail:");
        println!(
            "    tessera tenant create acme --name \"Acme Inc.\" --admin-email you@example.com --print-link"
        );
        println!("  (cargo run --release -- tenant create ... without an installed binary)");
        println!("then open {issuer}");
        if settings.tenancy.routing == TenantRouting::Subdomain {
            println!("  ({} must resolve to this server)", issuer);
        }
    }
}
