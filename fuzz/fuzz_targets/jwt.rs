//! Compact JWTs from outside: `id_token_hint` (verified against the tenant's keys and
//! issuer) and `client_assertion` (private_key_jwt, verified against the client's registered
//! JWKS), plus the unverified header and payload decoding both start with. A forged,
//! truncated or oversized token is refused; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::keys::{decode_header, decode_payload_unverified};
use tessera::oidc::client_auth;
use tessera::oidc::form::Params;
use tessera::oidc::id_token_hint;
use tessera_fuzz::Fixture;

fuzz_target!(|data: &[u8]| {
    let fixture = Fixture::get();
    let input = fixture.expand(data);
    let Ok(token) = std::str::from_utf8(&input) else {
        return;
    };
    let _ = decode_header(token);
    let _ = decode_payload_unverified(token);
    if let Some(hint) = id_token_hint::verify(&fixture.ctx, token) {
        // Only the fixture's own ID token verifies: anything else would be a forgery.
        assert_eq!(hint.subject, "fuzz-subject", "a forged hint verified: {token}");
    }
    let form = format!(
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={}",
        url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
    );
    let params = match Params::parse(form.as_bytes()) {
        Ok(params) => params,
        // A NUL, say: refused before any client is looked at.
        Err(e) => return assert!(e.status() < 500, "{e:?}"),
    };
    let authenticated = fixture.runtime.block_on(async {
        let credentials = client_auth::credentials(&fixture.db, &fixture.ctx, None, &params).await?;
        let mut conn = fixture.conn();
        client_auth::authenticate(&mut conn, &fixture.ctx, credentials)
    });
    match authenticated {
        // The fuzzer holds no private key of the client: no assertion may authenticate.
        Ok(client) => panic!("a forged client assertion authenticated {}", client.id),
        Err(e) => assert!(e.status() < 500, "{e:?}"),
    }
});
