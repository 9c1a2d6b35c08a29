//! Retention (docs/privacy.md), with the clock moved forward: unused accounts are warned by
//! mail and erased only after the warning; a sign-in keeps them; old audit entries are
//! dropped behind a signed anchor and the chain still verifies (and a cut without the key is
//! caught); attribute values go when their schema retention runs out. Every round is run by
//! several "nodes" at once and each tenant's day happens once.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::TenantRouting;
use tessera::db::Db;
use tessera::keys::KeyStore;
use tessera::privacy::retention::{run_once, Round};

use crate::admin_matrix::{call, machine_admin};
use crate::both_engines;
use crate::browser::Browser;
use crate::helpers::{pool_options, vault, Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const DAY: i64 = 86_400;

fn now() -> i64 {
    tessera::domain::unix_now()
}

/// `nodes` rounds at the same moment, each on its own connection, as several servers would.
fn rounds_at_once(app: &TestApp, nodes: usize, at: i64) -> Vec<Round> {
    let keys = Arc::new(KeyStore::new(vault(app)));
    let handles: Vec<_> = (0..nodes)
        .map(|_| {
            let (url, keys) = (app.db.url.clone(), keys.clone());
            std::thread::spawn(move || {
                let db = Db::connect(&url, pool_options()).unwrap();
                run_once(&mut db.conn().unwrap(), &keys, at).unwrap()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn status(app: &TestApp, email_or_id: &str) -> String {
    let shown = app.cli_json(&["account", "show", "--tenant", "acme", email_or_id, "--json"]);
    shown["status"].as_str().unwrap_or_default().to_owned()
}

fn audit_actions(app: &TestApp) -> Vec<Value> {
    let output = app.cli(&["audit", "export", "--tenant", "acme"]);
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn sign_in(app: &TestApp, email: &str) {
    let browser = Browser::default();
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let page = browser
        .submit(&login, &[("email", email), ("password", PASSWORD)])
        .await;
    assert!(
        page.location.unwrap_or_default().ends_with("/account"),
        "signed in"
    );
}

/// Accounts unused for the period are warned 14 days before and then erased; signing in
/// answers the warning. Three nodes run each round at once: one warning per account, one
/// erasure, one run per tenant and day.
async fn unused_accounts_are_warned_then_erased(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let ada = app.create_account("acme", "ada@example.com", PASSWORD);
    let ada_id = ada["id"].as_str().unwrap().to_owned();
    app.create_account("acme", "grace@example.com", PASSWORD);
    // No policy: nothing happens, however old the accounts.
    let idle: Vec<Round> = rounds_at_once(&app, 2, now() + 400 * DAY);
    assert!(idle.iter().all(|r| r.tenants == 0));

    let refused = app.cli(&[
        "tenant",
        "policy",
        "acme",
        "--retention-inactive-days",
        "10",
    ]);
    assert!(
        !refused.status.success(),
        "shorter than twice the warning lead"
    );
    app.cli_json(&[
        "tenant",
        "policy",
        "acme",
        "--retention-inactive-days",
        "30",
        "--json",
    ]);
    let t0 = now();

    // Day 17: both are 16+ days unused: warned once each, by exactly one of three nodes.
    let rounds = rounds_at_once(&app, 3, t0 + 17 * DAY);
    assert_eq!(rounds.iter().map(|r| r.tenants).sum::<usize>(), 1);
    let mut warned: Vec<String> = rounds
        .iter()
        .flat_map(|r| r.warned.iter().map(|w| w.to.clone()))
        .collect();
    warned.sort();
    assert_eq!(warned, ["ada@example.com", "grace@example.com"]);
    assert_eq!(rounds.iter().map(|r| r.accounts_erased).sum::<usize>(), 0);
    // The same day again: already run.
    assert_eq!(rounds_at_once(&app, 1, t0 + 17 * DAY + 3600)[0].tenants, 0);

    // The warning goes out by mail (the file transport of this app).
    let round = rounds.into_iter().find(|r| r.tenants == 1).unwrap();
    let (mailer, from) = tessera::mail::Mailer::from_settings(&app.settings).unwrap();
    tessera::privacy::retention::send_warnings(&app.settings, &mailer, &from, round.warned).await;
    let mail_dir = app.settings.server.data_dir.join("mail");
    let mails: Vec<String> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .filter(|m| m.contains("will be deleted unless you sign in"))
        .collect();
    assert_eq!(mails.len(), 2, "{mail_dir:?}");
    assert!(mails.iter().any(|m| m.contains("To: ada@example.com")));
    // (Quoted-printable: the link's `=` is encoded.)
    assert!(mails[0].contains("/t/acme/login?next="), "{}", mails[0]);

    // Grace signs in: the warning is answered.
    sign_in(&app, "grace@example.com").await;

    // Day 31: Ada was warned 14 days ago and stayed away: erased (once, by one node). Grace
    // signed in after her warning, so she is not erased; she is unused again by then, and
    // warned anew: never erased without a warning 14 days before.
    let rounds = rounds_at_once(&app, 3, t0 + 31 * DAY);
    assert_eq!(rounds.iter().map(|r| r.tenants).sum::<usize>(), 1);
    assert_eq!(rounds.iter().map(|r| r.accounts_erased).sum::<usize>(), 1);
    let warned: Vec<String> = rounds
        .iter()
        .flat_map(|r| r.warned.iter().map(|w| w.to.clone()))
        .collect();
    assert_eq!(warned, ["grace@example.com"]);
    assert_eq!(status(&app, &ada_id), "deleted");
    assert_eq!(status(&app, "grace@example.com"), "active");

    let entries = audit_actions(&app);
    let count = |action: &str| entries.iter().filter(|e| e["action"] == action).count();
    assert_eq!(count("account.inactivity_warned"), 3);
    assert_eq!(count("account.erase"), 1);
    let erase = entries
        .iter()
        .find(|e| e["action"] == "account.erase")
        .unwrap();
    assert_eq!(erase["target"], ada_id.as_str());
    assert_eq!(erase["actor"], "system");
    let verify = app.cli(&["audit", "verify", "--tenant", "acme"]);
    assert!(verify.status.success());
}
both_engines!(unused_accounts_are_warned_then_erased);

/// Audit entries older than the retention go behind a signed anchor: the rest verifies, a
/// published checkpoint older than the cut no longer matters, and cutting more without the
/// tenant's key (or passing an ordinary checkpoint off as the anchor) is caught.
async fn old_audit_entries_are_dropped_behind_a_signed_anchor(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    for i in 0..5 {
        app.create_account("acme", &format!("user{i}@example.com"), PASSWORD);
    }
    let checkpoint = app.cli_json(&["audit", "checkpoint", "--tenant", "acme", "--json"]);
    let before = audit_actions(&app).len();
    assert!(before >= 5, "{before}");
    app.cli_json(&[
        "tenant",
        "policy",
        "acme",
        "--retention-audit-days",
        "7",
        "--json",
    ]);
    // Day 8: everything recorded until now is older than 7 days. Two nodes at once.
    let rounds = rounds_at_once(&app, 2, now() + 8 * DAY);
    assert_eq!(rounds.iter().map(|r| r.tenants).sum::<usize>(), 1);
    let dropped: usize = rounds.iter().map(|r| r.audit_entries_dropped).sum();
    // The policy change itself was recorded before the round, so it goes too.
    assert!(dropped > before, "{dropped} of {before}");
    let left = audit_actions(&app);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["action"], "audit.pruned");
    let details: Value = serde_json::from_str(left[0]["details"].as_str().unwrap()).unwrap();
    assert_eq!(details["entries"].as_u64(), Some(dropped as u64));

    // The chain verifies from its anchor, also against the checkpoint kept before the cut.
    let kept = app.settings.server.data_dir.join("checkpoint.jws");
    std::fs::write(&kept, checkpoint["jws"].as_str().unwrap()).unwrap();
    let verify = app.cli(&[
        "audit",
        "verify",
        "--tenant",
        "acme",
        "--checkpoint",
        kept.to_str().unwrap(),
        "--json",
    ]);
    let text = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert!(verify.status.success(), "{text}");
    let result: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(result["entries"], 1);
    assert_eq!(result["broken"], Value::Null);

    // The export carries the anchor with the checkpoints.
    let exported = app.cli(&["audit", "export", "--tenant", "acme", "--with-checkpoints"]);
    let exported = String::from_utf8_lossy(&exported.stdout).into_owned();
    let anchor: Value = exported
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l.get("anchor").is_some())
        .unwrap_or_else(|| panic!("no anchor line: {exported}"));
    assert!(anchor["anchor"]["seq"].as_i64().unwrap() >= before as i64);
    assert!(anchor["anchor"]["jws"].as_str().unwrap().contains('.'));

    // Keys rotate. The key that signs the anchor cannot be retired until a retention round
    // (any node's, hourly, or `tessera retention`) has signed the anchor again with the new
    // key; then the old keys go and the chain still verifies.
    app.cli_json(&["keys", "rotate", "--tenant", "acme", "--json"]);
    let keys = app.cli_json(&["keys", "list", "--tenant", "acme", "--json"]);
    let inactive: Vec<String> = keys
        .as_array()
        .unwrap_or_else(|| panic!("{keys}"))
        .iter()
        .filter(|k| k["status"] == "inactive")
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert!(!inactive.is_empty(), "{keys}");
    let refusals: Vec<String> = inactive
        .iter()
        .map(|kid| app.cli(&["keys", "retire", "--tenant", "acme", kid]))
        .filter(|out| !out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stderr).into_owned())
        .collect();
    assert_eq!(
        refusals.len(),
        1,
        "exactly the anchor's key is kept: {refusals:?}"
    );
    assert!(refusals[0].contains("retention anchor"), "{}", refusals[0]);
    let run = app.cli(&["retention", "--json"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let keys = app.cli_json(&["keys", "list", "--tenant", "acme", "--json"]);
    for key in keys.as_array().unwrap() {
        if key["status"] == "inactive" {
            let kid = key["kid"].as_str().unwrap();
            app.cli_json(&["keys", "retire", "--tenant", "acme", kid, "--json"]);
        }
    }
    let verify = app.cli(&["audit", "verify", "--tenant", "acme"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // Someone with the database but not the key: a genuine checkpoint, signed by the
    // current key, passed off as the anchor.
    let genuine = app.cli_json(&["audit", "checkpoint", "--tenant", "acme", "--json"]);
    let db = Db::connect(&app.db.url, pool_options()).unwrap();
    let mut conn = db.conn().unwrap();
    let forged = format!(
        "UPDATE audit_chain_heads SET base_jws = '{}'",
        genuine["jws"].as_str().unwrap()
    );
    diesel::RunQueryDsl::execute(diesel::sql_query(forged), &mut conn).unwrap();
    let verify = app.cli(&["audit", "verify", "--tenant", "acme"]);
    assert!(!verify.status.success());
    assert!(
        String::from_utf8_lossy(&verify.stdout).contains("without this tenant's signed anchor"),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}
both_engines!(old_audit_entries_are_dropped_behind_a_signed_anchor);

/// The attribute schema: types checked, sensitive values masked for administrators without
/// `pii:read` (a reveal names the fields and is audited), declared attributes released as
/// claims only with their scope, and values dropped when their retention runs out.
async fn the_attribute_schema_checks_masks_releases_and_expires(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", "ada@example.com", PASSWORD);
    let account_id = account["id"].as_str().unwrap().to_owned();
    let (_, admin) = machine_admin(&app, "acme", &["settings:write", "accounts:read"]).await;
    let (_, reader) = machine_admin(&app, "acme", &["accounts:read", "pii:read"]).await;
    let post = reqwest::Method::POST;

    // Declared at once by several administrators: one wins, the others are told it exists.
    let team = json!({ "name": "team", "kind": "string", "claim_scope": "profile" });
    let attempts = (0..4).map(|_| {
        call(
            &app,
            reqwest::Method::POST,
            "acme",
            "/attributes",
            Some(&admin),
            Some(team.clone()),
        )
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|(status, _, _)| status)
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT));
    for body in [
        json!({ "name": "birthdate", "kind": "date", "sensitive": true, "claim_scope": "profile" }),
        json!({ "name": "salary", "kind": "number", "sensitive": true, "retention_days": 30 }),
    ] {
        let (status, answer, _) = call(
            &app,
            post.clone(),
            "acme",
            "/attributes",
            Some(&admin),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    for (body, why) in [
        (
            json!({ "name": "email", "kind": "string", "claim_scope": "profile" }),
            "reserved claim",
        ),
        (
            json!({ "name": "x", "kind": "string", "claim_scope": "tessera:admin" }),
            "scope",
        ),
        (json!({ "name": "9x", "kind": "string" }), "name"),
        (json!({ "name": "y", "kind": "colour" }), "kind"),
        (
            json!({ "name": "z", "kind": "string", "retention_days": 0 }),
            "retention",
        ),
    ] {
        let (status, _, _) = call(
            &app,
            post.clone(),
            "acme",
            "/attributes",
            Some(&admin),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}");
    }

    // Types are enforced on profiles; undeclared attributes are still accepted.
    let wrong = app.cli(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        "ada@example.com",
        "--name",
        "Work",
        "--attributes",
        r#"{"birthdate": "10 December 1815"}"#,
    ]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("must be a date"));
    let profile = account["profiles"][0]["id"].as_str().unwrap().to_owned();
    app.cli_json(&[
        "profile",
        "update",
        "--tenant",
        "acme",
        &profile,
        "--attributes",
        r#"{"team": "engines", "birthdate": "1815-12-10", "salary": 100, "nickname": "Enchantress"}"#,
        "--json",
    ]);

    // Administrators see sensitive and undeclared values masked…
    let path = format!("/accounts/{account_id}");
    let (status, detail, _) = call(
        &app,
        reqwest::Method::GET,
        "acme",
        &path,
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let attributes = &detail["profiles"][0]["attributes"];
    assert_eq!(attributes["team"], "engines");
    for masked in ["birthdate", "salary", "nickname"] {
        assert_eq!(attributes[masked], "••••", "{masked}: {detail}");
    }
    // …a reveal without pii:read is refused, and one with it names the fields and the reason.
    let reveal = format!("{path}?reveal_reason=payroll%20check");
    let (status, _, _) = call(
        &app,
        reqwest::Method::GET,
        "acme",
        &reveal,
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, detail, _) = call(
        &app,
        reqwest::Method::GET,
        "acme",
        &reveal,
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["profiles"][0]["attributes"]["salary"], 100);
    let reveals: Vec<Value> = audit_actions(&app)
        .into_iter()
        .filter(|e| e["action"] == "pii.reveal")
        .collect();
    assert_eq!(reveals.len(), 1);
    let details: Value = match &reveals[0]["details"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    };
    assert_eq!(details["reason"], "payroll check");
    let fields: Vec<&str> = details["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for field in [
        "email",
        "attributes.birthdate",
        "attributes.salary",
        "attributes.nickname",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert!(!fields.contains(&"attributes.team"), "not sensitive");

    // Tokens carry declared attributes of granted scopes only.
    let rp = crate::flow::register_rp(&app, "acme", &["--consent", "skip"]);
    let browser = Browser::default();
    let (verifier, challenge) = crate::flow::pkce();
    let url = crate::flow::authorize_url(&app, "acme", &rp, &challenge, &[]);
    let back = crate::flow::sign_in(&browser, &url, "ada@example.com", PASSWORD).await;
    let code = back.query_param("code").expect("a code");
    let tokens: Value = crate::flow::exchange(&app, "acme", &rp, &code, Some(&verifier))
        .await
        .json()
        .await
        .unwrap();
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
    assert_eq!(userinfo["team"], "engines");
    assert_eq!(userinfo["birthdate"], "1815-12-10");
    assert!(userinfo.get("salary").is_none(), "no releasing scope");
    assert!(userinfo.get("nickname").is_none(), "undeclared");
    let id_token = tokens["id_token"].as_str().unwrap();
    let payload = id_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["team"], "engines");
    assert!(claims.get("salary").is_none());

    // The salary is kept 30 days after it was set; two nodes at once drop it once.
    let rounds = rounds_at_once(&app, 2, now() + 31 * DAY);
    assert_eq!(
        rounds.iter().map(|r| r.attributes_dropped).sum::<usize>(),
        1
    );
    let profiles = app.cli_json(&[
        "profile",
        "list",
        "--tenant",
        "acme",
        "--account",
        "ada@example.com",
        "--json",
    ]);
    let attributes = &profiles[0]["attributes"];
    assert!(attributes.get("salary").is_none(), "{attributes}");
    assert_eq!(attributes["team"], "engines");
    assert_eq!(attributes["nickname"], "Enchantress");
}
both_engines!(the_attribute_schema_checks_masks_releases_and_expires);
