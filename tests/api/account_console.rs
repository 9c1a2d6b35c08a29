//! The self-service account pages at `{issuer}/account`.

use reqwest::StatusCode;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{Engine, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";

/// Signs in to the account console; returns the account page.
async fn open_console(app: &TestApp, browser: &Browser, password: &str) -> Page {
    let start = browser.get(&app.tenant_url("acme", "/account")).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let login = browser.get(start.location.as_deref().unwrap()).await;
    assert!(
        login.html.contains("name=\"next\" value=\"account\""),
        "{}",
        login.html
    );
    let done = browser
        .submit(&login, &[("email", EMAIL), ("password", password)])
        .await;
    browser.follow(done, "http://127.0.0.1:9").await
}

/// Posts one of the page's forms (by action suffix) with its CSRF token and `fields`.
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
    let response = browser
        .post(
            &app.tenant_url("acme", &format!("/account/{action}")),
            &form,
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{action}: {}",
        response.html
    );
    browser.follow(response, "http://127.0.0.1:9").await
}

fn profile_id(app: &TestApp, name: &str) -> String {
    let list = app.cli_json(&[
        "profile",
        "list",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--json",
    ]);
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn manage_profiles_from_the_account_page(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let browser = Browser::default();
    let page = open_console(&app, &browser, PASSWORD).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("Your account") && page.html.contains(EMAIL));
    assert!(page.html.contains("<label for=\"new-profile\">"));

    let page = act(&app, &browser, &page, "profile/create", &[("name", "Work")]).await;
    assert!(page.html.contains("The profile was added."));
    let work = profile_id(&app, "Work");
    let page = act(&app, &browser, &page, "profile/create", &[("name", "work")]).await;
    assert!(page.html.contains("already have a profile with that name"));

    let page = act(
        &app,
        &browser,
        &page,
        "profile/rename",
        &[("profile_id", &work), ("name", "Office")],
    )
    .await;
    assert!(page.html.contains("renamed"));
    let page = act(
        &app,
        &browser,
        &page,
        "profile/default",
        &[("profile_id", &work)],
    )
    .await;
    let list = app.cli_json(&[
        "profile",
        "list",
        "--tenant",
        "acme",
        "--account",
        EMAIL,
        "--json",
    ]);
    assert_eq!(list[0]["name"], "Office");
    assert_eq!(list[0]["is_default"], true);
    let page = act(
        &app,
        &browser,
        &page,
        "profile/email",
        &[("profile_id", &work), ("email", "ada@office.example")],
    )
    .await;
    assert!(page.html.contains("ada@office.example (not verified yet)"));

    // Another account's profile is out of reach.
    app.create_account("acme", "eve@example.com", PASSWORD);
    let eve = app.cli_json(&[
        "profile",
        "list",
        "--tenant",
        "acme",
        "--account",
        "eve@example.com",
        "--json",
    ])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = act(
        &app,
        &browser,
        &page,
        "profile/rename",
        &[("profile_id", &eve), ("name", "Hijacked")],
    )
    .await;
    assert!(page.html.contains("no longer exists"));
    assert_eq!(
        app.cli_json(&[
            "profile",
            "list",
            "--tenant",
            "acme",
            "--account",
            "eve@example.com",
            "--json"
        ])[0]["name"],
        "eve",
        "the first profile is named after the address"
    );

    // Delete down to one; the last is kept.
    let default = profile_id(&app, "ada");
    let page = act(
        &app,
        &browser,
        &page,
        "profile/delete",
        &[("profile_id", &default)],
    )
    .await;
    assert!(page.html.contains("The profile was deleted."));
    let page = act(
        &app,
        &browser,
        &page,
        "profile/delete",
        &[("profile_id", &work)],
    )
    .await;
    assert!(page.html.contains("at least one profile"));

    // Forms need the CSRF token.
    let forged = browser
        .post(
            &app.tenant_url("acme", "/account/profile/create"),
            &[("name", "Forged")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Without a session: to the login page.
    let anonymous = Browser::default()
        .get(&app.tenant_url("acme", "/account"))
        .await;
    assert!(anonymous
        .location
        .as_deref()
        .unwrap()
        .ends_with("/login?next=account"));
    let _ = page;
}
both_engines!(manage_profiles_from_the_account_page);

async fn password_change_and_sessions(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let laptop = Browser::default();
    let phone = Browser::default();
    open_console(&app, &laptop, PASSWORD).await;
    open_console(&app, &phone, PASSWORD).await;
    let page = laptop.get(&app.tenant_url("acme", "/account")).await;
    assert_eq!(page.html.matches("Signed in ").count(), 2);
    assert!(page.html.contains("(this browser)"));

    let page = act(
        &app,
        &laptop,
        &page,
        "password",
        &[
            ("current_password", "wrong password!!"),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert!(page.html.contains("current password is not correct"));
    let page = act(
        &app,
        &laptop,
        &page,
        "password",
        &[("current_password", PASSWORD), ("new_password", "short")],
    )
    .await;
    assert!(page.html.contains("too short"));
    let page = act(
        &app,
        &laptop,
        &page,
        "password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert!(page.html.contains("Your password was changed"));
    // The phone was signed out; the laptop was not.
    let phone_page = phone.get(&app.tenant_url("acme", "/account")).await;
    assert_eq!(phone_page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        laptop.get(&app.tenant_url("acme", "/account")).await.status,
        StatusCode::OK
    );
    // The new password works; the old one does not.
    let fresh = Browser::default();
    let refused = {
        let start = fresh
            .get(&app.tenant_url("acme", "/login?next=account"))
            .await;
        fresh
            .submit(&start, &[("email", EMAIL), ("password", PASSWORD)])
            .await
    };
    assert!(refused.html.contains("email or password is incorrect"));
    let accepted = open_console(&app, &Browser::default(), "a brand new passphrase").await;
    assert_eq!(accepted.status, StatusCode::OK);

    // Signing out the other sessions.
    let page = laptop.get(&app.tenant_url("acme", "/account")).await;
    assert_eq!(page.html.matches("Signed in ").count(), 2);
    let page = act(&app, &laptop, &page, "sessions/end-others", &[]).await;
    assert!(page.html.contains("other sessions were signed out"));
    assert_eq!(page.html.matches("Signed in ").count(), 1);
}
both_engines!(password_change_and_sessions);

/// Two changes of one profile at the same moment (a new name from one tab, a new email from
/// another) both survive: the persona is one sealed value, so without ordering the later
/// write would put back what the earlier one replaced.
async fn simultaneous_profile_changes_are_both_kept(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let browser = Browser::default();
    let page = open_console(&app, &browser, PASSWORD).await;
    let csrf = page.field("csrf_token").expect("csrf token");
    let profile = profile_id(&app, "ada");
    let url = |action: &str| app.tenant_url("acme", &format!("/account/{action}"));
    for round in 0..8 {
        let name = format!("Persona {round}");
        let email = format!("persona{round}@example.com");
        let rename = [
            ("csrf_token", csrf.as_str()),
            ("profile_id", profile.as_str()),
            ("name", name.as_str()),
        ];
        let readdress = [
            ("csrf_token", csrf.as_str()),
            ("profile_id", profile.as_str()),
            ("email", email.as_str()),
        ];
        let (rename_url, email_url) = (url("profile/rename"), url("profile/email"));
        let (renamed, readdressed) = tokio::join!(
            browser.post(&rename_url, &rename),
            browser.post(&email_url, &readdress)
        );
        for answer in [&renamed, &readdressed] {
            let location = answer.location.clone().unwrap_or_default();
            assert!(location.contains("done="), "{location}: {}", answer.html);
        }
        let list = app.cli_json(&[
            "profile",
            "list",
            "--tenant",
            "acme",
            "--account",
            EMAIL,
            "--json",
        ]);
        assert_eq!(list[0]["name"], name.as_str(), "round {round}: {list}");
        assert_eq!(list[0]["email"], email.as_str(), "round {round}: {list}");
    }
}
both_engines!(simultaneous_profile_changes_are_both_kept);
