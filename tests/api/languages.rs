//! Every hosted page and every mail in the reader's language (issue 18): the texts are
//! checked against the catalogue itself, and each one against its English original, so a
//! page that falls back to English, or shows a message id, fails here.

use reqwest::StatusCode;
use tessera::config::TenantRouting;
use tessera::i18n::{Lang, Texts};

use crate::both_engines;
use crate::browser::{Browser, Page};
use crate::helpers::{data_dir, Engine, TestApp};
use crate::reset::decode_quoted_printable;

const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "ada@example.com";

/// Asserts the page is in `lang` and shows the message `id` (which reads differently in
/// English, so a fallback cannot pass).
#[track_caller]
fn shows(page: &Page, lang: Lang, id: &str) {
    let text = Texts::new(lang).get(id);
    assert_ne!(text, Texts::new(Lang::En).get(id), "{id} is translated");
    assert!(
        page.html
            .contains(&format!(r#"<html lang="{}">"#, lang.code())),
        "{}",
        page.html
    );
    let escaped = text.replace('\'', "&#39;").replace('"', "&#34;");
    assert!(
        page.html.contains(&text) || page.html.contains(&escaped),
        "{id} ({text}) missing from {}",
        page.html
    );
}

/// The newest complete mail to `to` in the file transport's directory, decoded.
async fn mail_to(app: &TestApp, to: &str, seen: usize) -> String {
    let dir = data_dir(&app.db).join("mail");
    for _ in 0..100 {
        let mut mails: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                    .filter(|raw| raw.trim_end().ends_with("--"))
                    .map(|raw| decode_quoted_printable(&raw))
                    .filter(|text| text.lines().any(|l| l.trim() == format!("To: {to}")))
                    .collect()
            })
            .unwrap_or_default();
        if mails.len() > seen {
            mails.sort();
            return mails.pop().unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no new mail to {to}");
}

/// Signs the account in at the hosted login page, on the way to `/account`; where it lands.
async fn account_page(app: &TestApp, browser: &Browser) -> Page {
    let login = browser
        .get(&app.tenant_url("acme", "/login?next=account"))
        .await;
    let page = browser
        .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    browser.follow(page, "http://127.0.0.1:9/").await
}

/// A browser that says nothing about languages, sent to sign in by an application asking for
/// `ui_locales`; the sign-in page it lands on.
async fn asked_in(app: &TestApp, ui_locales: &str) -> (Browser, Page) {
    let rp = crate::flow::register_rp(app, "acme", &[]);
    let (_, challenge) = crate::flow::pkce();
    let url =
        crate::flow::authorize_url(app, "acme", &rp, &challenge, &[("ui_locales", ui_locales)]);
    let browser = Browser::default();
    let page = browser
        .follow(browser.get(&url).await, "http://127.0.0.1:9/")
        .await;
    (browser, page)
}

async fn hosted_pages_and_mails_speak_the_readers_language(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let account = app.create_account("acme", EMAIL, PASSWORD);
    let de = Lang::De;
    let german = Browser::speaking("de-DE,de;q=0.9,en;q=0.5");

    // Message pages: a sign-in without its request, closed sign-up.
    let expired = german.get(&app.tenant_url("acme", "/login")).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    shows(&expired, de, "expired-request-title");
    // Every message page offers the way on: here, signing in to the account.
    shows(&expired, de, "link-sign-in-account");
    assert!(
        expired.html.contains("/t/acme/login?next=account"),
        "{}",
        expired.html
    );
    let closed = german.get(&app.tenant_url("acme", "/signup")).await;
    shows(&closed, de, "signup-closed-body");
    // The device page and its refusal of a wrong code.
    let device = german.get(&app.tenant_url("acme", "/device")).await;
    shows(&device, de, "device-title");
    shows(&device, de, "device-submit");
    let wrong = german.submit(&device, &[("user_code", "BBBB-BBBB")]).await;
    shows(&wrong, de, "device-invalid");

    // Password reset: the page, its answer, and the mail it sends, all in German.
    let reset = german.get(&app.tenant_url("acme", "/reset")).await;
    shows(&reset, de, "reset-title");
    shows(&reset, de, "reset-submit");
    let sent = german.submit(&reset, &[("email", EMAIL)]).await;
    shows(&sent, de, "reset-sent");
    let mail = mail_to(&app, EMAIL, 0).await;
    let t = Texts::new(de);
    let intro = t.with("mail-reset-intro", &[("tenant", "acme Inc.")]);
    assert!(mail.contains(&intro), "{intro:?} missing from {mail}");
    assert!(mail.contains(&t.get("mail-reset-action")), "{mail}");
    assert!(mail.contains(r#"<html lang="de">"#), "{mail}");
    let link = mail
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .find(|w| w.contains("/reset/confirm?token="))
        .expect("the link")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let form = german.get(&link).await;
    shows(&form, de, "reset-form-title");
    // A refusal in the same language, with the tenant's length.
    let short = german.submit(&form, &[("password", "short")]).await;
    let too_short = t.arg("password-too-short", "min", 12);
    assert!(short.html.contains(&too_short), "{}", short.html);

    // The account page: headings, buttons and dates.
    let page = account_page(&app, &german).await;
    shows(&page, de, "account-title");
    shows(&page, de, "account-delete-submit");
    shows(&page, de, "account-change-password");
    let now = time::OffsetDateTime::now_utc();
    let month = t.get(&format!("month-{}", u8::from(now.month())));
    assert!(
        page.html
            .contains(&format!("{}. {month} {}", now.day(), now.year())),
        "a German date: {}",
        page.html
    );
    for english in [
        "Your account",
        "Sign out",
        "Connected apps",
        "Delete my account",
    ] {
        assert!(!page.html.contains(english), "{english:?} left in English");
    }
    // A notice after an action, in German too.
    let url = page
        .html
        .split("action=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|a| a.ends_with("/account/profile/create"))
        .expect("the add-profile form")
        .to_owned();
    let added = german
        .post(
            &url,
            &[
                ("csrf_token", page.field("csrf_token").unwrap().as_str()),
                ("name", "Arbeit"),
            ],
        )
        .await;
    let added = german.follow(added, "http://127.0.0.1:9/").await;
    shows(&added, de, "account-done-created");

    // Without any hint from the browser, the profile's locale decides.
    let profile = account["profiles"][0]["id"].as_str().expect("a profile id");
    app.cli_json(&[
        "profile", "update", "--tenant", "acme", profile, "--locale", "fr-FR", "--json",
    ]);
    let page = account_page(&app, &Browser::default()).await;
    shows(&page, Lang::Fr, "account-title");
    shows(&page, Lang::Fr, "account-sessions");
}
both_engines!(hosted_pages_and_mails_speak_the_readers_language);

/// A tenant words its pages itself, per language, through the API and the console: the
/// reworded text shows in that language only, a text for an unknown message or language is
/// refused with the reason, and four administrators saving at once leave one whole set of
/// texts and four audit entries.
async fn a_tenant_rewords_its_pages(engine: Engine) {
    use crate::admin_matrix::{call, machine_admin};
    use reqwest::Method;
    use serde_json::json;

    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let (_, token) = machine_admin(&app, "acme", &["settings:write"]).await;
    let token = Some(token.as_str());
    let branding = |texts: serde_json::Value| json!({ "name": "Acme Corp", "texts": texts });
    let (status, settings, _) = call(
        &app,
        Method::PUT,
        "acme",
        "/settings/branding",
        token,
        Some(branding(json!({
            "de": { "login-title": "Willkommen bei Acme", "login-continue-to": "weiter zu { $client } <b>" },
            "en": { "forgot-password": "Lost it?" }
        }))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(
        settings["branding"]["texts"]["en"]["forgot-password"],
        "Lost it?"
    );

    let login = app.tenant_url("acme", "/login?next=account");
    crate::helpers::eventually("the tenant's texts on its pages", || {
        let login = login.clone();
        async move {
            let german = Browser::speaking("de").get(&login).await;
            !german.html.contains("Lost it?")
                && german.html.contains("Passwort vergessen?")
                && german.html.contains(">Willkommen bei Acme<")
        }
    })
    .await;
    let english = Browser::default().get(&login).await;
    assert!(english.html.contains("Lost it?"), "{}", english.html);
    assert!(english.html.contains(">Sign in<"), "the rest stays");
    // Arguments are put in, and the text is escaped like any other.
    let (_, page) = asked_in(&app, "de").await;
    assert!(
        page.html.contains("weiter zu Test client &#60;b&#62;")
            || page.html.contains("weiter zu Test client &lt;b&gt;"),
        "{}",
        page.html
    );

    // Refusals say why and change nothing.
    for (texts, why) in [
        (json!({ "de": { "no-such-message": "x" } }), "not a message"),
        (
            json!({ "nl": { "login-title": "Aanmelden" } }),
            "not a language",
        ),
        (json!({ "de": { "login-title": "two\nlines" } }), "one line"),
    ] {
        let (status, answer, _) = call(
            &app,
            Method::PUT,
            "acme",
            "/settings/branding",
            token,
            Some(branding(texts)),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer.to_string().contains(why), "{answer}");
    }
    let (_, settings, _) = call(&app, Method::GET, "acme", "/settings", token, None).await;
    assert_eq!(
        settings["branding"]["texts"]["en"]["forgot-password"],
        "Lost it?"
    );

    // Four saves at once: each answers, one whole set wins, each is audited.
    let saves = (0..4).map(|i| {
        let app = &app;
        async move {
            call(
                app,
                Method::PUT,
                "acme",
                "/settings/branding",
                token,
                Some(branding(json!({
                    "en": { "login-title": format!("Hello {i}"), "login-submit": format!("Go {i}") }
                }))),
            )
            .await
            .0
        }
    });
    let statuses = futures_util::future::join_all(saves).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let (_, settings, _) = call(&app, Method::GET, "acme", "/settings", token, None).await;
    let en = &settings["branding"]["texts"]["en"];
    let title = en["login-title"].as_str().unwrap();
    assert_eq!(
        en["login-submit"].as_str().unwrap(),
        title.replace("Hello", "Go"),
        "one save's texts, not a mix: {settings}"
    );
    assert!(
        settings["branding"]["texts"]["de"].is_null(),
        "replaced, not merged"
    );
    let log = String::from_utf8_lossy(&app.cli(&["audit", "export", "--tenant", "acme"]).stdout)
        .into_owned();
    assert_eq!(log.matches("\"settings.branding\"").count(), 5, "{log}");
}
both_engines!(a_tenant_rewords_its_pages);

/// Times on a tenant's pages are local to the zone it sets (checked against the bundled
/// database; an unknown zone is refused).
async fn times_are_shown_in_the_tenants_zone(engine: Engine) {
    use crate::admin_matrix::{call, machine_admin};
    use reqwest::Method;
    use serde_json::json;

    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.create_account("acme", EMAIL, PASSWORD);
    let (_, token) = machine_admin(&app, "acme", &["settings:write"]).await;
    let token = Some(token.as_str());
    let put = |zone: &str| json!({ "name": "Acme Corp", "time_zone": zone });
    let (status, answer, _) = call(
        &app,
        Method::PUT,
        "acme",
        "/settings/branding",
        token,
        Some(put("Mars/Olympus")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer.to_string().contains("Europe/Berlin"),
        "the way on: {answer}"
    );
    let (status, settings, _) = call(
        &app,
        Method::PUT,
        "acme",
        "/settings/branding",
        token,
        Some(put("Europe/Berlin")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["branding"]["time_zone"], "Europe/Berlin");

    let berlin = |html: &str| html.contains(" CET (") || html.contains(" CEST (");
    crate::helpers::eventually("the account page in Berlin time", || {
        let app = &app;
        async move {
            let page = account_page(app, &Browser::default()).await;
            berlin(&page.html) && !page.html.contains(" UTC (")
        }
    })
    .await;
    // Back to UTC with an empty zone.
    let (_, settings, _) = call(
        &app,
        Method::PUT,
        "acme",
        "/settings/branding",
        token,
        Some(put("")),
    )
    .await;
    assert_eq!(settings["branding"]["time_zone"], "UTC");
}
both_engines!(times_are_shown_in_the_tenants_zone);

/// The second factor follows the language the application asked for (`ui_locales`), like the
/// sign-in page before it, even when the browser says nothing.
async fn the_second_factor_speaks_the_requested_language(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    app.cli_json(&["tenant", "policy", "acme", "--mfa", "required", "--json"]);
    app.create_account("acme", EMAIL, PASSWORD);
    let (browser, login) = asked_in(&app, "es").await;
    shows(&login, Lang::Es, "login-title");
    let setup = browser
        .submit(&login, &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert!(
        setup
            .location
            .as_deref()
            .is_some_and(|l| l.contains("/mfa/setup?challenge=")),
        "{:?}",
        setup.location
    );
    let setup = browser.follow(setup, "http://127.0.0.1:9/").await;
    shows(&setup, Lang::Es, "mfa-setup-title");
    shows(&setup, Lang::Es, "mfa-required");
    // A wrong code starts the set-up again, still in Spanish.
    let again = browser.submit(&setup, &[("code", "000000")]).await;
    let again = browser.follow(again, "http://127.0.0.1:9/").await;
    shows(&again, Lang::Es, "mfa-setup-title");
}
both_engines!(the_second_factor_speaks_the_requested_language);
