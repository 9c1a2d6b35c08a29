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
    let b_profiles: Vec<String> = app.profiles_of("acme", ADA_WORK).iter().map(id).collect();
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
    assert_eq!(app.profiles_of("acme", ADA_WORK).len(), 2);

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
    let entries = app.audit_entries("acme");
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
    let entries = app.audit_entries("acme");
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
        app.profiles_of("acme", ADA_WORK).len(),
        2,
        "a dry run moves nothing"
    );
    let done = app.cli_json(&[
        "account", "merge", "--tenant", "acme", "--into", &a, "--from", &b, "--json",
    ]);
    assert_eq!(done["merged"], true);
    assert_eq!(done["into"], a.as_str());
    assert_eq!(app.profiles_of("acme", ADA).len(), 4);
    let again = app.cli(&[
        "account", "merge", "--tenant", "acme", "--into", &a, "--from", &b,
    ]);
    assert!(!again.status.success());
}

both_engines!(the_cli_merges);

/// The duplicate report finds an account whose address is another account's profile email;
/// the console links from it to the merge preview, and merges from there.
async fn duplicates_lead_to_a_merge(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let a = id(&app.create_account("acme", ADA, PASSWORD));
    let b = app.create_account("acme", ADA_WORK, PASSWORD);
    let (b, b_profile) = (id(&b), b["profiles"][0]["id"].as_str().unwrap().to_owned());
    app.create_account("acme", "someone.else@example.com", PASSWORD);
    let none = app.cli_json(&["account", "duplicates", "--tenant", "acme", "--json"]);
    assert_eq!(none, json!([]));
    app.cli_json(&[
        "profile", "update", "--tenant", "acme", &b_profile, "--email", ADA, "--json",
    ]);

    let found = app.cli_json(&["account", "duplicates", "--tenant", "acme", "--json"]);
    assert_eq!(
        found,
        json!([{ "shared": "email", "email": ADA, "account": a, "others": [{ "account": b, "profile": b_profile }] }])
    );
    // The API masks the address unless a reason is given.
    let (_, token) = machine_admin(&app, "acme", &["accounts:read"]).await;
    let (status, masked, _) = call(
        &app,
        Method::GET,
        "acme",
        "/duplicate-accounts",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{masked}");
    assert_eq!(masked[0]["account"], a.as_str());
    assert_ne!(masked[0]["email"], ADA, "{masked}");

    // The console: the report, the preview it links to, the merge.
    let operator = app.create_account("acme", "operator@example.com", PASSWORD);
    crate::admin_console::grant(
        &app,
        "acme",
        &operator,
        &["accounts:read", "accounts:write"],
    );
    let (console, _) =
        crate::admin_console::console_sign_in(&app, "acme", "operator@example.com").await;
    let report = console
        .get(&app.tenant_url("acme", "/admin/duplicates"))
        .await;
    let review = format!("/admin/accounts/{a}/merge?from={b}");
    assert!(report.html.contains(&review), "{}", report.html);
    let preview = console.get(&app.tenant_url("acme", &review)).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.html);
    assert!(
        preview.html.contains("Profiles that move") && preview.html.contains(&b_profile),
        "{}",
        preview.html
    );
    assert_eq!(
        app.profiles_of("acme", ADA_WORK).len(),
        1,
        "a preview changes nothing"
    );
    let csrf = preview.field("csrf_token").unwrap();
    let merged = console
        .post(
            &app.tenant_url("acme", &format!("/admin/accounts/{a}/merge")),
            &[("csrf_token", &csrf), ("merge_from", &b)],
        )
        .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.html);
    let landed = console.follow(merged, RP).await;
    assert!(
        landed.html.contains("The accounts were merged"),
        "{}",
        landed.html
    );
    assert_eq!(app.profiles_of("acme", ADA).len(), 2);
    let after = app.cli_json(&["account", "duplicates", "--tenant", "acme", "--json"]);
    assert_eq!(
        after,
        json!([]),
        "the moved profile's address is the account's own now"
    );
}

both_engines!(duplicates_lead_to_a_merge);

