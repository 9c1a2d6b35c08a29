//! What a newcomer finds by opening bare addresses in a browser: the root host explains
//! itself and points at the platform console (and, in path mode, at `/t/{slug}`); a tenant's
//! issuer URL names the tenant and offers the ways to sign in. Pages, never raw JSON.

use reqwest::StatusCode;
use tessera::config::TenantRouting;

use crate::both_engines;
use crate::helpers::{Engine, TestApp};

fn is_page(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

async fn bare_addresses_show_pages(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.cli_json(&["tenant", "create", "acme", "--name", "Acme Corp", "--json"]);

    let root = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(root.status(), StatusCode::OK);
    assert!(is_page(&root));
    let html = root.text().await.unwrap();
    assert!(html.contains("/platform\""), "{html}");
    assert!(html.contains("/t/"), "the path-mode hint: {html}");

    for path in ["/t/acme", "/t/acme/"] {
        let issuer = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(issuer.status(), StatusCode::OK, "{path}");
        assert!(is_page(&issuer));
        let html = issuer.text().await.unwrap();
        assert!(html.contains("Acme Corp"), "{html}");
        assert!(html.contains("/t/acme/account\""), "{html}");
        assert!(html.contains("/t/acme/admin\""), "{html}");
    }
    // An unknown tenant is still a 404.
    let unknown = app
        .client
        .get(format!("{}/t/nobody", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
both_engines!(bare_addresses_show_pages);

async fn bare_hosts_show_pages_in_subdomain_mode(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Subdomain).await;
    app.cli_json(&["tenant", "create", "acme", "--name", "Acme Corp", "--json"]);
    let port = app.port;
    let root = app.get_with_host(&format!("localhost:{port}"), "/").await;
    assert_eq!(root.status(), StatusCode::OK);
    let html = root.text().await.unwrap();
    assert!(html.contains("/platform\""), "{html}");
    assert!(html.contains("acme.localhost"), "{html}");
    let issuer = app
        .get_with_host(&format!("acme.localhost:{port}"), "/")
        .await;
    assert_eq!(issuer.status(), StatusCode::OK);
    let html = issuer.text().await.unwrap();
    assert!(html.contains("Acme Corp"), "{html}");
    assert!(html.contains("/account\""), "{html}");
}
both_engines!(bare_hosts_show_pages_in_subdomain_mode);

const PASSWORD: &str = "correct horse battery staple";

/// Tenant acme with user@example.com and boss@example.com, who holds `tenant:admin` (given by
/// naming the person's email).
async fn with_admin_and_user(engine: Engine) -> TestApp {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "user@example.com", PASSWORD);
    app.create_account("acme", "boss@example.com", PASSWORD);
    app.cli_json(&["role", "create", "--tenant", "acme", "admins", "--json"]);
    let steps: [&[&str]; 2] = [
        &["permit", "--tenant", "acme", "admins", "tenant:admin"],
        &[
            "grant",
            "--tenant",
            "acme",
            "admins",
            "--profile",
            "boss@example.com",
        ],
    ];
    for args in steps {
        let mut command = vec!["role"];
        command.extend_from_slice(args);
        command.push("--json");
        app.cli_json(&command);
    }
    app
}

async fn the_console_refusal_says_who_and_offers_ways_on(engine: Engine) {
    let app = with_admin_and_user(engine).await;

    // Someone without administration permissions: who they are, and every way on.
    let (user, refused) =
        crate::admin_console::console_sign_in(&app, "acme", "user@example.com").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.html.contains("user@example.com"),
        "{}",
        refused.html
    );
    for way in [
        "/t/acme/account\"",
        "/t/acme/logout\"",
        "/t/acme/admin/profile\"",
    ] {
        assert!(refused.html.contains(way), "{way} in {}", refused.html);
    }
    // Their account page does not offer the console…
    let account = user.get(&app.tenant_url("acme", "/account")).await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        !account.html.contains("/t/acme/admin\""),
        "{}",
        account.html
    );
    // …an administrator's does.
    let (boss, _) = crate::admin_console::console_sign_in(&app, "acme", "boss@example.com").await;
    let account = boss.get(&app.tenant_url("acme", "/account")).await;
    assert!(account.html.contains("/t/acme/admin\""), "{}", account.html);
}
both_engines!(the_console_refusal_says_who_and_offers_ways_on);

