//! Full browser sign-ins against a running Tessera, as many at once as asked:
//! authorize → hosted login → profile picker and consent when shown → code → token → refresh
//! → userinfo. Each flow is a new browser (its own cookies) with its own client address in
//! `X-Forwarded-For`, so the server must trust the load generator as a proxy
//! (`TESSERA_SERVER__TRUSTED_PROXIES=127.0.0.1`). Workers past `--accounts` all sign in as one
//! shared account, like several browsers of one person.
//!
//! It reports flows/s, p50/p99 latency of whole flows and the errors; `--argon2-only` instead
//! measures argon2id hashes/s at given parameters on every core, the ceiling sign-ins are
//! compared against. `bench/signin.sh` runs both against a fresh server in one command.
//!
//! ```text
//! cargo run --release --example signin-load -- --issuer http://127.0.0.1:18080/t/bench \
//!     --client-id ID --client-secret SECRET --password PW --accounts 12 --shared-browsers 4
//! cargo run --release --example signin-load -- --argon2-only 19456,2,1 --seconds 5
//! ```
//! Accounts are `user{N}@bench.example` (N from 0) and the shared one `shared@bench.example`,
//! all with `--password`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use reqwest::Client;

#[path = "browser_flow.rs"]
mod browser_flow;
use browser_flow::{Browser, Target};

#[derive(Parser, Debug, Clone)]
struct Args {
    /// The tenant's issuer URL.
    #[arg(long)]
    issuer: Option<String>,
    #[arg(long)]
    client_id: Option<String>,
    #[arg(long)]
    client_secret: Option<String>,
    /// Every account's password.
    #[arg(long)]
    password: Option<String>,
    /// Distinct accounts, one worker each.
    #[arg(long, default_value_t = 12)]
    accounts: usize,
    /// Further workers that all sign in as the shared account.
    #[arg(long, default_value_t = 4)]
    shared_browsers: usize,
    /// How long to run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Measure argon2id hashes/s at `m_kib,t,p` on every core instead.
    #[arg(long)]
    argon2_only: Option<String>,
    /// Print one JSON object instead of a line of text.
    #[arg(long)]
    json: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(params) = &args.argon2_only {
        return argon2_rate(params, args.seconds, args.json);
    }
    // One thread: the load generator shares the machine with the server and should take as
    // little of it as it can.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(load(args))
}

fn argon2_rate(params: &str, seconds: u64, json: bool) -> anyhow::Result<()> {
    let parts: Vec<u32> = params
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let [m, t, p] = parts[..] else {
        anyhow::bail!("--argon2-only takes m_kib,t,p");
    };
    let params = argon2::Params::new(m, t, p, Some(32)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let hashes = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (hashes, params) = (hashes.clone(), params.clone());
            std::thread::spawn(move || {
                let argon2 = argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    params.clone(),
                );
                let mut out = [0u8; 32];
                while Instant::now() < deadline {
                    argon2
                        .hash_password_into(
                            b"correct horse battery staple",
                            b"sixteen byte salt",
                            &mut out,
                        )
                        .expect("argon2");
                    hashes.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    let rate = hashes.load(Ordering::Relaxed) as f64 / seconds as f64;
    if json {
        println!(
            "{}",
            serde_json::json!({ "argon2_hashes_per_sec": rate, "cores": cores })
        );
    } else {
        println!("argon2id m={m} t={t} p={p}: {rate:.1} hashes/s on {cores} cores");
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: Vec<String>,
}

async fn load(args: Args) -> anyhow::Result<()> {
    let need = |v: &Option<String>, name: &str| {
        v.clone()
            .ok_or_else(|| anyhow::anyhow!("--{name} is required"))
    };
    let target = Arc::new(Target {
        issuer: need(&args.issuer, "issuer")?
            .trim_end_matches('/')
            .to_owned(),
        client_id: need(&args.client_id, "client-id")?,
        client_secret: need(&args.client_secret, "client-secret")?,
        password: need(&args.password, "password")?,
    });
    let workers = args.accounts + args.shared_browsers;
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|worker| {
            let target = target.clone();
            let email = if worker < args.accounts {
                format!("user{worker}@bench.example")
            } else {
                "shared@bench.example".to_owned()
            };
            tokio::spawn(async move {
                // Keep-alive connections per worker; cookies are per flow (a new browser).
                let http = Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("client");
                let mut tally = Tally::default();
                let mut flow = 0u32;
                while Instant::now() < deadline {
                    let address = format!("10.{}.{}.{}", worker / 250, worker % 250, flow % 250);
                    flow += 1;
                    let began = Instant::now();
                    match sign_in(&http, &target, &email, &address).await {
                        Ok(()) => tally.latencies.push(began.elapsed()),
                        Err(e) => tally.errors.push(e),
                    }
                }
                tally
            })
        })
        .collect();
    let mut tallies = Vec::new();
    for task in tasks {
        tallies.push(task.await.unwrap_or_default());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies: Vec<Duration> = tallies.iter().flat_map(|t| t.latencies.clone()).collect();
    let errors: Vec<String> = tallies.iter().flat_map(|t| t.errors.clone()).collect();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let flows_per_sec = latencies.len() as f64 / elapsed;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "concurrency": workers,
                "flows": latencies.len(),
                "flows_per_sec": flows_per_sec,
                "p50_ms": pct(0.50),
                "p99_ms": pct(0.99),
                "errors": errors.len(),
                "first_errors": errors.iter().take(3).collect::<Vec<_>>(),
            })
        );
    } else {
        println!(
            "{workers} concurrent: {} flows in {elapsed:.1}s = {flows_per_sec:.1} flows/s, p50 {:.0} ms, p99 {:.0} ms, {} errors",
            latencies.len(),
            pct(0.50),
            pct(0.99),
            errors.len()
        );
        for error in errors.iter().take(3) {
            println!("  error: {error}");
        }
    }
    Ok(())
}

/// One full sign-in in a new browser, then a refresh and userinfo with the new tokens.
async fn sign_in(http: &Client, target: &Target, email: &str, address: &str) -> Result<(), String> {
    let mut browser = Browser::new(http, target, target.origin(), address)?;
    let issued = browser.sign_in(email).await?;
    let refreshed = browser.refresh(&issued.refresh_token).await?;
    browser.userinfo(&refreshed.access_token).await
}
