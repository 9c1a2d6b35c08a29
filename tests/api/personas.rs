//! One login, many personas: accounts per tenant, profiles, the picker, subject modes, claims,
//! roles and permissions, and account suspension.

use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::TenantRouting;

use crate::attacks_support::{error_of, tokens};
use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::flow::{authorize_url, exchange, pkce, register_rp, Rp};
use crate::helpers::{stderr, Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";
const RP_HOST: &str = "http://127.0.0.1:9";

use crate::attacks_support::claims;

/// The `profile_id` radio value labelled `name` on a picker page.
fn profile_choice(page: &Page, name: &str) -> Option<String> {
    page.html
        .split("<label for=\"profile-")
        .skip(1)
        .find_map(|rest| {
            let (id, after) = rest.split_once('"')?;
            let label = after.strip_prefix('>')?;
            (label.split('<').next()?.trim() == name).then(|| id.to_owned())
        })
}

fn is_picker(page: &Page) -> bool {
    page.html.contains("name=\"profile_id\"")
}

/// Signs in (choosing `profile` on the picker when it appears, consenting when asked) and
/// returns the final page (the redirect to the RP).
pub(crate) async fn sign_in_as(
    browser: &Browser,
    url: &str,
    email: &str,
    password: &str,
    profile: Option<&str>,
) -> (Page, bool) {
    let mut page = browser.follow(browser.get(url).await, RP_HOST).await;
    let mut picker_seen = false;
    for _ in 0..5 {
        if page.html.contains("name=\"password\"") {
            page = browser
                .follow(
                    browser
                        .submit(&page, &[("email", email), ("password", password)])
                        .await,
                    RP_HOST,
                )
                .await;
        } else if is_picker(&page) {
            picker_seen = true;
            let name = profile.expect("the picker was shown but no profile was chosen");
            let id = profile_choice(&page, name)
                .unwrap_or_else(|| panic!("no profile {name} on the picker"));
            page = browser
                .follow(browser.submit(&page, &[("profile_id", &id)]).await, RP_HOST)
                .await;
        } else if page.html.contains("value=\"allow\"") {
            page = browser
                .follow(
                    browser.submit(&page, &[("decision", "allow")]).await,
                    RP_HOST,
                )
                .await;
        } else {
            break;
        }
    }
    (page, picker_seen)
}

/// Runs a flow and returns the token response.
async fn tokens_as(
    app: &TestApp,
    rp: &Rp,
    browser: &Browser,
    extra: &[(&str, &str)],
    profile: Option<&str>,
) -> (Value, bool) {
    let (verifier, challenge) = pkce();
    let (back, picker) = sign_in_as(
        browser,
        &authorize_url(app, "acme", rp, &challenge, extra),
        EMAIL,
        PASSWORD,
        profile,
    )
    .await;
    let code = back
        .query_param("code")
        .unwrap_or_else(|| panic!("no code: {:?} {}", back.location, back.html));
    (
        tokens(exchange(app, "acme", rp, &code, Some(&verifier)).await).await,
        picker,
    )
}

async fn same_email_in_two_tenants_are_two_accounts(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_tenant("globex");
    let acme = app.create_account("acme", EMAIL, PASSWORD);
    let globex = app.create_account("globex", EMAIL, "another long passphrase");
    assert_ne!(acme["id"], globex["id"]);
    let acme_rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let globex_rp = register_rp(&app, "globex", &["--consent", "skip"]);
    for (slug, rp, good, bad) in [
        ("acme", &acme_rp, PASSWORD, "another long passphrase"),
        ("globex", &globex_rp, "another long passphrase", PASSWORD),
    ] {
        let (_, challenge) = pkce();
        let url = authorize_url(&app, slug, rp, &challenge, &[]);
        let browser = Browser::default();
        let login = browser.follow(browser.get(&url).await, RP_HOST).await;
        let refused = browser
            .submit(&login, &[("email", EMAIL), ("password", bad)])
            .await;
        assert!(
            refused.html.contains("email or password is incorrect"),
            "{slug}: the other tenant's password worked"
        );
        let accepted = browser
            .submit(&login, &[("email", EMAIL), ("password", good)])
            .await;
        assert!(
            accepted
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with(RP_HOST)),
            "{slug}: {:?}",
            accepted.location
        );
    }
    // Suspending one leaves the other alone.
    app.cli_json(&["account", "suspend", "--tenant", "acme", EMAIL, "--json"]);
    let shown = app.cli_json(&["account", "show", "--tenant", "globex", EMAIL, "--json"]);
    assert_eq!(shown["status"], "active");
}
both_engines!(same_email_in_two_tenants_are_two_accounts);

