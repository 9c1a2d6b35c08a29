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
