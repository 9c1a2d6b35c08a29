//! The README's quick start, run as written: its shell blocks in order, with `tessera` on the
//! `PATH`, from a fresh directory (so a fresh `data/`), on the port it names; the steps it
//! leaves to a browser (the setup link, the invitation link) are done over HTTP. If the
//! README changes so that a step no longer works, this fails.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

use crate::browser::Browser;

const PASSWORD: &str = "correct horse battery staple";

/// The ```sh blocks of the quick start, before its "Other set-ups".
fn quick_start_blocks() -> Vec<String> {
    let readme = include_str!("../../README.md");
    let start = readme.find("## Quick start").expect("a quick start");
    let end = start
        + readme[start..]
            .find("**Other set-ups.**")
            .expect("the quick start's end");
    let mut blocks = Vec::new();
    let mut rest = &readme[start..end];
    while let Some(open) = rest.find("```sh\n") {
        let body = &rest[open + 6..];
        let close = body.find("```").expect("a closed block");
        blocks.push(body[..close].to_owned());
        rest = &body[close + 3..];
    }
    blocks
}

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Shell {
    dir: tempfile::TempDir,
    port: u16,
    path: String,
}

impl Shell {
    fn new() -> Shell {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bin = Path::new(env!("CARGO_BIN_EXE_tessera"))
            .parent()
            .unwrap()
            .display()
            .to_string();
        let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
        Shell {
            dir: tempfile::tempdir().unwrap(),
            port,
            path,
        }
    }

    /// A command as the README's reader runs it: the README's port replaced by this test's,
    /// only the environment a fresh shell has (plus cheap password hashing).
    fn command(&self, script: &str) -> Command {
        let script = script.replace("localhost:8080", &format!("localhost:{}", self.port));
        let mut command = Command::new("bash");
        command
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", self.dir.path())
            .env("TESSERA_SERVER__LISTEN", format!("127.0.0.1:{}", self.port))
            .env(
                "TESSERA_SERVER__PUBLIC_URL",
                format!("http://localhost:{}", self.port),
            )
            .env("TESSERA_ARGON2__MEMORY_KIB", "256")
            .env("TESSERA_ARGON2__ITERATIONS", "1")
            .env("TESSERA_LOG__FORMAT", "json");
        command
    }

