//! `tessera import` (issue 14, item 1): a role-split legacy user base becomes one account per
//! email and one profile per record; the report names duplicates, conflicts and bad lines;
//! a dry run writes nothing; a second run changes nothing; two runs at once import each
//! record once; imported passwords work and become argon2id.

use base64::Engine as _;
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::helpers::{stderr, Engine, TestApp};

const CUSTOMER_PASSWORD: &str = "customer passphrase one";
const PARTNER_PASSWORD: &str = "partner passphrase two";
const ADMIN_PASSWORD: &str = "admin passphrase three";

fn django(password: &str, salt: &str) -> String {
    let mut hash = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt.as_bytes(), 1000, &mut hash);
    format!(
        "pbkdf2_sha256$1000${salt}${}",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

fn scrypt_phc(password: &str) -> String {
    let salt = b"legacy-salt-1234";
    let params = scrypt::Params::new(10, 8, 1, 32).unwrap();
    let mut hash = [0u8; 32];
    scrypt::scrypt(password.as_bytes(), salt, &params, &mut hash).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    format!(
        "$scrypt$ln=10,r=8,p=1${}${}",
        b64.encode(salt),
        b64.encode(hash)
    )
}

/// The legacy file: Ada is a customer and a partner with different passwords (the partner
/// record is newer), Bob an administrator whose account was locked, Carol a partner who never
/// set a password; one record names an email a native account holds; then a broken line, an
/// unsupported hash and a record repeated.
fn legacy_file() -> String {
    let lines = [
        json!({"source": "shop", "legacy_id": "c-1", "kind": "customer", "email": "Ada@Example.com",
               "email_confirmed_at": "2021-03-01T10:00:00Z", "password_hash": django(CUSTOMER_PASSWORD, "s1"),
               "display_name": "Ada Lovelace", "updated_at": "2023-01-01T00:00:00Z", "roles": ["customer"]}).to_string(),
        json!({"source": "partners", "legacy_id": "p-7", "kind": "partner", "email": "ada@example.com",
               "password_hash": scrypt_phc(PARTNER_PASSWORD), "display_name": "Ada Lovelace",
               "updated_at": 1_735_689_600, "roles": ["partner"], "attributes": {"tier": "gold"}}).to_string(),
        json!({"source": "backoffice", "legacy_id": "a-1", "kind": "admin", "email": "bob@example.com",
               "status": "locked", "password_hash": bcrypt::hash(ADMIN_PASSWORD, 4).unwrap()}).to_string(),
        json!({"source": "partners", "legacy_id": "p-9", "kind": "partner", "email": "carol@example.com",
               "email_confirmed_at": 1_600_000_000}).to_string(),
        json!({"source": "shop", "legacy_id": "c-2", "kind": "customer", "email": "native@example.com",
               "password_hash": django("whatever it was", "s2")}).to_string(),
        "{not json".to_owned(),
        json!({"source": "shop", "legacy_id": "c-3", "kind": "customer", "email": "dan@example.com",
               "password_hash": "md5$abc$def"}).to_string(),
        String::new(),
        json!({"source": "shop", "legacy_id": "c-1", "kind": "customer", "email": "eve@example.com"}).to_string(),
    ];
    lines.join("\n") + "\n"
}

fn import(app: &TestApp, file: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["import", "--tenant", "acme", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = app.cli(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    if output.stdout.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `tessera account show` for an email.
fn show(app: &TestApp, email: &str) -> Value {
    app.cli_json(&["account", "show", "--tenant", "acme", email, "--json"])
}

/// How many of `emails` have an account.
fn accounts(app: &TestApp, emails: &[String]) -> usize {
    emails
        .iter()
        .filter(|email| {
            app.cli(&["account", "show", "--tenant", "acme", email, "--json"])
                .status
                .success()
        })
        .count()
}

fn emails(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("{n}@example.com")).collect()
}

async fn signs_in(app: &TestApp, email: &str, password: &str) -> bool {
    crate::abuse::signed_in(&crate::abuse::attempt_as(app, email, password).await)
}

async fn a_legacy_file_imports_once(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "native@example.com", "a native passphrase");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("legacy.jsonl");
    std::fs::write(&file, legacy_file()).unwrap();

    // A dry run reports and writes nothing.
    let dry = import(&app, &file, &["--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["created"], 4, "{dry:#}");
    // …including the roles it would create (none is created yet).
    let mut roles: Vec<String> = serde_json::from_value(dry["roles_created"].clone()).unwrap();
    roles.sort();
    assert_eq!(roles, ["customer", "partner"]);
    let listed = app.cli_json(&["role", "list", "--tenant", "acme", "--json"]);
    assert!(!listed.to_string().contains("partner"), "{listed}");
    let everyone = emails(&["native", "ada", "bob", "carol", "dan", "eve"]);
    assert_eq!(accounts(&app, &everyone), 1);

    let report = import(&app, &file, &[]);
    assert_eq!(report["created"], 4, "{report:#}");
    assert_eq!(report["accounts_created"], 3);
    assert_eq!(report["unchanged"], json!([]));
    // Ada's two records: the newer partner record's password is kept, and why.
    assert_eq!(
        report["duplicates"],
        json!([{
            "email": "ada@example.com",
            "records": ["shop:c-1", "partners:p-7"],
            "kept_credential": "partners:p-7",
            "reason": "the most recently updated record with a password (--on-conflict newest)",
        }])
    );
    // The native account is not touched.
    assert_eq!(report["conflicts"][0]["email"], "native@example.com");
    assert_eq!(report["conflicts"][0]["records"], json!(["shop:c-2"]));
    let errors: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(errors, [6, 7, 9], "{:#}", report["errors"]);
    assert!(report["errors"][1]["error"]
        .as_str()
        .unwrap()
        .contains("unsupported password hash"));
    let mut roles: Vec<String> = serde_json::from_value(report["roles_created"].clone()).unwrap();
    roles.sort();
    assert_eq!(roles, ["customer", "partner"]);

    // One account per email, one profile per record, each record's role on its profile.
    let ada = show(&app, "ada@example.com");
    let profiles = ada["profiles"].as_array().unwrap();
    let names: Vec<&str> = profiles
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{ada:#}");
    assert!(names.contains(&"Ada Lovelace"), "{names:?}");
    assert!(names.contains(&"Ada Lovelace (customer)"), "{names:?}");
    // Confirmed in one system: the address is verified, whichever password was kept.
    assert_eq!(ada["email_verified"], true, "{ada:#}");
    let bob = show(&app, "bob@example.com");
    assert_eq!(bob["status"], "suspended");
    assert_eq!(bob["profiles"][0]["name"], "admin");

    // The kept password signs in (and becomes argon2id); the other one does not; a locked
    // legacy account stays locked.
    assert!(!signs_in(&app, "ada@example.com", CUSTOMER_PASSWORD).await);
    assert!(signs_in(&app, "ada@example.com", PARTNER_PASSWORD).await);
    assert!(!signs_in(&app, "bob@example.com", ADMIN_PASSWORD).await);
    assert!(!signs_in(&app, "native@example.com", "whatever it was").await);
    assert!(signs_in(&app, "native@example.com", "a native passphrase").await);

    // The same file again changes nothing, even though Ada signed in since.
    let again = import(&app, &file, &[]);
    assert_eq!(again["created"], 0, "{again:#}");
    assert_eq!(again["accounts_created"], 0);
    let mut unchanged: Vec<String> = serde_json::from_value(again["unchanged"].clone()).unwrap();
    unchanged.sort();
    assert_eq!(
        unchanged,
        ["backoffice:a-1", "partners:p-7", "partners:p-9", "shop:c-1"]
    );
    assert_eq!(accounts(&app, &everyone), 4);

    // Bob is erased: running the old file again never brings him back.
    app.cli_json(&[
        "account",
        "erase",
        "--tenant",
        "acme",
        "bob@example.com",
        "--json",
    ]);
    let after_erasure = import(&app, &file, &[]);
    assert_eq!(after_erasure["created"], 0, "{after_erasure:#}");
    assert_eq!(after_erasure["skipped"][0]["record"], "backoffice:a-1");
    assert!(after_erasure["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("erased"));
    assert_eq!(accounts(&app, &emails(&["bob"])), 0);

    // A new record for Ada now conflicts: her account changed (she signed in) after import.
    let more = dir.path().join("more.jsonl");
    std::fs::write(
        &more,
        json!({"source": "forum", "legacy_id": "f-1", "kind": "member", "email": "ada@example.com"})
            .to_string(),
    )
    .unwrap();
    let later = import(&app, &more, &[]);
    assert_eq!(later["created"], 0);
    assert!(later["conflicts"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("changed after its import"));
    // …but joins Carol's, untouched since hers.
    std::fs::write(
        &more,
        json!({"source": "forum", "legacy_id": "f-2", "kind": "member", "email": "carol@example.com"})
            .to_string(),
    )
    .unwrap();
    let joined = import(&app, &more, &[]);
    assert_eq!(joined["created"], 1, "{joined:#}");
    let carol = show(&app, "carol@example.com");
    assert_eq!(carol["profiles"].as_array().unwrap().len(), 2);
}
both_engines!(a_legacy_file_imports_once);

/// `--on-conflict skip` imports none of an email's records when they disagree; `first`
/// keeps the first record's password.
async fn conflict_policies(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("legacy.jsonl");
    std::fs::write(&file, legacy_file()).unwrap();
    let skipped = import(&app, &file, &["--on-conflict", "skip", "--dry-run"]);
    assert_eq!(skipped["created"], 3, "{skipped:#}");
    let conflicted: Vec<&str> = skipped["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    assert!(conflicted.contains(&"ada@example.com"), "{skipped:#}");
    assert_eq!(skipped["skipped"].as_array().unwrap().len(), 2);

    // An existing, world-readable file is made private before the report lands in it.
    let report_file = dir.path().join("report.json");
    std::fs::write(&report_file, "old").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&report_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let first = import(
        &app,
        &file,
        &[
            "--on-conflict",
            "first",
            "--report",
            report_file.to_str().unwrap(),
        ],
    );
    assert_eq!(first, Value::Null, "the report went to the file");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    assert_eq!(written["duplicates"][0]["kept_credential"], "shop:c-1");
    let mode = std::fs::metadata(&report_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o077,
        0,
        "the report names emails: private to its owner"
    );
    assert!(signs_in(&app, "ada@example.com", CUSTOMER_PASSWORD).await);
}
both_engines!(conflict_policies);

/// Two imports of the same file at once: each record is imported exactly once, both runs
/// succeed, and together they account for every record.
async fn two_imports_at_once_import_each_record_once(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("legacy.jsonl");
    let records: Vec<String> = (0..40)
        .map(|n| {
            json!({"source": "shop", "legacy_id": format!("c-{n}"), "kind": "customer",
                   "email": format!("user{}@example.com", n % 25)})
            .to_string()
        })
        .collect();
    std::fs::write(&file, records.join("\n")).unwrap();
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let mut command = crate::helpers::cli_command(
                &app.db,
                &app.settings,
                Some(&app.master_key),
                &["import", "--tenant", "acme", file.to_str().unwrap()],
            );
            command
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            command.spawn().unwrap()
        })
        .collect();
    let mut created = 0;
    for run in runs {
        let output = run.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        created += report["created"].as_u64().unwrap();
    }
    assert_eq!(created, 40, "every record imported by exactly one run");
    let users: Vec<String> = (0..26).map(|n| format!("user{n}@example.com")).collect();
    assert_eq!(accounts(&app, &users), 25);
    let again = import(&app, &file, &[]);
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 40);
}
both_engines!(two_imports_at_once_import_each_record_once);

/// Uploads `body` to `POST /imports` with `query`; the status and the answer.
async fn upload(
    app: &TestApp,
    token: &str,
    query: &str,
    body: &str,
) -> (reqwest::StatusCode, Value) {
    let response = app
        .client
        .post(app.tenant_url("acme", &format!("/admin/api/v1/imports{query}")))
        .bearer_auth(token)
        .header("content-type", "application/x-ndjson")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The job once it is no longer running.
async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    let path = format!("/imports/{id}");
    // Waiting, not timing: a generous bound only so that a hung job fails the test.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (status, job, _) =
            crate::admin_matrix::call(app, reqwest::Method::GET, "acme", &path, Some(token), None)
                .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{job}");
        if job["status"] != "running" {
            return job;
        }
        assert!(std::time::Instant::now() < deadline, "still running: {job}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The admin API's import job: the same file as `tessera import` takes, uploaded; its
/// progress and report read by id; bad uploads refused before anything starts; two uploads
/// of one file at once import each record exactly once; the report is sealed at rest.
async fn an_uploaded_import_runs_as_a_job(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "native@example.com", "a native passphrase");
    let (_, token) = crate::admin_matrix::machine_admin(&app, "acme", &["accounts:write"]).await;
    let (_, reader) = crate::admin_matrix::machine_admin(&app, "acme", &["accounts:read"]).await;

    // Refused before anything starts.
    let (status, _) = upload(&app, &reader, "", &legacy_file()).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    let (status, answer) = upload(&app, &token, "", "\n\n").await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("no records"));
    let (status, answer) = upload(&app, &token, "?on_conflict=oldest", &legacy_file()).await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{answer}");
    let huge = "x".repeat(33 * 1024 * 1024);
    let (status, answer) = upload(&app, &token, "", &huge).await;
    assert_eq!(status, reqwest::StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    // Who asks is checked before the upload is read: an anonymous or unauthorised caller
    // cannot make the node buffer 32 MiB (they would be told it is too large).
    let (status, _) = upload(&app, "not a token", "", &huge).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    let (status, _) = upload(&app, &reader, "", &huge).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);

    // A dry run reports and writes nothing.
    let (status, job) = upload(&app, &token, "?dry_run=true", &legacy_file()).await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["records"], 8);
    assert_eq!(
        job["emails"], 4,
        "ada, bob, carol, native: the bad lines name none"
    );
    let job = finished(&app, &token, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["report"]["dry_run"], true);
    assert_eq!(job["report"]["created"], 4);
    assert_eq!(accounts(&app, &emails(&["ada", "bob", "carol"])), 0);

    // The real thing, twice at once: every record once, both jobs done.
    let file = legacy_file();
    let (first, second) = tokio::join!(
        upload(&app, &token, "", &file),
        upload(&app, &token, "?on_conflict=newest", &file)
    );
    let mut created = 0;
    for (status, job) in [first, second] {
        assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{job}");
        let job = finished(&app, &token, job["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "done", "{job}");
        assert_eq!(job["emails_done"], job["emails"]);
        let report = &job["report"];
        assert_eq!(report["errors"].as_array().unwrap().len(), 3, "{report}");
        assert_eq!(report["conflicts"].as_array().unwrap().len(), 1, "{report}");
        created += report["created"].as_u64().unwrap();
    }
    assert_eq!(created, 4, "each record imported by exactly one job");
    assert_eq!(accounts(&app, &emails(&["ada", "bob", "carol"])), 3);
    assert!(signs_in(&app, "ada@example.com", PARTNER_PASSWORD).await);

    // Listed; audited; the report is not readable in a copy of the database.
    let (_, listed, _) = crate::admin_matrix::call(
        &app,
        reqwest::Method::GET,
        "acme",
        "/imports",
        Some(&token),
        None,
    )
    .await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|j| j.get("report").is_none()));
    let actions = app.audit_actions("acme");
    assert_eq!(actions.iter().filter(|a| *a == "import.start").count(), 3);
    assert_eq!(actions.iter().filter(|a| *a == "import.finish").count(), 3);
    let db = tessera::db::Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    let mut conn = db.conn().unwrap();
    let sealed: Vec<Option<Vec<u8>>> = {
        use diesel::prelude::*;
        tessera::db::schema::import_jobs::table
            .select(tessera::db::schema::import_jobs::report)
            .load(&mut *conn)
            .unwrap()
    };
    assert_eq!(sealed.len(), 3);
    for report in sealed.into_iter().flatten() {
        let text = String::from_utf8_lossy(&report);
        assert!(!text.contains("example.com"), "the report is sealed");
    }
}
both_engines!(an_uploaded_import_runs_as_a_job);
