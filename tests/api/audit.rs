//! The hash-chained audit log: events recorded, no secrets in it, and `tessera audit verify`
//! catching an edited row and a deleted row.

use diesel::connection::SimpleConnection;
use serde_json::Value;
use tessera::config::TenantRouting;
use tessera::db::Db;

use crate::both_engines;
use crate::browser::Browser;
use crate::flow::{authorize_url, exchange, pkce, register_rp};
use crate::helpers::{stderr, Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";

fn export(app: &TestApp) -> Vec<Value> {
    let output = app.cli(&["audit", "export", "--tenant", "acme"]);
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn tamper(app: &TestApp, sql: &str) {
    let db = Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    db.conn().unwrap().batch_execute(sql).unwrap();
}

async fn audit_chain_records_and_detects_tampering(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    // A failed and a successful sign-in, a token, a revocation, a rotation, a suspension.
    let browser = Browser::default();
    let (verifier, challenge) = pkce();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&app, "acme", &rp, &challenge, &[]))
                .await,
            "http://127.0.0.1:9",
        )
        .await;
    let retry = browser
        .submit(
            &login,
            &[("email", EMAIL), ("password", "wrong password!!")],
        )
        .await;
    let back = browser
        .submit(&retry, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    let response = exchange(
        &app,
        "acme",
        &rp,
        &back.query_param("code").unwrap(),
        Some(&verifier),
    )
    .await;
    let issued: Value = response.json().await.unwrap();
    let refresh = issued["refresh_token"].as_str().unwrap();
    app.post_form(
        "acme",
        "/revoke",
        &[("token", refresh)],
        Some((&rp.id, &rp.secret)),
    )
    .await;
    app.cli_json(&[
        "keys", "rotate", "--tenant", "acme", "--alg", "ES256", "--json",
    ]);
    app.cli_json(&["account", "suspend", "--tenant", "acme", EMAIL, "--json"]);

    let events = export(&app);
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "client.create",
        "signin.failure",
        "signin.success",
        "token.issue",
        "token.revoke",
        "keys.rotate",
        "account.suspend",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>());
    // No secrets: not the client secret, not a password, not a token.
    let all = serde_json::to_string(&events).unwrap();
    for secret in [
        rp.secret.as_str(),
        PASSWORD,
        "wrong password!!",
        refresh,
        issued["access_token"].as_str().unwrap(),
    ] {
        assert!(!all.contains(secret), "a secret reached the audit log");
    }
    let verified = app.cli_json(&["audit", "verify", "--tenant", "acme", "--json"]);
    assert_eq!(verified["entries"], events.len());
    assert!(verified["broken"].is_null());

    // An edited row is caught, at that row.
    tamper(
        &app,
        "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2",
    );
    let edited = app.cli(&["audit", "verify", "--tenant", "acme"]);
    assert!(!edited.status.success());
    assert!(
        stderr(&edited).contains("entry 2 was modified"),
        "{}",
        stderr(&edited)
    );
    tamper(
        &app,
        &format!(
            "UPDATE audit_events SET actor = '{}' WHERE seq = 2",
            events[1]["actor"].as_str().unwrap()
        ),
    );
    assert!(
        app.cli(&["audit", "verify", "--tenant", "acme"])
            .status
            .success(),
        "restored"
    );
    // A deleted row is caught too.
    tamper(&app, "DELETE FROM audit_events WHERE seq = 3");
    let deleted = app.cli(&["audit", "verify", "--tenant", "acme"]);
    assert!(!deleted.status.success());
    assert!(
        stderr(&deleted).contains("entry 3 is missing"),
        "{}",
        stderr(&deleted)
    );
}
both_engines!(audit_chain_records_and_detects_tampering);