/// From `/account`: signed in to A, the person proves B as at a sign-in (its password, then
/// its second factor), sees what moves, and merges. Failures answer alike; a preview's proof
/// works once.
/// Turns on a second factor from the account page of a signed-in browser; returns its key.
async fn turn_on_mfa(app: &TestApp, browser: &Browser) -> String {
    let page = browser.get(&app.tenant_url("acme", "/account")).await;
    let csrf = page.field("csrf_token").unwrap();
    let start = browser
        .post(
            &app.tenant_url("acme", "/account/mfa/start"),
            &[("csrf_token", &csrf)],
        )
        .await;
    let key = crate::attacks_support::manual_key(&start.html);
    let code = crate::attacks_support::totp_code(&key, 0);
    let codes = browser
        .post(
            &app.tenant_url("acme", "/account/mfa/confirm"),
            &[("csrf_token", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(
        codes.html.matches("<li><code>").count(),
        10,
        "{}",
        codes.html
    );
    key
}

async fn a_person_merges_their_own_accounts(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (a, b) = two_accounts(&app);
    // B turns on a second factor.
    let b_browser = signed_in(&app, ADA_WORK).await;
    let key = turn_on_mfa(&app, &b_browser).await;

    let laptop = signed_in(&app, ADA).await;
    let page = laptop.get(&app.tenant_url("acme", "/account")).await;
    let csrf = page.field("csrf_token").unwrap();
    let prove = |fields: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf_token", csrf.clone())];
        form.extend(fields);
        let (laptop, url) = (&laptop, app.tenant_url("acme", "/account/merge/prove"));
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = laptop.post(&url, &pairs).await;
            laptop.follow(answer, RP).await
        }
    };
    let wrong = prove(vec![
        ("email", ADA_WORK.into()),
        ("other_password", "wrong password".into()),
    ])
    .await;
    let unknown = prove(vec![
        ("email", "nobody@example.com".into()),
        ("other_password", PASSWORD.into()),
    ])
    .await;
    for refused in [&wrong, &unknown] {
        assert!(
            refused
                .html
                .contains("password or code of the other account is incorrect"),
            "{}",
            refused.html
        );
    }
    let no_code = prove(vec![
        ("email", ADA_WORK.into()),
        ("other_password", PASSWORD.into()),
    ])
    .await;
    assert!(
        no_code.html.contains("enter a code from it as well"),
        "{}",
        no_code.html
    );
    let itself = prove(vec![
        ("email", ADA.into()),
        ("other_password", PASSWORD.into()),
    ])
    .await;
    assert!(
        itself.html.contains("the account you are signed in to"),
        "{}",
        itself.html
    );
    assert_eq!(
        app.profiles_of("acme", ADA_WORK).len(),
        2,
        "nothing moved yet"
    );

    let next = crate::attacks_support::totp_code(&key, 30);
    let preview = prove(vec![
        ("email", ADA_WORK.into()),
        ("other_password", PASSWORD.into()),
        ("code", next),
    ])
    .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.html);
    assert!(
        preview.html.contains("Work (2)") && preview.html.contains("Side"),
        "{}",
        preview.html
    );
    assert_eq!(
        app.profiles_of("acme", ADA_WORK).len(),
        2,
        "a preview changes nothing"
    );
    let proof = preview.field("proof").expect("the proof");
    let confirm = |proof: String| {
        let url = app.tenant_url("acme", "/account/merge/confirm");
        let (laptop, csrf) = (&laptop, csrf.clone());
        async move {
            let answer = laptop
                .post(&url, &[("csrf_token", &csrf), ("proof", &proof)])
                .await;
            laptop.follow(answer, RP).await
        }
    };
    let (first, second) = tokio::join!(confirm(proof.clone()), confirm(proof.clone()));
    let merged = [&first, &second]
        .iter()
        .filter(|p| p.html.contains("profiles are here now"))
        .count();
    assert_eq!(
        merged, 1,
        "a proof merges once: {} / {}",
        first.html, second.html
    );
    assert_eq!(app.profiles_of("acme", ADA).len(), 4);
    let gone = b_browser.get(&app.tenant_url("acme", "/account")).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER, "B's session ended");
    let entries = app.audit_entries("acme");
    let merge = entries
        .iter()
        .find(|e| e["action"] == "account.merge")
        .unwrap();
    assert_eq!(merge["target"], a.as_str());
    assert_eq!(
        merge["actor"],
        a.as_str(),
        "the person merged it themselves"
    );
    let merged_into = entries
        .iter()
        .find(|e| e["action"] == "account.merged_into")
        .unwrap();
    assert_eq!(merged_into["target"], b.as_str());
}

both_engines!(a_person_merges_their_own_accounts);

/// Tokens for `email` through the code flow (choosing `profile` on the picker when shown).
async fn tokens_for(
    app: &TestApp,
    rp: &crate::flow::Rp,
    email: &str,
    profile: Option<&str>,
) -> Value {
    let browser = Browser::default();
    let (verifier, challenge) = crate::flow::pkce();
    let url = crate::flow::authorize_url(app, "acme", rp, &challenge, &[]);
    let (back, _) = crate::personas::sign_in_as(&browser, &url, email, PASSWORD, profile).await;
    let code = back
        .query_param("code")
        .unwrap_or_else(|| panic!("no code: {:?} {}", back.location, back.html));
    let response = crate::flow::exchange(app, "acme", rp, &code, Some(&verifier)).await;
    crate::attacks_support::tokens(response).await
}