async fn picker_is_skipped_shown_and_switches_persona(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let default_id = account["profiles"][0]["id"].as_str().unwrap().to_owned();
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);

    // One profile: no picker.
    let (issued, picker) = tokens_as(&app, &rp, &Browser::default(), &[], None).await;
    assert!(!picker);
    assert_eq!(
        claims(issued["id_token"].as_str().unwrap())["sub"],
        default_id.as_str()
    );

    let work = app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--name",
        "Work",
        "--json",
    ]);
    let work_id = work["id"].as_str().unwrap().to_owned();
    assert_eq!(work["is_default"], false);

    // Two profiles: the picker appears after sign-in; choose Work.
    let browser = Browser::default();
    let (issued, picker) = tokens_as(&app, &rp, &browser, &[], Some("Work")).await;
    assert!(picker);
    let id_claims = claims(issued["id_token"].as_str().unwrap());
    assert_eq!(id_claims["sub"], work_id.as_str());
    assert_eq!(id_claims["profile_id"], work_id.as_str());
    assert_eq!(id_claims["name"], "Work");
    assert_eq!(
        claims(issued["access_token"].as_str().unwrap())["profile_id"],
        work_id.as_str()
    );

    // The choice is remembered: no picker on the next authorization.
    let (issued, picker) = tokens_as(&app, &rp, &browser, &[], None).await;
    assert!(!picker);
    assert_eq!(
        claims(issued["id_token"].as_str().unwrap())["sub"],
        work_id.as_str()
    );

    // prompt=select_account switches persona; profile_hint preselects.
    let (_, challenge) = pkce();
    let hinted = browser
        .follow(
            browser
                .get(&authorize_url(
                    &app,
                    "acme",
                    &rp,
                    &challenge,
                    &[("prompt", "select_account"), ("profile_hint", "ada")],
                ))
                .await,
            RP_HOST,
        )
        .await;
    assert!(is_picker(&hinted));
    assert!(
        hinted
            .html
            .contains(&format!("value=\"{default_id}\" checked")),
        "profile_hint preselects"
    );
    let (issued, picker) = tokens_as(
        &app,
        &rp,
        &browser,
        &[("prompt", "select_account")],
        Some("ada"),
    )
    .await;
    assert!(picker);
    assert_eq!(
        claims(issued["id_token"].as_str().unwrap())["sub"],
        default_id.as_str()
    );

    // prompt=none cannot show the picker.
    let fresh = Browser::default();
    let (_, challenge) = pkce();
    let login = fresh
        .follow(
            fresh
                .get(&authorize_url(&app, "acme", &rp, &challenge, &[]))
                .await,
            RP_HOST,
        )
        .await;
    let picker_page = fresh
        .follow(
            fresh
                .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
                .await,
            RP_HOST,
        )
        .await;
    assert!(is_picker(&picker_page));
    let (_, challenge) = pkce();
    let silent = fresh
        .get(&authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        silent.query_param("error").as_deref(),
        Some("account_selection_required")
    );

    // A profile id from someone else's account is refused by the picker.
    app.create_account("acme", "eve@example.com", PASSWORD);
    let eve = app.cli_json(&[
        "profile",
        "list",
        "--tenant",
        "acme",
        "--account",
        "eve@example.com",
        "--json",
    ]);
    let eve_profile = eve[0]["id"].as_str().unwrap();
    let forged = fresh
        .submit(&picker_page, &[("profile_id", eve_profile)])
        .await;
    assert!(
        forged
            .location
            .as_deref()
            .unwrap_or_default()
            .contains("/select-profile?request="),
        "{:?}",
        forged.location
    );
}
both_engines!(picker_is_skipped_shown_and_switches_persona);