async fn command_line_changes_are_audited(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", "ada@example.com", "correct horse battery staple");
    let id = account["id"].as_str().unwrap();
    let profile = app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        id,
        "--name",
        "Work",
        "--json",
    ]);
    let profile_id = profile["id"].as_str().unwrap();
    app.cli_json(&[
        "profile", "rename", "--tenant", "acme", profile_id, "--name", "Office", "--json",
    ]);
    app.cli_json(&[
        "profile", "delete", "--tenant", "acme", profile_id, "--json",
    ]);
    app.cli_json(&["account", "unlock", "--tenant", "acme", id, "--json"]);
    app.cli_json(&[
        "tenant",
        "policy",
        "acme",
        "--password-min-length",
        "14",
        "--json",
    ]);
    app.cli_json(&["tenant", "policy", "acme", "--json"]);
    app.cli_json(&["tenant", "suspend", "acme", "--json"]);
    app.cli_json(&["tenant", "resume", "acme", "--json"]);

    let chain = |slug: &str| -> Vec<serde_json::Value> {
        let export = app.cli(&["audit", "export", "--tenant", slug]);
        String::from_utf8_lossy(&export.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let acme = chain("acme");
    for action in [
        "account.create",
        "profile.create",
        "profile.rename",
        "profile.delete",
        "account.unlock",
        "settings.policy",
    ] {
        assert!(
            acme.iter()
                .any(|e| e["action"] == action && e["actor"] == "cli"),
            "{action} in {acme:?}"
        );
    }
    let policies = acme
        .iter()
        .filter(|e| e["action"] == "settings.policy")
        .count();
    assert_eq!(
        policies, 1,
        "showing the policy changes nothing and records nothing"
    );
    let platform = chain("_platform");
    for action in ["tenant.create", "tenant.suspend", "tenant.resume"] {
        assert!(
            platform
                .iter()
                .any(|e| e["action"] == action && e["actor"] == "cli" && e["target"] == "acme"),
            "{action} in {platform:?}"
        );
    }
    for slug in ["acme", "_platform"] {
        assert!(app
            .cli(&["audit", "verify", "--tenant", slug])
            .status
            .success());
    }
}
both_engines!(command_line_changes_are_audited);

/// Someone with write access to the database removes the newest audit entries and rewinds
/// the chain head to match: the chain alone still verifies. A signed checkpoint taken before
/// (stored, or a copy kept outside the database) shows the cut; a forged one is refused.
async fn signed_checkpoints_catch_truncation(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    for _ in 0..4 {
        register_rp(&app, "acme", &[]);
    }
    let taken = app.cli(&["audit", "checkpoint", "--tenant", "acme", "--json"]);
    assert!(taken.status.success(), "{}", stderr(&taken));
    let checkpoint: Value = serde_json::from_slice(&taken.stdout).unwrap();
    let seq = checkpoint["seq"].as_i64().unwrap();
    assert!(seq >= 4, "{checkpoint}");
    let jws = checkpoint["jws"].as_str().unwrap().to_owned();

    // Published for anyone to keep; signed with a key in the tenant's JWKS.
    let published: Value = app
        .get_tenant("acme", "/audit/checkpoints")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["checkpoints"][0]["jws"], jws.as_str());
    let kid = tessera::keys::decode_header(&jws)
        .unwrap()
        .key_id()
        .unwrap()
        .to_owned();
    let jwks: Value = app
        .get_tenant("acme", "/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == kid.as_str()));
    // Exported with the log on request.
    let exported = app.cli(&["audit", "export", "--tenant", "acme", "--with-checkpoints"]);
    let last: Value = serde_json::from_str(
        String::from_utf8_lossy(&exported.stdout)
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(last["checkpoint"]["jws"], jws.as_str());
    let kept = app.db.dir.path().join("checkpoint.jws");
    std::fs::write(&kept, &jws).unwrap();
    let kept = kept.to_str().unwrap();
    let verify = |extra: &[&str]| {
        let mut args = vec!["audit", "verify", "--tenant", "acme"];
        args.extend_from_slice(extra);
        app.cli(&args)
    };
    assert!(verify(&["--checkpoint", kept]).status.success());

    // Cut the newest two entries and rewind the head consistently.
    let cut = seq - 2;
    tamper(
        &app,
        &format!(
            "DELETE FROM audit_events WHERE seq > {cut}; \
             UPDATE audit_chain_heads SET seq = {cut}, \
               hash = (SELECT hash FROM audit_events e WHERE e.seq = {cut} \
                       AND e.tenant_id = audit_chain_heads.tenant_id) \
             WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'acme')"
        ),
    );
    let stored = verify(&[]);
    assert!(!stored.status.success());
    assert!(
        stderr(&stored).contains("newest entries were removed"),
        "{}",
        stderr(&stored)
    );
    // The stored checkpoints removed too: the copy kept elsewhere still shows the cut.
    tamper(&app, "DELETE FROM audit_checkpoints");
    assert!(verify(&[]).status.success(), "the chain alone looks whole");
    let held = verify(&["--checkpoint", kept]);
    assert!(!held.status.success());
    assert!(
        stderr(&held).contains("newest entries were removed"),
        "{}",
        stderr(&held)
    );

    // A forged checkpoint (not signed by the tenant's key) is refused, not trusted.
    let mut parts: Vec<&str> = jws.split('.').collect();
    let forged_payload = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"tenant":"x","seq":1,"hash":"h","iat":0}"#)
    };
    parts[1] = &forged_payload;
    let forged = app.db.dir.path().join("forged.jws");
    std::fs::write(&forged, parts.join(".")).unwrap();
    let refused = verify(&["--checkpoint", forged.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("signature"),
        "{}",
        stderr(&refused)
    );
}
both_engines!(signed_checkpoints_catch_truncation);

/// Servers sign checkpoints on their own, and only when the chain moved.
async fn servers_sign_checkpoints_on_their_own(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| s.audit.checkpoint_interval_secs = 1).await;
    app.create_tenant("acme");
    register_rp(&app, "acme", &[]);
    let listed = || async {
        let published: Value = app
            .get_tenant("acme", "/audit/checkpoints")
            .await
            .json()
            .await
            .unwrap();
        published["checkpoints"].as_array().unwrap().clone()
    };
    crate::helpers::eventually("a checkpoint", || async { !listed().await.is_empty() }).await;
    let first = listed().await;
    let head = first[0]["seq"].as_i64().unwrap();
    register_rp(&app, "acme", &[]);
    crate::helpers::eventually("a newer checkpoint", || async {
        listed().await[0]["seq"].as_i64().unwrap() > head
    })
    .await;
    let seqs: Vec<i64> = listed()
        .await
        .iter()
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    let mut unique = seqs.clone();
    unique.dedup();
    assert_eq!(seqs, unique, "one checkpoint per head");
}
both_engines!(servers_sign_checkpoints_on_their_own);

/// Several nodes sign the same head at once: each succeeds, one checkpoint is kept.
async fn concurrent_checkpoints_keep_one(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| s.audit.checkpoint_interval_secs = 0).await;
    app.create_tenant("acme");
    register_rp(&app, "acme", &[]);
    let nodes: Vec<_> = (0..3)
        .map(|_| {
            crate::helpers::cli_command(
                &app.db,
                &app.settings,
                Some(&app.master_key),
                &["audit", "checkpoint", "--tenant", "acme", "--json"],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut seqs = Vec::new();
    for node in nodes {
        let output = node.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let checkpoint: Value = serde_json::from_slice(&output.stdout).unwrap();
        seqs.push(checkpoint["seq"].as_i64().unwrap());
    }
    assert!(seqs.windows(2).all(|w| w[0] == w[1]), "{seqs:?}");
    let published: Value = app
        .get_tenant("acme", "/audit/checkpoints")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["checkpoints"].as_array().unwrap().len(), 1);
    assert!(app
        .cli(&["audit", "verify", "--tenant", "acme"])
        .status
        .success());
}
both_engines!(concurrent_checkpoints_keep_one);