    fn run(&self, script: &str) -> Output {
        let output = self.command(script).output().unwrap();
        assert!(
            output.status.success(),
            "{script}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

/// The link the output names after `marker`.
fn link_after(output: &str, marker: &str) -> String {
    let at = output
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {output}"));
    output[at..]
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .unwrap_or_else(|| panic!("a link after {marker} in {output}"))
        .to_owned()
}

#[tokio::test]
async fn the_readme_quick_start_works_as_written() {
    let blocks = quick_start_blocks();
    assert_eq!(blocks.len(), 7, "the quick start's steps: {blocks:#?}");
    let shell = Shell::new();

    // 1. Build: the test already has the binary; the block must say how to get it.
    assert!(blocks[0].contains("cargo build --release"), "{}", blocks[0]);
    assert!(blocks[0].contains("target/release"), "{}", blocks[0]);

    // 2. Run, and read the one-time setup link it prints.
    assert_eq!(blocks[1].trim(), "tessera serve");
    let mut child = shell
        .command(blocks[1].trim())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let setup = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let link = lines
            .by_ref()
            .map_while(Result::ok)
            .find(|line| line.contains("/platform/setup?token="))
            .map(|line| line.trim().to_owned());
        // Keep reading: a closed pipe would fail the server's next line of output.
        std::thread::spawn(move || lines.for_each(drop));
        link
    })
    .await
    .unwrap()
    .expect("the setup link");
    let base = format!("http://localhost:{}", shell.port);
    assert!(setup.starts_with(&base), "{setup}");
    let root = Browser::default();
    let form = root.get(&setup).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    let made = root
        .submit(
            &form,
            &[("email", "you@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
    let console = root.get(&format!("{base}/platform")).await;
    assert_eq!(console.status, StatusCode::OK);
    let landing = root.get(&format!("{base}/")).await;
    assert!(landing.html.contains("/platform\""), "{}", landing.html);

    // 3. A tenant with an invited administrator, who lands signed in on its console.
    let created = shell.run(&blocks[2]);
    let created = String::from_utf8_lossy(&created.stdout).into_owned();
    let invitation = link_after(&created, "Link:");
    let boss = Browser::default();
    let form = boss.get(&invitation).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    assert!(form.html.contains("Acme Inc."), "{}", form.html);
    let accepted = boss.submit(&form, &[("password", PASSWORD)]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.html);
    assert_eq!(
        accepted.location.as_deref(),
        Some(format!("{base}/t/acme/admin").as_str())
    );
    let landed = boss.get(&format!("{base}/t/acme/admin")).await;
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.html);
    let issuer_page = boss.get(&format!("{base}/t/acme")).await;
    assert!(issuer_page.html.contains("Acme Inc."));

    // 4. An app.
    let app = shell.run(&blocks[3]);
    assert!(String::from_utf8_lossy(&app.stdout).contains("client_id"));

    // 5. A user, invited; then a machine client's token.
    let invited = shell.run(&blocks[4]);
    let invited = String::from_utf8_lossy(&invited.stdout).into_owned();
    assert!(invited.contains("ada@example.com"), "{invited}");
    let token = shell.run(&blocks[5]);
    let token: serde_json::Value = serde_json::from_slice(&token.stdout).unwrap();
    assert_eq!(token["token_type"], "Bearer", "{token}");
    assert!(token["access_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    // 6. The example app, run as the block says (its binary, built by `cargo test`, in place
    // of `cargo run --example`; on a free port in place of 9000): Ada accepts her invitation,
    // opens the app, allows it, and is greeted by name with verified claims.
    let rp_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let example = Path::new(env!("CARGO_BIN_EXE_tessera"))
        .parent()
        .unwrap()
        .join("examples/relying-party");
    let block = blocks[6].replace("127.0.0.1:9000", &format!("127.0.0.1:{rp_port}"));
    let (register, run) = block
        .split_once("\ncargo run --example relying-party -- ")
        .expect("register, then run");
    shell.run(register);
    let mut rp = shell.command(&format!("{} {} --once", example.display(), run.trim()));
    let mut rp = rp
        .env("RP_LISTEN", format!("127.0.0.1:{rp_port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut rp_out = BufReader::new(rp.stdout.take().unwrap()).lines();
    let ready = rp_out
        .next()
        .expect("the app says where it listens")
        .unwrap();
    assert!(
        ready.contains(&format!("http://127.0.0.1:{rp_port}/")),
        "{ready}"
    );
    let _rp = Server(rp);
    let ada = Browser::default();
    let form = ada.get(&link_after(&invited, "Link:")).await;
    let accepted = ada.submit(&form, &[("password", PASSWORD)]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.html);
    let app_url = format!("http://127.0.0.1:{rp_port}");
    let start = ada.get(&format!("{app_url}/")).await;
    let consent = ada.follow(start, &app_url).await;
    assert!(consent.html.contains("Example app"), "{}", consent.html);
    let back = ada.submit(&consent, &[("decision", "allow")]).await;
    let greeted = ada.follow(back, "-").await;
    assert!(
        greeted
            .html
            .contains("Signed in as <strong>Ada Lovelace</strong>"),
        "{}",
        greeted.html
    );
    let claims: serde_json::Value =
        serde_json::from_str(&rp_out.next().expect("the claims").unwrap()).unwrap();
    assert_eq!(claims["iss"], format!("{base}/t/acme"));
    assert_eq!(claims["email"], "ada@example.com");

    // The discovery document the text points at.
    let discovery = reqwest::get(format!("{base}/t/acme/.well-known/openid-configuration"))
        .await
        .unwrap();
    assert_eq!(discovery.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(10)).await;
}
