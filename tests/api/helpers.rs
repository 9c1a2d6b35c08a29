//! Test harness: every test gets its own database (a temp SQLite file, or a fresh PostgreSQL
//! database when TESSERA_TEST_POSTGRES_URL is set) and its own app on a random port.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Output;
use std::sync::{Arc, Once};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use tessera::config::{Settings, TenantRouting};
use tessera::keys::MasterKey;
use tessera::startup::Application;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per engine: `both_engines!(name)` expects
/// `async fn name(engine: Engine)` in scope and makes tests `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_engines {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::Engine::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                if $crate::helpers::postgres_admin_url().is_some() {
                    super::$name($crate::helpers::Engine::Postgres).await
                }
            }
        }
    };
}

/// The PostgreSQL server to create per-test databases on. Under CI=true a missing URL fails
/// the test, so CI can never pass with the PostgreSQL half silently skipped.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("TESSERA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but TESSERA_TEST_POSTGRES_URL is not set: PostgreSQL tests must run")
        }
        _ => {
            eprintln!("skipping PostgreSQL variant: TESSERA_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let mut settings = Settings::defaults().expect("defaults").log;
            settings.level = "debug".into();
            tessera::telemetry::init(&settings, false);
        }
    });
}

/// A database of its own, dropped with the last reference.
pub struct TestDb {
    pub url: String,
    /// Holds the SQLite file and the data directory.
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn new(engine: Engine) -> Arc<TestDb> {
        match engine {
            Engine::Sqlite => Self::sqlite_in(tempfile::tempdir().expect("temp dir")),
            Engine::Postgres => Self::postgres_on(&postgres_admin_url().expect("PostgreSQL URL")),
        }
    }

    /// A SQLite database (and data directory) in `dir`.
    pub fn sqlite_in(dir: tempfile::TempDir) -> Arc<TestDb> {
        let url = format!("sqlite://{}", dir.path().join("tessera.db").display());
        Arc::new(TestDb {
            url,
            dir,
            postgres: None,
        })
    }

    /// A fresh database on the PostgreSQL server `admin` connects to.
    pub fn postgres_on(admin: &str) -> Arc<TestDb> {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = format!("tessera_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = PgConnection::establish(admin).expect("connect to PostgreSQL");
        conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("create test database");
        let mut url = url::Url::parse(admin).expect("PostgreSQL URL");
        url.set_path(&name);
        Arc::new(TestDb {
            url: url.to_string(),
            dir,
            postgres: Some((admin.to_owned(), name)),
        })
    }

    /// Makes the database unreachable for the app (PostgreSQL only: drops it under its feet).
    pub fn drop_postgres_database(&self) {
        if let Some((admin, name)) = &self.postgres {
            let mut conn = PgConnection::establish(admin).expect("connect to PostgreSQL");
            conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .expect("drop test database");
        }
    }
}

impl TestDb {
    /// Kills every server connection to this PostgreSQL database (as a restart would).
    pub fn terminate_postgres_connections(&self) {
        if let Some((admin, name)) = &self.postgres {
            let mut conn = PgConnection::establish(admin).expect("connect to PostgreSQL");
            conn.batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .expect("terminate connections");
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.drop_postgres_database();
    }
}

/// Settings for a test app on `db`: quiet, fixed master key, data under the temp dir.
pub fn settings_for(
    db: &TestDb,
    routing: TenantRouting,
    port: u16,
    master: &MasterKey,
) -> Settings {
    let mut settings = Settings::defaults().expect("defaults");
    settings.server.listen = "127.0.0.1:0".into();
    settings.server.public_url = format!("http://localhost:{port}").parse().expect("url");
    settings.server.data_dir = db.dir.path().join("data");
    settings.server.workers = 1;
    settings.server.shutdown_timeout_secs = 1;
    settings.tenancy.routing = routing;
    settings.database.url = db.url.clone().into();
    settings.database.pool_size = 4;
    settings.keys.master_key = Some(master.to_base64().into());
    settings
}

pub struct TestApp {
    pub port: u16,
    pub address: String,
    pub settings: Settings,
    pub db: Arc<TestDb>,
    pub master_key: String,
    pub client: reqwest::Client,
}

impl TestApp {
    pub async fn spawn(engine: Engine, routing: TenantRouting) -> TestApp {
        Self::spawn_on(TestDb::new(engine), routing, &MasterKey::generate()).await
    }

    /// An app whose settings `adjust` changes before it starts.
    pub async fn spawn_with(engine: Engine, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let db = TestDb::new(engine);
        let master = MasterKey::generate();
        init_logging();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut settings = settings_for(&db, TenantRouting::Path, port, &master);
        adjust(&mut settings);
        Self::start(db, settings, listener, &master)
            .await
            .expect("app starts")
    }

    /// Another app (a second node, or a restart) on an existing database.
    pub async fn spawn_on(db: Arc<TestDb>, routing: TenantRouting, master: &MasterKey) -> TestApp {
        Self::try_spawn_on(db, routing, master)
            .await
            .expect("app starts")
    }

