//! A mixed load against several Tessera nodes serving one tenant, request by request round
//! robin (a load balancer with no affinity): full browser sign-ins, refreshes,
//! client_credentials, userinfo, introspection and admin API reads.
//!
//! Two modes:
//! - `--capacity`: as fast as `--concurrency` workers go (closed loop); prints one JSON line
//!   per `--window` seconds like the other mode.
//! - otherwise: `--rate` operations/s for `--seconds` (open loop: operations start on a
//!   schedule whether or not earlier ones finished, up to `--max-in-flight`; one that cannot
//!   start then is counted as `behind`). Prints one JSON line per `--window` seconds: per
//!   operation the count, errors and latency percentiles.
//!
//! Tokens from sign-ins go to a pool that refresh, userinfo and introspection draw from. A
//! pooled sign-in is dropped after `--token-max-age` seconds, before its session's idle
//! timeout ends it (the soak runs with short lifetimes so that the purge has work to do).
//! `bench/soak.sh` runs this against three fresh nodes on PostgreSQL and checks the result.
//!
//! ```text
//! cargo run --release --example soak -- --issuer http://127.0.0.1:18090/t/soak \
//!   --nodes http://127.0.0.1:18091,http://127.0.0.1:18092 --client-id ID \
//!   --client-secret SECRET --password PW --accounts 50 --capacity --seconds 30
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use rand::Rng;
use reqwest::{Client, StatusCode};
use serde_json::json;

#[path = "browser_flow.rs"]
mod browser_flow;
use browser_flow::{expect, Browser, Issued, Target};

#[derive(Parser, Debug, Clone)]
struct Args {
    /// The tenant's issuer URL (the address the nodes are published under).
    #[arg(long)]
    issuer: String,
    /// The nodes' origins, comma-separated; requests go round robin.
    #[arg(long, value_delimiter = ',')]
    nodes: Vec<String>,
    /// A confidential client with authorization_code, refresh_token and client_credentials,
    /// holding tokens:introspect, clients:read, accounts:read and audit:read through a role.
    #[arg(long)]
    client_id: String,
    #[arg(long)]
    client_secret: String,
    /// Every account's password; accounts are `user{N}@bench.example`.
    #[arg(long)]
    password: String,
    #[arg(long, default_value_t = 50)]
    accounts: usize,
    /// Measure capacity (closed loop) instead of holding a rate.
    #[arg(long)]
    capacity: bool,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Operations per second to hold.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    #[arg(long, default_value_t = 1024)]
    max_in_flight: usize,
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Seconds per reported window.
    #[arg(long, default_value_t = 60)]
    window: u64,
    #[arg(long, default_value_t = 90)]
    token_max_age: u64,
}

/// The operations and their weights in the mix.
const MIX: &[(Op, u32)] = &[
    (Op::SignIn, 1),
    (Op::Refresh, 6),
    (Op::ClientCredentials, 6),
    (Op::Userinfo, 12),
    (Op::Introspect, 12),
    (Op::AdminRead, 3),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    SignIn,
    Refresh,
    ClientCredentials,
    Userinfo,
    Introspect,
    AdminRead,
}

impl Op {
    const ALL: [Op; 6] = [
        Op::SignIn,
        Op::Refresh,
        Op::ClientCredentials,
        Op::Userinfo,
        Op::Introspect,
        Op::AdminRead,
    ];

    fn name(self) -> &'static str {
        match self {
            Op::SignIn => "signin",
            Op::Refresh => "refresh",
            Op::ClientCredentials => "client_credentials",
            Op::Userinfo => "userinfo",
            Op::Introspect => "introspect",
            Op::AdminRead => "admin_read",
        }
    }

    fn pick() -> Op {
        let total: u32 = MIX.iter().map(|(_, w)| w).sum();
        let mut roll = rand::thread_rng().gen_range(0..total);
        for (op, weight) in MIX {
            if roll < *weight {
                return *op;
            }
            roll -= weight;
        }
        Op::Userinfo
    }
}

/// A signed-in browser's tokens and when it signed in.
struct Pooled {
    issued: Issued,
    born: Instant,
}

struct Shared {
    args: Args,
    target: Target,
    http: Client,
    pool: Mutex<Vec<Pooled>>,
    admin_token: Mutex<(String, Instant)>,
    next_node: AtomicU64,
    flows: AtomicU64,
    window: Mutex<Window>,
}

#[derive(Default)]
struct Window {
    latencies: [Vec<Duration>; 6],
    errors: [u64; 6],
    first_errors: Vec<String>,
    behind: u64,
}

const POOL_MAX: usize = 512;

impl Shared {
    fn node(&self) -> &str {
        let i = self.next_node.fetch_add(1, Ordering::Relaxed) as usize;
        &self.args.nodes[i % self.args.nodes.len()]
    }

    fn fresh(&self, pooled: &Pooled) -> bool {
        pooled.born.elapsed() < Duration::from_secs(self.args.token_max_age)
    }

