//! `tessera serve` as a real process: first run from an empty directory, the banner, JSON logs
//! with request ids, and graceful shutdown on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// `tessera serve` from an empty directory with JSON logs on an ephemeral port, plus `env`.
pub fn serve_in(dir: &std::path::Path, env: &[(&str, &str)]) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_remove("TESSERA_DATABASE__URL")
        .env_remove("TESSERA_KEYS__MASTER_KEY")
        .env_remove("TESSERA_CONFIG")
        .env_remove("RUST_LOG")
        .env("TESSERA_SERVER__LISTEN", "127.0.0.1:0")
        .env("TESSERA_LOG__FORMAT", "json")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().unwrap()
}

/// Reads a server's stdout up to its banner (`Tessera … on 127.0.0.1:PORT`); the port.
pub fn banner_port(stdout: &mut impl BufRead) -> u16 {
    loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "server exited");
        if let Some(rest) = line.trim().strip_prefix("Tessera ") {
            let address = rest.rsplit(' ').next().unwrap();
            return address.rsplit(':').next().unwrap().parse::<u16>().unwrap();
        }
    }
}

/// The CLI run in `dir` (where a first-run server keeps its database and key), checked to
/// succeed.
pub fn cli_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .current_dir(dir)
        .env_remove("TESSERA_DATABASE__URL")
        .env_remove("TESSERA_KEYS__MASTER_KEY")
        .env_remove("TESSERA_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    output
}

#[tokio::test]
async fn first_run_serves_prints_next_step_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve_in(dir.path(), &[]);

    // The banner names the bound port and how to create a tenant.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    let port = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "server exited: {banner}"
        );
        banner.push_str(&line);
        if let Some(rest) = line.trim().strip_prefix("Tessera ") {
            let address = rest.rsplit(' ').next().unwrap();
            break address.rsplit(':').next().unwrap().parse::<u16>().unwrap();
        }
    };
    // No platform administrator yet: a one-time setup link.
    let setup = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "no setup link: {banner}"
        );
        banner.push_str(&line);
        if let Some(at) = line.find("/platform/setup?token=") {
            break format!("http://127.0.0.1:{port}{}", line[at..].trim());
        }
    };
    let mut hint = String::new();
    stdout.read_line(&mut hint).unwrap();
    assert!(hint.contains("tessera admin create"), "{hint}");
    // The next step: a tenant with its administrator invited, and where its issuer is.
    assert!(banner.contains("tenant create acme"), "{banner}");
    assert!(banner.contains("--admin-email"), "{banner}");
    assert!(banner.contains("/t/acme"), "{banner}");
    // The default public URL names port 8080, and this server listens elsewhere: said.
    assert!(
        banner.contains("Warning: server.public_url is http://localhost:8080"),
        "{banner}"
    );

    // It created the SQLite database and a master key in ./data.
    assert!(dir.path().join("data/tessera.db").exists());
    assert!(dir.path().join("data/master.key").exists());

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    assert!(client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    let form = client.get(&setup).send().await.unwrap();
    assert_eq!(form.status(), reqwest::StatusCode::OK);
    assert!(form
        .text()
        .await
        .unwrap()
        .contains("first platform administrator"));
    let missing = client
        .get(format!("{base}/t/nobody/jwks.json"))
        .send()
        .await
        .unwrap();
    let request_id = missing.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    // A link token in a query string: logged as the path alone.
    let linked = client
        .get(format!("{base}/t/nobody/verify?token=SECRET-LINK-TOKEN"))
        .send()
        .await
        .unwrap();
    let linked_id = linked.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    // SIGTERM: graceful shutdown, exit status 0.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    assert!(status.success(), "exit status {status:?}");

    // JSON logs, one object per line; the request's log line carries its request id.
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l.to_string().contains(&request_id)),
        "no log line with request id {request_id}:\n{logs}"
    );
    let linked_line = lines
        .iter()
        .find(|l| l.to_string().contains(&linked_id))
        .unwrap_or_else(|| panic!("no log line for the linked request:\n{logs}"));
    assert_eq!(linked_line["span"]["http.target"], "/t/nobody/verify");
    assert!(!logs.contains("SECRET-LINK-TOKEN"), "{logs}");
    let setup_token = setup.split("token=").nth(1).unwrap();
    assert!(
        !logs.contains(setup_token),
        "the setup link's token was logged"
    );
    assert!(lines.iter().any(|l| l["fields"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("generated a new master key"))));
    assert!(
        !logs.contains("mail.transport is"),
        "no file-transport warning on http: {logs}"
    );
    assert!(!logs.contains(
        &std::fs::read_to_string(dir.path().join("data/master.key"))
            .unwrap()
            .trim()
            .to_owned()
    ));
}

pub fn wait_with_timeout(
    child: &mut std::process::Child,
    limit: Duration,
) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("server did not stop within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An operator deploys at an https address and forgets to configure SMTP: every sign-in
/// and reset link would sit in clear files on the server. The server says so at start.
#[tokio::test]
async fn file_mail_on_an_https_deployment_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = serve_in(
        dir.path(),
        &[
            ("TESSERA_SERVER__PUBLIC_URL", "https://id.example.com"),
            ("TESSERA_MAIL__TRANSPORT", "file"),
        ],
    );
    // Serving (the banner is printed) means startup, and its warnings, are done.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    banner_port(&mut stdout);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    wait_with_timeout(&mut child, Duration::from_secs(20));
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let warned = logs.lines().any(|line| {
        let line: Value = serde_json::from_str(line).unwrap_or_default();
        line["level"] == "WARN"
            && line["fields"]["message"]
                .as_str()
                .is_some_and(|m| m == tessera::mail::FILE_TRANSPORT_WARNING)
    });
    assert!(warned, "{logs}");
}
