//! Registering relying parties with the CLI.

use tessera::config::TenantRouting;

use crate::both_engines;
use crate::helpers::{stderr, Engine, TestApp};

async fn client_lifecycle(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let created = app.create_client(
        "acme",
        &[
            "--redirect-uri",
            "https://app.example.com/cb",
            "--redirect-uri",
            "http://127.0.0.1/native",
            "--post-logout-redirect-uri",
            "https://app.example.com/bye",
        ],
    );
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43, "256-bit secret, base64url");
    assert_eq!(created["client_type"], "confidential");
    assert_eq!(created["auth_method"], "client_secret_basic");
    assert_eq!(
        created["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(created["consent"], "required");
    assert_eq!(created["signing_alg"], "RS256");

    // The secret is shown once: never again by show or list.
    let shown = app.cli_json(&["client", "show", "--tenant", "acme", &id, "--json"]);
    assert!(shown.get("client_secret").is_none());
    assert!(!shown.to_string().contains(&secret));
    let listed = app.cli_json(&["client", "list", "--tenant", "acme", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&secret));

    let updated = app.cli_json(&[
        "client",
        "update",
        "--tenant",
        "acme",
        &id,
        "--name",
        "Renamed",
        "--redirect-uri",
        "https://new.example.com/cb",
        "--consent",
        "skip",
        "--json",
    ]);
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(
        updated["redirect_uris"],
        serde_json::json!(["https://new.example.com/cb"])
    );
    assert_eq!(updated["consent"], "skip");

    let rotated = app.cli_json(&["client", "rotate-secret", "--tenant", "acme", &id, "--json"]);
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);

    // A client of one tenant is unknown in another.
    app.create_tenant("globex");
    let foreign = app.cli(&["client", "show", "--tenant", "globex", &id]);
    assert!(!foreign.status.success());
    assert!(stderr(&foreign).contains("no client"));

    let deleted = app.cli_json(&["client", "delete", "--tenant", "acme", &id, "--json"]);
    assert_eq!(deleted["deleted"], true);
    let gone = app.cli(&["client", "show", "--tenant", "acme", &id]);
    assert!(!gone.status.success());
}
both_engines!(client_lifecycle);

async fn invalid_registrations_are_refused(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    app.create_tenant("acme");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--redirect-uri", "http://app.example.com/cb"],
            "must use https",
        ),
        (
            &["--redirect-uri", "https://app.example.com/cb#frag"],
            "fragment",
        ),
        (&["--redirect-uri", "/relative"], "not an absolute URI"),
        (&[], "authorization_code needs at least one redirect URI"),
        (
            &["--public", "--grant", "client_credentials"],
            "confidential",
        ),
        (
            &[
                "--public",
                "--auth-method",
                "client_secret_basic",
                "--redirect-uri",
                "https://a.example/cb",
            ],
            "public client cannot authenticate",
        ),
        (
            &[
                "--auth-method",
                "none",
                "--redirect-uri",
                "https://a.example/cb",
            ],
            "confidential client must authenticate",
        ),
        (
            &[
                "--auth-method",
                "private_key_jwt",
                "--redirect-uri",
                "https://a.example/cb",
            ],
            "private_key_jwt needs",
        ),
        (
            &[
                "--grant",
                "refresh_token",
                "--redirect-uri",
                "https://a.example/cb",
            ],
            "only issued with authorization_code",
        ),
    ];
    for (args, message) in cases {
        let mut full = vec!["client", "create", "--tenant", "acme", "--name", "x"];
        full.extend_from_slice(args);
        let output = app.cli(&full);
        assert!(!output.status.success(), "{args:?} accepted");
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
        // Said once: an error and its cause must not repeat each other.
        assert_eq!(
            stderr(&output).matches(message).count(),
            1,
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let bad_grant = app.cli(&[
        "client", "create", "--tenant", "acme", "--name", "x", "--grant", "password",
    ]);
    assert_eq!(bad_grant.status.code(), Some(2));
    assert!(app
        .cli_json(&["client", "list", "--tenant", "acme", "--json"])
        .as_array()
        .unwrap()
        .is_empty());

    // A public client gets no secret; loopback redirect URIs are fine over http.
    let public = app.create_client(
        "acme",
        &["--public", "--redirect-uri", "http://localhost/cb"],
    );
    assert!(public.get("client_secret").is_none());
    assert_eq!(public["auth_method"], "none");
    let refused = app.cli(&[
        "client",
        "rotate-secret",
        "--tenant",
        "acme",
        public["client_id"].as_str().unwrap(),
    ]);
    assert!(stderr(&refused).contains("has no secret"));
}
both_engines!(invalid_registrations_are_refused);
