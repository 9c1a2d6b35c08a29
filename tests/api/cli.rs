//! The `tessera` command line, run as a real process against the test database.

use serde_json::Value;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::helpers::{stderr, Engine, TestApp};

async fn tenant_create_list_show(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let created = app.cli_json(&["tenant", "create", "acme", "--name", "Acme Inc.", "--json"]);
    assert_eq!(created["slug"], "acme");
    assert_eq!(created["name"], "Acme Inc.");
    assert_eq!(created["status"], "active");
    assert_eq!(created["issuer"], app.issuer("acme"));
    let id = created["id"].as_str().expect("id");
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);

    // The name defaults to the slug.
    let unnamed = app.cli_json(&["tenant", "create", "globex", "--json"]);
    assert_eq!(unnamed["name"], "globex");

    let listed = app.cli_json(&["tenant", "list", "--json"]);
    let slugs: Vec<&str> = listed
        .as_array()
        .expect("list is an array")
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["acme", "globex"]);

    let shown = app.cli_json(&["tenant", "show", "acme", "--json"]);
    assert_eq!(shown, created);

    // Human output names the issuer too.
    let human = app.cli(&["tenant", "show", "acme"]);
    assert!(human.status.success());
    assert!(String::from_utf8_lossy(&human.stdout).contains(&app.issuer("acme")));
}
both_engines!(tenant_create_list_show);

async fn invalid_and_duplicate_slugs_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");

    let cases = [
        ("acme", "already taken"),
        ("Acme", "lowercase"),
        ("a", "2 to 63"),
        ("acme-", "must not end with a hyphen"),
        ("admin", "reserved"),
        ("acme_corp", "lowercase"),
    ];
    for (slug, message) in cases {
        let output = app.cli(&["tenant", "create", slug, "--json"]);
        assert!(!output.status.success(), "{slug} was accepted");
        assert!(output.stdout.is_empty(), "{slug}: error printed on stdout");
        let err = stderr(&output);
        assert!(err.contains(message), "{slug}: {err}");
    }
    let listed = app.cli_json(&["tenant", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing else created");
    // The refused duplicate left the original untouched.
    assert_eq!(listed[0]["name"], "acme Inc.");
}
both_engines!(invalid_and_duplicate_slugs_are_refused);

async fn unknown_tenant_commands_fail_clearly(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    for args in [
        &["tenant", "show", "nobody", "--json"][..],
        &["tenant", "suspend", "nobody"],
        &["keys", "list", "--tenant", "nobody"],
        &["keys", "rotate", "--tenant", "nobody"],
    ] {
        let output = app.cli(args);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            stderr(&output).contains("no tenant \"nobody\""),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let usage = app.cli(&["keys", "rotate", "--tenant", "acme", "--alg", "HS256"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(stderr(&usage).contains("unknown algorithm HS256"));
}
both_engines!(unknown_tenant_commands_fail_clearly);

async fn migrate_reports_engine_and_is_idempotent(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let migrated: Value = app.cli_json(&["migrate", "--json"]);
    let expected = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgresql",
    };
    assert_eq!(migrated["engine"], expected);
    // The app applied everything at start.
    assert_eq!(migrated["applied"], serde_json::json!([]));
}
both_engines!(migrate_reports_engine_and_is_idempotent);

/// Logs written to a file or a pipe carry no terminal colour codes (pretty format).
async fn logs_into_a_pipe_have_no_colour_codes(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    // An https public URL with the file mail transport is warned about when mail is set up.
    let output = crate::helpers::cli_command(
        &app.db,
        &app.settings,
        Some(&app.master_key),
        &["retention", "--json"],
    )
    .env("TESSERA_SERVER__PUBLIC_URL", "https://id.example.com")
    .env("TESSERA_LOG__FORMAT", "pretty")
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let log = stderr(&output);
    assert!(log.contains("WARN"), "something was logged: {log}");
    assert!(!log.contains('\u{1b}'), "escape codes in a pipe: {log:?}");
}
both_engines!(logs_into_a_pipe_have_no_colour_codes);

/// `--password-stdin` takes the first line and goes on at once: it does not wait for the
/// end of the input (on a terminal it would look hung).
async fn password_stdin_takes_the_first_line(engine: Engine) {
    use std::io::Write;
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let mut child = crate::helpers::cli_command(
        &app.db,
        &app.settings,
        Some(&app.master_key),
        &[
            "account",
            "create",
            "--tenant",
            "acme",
            "--email",
            "ada@example.com",
            "--password-stdin",
            "--json",
        ],
    )
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // One line, and the input stays open.
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(b"correct horse battery staple\r\n")
        .unwrap();
    input.flush().unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    drop(input);
    assert!(output.status.success(), "{}", stderr(&output));
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(created["email"], "ada@example.com");
    // The line without its line ending is the password.
    let browser = crate::browser::Browser::default();
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let done = browser
        .submit(
            &login,
            &[
                ("email", "ada@example.com"),
                ("password", "correct horse battery staple"),
            ],
        )
        .await;
    assert!(done.location.unwrap_or_default().ends_with("/account"));
}
both_engines!(password_stdin_takes_the_first_line);

#[test]
fn config_file_and_environment_layers() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tessera.toml");
    std::fs::write(
        &file,
        "[database]\nurl = \"sqlite://from-file.db\"\n[tenancy]\nrouting = \"subdomain\"\n",
    )
    .unwrap();
    let run = |env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .args(["--config", file.to_str().unwrap(), "migrate", "--json"])
            .current_dir(dir.path())
            .env_remove("TESSERA_DATABASE__URL");
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().unwrap()
    };
    let from_file = run(&[]);
    assert!(from_file.status.success(), "{}", stderr(&from_file));
    assert!(dir.path().join("from-file.db").exists());

    let from_env = run(&[("TESSERA_DATABASE__URL", "sqlite://from-env.db")]);
    assert!(from_env.status.success(), "{}", stderr(&from_env));
    assert!(dir.path().join("from-env.db").exists());

    let bad = run(&[("TESSERA_DATABASE__URL", "mysql://nope")]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("sqlite:// or postgres://"),
        "{}",
        stderr(&bad)
    );

    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["--config", "/nonexistent.toml", "tenant", "list"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("/nonexistent.toml"));
}