    /// A node on an existing database whose settings `adjust` changes first.
    pub async fn spawn_on_with(
        db: Arc<TestDb>,
        master: &MasterKey,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        init_logging();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut settings = settings_for(&db, TenantRouting::Path, port, master);
        adjust(&mut settings);
        Self::start(db, settings, listener, master)
            .await
            .expect("app starts")
    }

    pub async fn try_spawn_on(
        db: Arc<TestDb>,
        routing: TenantRouting,
        master: &MasterKey,
    ) -> anyhow::Result<TestApp> {
        init_logging();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let settings = settings_for(&db, routing, port, master);
        Self::start(db, settings, listener, master).await
    }

    async fn start(
        db: Arc<TestDb>,
        settings: Settings,
        listener: TcpListener,
        master: &MasterKey,
    ) -> anyhow::Result<TestApp> {
        let port = listener.local_addr()?.port();
        let app = Application::build_with_listener(settings.clone(), listener).await?;
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client");
        Ok(TestApp {
            port,
            address: format!("http://localhost:{port}"),
            settings,
            db,
            master_key: master.to_base64(),
            client,
        })
    }

    pub fn master(&self) -> MasterKey {
        MasterKey::from_base64(&self.master_key).expect("master key")
    }

    /// The issuer Tessera derives for `slug` in this app's routing mode.
    pub fn issuer(&self, slug: &str) -> String {
        match self.settings.tenancy.routing {
            TenantRouting::Path => format!("http://localhost:{}/t/{slug}", self.port),
            TenantRouting::Subdomain => format!("http://{slug}.localhost:{}", self.port),
        }
    }

    /// GET a tenant-relative path (`/jwks.json`) the way a client would address the tenant:
    /// `/t/{slug}/…` in path mode, `Host: {slug}.localhost` in subdomain mode.
    pub async fn get_tenant(&self, slug: &str, path: &str) -> reqwest::Response {
        match self.settings.tenancy.routing {
            TenantRouting::Path => self.get(&format!("/t/{slug}{path}")).await,
            TenantRouting::Subdomain => {
                self.get_with_host(&format!("{slug}.localhost:{}", self.port), path)
                    .await
            }
        }
    }

    /// The absolute URL of a tenant-relative path, as a client addresses it in this mode.
    pub fn tenant_url(&self, slug: &str, path: &str) -> String {
        match self.settings.tenancy.routing {
            TenantRouting::Path => format!("{}/t/{slug}{path}", self.address),
            TenantRouting::Subdomain => format!("{}{path}", self.address),
        }
    }

    fn tenant_request(
        &self,
        method: reqwest::Method,
        slug: &str,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let request = self.client.request(method, self.tenant_url(slug, path));
        match self.settings.tenancy.routing {
            TenantRouting::Path => request,
            TenantRouting::Subdomain => request.header(
                reqwest::header::HOST,
                format!("{slug}.localhost:{}", self.port),
            ),
        }
    }