fn sub_of(tokens: &Value) -> Value {
    crate::attacks_support::claims(tokens["id_token"].as_str().unwrap())["sub"].clone()
}

/// What a relying party holds for a merged account, or for a moved profile, stops working;
/// the profile's `sub` (profile subject mode) is the same when it signs in from its new
/// account.
async fn subjects_survive_and_tokens_end(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let rp = crate::flow::register_rp(&app, "acme", &["--consent", "skip"]);
    app.create_account("acme", ADA, PASSWORD);
    app.create_account("acme", ADA_WORK, PASSWORD);
    let before = tokens_for(&app, &rp, ADA_WORK, None).await;
    let sub = sub_of(&before);
    let (access, refresh) = (
        before["access_token"].as_str().unwrap(),
        before["refresh_token"].as_str().expect("a refresh token"),
    );
    assert_eq!(
        app.get_bearer("acme", "/userinfo", access).await.status(),
        StatusCode::OK
    );
    let refresh_with = |token: String| {
        let (app, rp) = (&app, &rp);
        async move {
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", token.as_str()),
            ];
            app.post_form("acme", "/token", &form, Some((&rp.id, &rp.secret)))
                .await
        }
    };

    // The merge ends what B's relying party held; B's profile signs in through A, same sub.
    app.cli_json(&[
        "account", "merge", "--tenant", "acme", "--into", ADA, "--from", ADA_WORK, "--json",
    ]);
    assert_eq!(
        app.get_bearer("acme", "/userinfo", access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let refused = refresh_with(refresh.to_owned()).await;
    assert_eq!(
        crate::attacks_support::error_of(refused).await,
        "invalid_grant"
    );
    let through_a = tokens_for(&app, &rp, ADA, Some("ada.work")).await;
    assert_eq!(sub_of(&through_a), sub);

    // The split ends what A's relying party held for that profile; its new owner signs in
    // with the same sub.
    let moved_access = through_a["access_token"].as_str().unwrap();
    let moved_refresh = through_a["refresh_token"].as_str().unwrap().to_owned();
    let profile = sub.as_str().unwrap();
    app.cli_json(&[
        "profile",
        "move",
        "--tenant",
        "acme",
        profile,
        "--email",
        "kid@example.com",
        "--json",
    ]);
    assert_eq!(
        app.get_bearer("acme", "/userinfo", moved_access)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let refused = refresh_with(moved_refresh).await;
    assert_eq!(
        crate::attacks_support::error_of(refused).await,
        "invalid_grant"
    );
    let mail = crate::invitations::next_invitation(&app, "kid@example.com", &[]).await;
    let owner = Browser::default();
    let form = owner.get(&mail.link).await;
    let chosen = owner.submit(&form, &[("password", PASSWORD)]).await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.html);
    let theirs = tokens_for(&app, &rp, "kid@example.com", None).await;
    assert_eq!(sub_of(&theirs), sub);
}

both_engines!(subjects_survive_and_tokens_end);

/// Guessing the other account's second-factor code in the merge form counts toward that
/// account's lockout: once locked, even the right password and code are refused.
async fn guessed_codes_lock_the_other_account(engine: Engine) {
    let app = TestApp::spawn_with(engine, |s| s.security.lockout_threshold = 3).await;
    app.create_tenant("acme");
    app.create_account("acme", ADA, PASSWORD);
    app.create_account("acme", ADA_WORK, PASSWORD);
    let b_browser = signed_in(&app, ADA_WORK).await;
    let key = turn_on_mfa(&app, &b_browser).await;

    let laptop = signed_in(&app, ADA).await;
    let page = laptop.get(&app.tenant_url("acme", "/account")).await;
    let csrf = page.field("csrf_token").unwrap();
    let url = app.tenant_url("acme", "/account/merge/prove");
    let prove = |code: String| {
        let (laptop, url, csrf) = (&laptop, url.clone(), csrf.clone());
        async move {
            let form = [
                ("csrf_token", csrf.as_str()),
                ("email", ADA_WORK),
                ("other_password", PASSWORD),
                ("code", code.as_str()),
            ];
            let answer = laptop.post(&url, &form).await;
            laptop.follow(answer, RP).await
        }
    };
    for _ in 0..3 {
        let wrong = prove("000000".into()).await;
        assert!(wrong.html.contains("is incorrect"), "{}", wrong.html);
    }
    let right = prove(crate::attacks_support::totp_code(&key, 30)).await;
    assert!(
        right.html.contains("is incorrect"),
        "a locked account is not proven: {}",
        right.html
    );
    assert_eq!(app.profiles_of("acme", ADA_WORK).len(), 1, "nothing moved");
}

both_engines!(guessed_codes_lock_the_other_account);
