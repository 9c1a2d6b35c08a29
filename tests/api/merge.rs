//! Merging two accounts of one person (the admin API and the CLI): profiles move with their
//! roles and keep their ids, the merged account's sessions and tokens end, and it becomes a
//! tombstone that names the account it went into.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::admin_matrix::{call, machine_admin};
use crate::both_engines;
use crate::browser::Browser;
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const ADA: &str = "ada@example.com";
const ADA_WORK: &str = "ada.work@example.com";
const RP: &str = "http://127.0.0.1:9";

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

fn profiles_of(app: &TestApp, account: &str) -> Vec<Value> {
    let list = app.cli_json(&[
        "profile",
        "list",
        "--tenant",
        "acme",
        "--account",
        account,
        "--json",
    ]);
    list.as_array().unwrap().clone()
}

fn audit_entries(app: &TestApp) -> Vec<Value> {
    let out = app.cli(&["audit", "export", "--tenant", "acme"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Two accounts: A (Ada, Work) and B (Work with a role, Side). Returns their ids.
fn two_accounts(app: &TestApp) -> (String, String) {
    let a = id(&app.create_account("acme", ADA, PASSWORD));
    app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        ADA,
        "--name",
        "Work",
        "--json",
    ]);
    let b = app.create_account("acme", ADA_WORK, PASSWORD);
    let b_id = id(&b);
    let b_work = b["profiles"][0]["id"].as_str().unwrap().to_owned();
    app.cli_json(&[
        "profile", "rename", "--tenant", "acme", &b_work, "--name", "Work", "--json",
    ]);
    app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        ADA_WORK,
        "--name",
        "Side",
        "--json",
    ]);
    app.cli_json(&["role", "create", "--tenant", "acme", "engineer", "--json"]);
    app.cli_json(&[
        "role",
        "grant",
        "--tenant",
        "acme",
        "engineer",
        "--profile",
        &b_work,
        "--json",
    ]);
    (a, b_id)
}

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let browser = Browser::default();
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let done = browser
        .submit(&login, &[("email", email), ("password", PASSWORD)])
        .await;
    let page = browser.follow(done, RP).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    browser
}

async fn two_accounts_become_one(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (a, b) = two_accounts(&app);
    let b_profiles: Vec<String> = profiles_of(&app, ADA_WORK).iter().map(id).collect();
    let laptop = signed_in(&app, ADA_WORK).await;
    let (_, token) = machine_admin(&app, "acme", &["accounts:read", "accounts:write"]).await;

    // The preview names what moves, and changes nothing.
    let (status, plan, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/accounts/{a}/merge?from={b}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let names: Vec<(&str, &str)> = plan["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["new_name"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("Work", "Work (2)"), ("Side", "Side")], "{plan}");
    assert_eq!(plan["sessions"], 1);
    assert_eq!(profiles_of(&app, ADA_WORK).len(), 2);

    // Refusals: itself, and a body it cannot read.
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{a}/merge"),
        Some(&token),
        Some(json!({"from": a})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{a}/merge"),
        Some(&token),
        Some(json!({"account": b})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, moved, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{a}/merge"),
        Some(&token),
        Some(json!({"from": b})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["profiles"], plan["profiles"]);

    // A holds all four profiles, B's under their ids, with the role; names are unique.
    let (_, detail, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/accounts/{a}"),
        Some(&token),
        None,
    )
    .await;
    let profiles = detail["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 4, "{detail}");
    for moved in &b_profiles {
        assert!(
            profiles.iter().any(|p| p["id"] == moved.as_str()),
            "{moved} in {detail}"
        );
    }
    let work2 = profiles
        .iter()
        .find(|p| p["name"] == "Work (2)")
        .expect("renamed");
    assert_eq!(work2["roles"], json!(["engineer"]));
    assert_eq!(
        profiles.iter().filter(|p| p["is_default"] == true).count(),
        1
    );

    // B is a tombstone that names A; its session ended; its address signs nobody in and is
    // free for a new account.
    let (_, tomb, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/accounts/{b}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(tomb["status"], "deleted", "{tomb}");
    assert_eq!(tomb["merged_into"], a.as_str(), "{tomb}");
    let page = laptop.get(&app.tenant_url("acme", "/account")).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "B's session survived the merge"
    );
    let browser = Browser::default();
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let refused = browser
        .submit(&login, &[("email", ADA_WORK), ("password", PASSWORD)])
        .await;
    assert_ne!(refused.status, StatusCode::SEE_OTHER, "{}", refused.html);
    app.create_account("acme", ADA_WORK, "another passphrase entirely");

    // Done once: again, it is refused.
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{a}/merge"),
        Some(&token),
        Some(json!({"from": b})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let entries = audit_entries(&app);
    let merge = entries
        .iter()
        .find(|e| e["action"] == "account.merge")
        .unwrap();
    assert_eq!(merge["target"], a.as_str());
    let merged = entries
        .iter()
        .find(|e| e["action"] == "account.merged_into")
        .unwrap();
    assert_eq!(merged["target"], b.as_str());
    let details: Value = serde_json::from_str(merged["details"].as_str().unwrap()).unwrap();
    assert_eq!(details["into"], a.as_str());
}

both_engines!(two_accounts_become_one);

/// A into B and B into A at the same moment: one wins, nothing deadlocks, no profile is lost
/// or doubled.
async fn opposite_merges_at_once(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (a, b) = two_accounts(&app);
    let (_, token) = machine_admin(&app, "acme", &["accounts:read", "accounts:write"]).await;
    let merge = |into: &str, from: &str| {
        let (path, body) = (format!("/accounts/{into}/merge"), json!({ "from": from }));
        let (app, token) = (&app, token.clone());
        async move { call(app, Method::POST, "acme", &path, Some(&token), Some(body)).await }
    };
    let (x, y) = tokio::join!(merge(&a, &b), merge(&b, &a));
    let statuses = [x.0, y.0];
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{x:?} {y:?}"
    );
    assert!(statuses.contains(&StatusCode::CONFLICT), "{x:?} {y:?}");
    let survivor = if x.0 == StatusCode::OK { &a } else { &b };
    let (_, detail, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/accounts/{survivor}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(detail["profiles"].as_array().unwrap().len(), 4, "{detail}");
    let entries = audit_entries(&app);
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "account.merge")
            .count(),
        1
    );
}

both_engines!(opposite_merges_at_once);

/// The CLI: a dry run changes nothing; the merge reports what moved.
async fn the_cli_merges(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (a, b) = two_accounts(&app);
    let dry = app.cli_json(&[
        "account",
        "merge",
        "--tenant",
        "acme",
        "--into",
        ADA,
        "--from",
        ADA_WORK,
        "--dry-run",
        "--json",
    ]);
    assert_eq!(dry["merged"], false);
    assert_eq!(dry["profiles"].as_array().unwrap().len(), 2);
    assert_eq!(
        profiles_of(&app, ADA_WORK).len(),
        2,
        "a dry run moves nothing"
    );
    let done = app.cli_json(&[
        "account", "merge", "--tenant", "acme", "--into", &a, "--from", &b, "--json",
    ]);
    assert_eq!(done["merged"], true);
    assert_eq!(done["into"], a.as_str());
    assert_eq!(profiles_of(&app, ADA).len(), 4);
    let again = app.cli(&[
        "account", "merge", "--tenant", "acme", "--into", &a, "--from", &b,
    ]);
    assert!(!again.status.success());
}

both_engines!(the_cli_merges);