    /// POST a form to a tenant endpoint, optionally with HTTP Basic client credentials.
    pub async fn post_form(
        &self,
        slug: &str,
        path: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> reqwest::Response {
        let mut request = self
            .tenant_request(reqwest::Method::POST, slug, path)
            .form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        request.send().await.expect("request")
    }

    /// GET a tenant endpoint with a Bearer token.
    pub async fn get_bearer(&self, slug: &str, path: &str, token: &str) -> reqwest::Response {
        self.tenant_request(reqwest::Method::GET, slug, path)
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Registers a client through the CLI; `extra` adds options. Returns the JSON it printed.
    pub fn create_client(&self, slug: &str, extra: &[&str]) -> serde_json::Value {
        let mut args = vec![
            "client",
            "create",
            "--tenant",
            slug,
            "--name",
            "Test client",
            "--json",
        ];
        args.extend_from_slice(extra);
        self.cli_json(&args)
    }

    /// A confidential client_credentials client: (client_id, client_secret).
    pub fn machine_client(&self, slug: &str) -> (String, String) {
        let created = self.create_client(slug, &["--grant", "client_credentials"]);
        (
            created["client_id"].as_str().unwrap().to_owned(),
            created["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    /// A machine client trusted to introspect the tenant's tokens (`tokens:introspect`).
    pub fn resource_server(&self, slug: &str) -> (String, String) {
        let (id, secret) = self.machine_client(slug);
        let role = format!("introspect-{id}");
        self.cli_json(&["role", "create", "--tenant", slug, &role, "--json"]);
        self.cli_json(&[
            "role",
            "permit",
            "--tenant",
            slug,
            &role,
            "tokens:introspect",
            "--json",
        ]);
        self.cli_json(&[
            "role", "grant", "--tenant", slug, &role, "--client", &id, "--json",
        ]);
        (id, secret)
    }

    /// Creates an account through the CLI; returns its JSON (`id`, `email`, `profiles`).
    pub fn create_account(&self, slug: &str, email: &str, password: &str) -> serde_json::Value {
        self.cli_json(&[
            "account",
            "create",
            "--tenant",
            slug,
            "--email",
            email,
            "--password",
            password,
            "--json",
        ])
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_with_host(&self, host: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .header(reqwest::header::HOST, host)
            .send()
            .await
            .expect("request")
    }

    /// Runs the real `tessera` binary against this app's database and settings.
    pub fn cli(&self, args: &[&str]) -> Output {
        cli_with_env(&self.db, &self.settings, Some(&self.master_key), args)
    }

    /// Runs the CLI with extra environment variables and text on standard input.
    pub fn cli_input(&self, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
        use std::io::Write;
        let mut command = cli_command(&self.db, &self.settings, Some(&self.master_key), args);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run tessera");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("tessera output")
    }

    /// Runs the CLI and parses its JSON output, failing the test on a non-zero exit.
    pub fn cli_json(&self, args: &[&str]) -> serde_json::Value {
        let output = self.cli(args);
        assert!(
            output.status.success(),
            "tessera {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "tessera {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }

    /// Every entry of a tenant's audit log, as `tessera audit export` prints them.
    pub fn audit_entries(&self, slug: &str) -> Vec<serde_json::Value> {
        let out = self.cli(&["audit", "export", "--tenant", slug]);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|line| serde_json::from_str(line).expect("an audit entry"))
            .collect()
    }

    /// The action of every entry of a tenant's audit log, oldest first.
    pub fn audit_actions(&self, slug: &str) -> Vec<String> {
        self.audit_entries(slug)
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// An account's profiles (the account by id or email), as `tessera profile list` gives them.
    pub fn profiles_of(&self, slug: &str, account: &str) -> Vec<serde_json::Value> {
        let args = [
            "profile",
            "list",
            "--tenant",
            slug,
            "--account",
            account,
            "--json",
        ];
        self.cli_json(&args).as_array().expect("a list").clone()
    }

    pub fn create_tenant(&self, slug: &str) -> serde_json::Value {
        self.cli_json(&[
            "tenant",
            "create",
            slug,
            "--name",
            &format!("{slug} Inc."),
            "--json",
        ])
    }
}

/// The CLI with configuration passed the way deployments do: environment variables.
pub fn cli_with_env(
    db: &TestDb,
    settings: &Settings,
    master_key: Option<&str>,
    args: &[&str],
) -> Output {
    cli_command(db, settings, master_key, args)
        .output()
        .expect("run tessera")
}

pub(crate) fn cli_command(
    db: &TestDb,
    settings: &Settings,
    master_key: Option<&str>,
    args: &[&str],
) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .args(args)
        .current_dir(db.dir.path())
        .env("TESSERA_DATABASE__URL", &db.url)
        .env("TESSERA_SERVER__DATA_DIR", data_dir(db))
        .env(
            "TESSERA_SERVER__PUBLIC_URL",
            settings.server.public_url.as_str(),
        )
        .env(
            "TESSERA_TENANCY__ROUTING",
            settings.tenancy.routing.as_str(),
        )
        // Accounts the CLI creates are hashed like the app would hash them.
        .env(
            "TESSERA_ARGON2__MEMORY_KIB",
            settings.argon2.memory_kib.to_string(),
        )
        .env(
            "TESSERA_ARGON2__ITERATIONS",
            settings.argon2.iterations.to_string(),
        )
        .env_remove("TESSERA_KEYS__MASTER_KEY")
        .env_remove("TESSERA_KEYS__PREVIOUS_MASTER_KEY")
        .env_remove("TESSERA_CONFIG")
        .env_remove("RUST_LOG");
    if let Some(key) = master_key {
        command.env("TESSERA_KEYS__MASTER_KEY", key);
    }
    command
}

pub fn data_dir(db: &TestDb) -> PathBuf {
    db.dir.path().join("data")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Waits for a change made by another process (the CLI, another node) to reach a running app:
/// tenants and clients are cached for `cache.ttl_ms` (1 s by default), so it must show within
/// a few seconds, and must not need a restart.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not seen within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Pool options for a test's own direct connection to an app's database.
pub fn pool_options() -> tessera::db::PoolOptions {
    tessera::db::PoolOptions {
        size: 1,
        connect_timeout: std::time::Duration::from_secs(5),
        lock_timeout: std::time::Duration::from_secs(5),
    }
}

/// The app's vault, opened from its database and master key (as the server does).
pub fn vault(app: &TestApp) -> tessera::keys::Vault {
    let db = tessera::db::Db::connect(&app.db.url, pool_options()).unwrap();
    tessera::keys::Vault::open(&mut db.conn().unwrap(), app.master()).unwrap()
}

/// The stored row of the account with this email (found through its blind index).
pub fn account_row(
    app: &TestApp,
    tenant_id: &str,
    email: &str,
) -> tessera::db::accounts::AccountRow {
    let db = tessera::db::Db::connect(&app.db.url, pool_options()).unwrap();
    tessera::identity::find_by_email(
        &mut db.conn().unwrap(),
        &vault(app),
        &tessera::domain::TenantId::from_stored(tenant_id.into()),
        &tessera::domain::Email::parse(email).unwrap(),
    )
    .unwrap()
    .unwrap()
}