async fn subject_modes(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let account_id = account["id"].as_str().unwrap().to_owned();
    let profile_id = account["profiles"][0]["id"].as_str().unwrap().to_owned();
    let skip = ["--consent", "skip"];
    let profile_rp = register_rp(&app, "acme", &skip);
    let account_rp = register_rp(
        &app,
        "acme",
        &["--consent", "skip", "--subject-mode", "account"],
    );
    let sector_a = register_rp(
        &app,
        "acme",
        &[
            "--consent",
            "skip",
            "--subject-mode",
            "pairwise",
            "--sector-identifier",
            "a.example",
        ],
    );
    let sector_a_too = register_rp(
        &app,
        "acme",
        &[
            "--consent",
            "skip",
            "--subject-mode",
            "pairwise",
            "--sector-identifier",
            "a.example",
        ],
    );
    let sector_b = register_rp(
        &app,
        "acme",
        &[
            "--consent",
            "skip",
            "--subject-mode",
            "pairwise",
            "--sector-identifier",
            "b.example",
        ],
    );
    let derived = app.cli_json(&[
        "client",
        "show",
        "--tenant",
        "acme",
        &register_rp(&app, "acme", &["--subject-mode", "pairwise"]).id,
        "--json",
    ]);
    assert_eq!(
        derived["sector_identifier"], "127.0.0.1",
        "sector from the redirect URIs' host"
    );

    let browser = Browser::default();
    let sub_of = |rp: &Rp| {
        let (app, browser) = (&app, &browser);
        let rp = Rp {
            id: rp.id.clone(),
            secret: rp.secret.clone(),
        };
        async move {
            let (issued, _) = tokens_as(app, &rp, browser, &[], None).await;
            let id_token = claims(issued["id_token"].as_str().unwrap());
            let access = issued["access_token"].as_str().unwrap().to_owned();
            let userinfo: Value = app
                .get_bearer("acme", "/userinfo", &access)
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(
                userinfo["sub"], id_token["sub"],
                "userinfo and ID token agree"
            );
            assert_eq!(
                claims(&access)["sub"],
                id_token["sub"],
                "access and ID token agree"
            );
            id_token
        }
    };
    assert_eq!(sub_of(&profile_rp).await["sub"], profile_id.as_str());
    let account_claims = sub_of(&account_rp).await;
    assert_eq!(account_claims["sub"], account_id.as_str());
    assert_eq!(account_claims["account_id"], account_id.as_str());

    let a1 = sub_of(&sector_a).await["sub"].as_str().unwrap().to_owned();
    let a1_again = sub_of(&sector_a).await["sub"].as_str().unwrap().to_owned();
    let a2 = sub_of(&sector_a_too).await["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = sub_of(&sector_b).await["sub"].as_str().unwrap().to_owned();
    assert_eq!(a1, a1_again, "stable per client");
    assert_eq!(a1, a2, "stable per sector");
    assert_ne!(a1, b, "different across sectors");
    for pairwise in [&a1, &b] {
        assert_ne!(pairwise, &profile_id);
        assert_ne!(pairwise, &account_id);
    }
}
both_engines!(subject_modes);

async fn profile_claims(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--name",
        "Work",
        "--email",
        "ada@work.example",
        "--email-verified",
        "--picture",
        "https://cdn.example/ada.png",
        "--locale",
        "en-GB",
        "--json",
    ]);
    app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--name",
        "Side",
        "--email",
        "ada@side.example",
        "--json",
    ]);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let browser = Browser::default();
    let (issued, _) = tokens_as(&app, &rp, &browser, &[], Some("Work")).await;
    let work = claims(issued["id_token"].as_str().unwrap());
    assert_eq!(work["email"], "ada@work.example");
    assert_eq!(work["email_verified"], true);
    assert_eq!(work["name"], "Work");
    assert_eq!(work["picture"], "https://cdn.example/ada.png");
    assert_eq!(work["locale"], "en-GB");
    assert!(work["updated_at"].is_i64());
    // An unverified profile email is not used: the account's address is.
    let (issued, _) = tokens_as(
        &app,
        &rp,
        &browser,
        &[("prompt", "select_account")],
        Some("Side"),
    )
    .await;
    let side = claims(issued["id_token"].as_str().unwrap());
    assert_eq!(side["email"], EMAIL);
    assert_eq!(side["email_verified"], false);
    assert!(side.get("picture").is_none());
}
both_engines!(profile_claims);