    /// A fresh pooled sign-in's access token (left in the pool).
    fn access_token(&self) -> Option<String> {
        let mut pool = self.pool.lock().unwrap();
        pool.retain(|p| self.fresh(p));
        if pool.is_empty() {
            return None;
        }
        let i = rand::thread_rng().gen_range(0..pool.len());
        Some(pool[i].issued.access_token.clone())
    }

    /// A fresh pooled sign-in, taken out (its refresh token is about to be rotated).
    fn take(&self) -> Option<Pooled> {
        let mut pool = self.pool.lock().unwrap();
        pool.retain(|p| self.fresh(p));
        if pool.is_empty() {
            return None;
        }
        let i = rand::thread_rng().gen_range(0..pool.len());
        Some(pool.swap_remove(i))
    }

    fn put(&self, pooled: Pooled) {
        let mut pool = self.pool.lock().unwrap();
        if pool.len() >= POOL_MAX {
            pool.remove(0);
        }
        pool.push(pooled);
    }

    fn record(&self, op: Op, began: Instant, outcome: Result<(), String>) {
        let i = Op::ALL.iter().position(|o| *o == op).unwrap_or(0);
        let mut window = self.window.lock().unwrap();
        match outcome {
            Ok(()) => window.latencies[i].push(began.elapsed()),
            Err(e) => {
                window.errors[i] += 1;
                if window.first_errors.len() < 5 {
                    window.first_errors.push(format!("{}: {e}", op.name()));
                }
            }
        }
    }

    /// A client_credentials access token for the admin API, renewed every five minutes.
    async fn admin_token(&self) -> Result<String, String> {
        {
            let held = self.admin_token.lock().unwrap();
            if !held.0.is_empty() && held.1.elapsed() < Duration::from_secs(300) {
                return Ok(held.0.clone());
            }
        }
        let mut browser = Browser::new(&self.http, &self.target, self.node(), "10.250.0.1")?;
        let issued = browser
            .token(&[("grant_type", "client_credentials")])
            .await?;
        let token = issued["access_token"]
            .as_str()
            .ok_or("no access token")?
            .to_owned();
        *self.admin_token.lock().unwrap() = (token.clone(), Instant::now());
        Ok(token)
    }
}

/// Runs one operation; one that needs a pooled sign-in when there is none signs in instead.
async fn run(shared: &Shared, op: Op) -> (Op, Result<(), String>) {
    let flow = shared.flows.fetch_add(1, Ordering::Relaxed);
    let address = format!(
        "10.{}.{}.{}",
        (flow / 62_500) % 250,
        (flow / 250) % 250,
        flow % 250
    );
    let mut browser = match Browser::new(&shared.http, &shared.target, shared.node(), &address) {
        Ok(browser) => browser,
        Err(e) => return (op, Err(e)),
    };
    let outcome = match op {
        Op::SignIn => return (Op::SignIn, sign_in(shared, &mut browser, flow).await),
        Op::Refresh => match shared.take() {
            Some(pooled) => match browser.refresh(&pooled.issued.refresh_token).await {
                Ok(issued) => {
                    shared.put(Pooled {
                        issued,
                        born: pooled.born,
                    });
                    Ok(())
                }
                Err(e) => Err(e),
            },
            None => return (Op::SignIn, sign_in(shared, &mut browser, flow).await),
        },
        Op::ClientCredentials => browser
            .token(&[("grant_type", "client_credentials")])
            .await
            .map(drop),
        Op::Userinfo => match shared.access_token() {
            Some(token) => browser.userinfo(&token).await,
            None => return (Op::SignIn, sign_in(shared, &mut browser, flow).await),
        },
        Op::Introspect => match shared.access_token() {
            Some(token) => introspect(&mut browser, shared, &token).await,
            None => return (Op::SignIn, sign_in(shared, &mut browser, flow).await),
        },
        Op::AdminRead => admin_read(&mut browser, shared, flow).await,
    };
    (op, outcome)
}

/// A full sign-in of one of the accounts, its tokens pooled.
async fn sign_in(shared: &Shared, browser: &mut Browser<'_>, flow: u64) -> Result<(), String> {
    let account = flow as usize % shared.args.accounts;
    let issued = browser
        .sign_in(&format!("user{account}@bench.example"))
        .await?;
    shared.put(Pooled {
        issued,
        born: Instant::now(),
    });
    Ok(())
}

async fn introspect(browser: &mut Browser<'_>, shared: &Shared, token: &str) -> Result<(), String> {
    let url = browser.on_node(&format!("{}/introspect", shared.target.issuer));
    let request = shared
        .http
        .post(url)
        .basic_auth(&shared.target.client_id, Some(&shared.target.client_secret))
        .form(&[("token", token)]);
    let answer = browser.send(request).await?;
    expect(&answer, StatusCode::OK, "introspect")?;
    let body: serde_json::Value = serde_json::from_str(&answer.body).map_err(|e| e.to_string())?;
    match body["active"].as_bool() {
        Some(true) => Ok(()),
        _ => Err(format!("introspect: a live token is not active: {body}")),
    }
}

