//! Moving a profile to a new account for another address ("split"): from `/account`, the
//! API, the console and the CLI. The profile keeps its id, roles and consents; the new owner
//! is invited; what was issued for it ends.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera::config::TenantRouting;

use crate::admin_matrix::{call, machine_admin};
use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{Engine, TestApp};
use crate::invitations::{accept, next_invitation};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const KID: &str = "kid@example.com";
const RP: &str = "http://127.0.0.1:9";

async fn sign_in(app: &TestApp, browser: &Browser, email: &str) -> Page {
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let done = browser
        .submit(&login, &[("email", email), ("password", PASSWORD)])
        .await;
    browser.follow(done, RP).await
}

async fn act(
    app: &TestApp,
    browser: &Browser,
    page: &Page,
    action: &str,
    fields: &[(&str, &str)],
) -> Page {
    let csrf = page.field("csrf_token").expect("csrf token");
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    let url = app.tenant_url("acme", &format!("/account/{action}"));
    let response = browser.post(&url, &form).await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{action}: {}",
        response.html
    );
    browser.follow(response, RP).await
}

/// An account with a default profile "Ada" and a second one, "Kid", holding a role.
fn family(app: &TestApp) -> (String, String) {
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let account = account["id"].as_str().unwrap().to_owned();
    let kid = app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--name",
        "Kid",
        "--json",
    ]);
    let kid = kid["id"].as_str().unwrap().to_owned();
    app.cli_json(&["role", "create", "--tenant", "acme", "pupil", "--json"]);
    app.cli_json(&[
        "role",
        "grant",
        "--tenant",
        "acme",
        "pupil",
        "--profile",
        &kid,
        "--json",
    ]);
    (account, kid)
}

/// The id of the account with this address (through the API).
async fn landed_account(app: &TestApp, token: &str, email: &str) -> String {
    let (status, found, _) = call(
        app,
        Method::GET,
        "acme",
        &format!("/accounts?email={email}"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    found["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{found}"))
        .to_owned()
}

async fn a_user_gives_a_profile_its_own_account(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (account, kid) = family(&app);
    app.create_account("acme", "taken@example.com", PASSWORD);
    let laptop = Browser::default();
    let page = sign_in(&app, &laptop, EMAIL).await;
    assert!(
        page.html.contains("Give this profile its own account"),
        "{}",
        page.html
    );

    // Refusals first: each leaves everything as it was.
    let wrong = act(
        &app,
        &laptop,
        &page,
        "profile/move",
        &[
            ("profile_id", &kid),
            ("email", KID),
            ("current_password", "wrong password"),
        ],
    )
    .await;
    assert!(
        wrong.html.contains("current password is not correct"),
        "{}",
        wrong.html
    );
    let taken = act(
        &app,
        &laptop,
        &wrong,
        "profile/move",
        &[
            ("profile_id", &kid),
            ("email", "taken@example.com"),
            ("current_password", PASSWORD),
        ],
    )
    .await;
    assert!(
        taken.html.contains("already has an account"),
        "{}",
        taken.html
    );
    assert_eq!(app.profiles_of("acme", EMAIL).len(), 2);

    let moved = act(
        &app,
        &laptop,
        &taken,
        "profile/move",
        &[
            ("profile_id", &kid),
            ("email", KID),
            ("current_password", PASSWORD),
        ],
    )
    .await;
    assert!(moved.html.contains("The profile moved"), "{}", moved.html);
    // The old account keeps its other profile, default; the move form is gone with the last
    // profile left.
    let left = app.profiles_of("acme", EMAIL);
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0]["name"], "ada",
        "the default profile is named after the address"
    );
    assert_eq!(left[0]["is_default"], true);
    assert!(!moved.html.contains("Give this profile its own account"));

    // The new owner accepts the invitation and lands signed in, as the same profile, with
    // its role.
    let mail = next_invitation(&app, KID, &[]).await;
    let owner = Browser::default();
    let (_, landed) = accept(&app, &owner, &mail.link, "the kid's own passphrase").await;
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.html);
    let theirs = app.profiles_of("acme", KID);
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["id"], kid.as_str());
    assert_eq!(theirs[0]["is_default"], true);
    let (_, token) = machine_admin(&app, "acme", &["accounts:read"]).await;
    let new_account = landed_account(&app, &token, KID).await;
    let (_, detail, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/accounts/{new_account}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(detail["profiles"][0]["id"], kid.as_str(), "{detail}");
    assert_eq!(detail["profiles"][0]["roles"], json!(["pupil"]), "{detail}");

    // Audited on both accounts.
    let entries = app.audit_entries("acme");
    let split = entries
        .iter()
        .find(|e| e["action"] == "account.split")
        .expect("account.split");
    assert_eq!(split["target"], account.as_str());
    let created = entries
        .iter()
        .find(|e| e["action"] == "account.created_by_split")
        .expect("account.created_by_split");
    // The export keeps each entry's details as the JSON text that was hashed into the chain.
    let details: Value = serde_json::from_str(created["details"].as_str().unwrap()).unwrap();
    assert_eq!(details["profile_id"], kid.as_str());
    assert_eq!(details["from_account"], account.as_str());
}

