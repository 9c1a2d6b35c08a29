//! Personal data at rest (docs/privacy.md): what an attacker holding a copy of the database
//! (a stolen backup, a leaked dump, a disk) reads without the master key, and master-key
//! rotation while the servers keep serving.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::TenantRouting;
use tessera::db::wrapped_keys::{count_under_other_keys, WrappedTable};
use tessera::keys::MasterKey;

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::flow::{authorize_url, exchange, pkce, register_rp, sign_in, Rp};
use crate::helpers::{cli_command, stderr, Engine, TestApp, TestDb};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada.lovelace@analytical.example";
const PROFILE_EMAIL: &str = "countess@analytical.example";
const PROFILE_NAME: &str = "Countess Lovelace";
const PICTURE: &str = "https://cdn.example/ada-portrait-1843.png";
const NICKNAME: &str = "Enchantress of Numbers";
const STRANGER: &str = "stranger.danger@elsewhere.example";

/// Everything the database holds, as bytes: the SQLite files (with the write-ahead log), or
/// a `pg_dump` of the PostgreSQL database.
fn database_bytes(db: &TestDb) -> Vec<u8> {
    if db.url.starts_with("sqlite://") {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(db.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("tessera.db") {
                all.extend(std::fs::read(&path).unwrap());
            }
        }
        assert!(all.len() > 4096, "the SQLite files were found");
        all
    } else {
        let dump = std::process::Command::new("pg_dump")
            .arg("--no-owner")
            .arg(&db.url)
            .output()
            .expect("pg_dump runs");
        assert!(
            dump.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&dump.stderr)
        );
        assert!(String::from_utf8_lossy(&dump.stdout).contains("COPY public.accounts"));
        dump.stdout
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

async fn code_flow(app: &TestApp, rp: &Rp, email: &str) -> Value {
    let browser = Browser::default();
    let (verifier, challenge) = pkce();
    let url = authorize_url(app, "acme", rp, &challenge, &[]);
    let mut back = sign_in(&browser, &url, email, PASSWORD).await;
    if back.html.contains("name=\"profile_id\"") {
        // The picker preselects the default profile.
        let chosen = back.field("profile_id").unwrap();
        back = browser.submit(&back, &[("profile_id", &chosen)]).await;
        back = browser.follow(back, "http://127.0.0.1:9/").await;
        if back.html.contains("value=\"allow\"") {
            back = browser.submit(&back, &[("decision", "allow")]).await;
        }
    }
    let code = back
        .query_param("code")
        .unwrap_or_else(|| panic!("signed in: {:?} {}", back.location, back.html));
    let response = exchange(app, "acme", rp, &code, Some(&verifier)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Signs in at the hosted login page on the way to `/account`; the browser and where it lands.
async fn account_sign_in(app: &TestApp, email: &str, password: &str) -> (Browser, Page) {
    let browser = Browser::default();
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let page = browser
        .submit(&login, &[("email", email), ("password", password)])
        .await;
    let page = browser.follow(page, "http://127.0.0.1:9/").await;
    (browser, page)
}

/// The client's refresh token is refused and its access token no longer reads userinfo.
async fn assert_tokens_ended(app: &TestApp, rp: &Rp, tokens: &Value) {
    let refreshed = app
        .post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
            Some((&rp.id, &rp.secret)),
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::BAD_REQUEST);
    let userinfo = app
        .get_bearer(
            "acme",
            "/userinfo",
            tokens["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
}

/// Adds the second profile (a persona with its own email and an attribute) to the account.
fn add_persona(app: &TestApp) -> Value {
    app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--name",
        PROFILE_NAME,
        "--email",
        PROFILE_EMAIL,
        "--attributes",
        &json!({ "nickname": NICKNAME }).to_string(),
        "--json",
    ])
}

/// A copy of the database names nobody: not the account's address, not a profile's name,
/// email, picture or attributes, not an address typed into a failed sign-in. The server
/// itself still signs the person in and puts the right claims in tokens.
async fn nothing_personal_is_stored_in_clear(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let profile = app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--name",
        PROFILE_NAME,
        "--email",
        PROFILE_EMAIL,
        "--email-verified",
        "--picture",
        PICTURE,
        "--locale",
        "en-GB",
        "--attributes",
        &json!({ "nickname": NICKNAME }).to_string(),
        "--default",
        "--json",
    ]);
    assert_eq!(profile["name"], PROFILE_NAME);
    let rp = register_rp(&app, "acme", &[]);

    // The person signs in by the sealed address; the tokens carry the sealed persona.
    let tokens = code_flow(&app, &rp, &EMAIL.to_uppercase()).await;
    let userinfo: Value = app
        .get_bearer(
            "acme",
            "/userinfo",
            tokens["access_token"].as_str().unwrap(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["name"], PROFILE_NAME, "{userinfo}");
    assert_eq!(userinfo["email"], PROFILE_EMAIL, "{userinfo}");
    assert_eq!(userinfo["picture"], PICTURE, "{userinfo}");
    // Failed sign-ins, for the known address and for a stranger's.
    for email in [EMAIL, STRANGER] {
        let (_, page) = account_sign_in(&app, email, "not the password").await;
        assert_eq!(page.status, StatusCode::OK);
    }
    // The administrator finds the account by its exact address, in any case.
    let shown = app.cli_json(&[
        "account",
        "show",
        "--tenant",
        "acme",
        &EMAIL.to_uppercase(),
        "--json",
    ]);
    assert_eq!(shown["id"], account["id"]);
    assert_eq!(shown["email"], EMAIL);

    // The customer the account acts for: legal name, identifier and verification reference.
    let (_, admin) = crate::admin_matrix::machine_admin(&app, "acme", &["accounts:write"]).await;
    let customer = crate::admin_matrix::expect_ok(
        &app,
        &admin,
        reqwest::Method::POST,
        "/customers",
        json!({"kind": "person", "legal_name": "Augusta Ada King-Noel",
               "identifiers": {"tax_id": "GB-9876543210"}}),
    )
    .await;
    let customer = customer["id"].as_str().unwrap().to_owned();
    crate::admin_matrix::expect_ok(
        &app,
        &admin,
        reqwest::Method::PUT,
        &format!("/customers/{customer}/verification"),
        json!({"trust_framework": "uk_tfida", "method": "vpip", "verifier": "Example KYC",
               "reference": "kyc-ref-31337", "verified_at": 1_700_000_000}),
    )
    .await;

    let bytes = database_bytes(&app.db);
    for needle in [
        "Augusta Ada King-Noel",
        "9876543210",
        "kyc-ref-31337",
        EMAIL,
        "ada.lovelace",
        PROFILE_EMAIL,
        PROFILE_NAME,
        "ada-portrait-1843",
        NICKNAME,
        STRANGER,
        "analytical.example",
    ] {
        assert!(!contains(&bytes, needle), "{needle:?} is stored in clear");
    }
    // The scan would have seen them: the ids the rows are keyed by are there in clear.
    assert!(contains(&bytes, account["id"].as_str().unwrap()));
    assert!(contains(&bytes, profile["id"].as_str().unwrap()));
}
both_engines!(nothing_personal_is_stored_in_clear);

/// Everything wrapped under any master key other than `master`.
fn wrapped_under_others(db: &TestDb, master: &MasterKey) -> i64 {
    let db = tessera::db::Db::connect(&db.url, crate::helpers::pool_options()).unwrap();
    let mut conn = db.conn().unwrap();
    WrappedTable::ALL
        .into_iter()
        .map(|table| count_under_other_keys(&mut conn, table, master.id(), None).unwrap())
        .sum()
}

fn cli_with_keys(
    app: &TestApp,
    current: &MasterKey,
    previous: Option<&MasterKey>,
    args: &[&str],
) -> std::process::Command {
    let mut command = cli_command(&app.db, &app.settings, Some(&current.to_base64()), args);
    if let Some(previous) = previous {
        command.env("TESSERA_KEYS__PREVIOUS_MASTER_KEY", previous.to_base64());
    }
    command
}

/// The operator replaces a master key that may have leaked. Every node gets the new key with
/// the old one as previous; two operators start the re-wrap at the same moment while people
/// keep signing in. Each value is re-wrapped exactly once, nothing stays under the old key,
/// and afterwards a node that knows only the new key serves everyone; the old key opens
/// nothing.
async fn master_key_rotation_rewraps_everything_online(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let old = app.master();
    let emails: Vec<String> = (0..4).map(|i| format!("person{i}@example.com")).collect();
    for email in &emails {
        app.create_account("acme", email, PASSWORD);
    }
    let rp = register_rp(&app, "acme", &[]);
    // A customer's data key is wrapped too.
    let (client, secret) = app.machine_client("acme");
    app.cli_json(&["role", "create", "--tenant", "acme", "kyc", "--json"]);
    app.cli_json(&[
        "role",
        "permit",
        "--tenant",
        "acme",
        "kyc",
        "accounts:write",
        "--json",
    ]);
    app.cli_json(&[
        "role", "grant", "--tenant", "acme", "kyc", "--client", &client, "--json",
    ]);
    let admin = crate::admin_matrix::machine_token(&app, "acme", &client, &secret).await;
    let body = serde_json::json!({"kind": "person", "legal_name": "Ada Lovelace"});
    let (status, customer, _) = crate::admin_matrix::call(
        &app,
        reqwest::Method::POST,
        "acme",
        "/customers",
        Some(&admin),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let customer = format!("/customers/{}", customer["id"].as_str().unwrap());
    let new = MasterKey::generate();
    let total = wrapped_under_others(&app.db, &new);
    // The index root, per account and profile a data key, three signing keys, the customer.
    assert!(total >= 13, "{total}");

    let rotating = TestApp::spawn_on_with(app.db.clone(), &new, |s| {
        s.keys.previous_master_key = Some(old.to_base64().into());
    })
    .await;
    let runs: Vec<_> = (0..2)
        .map(|_| {
            cli_with_keys(
                &app,
                &new,
                Some(&old),
                &["keys", "rotate-master", "--batch-size", "2", "--json"],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run tessera")
        })
        .collect();
    let signins =
        futures_util::future::join_all(emails.iter().map(|email| code_flow(&rotating, &rp, email)))
            .await;
    assert!(signins.iter().all(|t| t["id_token"].is_string()));
    let mut rewrapped = 0;
    for run in runs {
        let output = run.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["remaining"], 0, "{report}");
        assert_eq!(report["master_key_id"], new.id());
        rewrapped += report["rewrapped"].as_i64().unwrap();
    }
    assert_eq!(rewrapped, total, "each value re-wrapped exactly once");
    assert_eq!(wrapped_under_others(&app.db, &new), 0);

    // Resumable and idempotent: a further run finds nothing left.
    let again = cli_with_keys(&app, &new, None, &["keys", "rotate-master", "--json"])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["rewrapped"], 0);

    // A node with only the new key signs everyone in (the blind indexes did not change).
    let fresh = TestApp::spawn_on(app.db.clone(), TenantRouting::Path, &new).await;
    for email in &emails {
        let tokens = code_flow(&fresh, &rp, email).await;
        assert!(tokens["id_token"].is_string());
    }
    let admin = crate::admin_matrix::machine_token(&fresh, "acme", &client, &secret).await;
    let (status, opened, _) = crate::admin_matrix::call(
        &fresh,
        reqwest::Method::GET,
        "acme",
        &customer,
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!(opened["legal_name"], "A••••");
    // The old key alone opens nothing any more.
    let refused = cli_with_keys(
        &app,
        &old,
        None,
        &["account", "show", "--tenant", "acme", &emails[0]],
    )
    .output()
    .unwrap();
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("different master key"),
        "{}",
        stderr(&refused)
    );
    // Both runs (and the idle one) are in the platform's audit log.
    let audit = cli_with_keys(
        &app,
        &new,
        None,
        &["audit", "export", "--tenant", "_platform"],
    )
    .output()
    .unwrap();
    let rotations = String::from_utf8_lossy(&audit.stdout)
        .lines()
        .filter(|line| line.contains("keys.rotate_master"))
        .count();
    assert_eq!(rotations, 3, "{}", String::from_utf8_lossy(&audit.stderr));
}
both_engines!(master_key_rotation_rewraps_everything_online);

/// A database as the release before sealing left it: migrations up to 15 applied (their SQL,
/// recorded the way diesel records them), one tenant, and an account with a profile whose
/// personal data sits in plaintext columns.
fn legacy_database(engine: Engine, hash: &str) -> std::sync::Arc<TestDb> {
    use diesel::connection::SimpleConnection;
    let db = TestDb::new(engine);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(match engine {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        });
    let mut migrations: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    migrations.sort();
    let pool = tessera::db::Db::connect(&db.url, crate::helpers::pool_options()).unwrap();
    let mut conn = pool.conn().unwrap();
    conn.batch_execute(
        "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, \
         run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    )
    .unwrap();
    for name in migrations.iter().take_while(|n| !n.contains("000016")) {
        let sql = std::fs::read_to_string(dir.join(name).join("up.sql")).unwrap();
        conn.batch_execute(&sql).unwrap();
        let version: String = name[..17].chars().filter(char::is_ascii_digit).collect();
        conn.batch_execute(&format!(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('{version}')"
        ))
        .unwrap();
    }
    conn.batch_execute(&format!(
        "INSERT INTO tenants (id, slug, name, status, created_at, updated_at) \
         VALUES ('t-legacy', 'acme', 'Acme', 'active', 1, 1);
         INSERT INTO accounts (id, tenant_id, email, email_verified_at, password_hash, status, \
             created_at, updated_at) \
         VALUES ('a-legacy', 't-legacy', '{EMAIL}', 1, '{hash}', 'active', 1, 1);
         INSERT INTO profiles (id, tenant_id, account_id, name, is_default, created_at, \
             updated_at, email, email_verified_at, picture, locale, attributes) \
         VALUES ('p-legacy', 't-legacy', 'a-legacy', '{PROFILE_NAME}', {default}, 1, 1, \
             '{PROFILE_EMAIL}', 1, '{PICTURE}', 'en', '{{\"nickname\":\"{NICKNAME}\"}}');",
        default = match engine {
            Engine::Sqlite => "1",
            Engine::Postgres => "TRUE",
        }
    ))
    .unwrap();
    drop(conn);
    assert!(
        contains(&database_bytes(&db), EMAIL),
        "the fixture is plaintext"
    );
    db
}

/// Upgrading a database written before personal data was sealed: the first start seals every
/// row between migrations 16 and 17, drops the plaintext, and leaves no copy behind (freed
/// pages and the write-ahead log on SQLite); the person signs in as before and sees their
/// profile.
async fn upgrading_seals_what_was_stored_in_clear(engine: Engine) {
    let settings = tessera::config::Settings::defaults().unwrap();
    let hash = tessera::identity::password::PasswordHasher::from_settings(&settings.argon2)
        .unwrap()
        .hash(PASSWORD)
        .unwrap();
    let db = legacy_database(engine, &hash);
    let app = TestApp::spawn_on(db, TenantRouting::Path, &MasterKey::generate()).await;

    let bytes = database_bytes(&app.db);
    for needle in [
        EMAIL,
        PROFILE_EMAIL,
        PROFILE_NAME,
        NICKNAME,
        "ada-portrait-1843",
    ] {
        assert!(!contains(&bytes, needle), "{needle:?} survived the upgrade");
    }
    let shown = app.cli_json(&["account", "show", "--tenant", "acme", EMAIL, "--json"]);
    assert_eq!(shown["id"], "a-legacy");
    assert_eq!(shown["profiles"][0]["name"], PROFILE_NAME);
    assert_eq!(shown["profiles"][0]["email"], PROFILE_EMAIL);
    assert_eq!(shown["profiles"][0]["attributes"]["nickname"], NICKNAME);

    let (_, page) = account_sign_in(&app, EMAIL, PASSWORD).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(EMAIL), "{}", page.html);
    assert!(page.html.contains(PROFILE_NAME), "{}", page.html);
}
both_engines!(upgrading_seals_what_was_stored_in_clear);

/// An administrator erases an account (a data-subject request). Its tokens stop working at
/// once, nobody can sign in as it, the audit chain still verifies, the address can be
/// registered again, and a copy of the database holds nothing of the person any more.
async fn an_administrator_erases_an_account(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let id = account["id"].as_str().unwrap().to_owned();
    add_persona(&app);
    let rp = register_rp(
        &app,
        "acme",
        &["--grant", "authorization_code,refresh_token"],
    );
    let tokens = code_flow(&app, &rp, EMAIL).await;

    let erased = app.cli_json(&["account", "erase", "--tenant", "acme", EMAIL, "--json"]);
    assert_eq!(erased["status"], "deleted");

    assert_tokens_ended(&app, &rp, &tokens).await;
    let (_, refused) = account_sign_in(&app, EMAIL, PASSWORD).await;
    assert_eq!(refused.status, StatusCode::OK, "the login form again");
    assert!(refused.location.is_none());

    let shown = app.cli_json(&["account", "show", "--tenant", "acme", &id, "--json"]);
    assert_eq!(shown["status"], "deleted");
    assert_eq!(shown["email"], "");
    assert_eq!(shown["profiles"], json!([]));
    let again = app.cli(&["account", "erase", "--tenant", "acme", &id]);
    assert!(!again.status.success(), "erased once");

    let verify = app.cli_json(&["audit", "verify", "--tenant", "acme", "--json"]);
    assert!(verify["broken"].is_null(), "{verify}");
    let export = app.cli(&["audit", "export", "--tenant", "acme"]);
    let log = String::from_utf8_lossy(&export.stdout);
    assert!(log.contains("account.erase"), "{log}");
    assert!(
        log.contains(&id),
        "the entries keep the id, a pseudonym now"
    );

    let bytes = database_bytes(&app.db);
    for needle in [EMAIL, PROFILE_EMAIL, PROFILE_NAME, NICKNAME] {
        assert!(!contains(&bytes, needle), "{needle:?} survived erasure");
    }
    // The address is free again, for a new account with a new id.
    let reborn = app.create_account("acme", EMAIL, PASSWORD);
    assert_ne!(reborn["id"], id.as_str());
    code_flow(&app, &rp, EMAIL).await;
}
both_engines!(an_administrator_erases_an_account);

/// A person deletes their own account from `/account`: the current password is asked, every
/// session and token ends at once, and signing in again within the grace period takes it
/// back. Once the period is over, the maintenance rounds of two nodes running at the same
/// moment erase it exactly once.
async fn a_person_deletes_their_account_and_may_change_their_mind(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| s.privacy.erasure_grace_secs = 3600).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let id = account["id"].as_str().unwrap().to_owned();

    async fn sign_in_to_account(app: &TestApp) -> (Browser, Page) {
        let (browser, page) = account_sign_in(app, EMAIL, PASSWORD).await;
        assert!(page.html.contains("Delete my account"), "{}", page.html);
        (browser, page)
    }
    async fn delete(browser: &Browser, page: &Page, password: &str) -> String {
        let url = page.html.split("action=\"").find_map(|rest| {
            let action = &rest[..rest.find('"')?];
            action
                .ends_with("/account/delete")
                .then(|| action.to_owned())
        });
        let answer = browser
            .post(
                &url.expect("a delete form"),
                &[
                    ("csrf_token", &page.field("csrf_token").unwrap()),
                    ("current_password", password),
                ],
            )
            .await;
        browser.follow(answer, "http://127.0.0.1:9/").await.html
    }

    let (browser, page) = sign_in_to_account(&app).await;
    let wrong = delete(&browser, &page, "not my password").await;
    assert!(wrong.contains("current password is not correct"), "{wrong}");
    let done = delete(&browser, &page, PASSWORD).await;
    assert!(done.contains("Your account will be deleted"), "{done}");
    assert!(done.contains("1 hour"), "{done}");
    let after = browser.get(&app.tenant_url("acme", "/account")).await;
    assert!(after.location.is_some(), "signed out: {}", after.html);

    // Not due yet: maintenance leaves it; signing in takes the deletion back.
    let purge = app.cli_json(&["purge", "--json"]);
    assert_eq!(erased_by(&purge), 0);
    sign_in_to_account(&app).await;
    let log = String::from_utf8_lossy(&app.cli(&["audit", "export", "--tenant", "acme"]).stdout)
        .into_owned();
    assert!(log.contains("account.erase_scheduled"), "{log}");
    assert!(log.contains("account.erase_cancelled"), "{log}");

    // Asked again on a node whose grace period is over at once; two nodes' rounds race.
    let hasty = TestApp::spawn_on_with(app.db.clone(), &app.master(), |s| {
        s.privacy.erasure_grace_secs = 0;
    })
    .await;
    let (browser, page) = sign_in_to_account(&hasty).await;
    delete(&browser, &page, PASSWORD).await;
    let rounds: Vec<_> = (0..2)
        .map(|_| {
            cli_with_keys(&app, &app.master(), None, &["purge", "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut erased = 0;
    for round in rounds {
        let output = round.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        erased += erased_by(&serde_json::from_slice(&output.stdout).unwrap());
    }
    assert_eq!(erased, 1, "erased exactly once");
    let shown = app.cli_json(&["account", "show", "--tenant", "acme", &id, "--json"]);
    assert_eq!(shown["status"], "deleted");
    let log = String::from_utf8_lossy(&app.cli(&["audit", "export", "--tenant", "acme"]).stdout)
        .into_owned();
    assert_eq!(log.matches("\"account.erase\"").count(), 1, "{log}");
    assert!(!contains(&database_bytes(&app.db), EMAIL));
}
both_engines!(a_person_deletes_their_account_and_may_change_their_mind);

fn erased_by(purge: &Value) -> i64 {
    purge["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "accounts (erased)")
        .map(|t| t["deleted"].as_i64().unwrap())
        .unwrap()
}

/// A person removes an app's access from `/account` (twice at once, as a double click does):
/// the consent is withdrawn exactly once, the app's refresh and access tokens stop working
/// at once, the next sign-in asks for consent again, and the ledger keeps both decisions
/// with the address they came from.
async fn connected_apps_can_be_removed_from_the_account_page(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(
        &app,
        "acme",
        &["--grant", "authorization_code,refresh_token"],
    );
    let tokens = code_flow(&app, &rp, EMAIL).await;

    let (browser, page) = account_sign_in(&app, EMAIL, PASSWORD).await;
    assert!(page.html.contains("Connected apps"), "{}", page.html);
    assert!(page.html.contains("Test client"), "{}", page.html);
    assert!(page.html.contains("email openid profile"), "{}", page.html);
    let csrf = page.field("csrf_token").unwrap();
    let profile_id = page.field("profile_id").unwrap();
    let revoke = app.tenant_url("acme", "/account/apps/revoke");
    let form = [
        ("csrf_token", csrf.as_str()),
        ("profile_id", profile_id.as_str()),
        ("client_id", rp.id.as_str()),
    ];
    let (one, two) = tokio::join!(browser.post(&revoke, &form), browser.post(&revoke, &form));
    let outcomes: Vec<String> = [one, two]
        .iter()
        .map(|p| p.location.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|l| l.ends_with("done=app_revoked"))
            .count(),
        1,
        "{outcomes:?}"
    );
    let after = browser.get(&app.tenant_url("acme", "/account")).await;
    assert!(after.html.contains("No app has access"), "{}", after.html);

    assert_tokens_ended(&app, &rp, &tokens).await;

    let consents = app.cli_json(&["account", "consents", "--tenant", "acme", EMAIL, "--json"]);
    assert_eq!(consents["connected_apps"], json!([]), "{consents}");
    let history = consents["history"].as_array().unwrap();
    let decisions: Vec<&str> = history
        .iter()
        .map(|e| e["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["granted", "withdrawn"], "{consents}");
    assert!(history.iter().all(|e| e["client_id"] == rp.id.as_str()));
    assert!(history.iter().all(|e| e["ip"] == "127.0.0.1"), "{consents}");
    let mut scopes: Vec<&str> = history[0]["scope"].as_str().unwrap().split(' ').collect();
    scopes.sort();
    assert_eq!(scopes, ["email", "openid", "profile"]);

    // Asked again at the next sign-in.
    let again = Browser::default();
    let (_, challenge) = pkce();
    let url = authorize_url(&app, "acme", &rp, &challenge, &[]);
    let page = again
        .follow(again.get(&url).await, "http://127.0.0.1:9/")
        .await;
    let page = again
        .submit(&page, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    let page = again.follow(page, "http://127.0.0.1:9/").await;
    assert!(page.html.contains("value=\"allow\""), "{}", page.html);
}
both_engines!(connected_apps_can_be_removed_from_the_account_page);

/// A person downloads what Tessera holds about them: after their password, as JSON (a
/// download) or as a page. The export is complete (account, every profile with its
/// attributes and roles, connected apps, consent history with addresses, sessions, the
/// activity about them), matches what an administrator exports, holds no secret and nothing
/// of anyone else, is audited, and is rate limited.
async fn a_person_exports_their_data(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let ada = app.create_account("acme", EMAIL, PASSWORD);
    let ada_id = ada["id"].as_str().unwrap().to_owned();
    let bob = app.create_account("acme", "bob@else.example", PASSWORD);
    let persona = add_persona(&app);
    let persona_id = persona["id"].as_str().unwrap();
    app.cli_json(&["role", "create", "--tenant", "acme", "poets", "--json"]);
    app.cli_json(&[
        "role",
        "grant",
        "--tenant",
        "acme",
        "poets",
        "--profile",
        persona_id,
        "--json",
    ]);
    let rp = register_rp(&app, "acme", &[]);
    code_flow(&app, &rp, EMAIL).await;
    code_flow(&app, &rp, "bob@else.example").await;
    app.cli_json(&["account", "unlock", "--tenant", "acme", EMAIL, "--json"]);

    let (browser, page) = account_sign_in(&app, EMAIL, PASSWORD).await;
    let csrf = page.field("csrf_token").unwrap();
    let url = app.tenant_url("acme", "/account/export");
    let export = |password: &'static str, format: &'static str| {
        let (browser, url, csrf) = (&browser, url.clone(), csrf.clone());
        async move {
            browser
                .client
                .post(&url)
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("current_password", password),
                    ("format", format),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = export("not my password", "json").await;
    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    assert!(wrong.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("error=wrong_password"));

    let download = export(PASSWORD, "json").await;
    assert_eq!(download.status(), StatusCode::OK);
    let disposition = download.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(download.headers()["cache-control"], "no-store");
    let mine: Value = download.json().await.unwrap();
    assert_eq!(mine["schema"], "tessera.export/1");
    assert_eq!(mine["tenant"], "acme");
    assert_eq!(mine["account"]["id"], ada_id.as_str());
    assert_eq!(mine["account"]["email"], EMAIL);
    let profiles = mine["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 2, "{mine}");
    let countess = profiles.iter().find(|p| p["id"] == persona_id).unwrap();
    assert_eq!(countess["name"], PROFILE_NAME);
    assert_eq!(countess["email"], PROFILE_EMAIL);
    assert_eq!(countess["attributes"]["nickname"], NICKNAME);
    assert_eq!(countess["roles"], json!(["poets"]));
    assert_eq!(mine["connected_apps"].as_array().unwrap().len(), 1);
    assert_eq!(mine["consent_history"][0]["decision"], "granted");
    assert_eq!(mine["consent_history"][0]["ip"], "127.0.0.1");
    assert!(mine["sessions"].as_array().unwrap().len() >= 2, "{mine}");
    let audit = mine["audit"].as_array().unwrap();
    let by =
        |action: &str| -> Vec<&Value> { audit.iter().filter(|e| e["action"] == action).collect() };
    assert!(by("signin.success").iter().all(|e| e["by"] == "you"));
    assert!(!by("signin.success").is_empty(), "{mine}");
    assert!(!by("consent.grant").is_empty(), "{mine}");
    let unlock = by("account.unlock");
    assert_eq!(unlock.len(), 1, "{mine}");
    assert_eq!(unlock[0]["by"], "someone else");
    assert!(unlock[0]["ip"].is_null());
    // No secret, nothing of anyone else.
    let text = mine.to_string();
    for absent in [
        "$argon2",
        "bob@else.example",
        bob["id"].as_str().unwrap(),
        "\"cli\"",
        PASSWORD,
    ] {
        assert!(!text.contains(absent), "{absent:?} in the export: {text}");
    }

    // What an administrator exports is the same data.
    let theirs = app.cli_json(&["account", "export", "--tenant", "acme", EMAIL]);
    for part in ["account", "profiles", "connected_apps", "consent_history"] {
        assert_eq!(mine[part], theirs[part], "{part}");
    }

    let page = export(PASSWORD, "html").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for shown in [EMAIL, PROFILE_NAME, PROFILE_EMAIL, NICKNAME, "poets"] {
        assert!(html.contains(shown), "{shown} missing from the page");
    }

    // Rate limited: of six more at once at most three fit in this minute and the next.
    let mut limited = 0;
    for _ in 0..6 {
        let answer = export(PASSWORD, "json").await;
        if answer.status() == StatusCode::SEE_OTHER {
            let location = answer.headers()["location"].to_str().unwrap().to_owned();
            assert!(location.ends_with("error=rate_limited"), "{location}");
            limited += 1;
        }
    }
    assert!(limited >= 2, "{limited} of 6 refused");
    let log = String::from_utf8_lossy(&app.cli(&["audit", "export", "--tenant", "acme"]).stdout)
        .into_owned();
    let exports = log.matches("\"account.export\"").count();
    assert_eq!(exports, 2 + (6 - limited) + 1, "{log}");
}
both_engines!(a_person_exports_their_data);