async fn admin_read(browser: &mut Browser<'_>, shared: &Shared, flow: u64) -> Result<(), String> {
    let token = shared.admin_token().await?;
    let path = match flow % 3 {
        0 => "admin/api/v1/clients",
        1 => "admin/api/v1/accounts?limit=20",
        _ => "admin/api/v1/audit?limit=20",
    };
    let url = browser.on_node(&format!("{}/{path}", shared.target.issuer));
    let request = shared.http.get(url).bearer_auth(token);
    let answer = browser.send(request).await?;
    expect(&answer, StatusCode::OK, path)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The window's figures as one JSON object, and a fresh window.
fn report(shared: &Shared, index: u64, seconds: f64) -> serde_json::Value {
    let window = std::mem::take(&mut *shared.window.lock().unwrap());
    let mut ops = serde_json::Map::new();
    let mut total = 0usize;
    let mut errors = 0u64;
    for (i, op) in Op::ALL.iter().enumerate() {
        let mut latencies = window.latencies[i].clone();
        latencies.sort();
        total += latencies.len();
        errors += window.errors[i];
        ops.insert(
            op.name().into(),
            json!({
                "ok": latencies.len(),
                "errors": window.errors[i],
                "p50_ms": percentile(&latencies, 0.50),
                "p99_ms": percentile(&latencies, 0.99),
            }),
        );
    }
    json!({
        "window": index,
        "seconds": seconds,
        "ops_per_sec": total as f64 / seconds,
        "errors": errors,
        "behind": window.behind,
        "first_errors": window.first_errors,
        "ops": ops,
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(!args.nodes.is_empty(), "--nodes is required");
    // Two threads: the generator shares the machine with the nodes.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(soak(args))
}

async fn soak(args: Args) -> anyhow::Result<()> {
    let shared = Arc::new(Shared {
        target: Target {
            issuer: args.issuer.trim_end_matches('/').to_owned(),
            client_id: args.client_id.clone(),
            client_secret: args.client_secret.clone(),
            password: args.password.clone(),
        },
        // Idle connections are dropped before the nodes' 5 s keep-alive ends them: reusing
        // one the server is closing fails the request (a load balancer keeps its idle timeout
        // below the backend's for the same reason).
        http: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(2))
            .build()?,
        args,
        pool: Mutex::default(),
        admin_token: Mutex::new((String::new(), Instant::now())),
        next_node: AtomicU64::new(0),
        flows: AtomicU64::new(0),
        window: Mutex::default(),
    });
    let seconds = shared.args.seconds;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    if shared.args.capacity {
        let workers: Vec<_> = (0..shared.args.concurrency)
            .map(|_| {
                let shared = shared.clone();
                tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let began = Instant::now();
                        let (op, outcome) = run(&shared, Op::pick()).await;
                        shared.record(op, began, outcome);
                    }
                })
            })
            .collect();
        // One line per window: the last one is the rate with the background work of a
        // steady state (sessions ending, purges, autovacuum) that the first minutes lack.
        let window = Duration::from_secs(shared.args.window);
        let mut index = 0;
        while Instant::now() + window <= deadline {
            let window_start = Instant::now();
            tokio::time::sleep(window).await;
            index += 1;
            println!(
                "{}",
                report(&shared, index, window_start.elapsed().as_secs_f64())
            );
        }
        for worker in workers {
            worker.await?;
        }
        return Ok(());
    }
    // Sign-ins first, so that refreshes, userinfo and introspection find tokens from the
    // start instead of all signing in at once.
    let warm_up: Vec<_> = (0..16)
        .map(|_| {
            let shared = shared.clone();
            tokio::spawn(async move {
                for _ in 0..4 {
                    let began = Instant::now();
                    let (op, outcome) = run(&shared, Op::SignIn).await;
                    shared.record(op, began, outcome);
                }
            })
        })
        .collect();
    for task in warm_up {
        task.await?;
    }
    let interval = Duration::from_secs_f64(1.0 / shared.args.rate);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(shared.args.max_in_flight));
    let mut ticker = tokio::time::interval(interval);
    // Late ticks run at once (up to the in-flight bound): the schedule holds the rate.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let window = Duration::from_secs(shared.args.window);
    let mut window_start = Instant::now();
    let mut index = 0;
    while Instant::now() < deadline {
        ticker.tick().await;
        if window_start.elapsed() >= window {
            index += 1;
            println!(
                "{}",
                report(&shared, index, window_start.elapsed().as_secs_f64())
            );
            window_start = Instant::now();
        }
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            shared.window.lock().unwrap().behind += 1;
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let began = Instant::now();
            let (op, outcome) = run(&shared, Op::pick()).await;
            shared.record(op, began, outcome);
            drop(permit);
        });
    }
    // Let what started finish, then report the last window.
    let _ = in_flight
        .acquire_many(shared.args.max_in_flight as u32)
        .await;
    if window_start.elapsed() >= window / 2 {
        index += 1;
        println!(
            "{}",
            report(&shared, index, window_start.elapsed().as_secs_f64())
        );
    }
    Ok(())
}