both_engines!(a_user_gives_a_profile_its_own_account);

/// Through the API: moves of one account's profiles at once keep it at least one, and one
/// profile moves once.
async fn concurrent_moves_keep_the_last_profile(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (account, kid) = family(&app);
    let ada = app
        .profiles_of("acme", EMAIL)
        .into_iter()
        .find(|p| p["name"] == "ada")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, token) = machine_admin(&app, "acme", &["accounts:write", "accounts:read"]).await;
    let path = |profile: &str| format!("/accounts/{account}/profiles/{profile}/move");

    // A body the API cannot read, and an address that is not one: 400, nothing moved.
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        &path(&kid),
        Some(&token),
        Some(json!({"mail": KID})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        &path(&kid),
        Some(&token),
        Some(json!({"email": "nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Both profiles at once, and the same profile twice: the account keeps one, each profile
    // moves at most once.
    let (kid_path, ada_path) = (path(&kid), path(&ada));
    let (a, b, c) = tokio::join!(
        call(
            &app,
            Method::POST,
            "acme",
            &kid_path,
            Some(&token),
            Some(json!({"email": KID}))
        ),
        call(
            &app,
            Method::POST,
            "acme",
            &ada_path,
            Some(&token),
            Some(json!({"email": "ada2@example.com"}))
        ),
        call(
            &app,
            Method::POST,
            "acme",
            &kid_path,
            Some(&token),
            Some(json!({"email": "kid2@example.com"}))
        ),
    );
    let statuses = [a.0, b.0, c.0];
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?} {a:?} {b:?} {c:?}"
    );
    for refused in [&a, &b, &c].iter().filter(|r| r.0 != StatusCode::CREATED) {
        assert!(
            matches!(refused.0, StatusCode::CONFLICT | StatusCode::NOT_FOUND),
            "{refused:?}"
        );
    }
    assert_eq!(app.profiles_of("acme", EMAIL).len(), 1);
    let winner = [&a, &b, &c]
        .into_iter()
        .find(|r| r.0 == StatusCode::CREATED)
        .unwrap();
    let new_account = winner.1["account_id"].as_str().unwrap();
    let (status, detail, _) = call(
        &app,
        Method::GET,
        "acme",
        &format!("/accounts/{new_account}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["profiles"].as_array().unwrap().len(), 1, "{detail}");
    // Exactly one new account exists besides the first one (and the client's).
    let entries = app.audit_entries("acme");
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "account.split")
            .count(),
        1
    );
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "account.created_by_split")
            .count(),
        1
    );
    // The last profile stays.
    let last = app.profiles_of("acme", EMAIL)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, _) = call(
        &app,
        Method::POST,
        "acme",
        &path(&last),
        Some(&token),
        Some(json!({"email": "ada3@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

both_engines!(concurrent_moves_keep_the_last_profile);

/// From the console and the CLI, with what was issued for the profile revoked: a session
/// acting as it chooses again.
async fn the_console_and_the_cli_move_profiles(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (account, kid) = family(&app);
    app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--name",
        "Grandpa",
        "--json",
    ]);
    // The CLI.
    let moved = app.cli_json(&[
        "profile", "move", "--tenant", "acme", &kid, "--email", KID, "--json",
    ]);
    assert_eq!(moved["profile_id"], kid.as_str());
    assert_eq!(moved["from_account"], account.as_str());
    assert_eq!(moved["email"], KID);
    assert_eq!(app.profiles_of("acme", KID)[0]["id"], kid.as_str());
    let again = app.cli(&[
        "profile",
        "move",
        "--tenant",
        "acme",
        &kid,
        "--email",
        "other@example.com",
    ]);
    assert!(
        !again.status.success(),
        "a moved profile is not the old account's any more"
    );

    // The console: an administrator moves Grandpa.
    let grandpa = app
        .profiles_of("acme", EMAIL)
        .into_iter()
        .find(|p| p["name"] == "Grandpa")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let operator = app.create_account("acme", "operator@example.com", PASSWORD);
    crate::admin_console::grant(
        &app,
        "acme",
        &operator,
        &["accounts:read", "accounts:write"],
    );
    let (admin, _) =
        crate::admin_console::console_sign_in(&app, "acme", "operator@example.com").await;
    let page = admin
        .get(&app.tenant_url("acme", &format!("/admin/accounts/{account}")))
        .await;
    assert!(
        page.html.contains("Move a profile to a new account"),
        "{}",
        page.html
    );
    let csrf = page.field("csrf_token").unwrap();
    let answer = admin
        .post(
            &app.tenant_url("acme", &format!("/admin/accounts/{account}/move-profile")),
            &[
                ("csrf_token", &csrf),
                ("profile_id", &grandpa),
                ("email", "grandpa@example.com"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    let landed = admin.follow(answer, RP).await;
    assert!(
        landed
            .html
            .contains("The profile moved to this new account"),
        "{}",
        landed.html
    );
    assert_eq!(
        app.profiles_of("acme", "grandpa@example.com")[0]["id"],
        grandpa.as_str()
    );
    assert_eq!(app.profiles_of("acme", EMAIL).len(), 1);
    next_invitation(&app, "grandpa@example.com", &[]).await;
}

both_engines!(the_console_and_the_cli_move_profiles);

/// `accounts:write` alone moves no profile that holds more than the caller does, and merges
/// no such account: nobody carries an administrator's roles into an account they control.
async fn a_weaker_administrator_moves_no_power(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (account, kid) = family(&app);
    app.cli_json(&["role", "create", "--tenant", "acme", "operators", "--json"]);
    app.cli_json(&[
        "role",
        "permit",
        "--tenant",
        "acme",
        "operators",
        "clients:write",
        "--json",
    ]);
    app.cli_json(&[
        "role",
        "grant",
        "--tenant",
        "acme",
        "operators",
        "--profile",
        &kid,
        "--json",
    ]);
    let mine = app.create_account("acme", "mallory@example.com", PASSWORD);
    let mine = mine["id"].as_str().unwrap().to_owned();
    let (_, weak) = machine_admin(&app, "acme", &["accounts:write"]).await;
    let moved = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{account}/profiles/{kid}/move"),
        Some(&weak),
        Some(json!({"email": "mallory2@example.com"})),
    )
    .await;
    assert_eq!(moved.0, StatusCode::FORBIDDEN, "{moved:?}");
    let merged = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{mine}/merge"),
        Some(&weak),
        Some(json!({"from": account})),
    )
    .await;
    assert_eq!(merged.0, StatusCode::FORBIDDEN, "{merged:?}");
    assert_eq!(app.profiles_of("acme", EMAIL).len(), 2, "nothing moved");
    // Holding what the profile holds, the same requests go through.
    let (_, strong) = machine_admin(&app, "acme", &["accounts:write", "clients:write"]).await;
    let moved = call(
        &app,
        Method::POST,
        "acme",
        &format!("/accounts/{account}/profiles/{kid}/move"),
        Some(&strong),
        Some(json!({"email": KID})),
    )
    .await;
    assert_eq!(moved.0, StatusCode::CREATED, "{moved:?}");
}

both_engines!(a_weaker_administrator_moves_no_power);
