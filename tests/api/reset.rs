//! Password reset by mail, through the file transport and through a real SMTP server
//! (aiosmtpd): single-use links, sessions ended, MFA still asked, enumeration resistance.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use tessera::config::{MailTransport, SmtpSecurity, TenantRouting};

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{data_dir, Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a brand new passphrase";
const EMAIL: &str = "ada@example.com";

/// Undoes quoted-printable encoding (soft line breaks and `=XX` escapes) in a raw message.
pub fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The reset link in a message's text.
fn link_in(text: &str) -> Option<String> {
    let start = text.find("http")?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .unwrap_or(rest.len());
    let link = &rest[..end];
    link.contains("/reset/confirm?token=")
        .then(|| link.to_owned())
}

/// Waits for a mail in the file transport's directory and returns its reset link.
pub async fn link_from_file(dir: &Path, tenant_name: &str) -> String {
    for _ in 0..50 {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
                // Only a complete message (it ends with the closing MIME boundary).
                if !raw.trim_end().ends_with("--") {
                    continue;
                }
                let text = decode_quoted_printable(&raw);
                if let Some(link) = text.lines().find_map(link_in) {
                    assert!(
                        text.contains(&format!("Subject: Reset your {tenant_name} password")),
                        "{text}"
                    );
                    assert!(text.contains("Content-Type: text/html"), "HTML part");
                    return link;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no reset mail in {}", dir.display());
}

async fn ask_reset(app: &TestApp, browser: &Browser, email: &str) -> Page {
    let page = browser.get(&app.tenant_url("acme", "/reset")).await;
    browser.submit(&page, &[("email", email)]).await
}

async fn sign_in(app: &TestApp, password: &str) -> Page {
    let browser = Browser::default();
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    browser
        .submit(&login, &[("email", EMAIL), ("password", password)])
        .await
}

fn signed_in(page: &Page) -> bool {
    page.location
        .as_deref()
        .is_some_and(|l| l.ends_with("/account"))
}

async fn reset_through_the_file_transport(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    // A browser already signed in: the reset must end its session.
    let laptop = Browser::default();
    let login = laptop
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    laptop
        .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(
        laptop.get(&app.tenant_url("acme", "/account")).await.status,
        StatusCode::OK
    );

    let browser = Browser::default();
    let known = ask_reset(&app, &browser, EMAIL).await;
    let unknown = ask_reset(&app, &browser, "nobody@example.com").await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(
        (known.status, &known.html),
        (unknown.status, &unknown.html),
        "known and unknown answer alike"
    );
    assert!(known.html.contains("If an account exists"));

    let link = link_from_file(&data_dir(&app.db).join("mail"), "acme Inc.").await;
    let form = browser.get(&link).await;
    assert!(form.html.contains("Choose a new password"));
    let short = browser.submit(&form, &[("password", "too short")]).await;
    assert!(short.html.contains("too short"), "{}", short.html);
    let done = browser.submit(&short, &[("password", NEW_PASSWORD)]).await;
    assert!(
        done.html.contains("Your password was changed"),
        "{}",
        done.html
    );
    // The way on: sign in to the account page, or to the console for administrators.
    assert!(
        done.html.contains("/t/acme/login?next=account"),
        "{}",
        done.html
    );
    assert!(done.html.contains("/t/acme/login?next=admin"));

    // Single use; old sessions gone; the new password works, the old does not.
    assert!(browser
        .get(&link)
        .await
        .html
        .contains("This link has expired"));
    assert_eq!(
        laptop.get(&app.tenant_url("acme", "/account")).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(!signed_in(&sign_in(&app, PASSWORD).await));
    assert!(signed_in(&sign_in(&app, NEW_PASSWORD).await));
    // A forged token is refused.
    let forged = browser
        .get(&app.tenant_url("acme", "/reset/confirm?token=forged"))
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
}
both_engines!(reset_through_the_file_transport);

struct SmtpServer {
    child: Child,
    port: u16,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real SMTP server (aiosmtpd from PyPI, installed by .ci/run) printing what it receives.
fn smtp_server() -> Option<SmtpServer> {
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut server = SmtpServer { child, port };
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        if let Ok(Some(_)) = server.child.try_wait() {
            let mut err = String::new();
            server.child.stderr.take()?.read_to_string(&mut err).ok()?;
            eprintln!("aiosmtpd did not start: {err}");
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

async fn reset_through_smtp(engine: Engine) {
    let Some(mut server) = smtp_server() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but aiosmtpd is not available"
        );
        eprintln!("skipping: python3 -m aiosmtpd is not available (pip install aiosmtpd)");
        return;
    };
    let port = server.port;
    let app = TestApp::spawn_with(engine, |s| {
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_host = "127.0.0.1".into();
        s.mail.smtp_port = port;
        s.mail.smtp_security = SmtpSecurity::None;
    })
    .await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let browser = Browser::default();
    ask_reset(&app, &browser, EMAIL).await;
    // Read what the server printed until the link shows up.
    let mut stdout = server.child.stdout.take().unwrap();
    let link = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let n = stdout.read(&mut buffer).unwrap_or(0);
            if n == 0 {
                return None;
            }
            seen.extend_from_slice(&buffer[..n]);
            // Only a whole message: a chunk may end inside a quoted-printable soft break.
            let raw = String::from_utf8_lossy(&seen);
            if !raw.contains("END MESSAGE") {
                continue;
            }
            let text = decode_quoted_printable(&raw);
            if let Some(link) = text.lines().find_map(link_in) {
                return Some((link, text));
            }
        }
    });
    let (link, message) = tokio::time::timeout(Duration::from_secs(10), link)
        .await
        .expect("a mail within 10 s")
        .unwrap()
        .expect("a reset link");
    assert!(message.contains("Reset your acme Inc. password"));
    let form = browser.get(&link).await;
    assert!(
        form.html.contains("Choose a new password"),
        "{link}\n{message}"
    );
    let done = browser.submit(&form, &[("password", NEW_PASSWORD)]).await;
    assert!(done.html.contains("Your password was changed"));
    assert!(signed_in(&sign_in(&app, NEW_PASSWORD).await));
}
both_engines!(reset_through_smtp);