async fn permissions_are_the_union_and_change_at_refresh(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let profile = account["profiles"][0]["id"].as_str().unwrap().to_owned();
    for (role, permissions) in [
        ("reader", &["docs:read"][..]),
        ("writer", &["docs:read", "docs:write"][..]),
    ] {
        app.cli_json(&["role", "create", "--tenant", "acme", role, "--json"]);
        for permission in permissions {
            app.cli_json(&[
                "role", "permit", "--tenant", "acme", role, permission, "--json",
            ]);
        }
        app.cli_json(&[
            "role",
            "grant",
            "--tenant",
            "acme",
            role,
            "--profile",
            &profile,
            "--json",
        ]);
    }
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let (issued, _) = tokens_as(&app, &rp, &Browser::default(), &[], None).await;
    let access = claims(issued["access_token"].as_str().unwrap());
    assert_eq!(access["roles"], serde_json::json!(["reader", "writer"]));
    assert_eq!(
        access["permissions"],
        serde_json::json!(["docs:read", "docs:write"])
    );

    // A change shows up at the next refresh, without signing in again.
    app.cli_json(&[
        "role",
        "permit",
        "--tenant",
        "acme",
        "writer",
        "docs:delete",
        "--json",
    ]);
    app.cli_json(&[
        "role",
        "revoke",
        "--tenant",
        "acme",
        "reader",
        "--profile",
        &profile,
        "--json",
    ]);
    let refreshed = tokens(
        app.post_form(
            "acme",
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", issued["refresh_token"].as_str().unwrap()),
            ],
            Some((&rp.id, &rp.secret)),
        )
        .await,
    )
    .await;
    let access = claims(refreshed["access_token"].as_str().unwrap());
    assert_eq!(access["roles"], serde_json::json!(["writer"]));
    assert_eq!(
        access["permissions"],
        serde_json::json!(["docs:delete", "docs:read", "docs:write"])
    );
    // Introspection (by the token's own client) reports them too.
    let answer: Value = app
        .post_form(
            "acme",
            "/introspect",
            &[("token", refreshed["access_token"].as_str().unwrap())],
            Some((&rp.id, &rp.secret)),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["permissions"], access["permissions"]);

    let listed = app.cli_json(&["role", "list", "--tenant", "acme", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let bad = app.cli(&["role", "permit", "--tenant", "acme", "writer", "Not Valid"]);
    assert!(!bad.status.success());
}
both_engines!(permissions_are_the_union_and_change_at_refresh);

async fn suspended_accounts_are_refused_everywhere(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let rp = register_rp(&app, "acme", &["--consent", "skip"]);
    let browser = Browser::default();
    // offline_access: the refresh token would outlive the session; suspension must stop it.
    let (verifier, challenge) = pkce();
    let url = authorize_url(&app, "acme", &rp, &challenge, &[])
        .replace("scope=openid+email+profile", "scope=openid+offline_access");
    let (back, _) = sign_in_as(&browser, &url, EMAIL, PASSWORD, None).await;
    let code = back.query_param("code").unwrap();
    let issued = tokens(exchange(&app, "acme", &rp, &code, Some(&verifier)).await).await;
    let access = issued["access_token"].as_str().unwrap();
    let refresh = issued["refresh_token"].as_str().unwrap();
    let (rs, rs_secret) = app.resource_server("acme");
    let active = |token: String| {
        let (app, rs, rs_secret) = (&app, rs.clone(), rs_secret.clone());
        async move {
            let answer: Value = app
                .post_form(
                    "acme",
                    "/introspect",
                    &[("token", &token)],
                    Some((&rs, &rs_secret)),
                )
                .await
                .json()
                .await
                .unwrap();
            answer["active"] == true
        }
    };
    assert!(active(access.to_owned()).await);

    let suspended = app.cli_json(&["account", "suspend", "--tenant", "acme", EMAIL, "--json"]);
    assert_eq!(suspended["status"], "suspended");
    assert!(!active(access.to_owned()).await, "introspection");
    assert!(!active(refresh.to_owned()).await, "refresh introspection");
    assert_eq!(
        app.get_bearer("acme", "/userinfo", access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let refreshed = app
        .post_form(
            "acme",
            "/token",
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
            Some((&rp.id, &rp.secret)),
        )
        .await;
    assert_eq!(error_of(refreshed).await, "invalid_grant");
    // The browser session ended: a silent authorization needs a login, and login is refused.
    let (_, challenge) = pkce();
    let silent = browser
        .get(&authorize_url(
            &app,
            "acme",
            &rp,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(
        silent.query_param("error").as_deref(),
        Some("login_required")
    );
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&app, "acme", &rp, &challenge, &[]))
                .await,
            RP_HOST,
        )
        .await;
    let refused = browser
        .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert!(refused.html.contains("email or password is incorrect"));

    app.cli_json(&["account", "resume", "--tenant", "acme", EMAIL, "--json"]);
    let (again, _) = tokens_as(&app, &rp, &Browser::default(), &[], None).await;
    assert!(again["access_token"].is_string());
}
both_engines!(suspended_accounts_are_refused_everywhere);

async fn profile_rules(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_tenant("globex");
    let ada = app.create_account("acme", EMAIL, PASSWORD);
    app.create_account("acme", "bob@example.com", PASSWORD);
    app.create_account("globex", EMAIL, PASSWORD);
    let only = ada["profiles"][0]["id"].as_str().unwrap().to_owned();

    let refused = app.cli(&["profile", "delete", "--tenant", "acme", &only]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("at least one profile"),
        "{}",
        stderr(&refused)
    );

    app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--name",
        "Work",
        "--email",
        "shared@example.com",
        "--json",
    ]);
    let taken = app.cli(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        "bob@example.com",
        "--name",
        "Work",
        "--email",
        "Shared@Example.com",
    ]);
    assert!(!taken.status.success());
    assert!(
        stderr(&taken).contains("already used by another profile"),
        "{}",
        stderr(&taken)
    );
    // Another tenant is another namespace.
    app.cli_json(&[
        "profile",
        "create",
        "--tenant",
        "globex",
        "--account",
        EMAIL,
        "--name",
        "Work",
        "--email",
        "shared@example.com",
        "--json",
    ]);
    // Names are unique per account.
    let duplicate = app.cli(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--name",
        "work",
    ]);
    assert!(stderr(&duplicate).contains("already has a profile named"));
    let bad = app.cli(&[
        "profile",
        "create",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--name",
        "X",
        "--attributes",
        "[1,2]",
    ]);
    assert!(stderr(&bad).contains("JSON object"));

    // Deleting the default promotes another; then the last one is kept.
    let list = app.cli_json(&[
        "profile",
        "list",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--json",
    ]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    app.cli_json(&["profile", "delete", "--tenant", "acme", &only, "--json"]);
    let list = app.cli_json(&[
        "profile",
        "list",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--json",
    ]);
    assert_eq!(list[0]["name"], "Work");
    assert_eq!(list[0]["is_default"], true);
    let renamed = app.cli_json(&[
        "profile",
        "rename",
        "--tenant",
        "acme",
        list[0]["id"].as_str().unwrap(),
        "--name",
        "Office",
        "--json",
    ]);
    assert_eq!(renamed["name"], "Office");
}
both_engines!(profile_rules);
