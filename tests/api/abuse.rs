//! Brute force and abuse: account lockout with back-off, per-IP rate limits (429 with
//! Retry-After), and password hash agility (re-hash, bcrypt upgrade).

use std::time::Duration;

use reqwest::StatusCode;
use tessera::config::TenantRouting;
use tessera::db::Db;
use tessera::domain::{AccountId, TenantId};

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{stderr, Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const FAILED: &str = "email or password is incorrect";

async fn login_page(app: &TestApp, browser: &Browser) -> Page {
    browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await
}

/// One sign-in attempt at the account console; true when it got in.
async fn attempt(app: &TestApp, password: &str) -> Page {
    attempt_as(app, EMAIL, password).await
}

/// One sign-in at the tenant's own account page, in a new browser.
pub async fn attempt_as(app: &TestApp, email: &str, password: &str) -> Page {
    let browser = Browser::default();
    let page = login_page(app, &browser).await;
    browser
        .submit(&page, &[("email", email), ("password", password)])
        .await
}

pub fn signed_in(page: &Page) -> bool {
    page.status == StatusCode::SEE_OTHER
        && page
            .location
            .as_deref()
            .is_some_and(|l| l.ends_with("/account"))
}

async fn accounts_lock_with_back_off(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| {
        s.security.lockout_threshold = 3;
        s.security.lockout_base_secs = 2;
        s.security.lockout_max_secs = 2;
    })
    .await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    for _ in 0..3 {
        assert!(attempt(&app, "wrong password!!")
            .await
            .html
            .contains(FAILED));
    }
    // Locked: even the right password fails, with the very same answer.
    let locked = attempt(&app, PASSWORD).await;
    assert!(!signed_in(&locked));
    assert!(locked.html.contains(FAILED));
    // After the lock expires, the right password works and clears the failures.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(signed_in(&attempt(&app, PASSWORD).await));
    assert!(attempt(&app, "wrong password!!")
        .await
        .html
        .contains(FAILED));
    assert!(
        signed_in(&attempt(&app, PASSWORD).await),
        "one failure after a success does not lock"
    );

    // An administrator can lift a lock at once.
    for _ in 0..3 {
        attempt(&app, "wrong password!!").await;
    }
    assert!(!signed_in(&attempt(&app, PASSWORD).await));
    app.cli_json(&["account", "unlock", "--tenant", "acme", EMAIL, "--json"]);
    assert!(signed_in(&attempt(&app, PASSWORD).await));
    // Unknown emails answer the same as locked or wrong ones.
    let browser = Browser::default();
    let page = login_page(&app, &browser).await;
    let unknown = browser
        .submit(
            &page,
            &[("email", "nobody@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert!(unknown.html.contains(FAILED));
}
both_engines!(accounts_lock_with_back_off);

async fn sign_in_attempts_are_rate_limited_per_ip(engine: Engine) {
    let limit = 3;
    let app = TestApp::spawn_with(engine, |s| s.security.login_attempts_per_minute = limit).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let mut statuses = Vec::new();
    let mut retry_after = None;
    // Twice the limit: even if a minute boundary resets the window once, the limit is hit.
    for _ in 0..(2 * limit + 1) {
        let page = attempt(&app, "wrong password!!").await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            retry_after = page
                .headers
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
        }
        statuses.push(page.status);
    }
    assert!(
        statuses[..limit as usize]
            .iter()
            .all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let retry_after = retry_after.expect("Retry-After");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
}
both_engines!(sign_in_attempts_are_rate_limited_per_ip);

async fn failed_client_authentication_is_rate_limited(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| s.security.client_auth_failures_per_minute = 3).await;
    app.create_tenant("acme");
    let (id, secret) = app.machine_client("acme");
    let form = [("grant_type", "client_credentials")];
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let response = app
            .post_form("acme", "/token", &form, Some((&id, "guessed secret")))
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
            assert_eq!(response.headers()["cache-control"], "no-store");
        }
        statuses.push(response.status());
    }
    assert!(
        statuses[..3].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // While blocked, even the right secret waits.
    if statuses.last() == Some(&StatusCode::TOO_MANY_REQUESTS) {
        let right = app
            .post_form("acme", "/token", &form, Some((&id, &secret)))
            .await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}
both_engines!(failed_client_authentication_is_rate_limited);

/// The stored password hash of the test account.
fn stored_hash(app: &TestApp, tenant_id: &str) -> String {
    let row = crate::helpers::account_row(app, tenant_id, EMAIL);
    row.password_hash.unwrap()
}

async fn outdated_and_bcrypt_hashes_are_upgraded_at_sign_in(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let tenant = app.create_tenant("acme");
    let tenant_id = tenant["id"].as_str().unwrap();
    // Created with weaker parameters than the server's.
    let created = app.cli_input(
        &[
            "account",
            "create",
            "--tenant",
            "acme",
            "--email",
            EMAIL,
            "--password-stdin",
            "--json",
        ],
        &[
            ("TESSERA_ARGON2__MEMORY_KIB", "1024"),
            ("TESSERA_ARGON2__ITERATIONS", "1"),
        ],
        PASSWORD,
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stored_hash(&app, tenant_id).contains("m=1024,t=1"));
    assert!(signed_in(&attempt(&app, PASSWORD).await));
    let upgraded = stored_hash(&app, tenant_id);
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );

    // An imported bcrypt hash works once and becomes argon2id.
    let legacy = bcrypt::hash("an imported passphrase", 4).unwrap();
    let imported = app.cli_input(
        &[
            "account",
            "import-password-hash",
            "--tenant",
            "acme",
            EMAIL,
            "--json",
        ],
        &[],
        &legacy,
    );
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(stored_hash(&app, tenant_id).starts_with("$2b$"));
    assert!(!signed_in(&attempt(&app, "a wrong passphrase").await));
    assert!(signed_in(&attempt(&app, "an imported passphrase").await));
    assert!(stored_hash(&app, tenant_id).starts_with("$argon2id$"));
    assert!(
        signed_in(&attempt(&app, "an imported passphrase").await),
        "still works after the upgrade"
    );

    // PBKDF2-SHA256 (Django's format and PHC) and scrypt from other systems, the same way.
    // Made with Python's hashlib for the passphrase "correct horse battery staple".
    for (legacy, prefix) in [
        (
            "pbkdf2_sha256$1000$django-salt$efk9apInV+Xm/mo4fSLSjnrNpSQYT2dBw0rRQPzKcOc=",
            "pbkdf2_sha256$",
        ),
        (
            "$pbkdf2-sha256$i=1000,l=32$c/oBAmxlZ2FjeS1zYWx0IQ$O3IM+aw7B0WmQ5fgKrM4b3y3T07pCovJxj4HqaZ4oq4",
            "$pbkdf2-sha256$",
        ),
        (
            "$scrypt$ln=10,r=8,p=1$c/oBAmxlZ2FjeS1zYWx0IQ$hv3T3bO+SIWQsB1l0nKf9umg9qbHSXSaF6s0dStzDt0",
            "$scrypt$",
        ),
    ] {
        let imported = app.cli_input(
            &["account", "import-password-hash", "--tenant", "acme", EMAIL],
            &[],
            legacy,
        );
        assert!(imported.status.success(), "{}", stderr(&imported));
        assert!(stored_hash(&app, tenant_id).starts_with(prefix));
        assert!(!signed_in(&attempt(&app, "correct horse battery stapler").await));
        assert!(signed_in(&attempt(&app, "correct horse battery staple").await));
        assert!(
            stored_hash(&app, tenant_id).starts_with("$argon2id$"),
            "{legacy} is replaced by argon2id at sign-in"
        );
    }

    let junk = app.cli_input(
        &["account", "import-password-hash", "--tenant", "acme", EMAIL],
        &[],
        "md5:abc",
    );
    assert!(!junk.status.success());
    assert!(stderr(&junk).contains("unsupported password hash"));
}
both_engines!(outdated_and_bcrypt_hashes_are_upgraded_at_sign_in);

/// An administrator of one tenant (or a corrupted row) plants a password hash whose own
/// parameters ask for hours of work or terabytes of memory; every sign-in attempt for that
/// address would then stall a hashing slot or take the whole process down, for every
/// tenant. Such hashes are refused at import and never verified.
async fn costly_stored_hashes_are_never_verified(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let tenant = app.create_tenant("acme");
    let tenant_id = TenantId::from_stored(tenant["id"].as_str().unwrap().into());
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let account_id = AccountId::from_stored(account["id"].as_str().unwrap().into());
    // Cheap to make here, but above the iteration ceiling.
    let costly = tessera::identity::password::PasswordHasher::from_settings(
        &tessera::config::Argon2Settings {
            memory_kib: 8,
            iterations: 17,
            parallelism: 1,
            max_concurrent: 0,
        },
    )
    .unwrap()
    .hash(PASSWORD)
    .unwrap();
    for hash in [
        costly.as_str(),
        "$argon2id$v=19$m=4000000000,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
        "$2b$31$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
        "$pbkdf2-sha256$i=4000000000,l=32$c2FsdA$hv3T3bO+SIWQsB1l0nKf9umg9qbHSXSaF6s0dStzDt0",
        "$scrypt$ln=30,r=8,p=1$c2FsdA$hv3T3bO+SIWQsB1l0nKf9umg9qbHSXSaF6s0dStzDt0",
    ] {
        let refused = app.cli_input(
            &["account", "import-password-hash", "--tenant", "acme", EMAIL],
            &[],
            hash,
        );
        assert!(!refused.status.success(), "{hash}");
        assert!(stderr(&refused).contains("more work"), "{}", stderr(&refused));
    }
    assert!(
        signed_in(&attempt(&app, PASSWORD).await),
        "the old hash stays"
    );

    // Planted behind the import's back: the sign-in fails like a wrong password.
    let db = Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    tessera::db::accounts::set_password_hash(
        &mut db.conn().unwrap(),
        &tenant_id,
        &account_id,
        &costly,
        0,
    )
    .unwrap();
    let page = attempt(&app, PASSWORD).await;
    assert!(!signed_in(&page));
    assert!(page.html.contains(FAILED), "{}", page.html);
}
both_engines!(costly_stored_hashes_are_never_verified);