async fn roles_are_given_to_people_by_email_and_show_who_holds_them(engine: Engine) {
    let app = with_admin_and_user(engine).await;
    app.cli_json(&["role", "create", "--tenant", "acme", "auditors", "--json"]);
    app.cli_json(&[
        "role",
        "permit",
        "--tenant",
        "acme",
        "auditors",
        "audit:read",
        "--json",
    ]);
    let (boss, _) = crate::admin_console::console_sign_in(&app, "acme", "boss@example.com").await;
    let roles_url = app.tenant_url("acme", "/admin/roles");
    let roles = boss.get(&roles_url).await;
    let csrf = roles.field("csrf_token").unwrap();
    let give = |email: &'static str| {
        let csrf = csrf.clone();
        let boss = &boss;
        let url = app.tenant_url("acme", "/admin/roles/grant");
        async move {
            boss.post(
                &url,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("role", "auditors"),
                    ("holder", "profile"),
                    ("holder_id", email),
                    ("profile_name", ""),
                ],
            )
            .await
        }
    };
    // A mistyped address: a clear error, nothing given.
    let unknown = give("nobody@example.com").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.html.contains("nobody@example.com"),
        "{}",
        unknown.html
    );
    let given = give("user@example.com").await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.html);
    let roles = boss.get(&roles_url).await;
    // People, not ids: the masked address and the profile's name, linked to the account.
    assert!(roles.html.contains("u••••@example.com"), "{}", roles.html);
    assert!(roles.html.contains("<td>user</td>"), "{}", roles.html);
    let shown = app.cli_json(&[
        "account",
        "show",
        "--tenant",
        "acme",
        "user@example.com",
        "--json",
    ]);
    let profile = shown["profiles"][0]["id"].as_str().unwrap();
    assert!(
        roles.html.contains(profile),
        "the take-away button names the profile"
    );
    let taken = boss
        .post(
            &app.tenant_url("acme", "/admin/roles/revoke"),
            &[
                ("csrf_token", csrf.as_str()),
                ("role", "auditors"),
                ("holder", "profile"),
                ("holder_id", profile),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.html);
    let roles = boss.get(&roles_url).await;
    assert!(!roles.html.contains("u••••@example.com"), "{}", roles.html);
}
both_engines!(roles_are_given_to_people_by_email_and_show_who_holds_them);

