//! What the fuzz targets share: one real tenant on a SQLite database in a temporary directory,
//! with the clients a relying party would register, built once per fuzzing process.
//!
//! Inputs cannot know the random ids the fixture gets, so targets replace placeholders in
//! the input before using it: `@pub` (a public client), `@conf` (a confidential client using
//! `client_secret_basic`), `@post` (one using `client_secret_post`), `@jwt` (one using
//! `private_key_jwt`), `@secret` and `@psecret` (the two confidential clients' secrets),
//! `@basic` (HTTP Basic credentials of `@conf`) and `@hint` (an ID token this tenant signed). The committed corpora use them.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use serde_json::json;
use tessera::admin::clients::NewClient;
use tessera::admin::{self, Principal};
use tessera::cache::TtlCache;
use tessera::config::Settings;
use tessera::db::{AnyConnection, Db};
use tessera::identity::password::PasswordHasher;
use tessera::keys::{KeyAlg, KeyStore, MasterKey};
use tessera::oidc::context::OidcContext;
use tessera::oidc::jwks_fetch::JwksCache;
use tessera::outbound::Outbound;

pub struct Fixture {
    pub db: Db,
    pub ctx: OidcContext,
    pub hasher: PasswordHasher,
    pub runtime: tokio::runtime::Runtime,
    placeholders: Vec<(&'static [u8], Vec<u8>)>,
}

impl Fixture {
    pub fn get() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| build().expect("the fuzz fixture builds"))
    }

    pub fn conn(&self) -> tessera::db::Conn {
        self.db.conn().expect("a connection to the fixture database")
    }

    /// `input` with every placeholder replaced by the fixture's value. Placeholders are
    /// looked for only where an `@` is: each comparison is an intercepted `memcmp` that
    /// libFuzzer records, which made a naive search most of an execution's cost.
    pub fn expand(&self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        let mut rest = input;
        while let Some(at) = rest.iter().position(|b| *b == b'@') {
            out.extend_from_slice(&rest[..at]);
            rest = &rest[at..];
            match self
                .placeholders
                .iter()
                .find(|(name, _)| rest.starts_with(name))
            {
                Some((name, value)) => {
                    out.extend_from_slice(value);
                    rest = &rest[name.len()..];
                }
                None => {
                    out.push(b'@');
                    rest = &rest[1..];
                }
            }
        }
        out.extend_from_slice(rest);
        out
    }
}

fn build() -> anyhow::Result<Fixture> {
    let dir = std::env::temp_dir().join(format!("tessera-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut settings = Settings::defaults()?;
    settings.server.data_dir = dir.clone();
    settings.server.public_url = "https://id.example.com".parse()?;
    settings.database.url = format!("sqlite://{}/fuzz.db", dir.display()).into();
    settings.keys.master_key = Some(MasterKey::generate().to_base64().into());
    let settings = Arc::new(settings);
    let (db, vault) = tessera::startup::open_database(&settings)?;
    let mut conn = db.conn()?;
    let (tenant, _) = tessera::platform::create_tenant(
        &mut conn,
        &vault,
        &tessera::audit::Actor::cli(),
        "fuzz",
        "Fuzz",
        None,
    )?;
    let who = Principal::cli(&tenant.id);
    let jwt_key = tessera::keys::generate_keys(&[KeyAlg::Es256])?.remove(0);
    let jwks = format!("{{\"keys\":[{}]}}", jwt_key.public_jwk);
    let client = |conn: &mut AnyConnection, spec: serde_json::Value| {
        let new: NewClient = serde_json::from_value(spec).expect("a valid client");
        admin::clients::create(conn, &who, new).expect("the client is created")
    };
    let redirects = json!(["https://rp.example.com/cb", "http://127.0.0.1/cb"]);
    let (public, _) = client(
        &mut conn,
        json!({ "name": "public", "client_type": "public", "redirect_uris": redirects,
                "grant_types": ["authorization_code", "refresh_token"], "auth_method": "none" }),
    );
    let (confidential, secret) = client(
        &mut conn,
        json!({ "name": "confidential", "redirect_uris": redirects,
                "grant_types": ["authorization_code", "refresh_token", "client_credentials"] }),
    );
    let (post, post_secret) = client(
        &mut conn,
        json!({ "name": "post", "redirect_uris": redirects,
                "grant_types": ["authorization_code", "client_credentials"],
                "auth_method": "client_secret_post" }),
    );
    let (jwt, _) = client(
        &mut conn,
        json!({ "name": "jwt", "redirect_uris": redirects,
                "grant_types": ["authorization_code", "client_credentials"],
                "auth_method": "private_key_jwt", "jwks": jwks }),
    );
    // An API and a consent purpose, so that requests naming them reach past the lookup.
    let api = json!({ "identifier": "https://api.example.com", "name": "Orders",
                      "scopes": ["orders:read", "orders:write"],
                      "clients": [{ "client_id": public.id.to_string(), "scopes": ["orders:read"] },
                                  { "client_id": confidential.id.to_string(),
                                    "scopes": ["orders:read", "orders:write"] }] });
    admin::resources::create(&mut conn, &who, &serde_json::from_value(api)?)?;
    let purpose = json!({ "key": "marketing", "name": "Marketing", "text": "News by mail." });
    admin::purposes::create(&mut conn, &who, &serde_json::from_value(purpose)?)?;
    let key_store = Arc::new(KeyStore::new(vault));
    let keys = key_store.load(&mut conn, &tenant.id)?;
    let issuer = format!("{}/t/fuzz", settings.server.public_url.as_str().trim_end_matches('/'));
    let now = tessera::domain::unix_now();
    let hint = keys
        .signer(KeyAlg::Rs256)
        .expect("an RS256 key")
        .sign(
            "JWT",
            json!({ "iss": issuer, "aud": public.id.to_string(), "sub": "fuzz-subject",
                    "sid": "fuzz-session", "iat": now, "exp": now + 300 })
            .to_string()
            .as_bytes(),
        )?;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        confidential.id,
        secret.as_deref().unwrap_or_default()
    ));
    let placeholders: Vec<(&'static [u8], Vec<u8>)> = vec![
        (b"@pub", public.id.to_string().into_bytes()),
        (b"@conf", confidential.id.to_string().into_bytes()),
        (b"@post", post.id.to_string().into_bytes()),
        (b"@jwt", jwt.id.to_string().into_bytes()),
        (b"@basic", basic.into_bytes()),
        (b"@secret", secret.unwrap_or_default().into_bytes()),
        (b"@psecret", post_secret.unwrap_or_default().into_bytes()),
        (b"@hint", hint.into_bytes()),
    ];
    let ctx = OidcContext {
        settings: settings.clone(),
        issuer,
        tenant,
        keys,
        client_jwks: Arc::new(JwksCache::new(Outbound::new(&settings.outbound)?)),
        clients: Arc::new(TtlCache::new(Duration::from_secs(3600), 1000)),
        key_store,
    };
    drop(conn);
    Ok(Fixture {
        db,
        ctx,
        hasher: PasswordHasher::from_settings(&settings.argon2)?,
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        placeholders,
    })
}