async fn the_sign_in_page_speaks_the_readers_language(engine: Engine) {
    use crate::browser::Browser;
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", "ada@example.com", PASSWORD);
    let login = app.tenant_url("acme", "/login?next=account");

    // The browser's languages, best supported first.
    let german = Browser::speaking("ja, de-AT;q=0.9, en;q=0.5");
    let page = german.get(&login).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(r#"<html lang="de">"#), "{}", page.html);
    assert!(page.html.contains("Anmelden"), "{}", page.html);
    assert!(page.html.contains("Passwort vergessen?"));
    assert!(
        page.html.contains("Ihr Konto"),
        "where the sign-in goes, in German"
    );
    // A failed sign-in says so in the same language (and still reveals nothing).
    let failed = german
        .submit(
            &page,
            &[("email", "ada@example.com"), ("password", "wrong one")],
        )
        .await;
    assert!(
        failed
            .html
            .contains("Die E-Mail-Adresse oder das Passwort ist falsch"),
        "{}",
        failed.html
    );

    // The client's ui_locales come before the browser's languages.
    let rp = crate::flow::register_rp(&app, "acme", &[]);
    let (_, challenge) = crate::flow::pkce();
    let url =
        crate::flow::authorize_url(&app, "acme", &rp, &challenge, &[("ui_locales", "fr-CA en")]);
    let french = german
        .follow(german.get(&url).await, "http://127.0.0.1:9/")
        .await;
    assert!(
        french.html.contains(r#"<html lang="fr">"#),
        "{}",
        french.html
    );
    assert!(french.html.contains("Se connecter"), "{}", french.html);
    assert!(french.html.contains("pour continuer vers Test client"));

    // The switcher: a choice beats both, and is remembered.
    let switch = french
        .html
        .split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.ends_with("lang=es"))
        .expect("a link to Spanish")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let spanish = german.get(&switch).await;
    assert!(
        spanish.html.contains(r#"<html lang="es">"#),
        "{}",
        spanish.html
    );
    assert!(spanish.html.contains("Iniciar sesión"));
    let remembered = german.get(&login).await;
    assert!(
        remembered.html.contains(r#"<html lang="es">"#),
        "{}",
        remembered.html
    );
    assert!(remembered
        .headers
        .get_all("set-cookie")
        .iter()
        .all(|c| !c.to_str().unwrap().starts_with("tessera_lang")));
    // The consent page that follows speaks the same language.
    let consent = german
        .submit(
            &spanish,
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    let consent = german.follow(consent, "http://127.0.0.1:9/").await;
    assert!(
        consent.html.contains(r#"<html lang="es">"#),
        "{}",
        consent.html
    );
    assert!(
        consent.html.contains("¿Permitir Test client?"),
        "{}",
        consent.html
    );
    assert!(
        consent.html.contains("Ver su correo electrónico"),
        "{}",
        consent.html
    );
    assert!(
        consent.html.contains(">Permitir</button>"),
        "{}",
        consent.html
    );
    // Without any hint: English.
    let english = Browser::default().get(&login).await;
    assert!(english.html.contains(r#"<html lang="en">"#));
    assert!(english.html.contains(">Sign in<"));
}
both_engines!(the_sign_in_page_speaks_the_readers_language);

/// Attacker's view: someone who may read the audit log (or manage roles) but not accounts
/// must not learn who the people behind the ids are; naming people is for `accounts:read`.
async fn people_are_named_only_for_those_who_may_read_accounts(engine: Engine) {
    let app = with_admin_and_user(engine).await;
    // user@example.com signs in once: their id is in the log.
    crate::admin_console::console_sign_in(&app, "acme", "user@example.com").await;
    let auditor = app.create_account("acme", "auditor@example.com", PASSWORD);
    crate::admin_console::grant(&app, "acme", &auditor, &["audit:read", "roles:write"]);
    let (browser, _) =
        crate::admin_console::console_sign_in(&app, "acme", "auditor@example.com").await;
    let log = browser.get(&app.tenant_url("acme", "/admin/audit")).await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.html.contains("signin.success"), "{}", log.html);
    assert!(!log.html.contains("u••••@example.com"), "{}", log.html);
    assert!(!log.html.contains("b••••@example.com"), "{}", log.html);
    let roles = browser.get(&app.tenant_url("acme", "/admin/roles")).await;
    assert_eq!(roles.status, StatusCode::OK);
    assert!(!roles.html.contains("b••••@example.com"), "{}", roles.html);
    assert!(!roles.html.contains("<td>boss</td>"), "{}", roles.html);

    // An administrator with accounts:read sees them.
    let (boss, _) = crate::admin_console::console_sign_in(&app, "acme", "boss@example.com").await;
    let log = boss.get(&app.tenant_url("acme", "/admin/audit")).await;
    assert!(log.html.contains("u••••@example.com"), "{}", log.html);
}
both_engines!(people_are_named_only_for_those_who_may_read_accounts);
