//! A token request: the `Authorization` header (first line of the input) and the form body
//! (the rest), through client authentication against a real tenant and the grant's parsing,
//! as `/token` runs them. Failures are OAuth errors with a 4xx status (or 503 for a busy
//! database); never a panic or a 500.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::oidc::client_auth;
use tessera::oidc::form::Params;
use tessera::oidc::token::TokenRequest;
use tessera_fuzz::Fixture;

fuzz_target!(|data: &[u8]| {
    let fixture = Fixture::get();
    let input = fixture.expand(data);
    let (header, body) = match input.iter().position(|b| *b == b'\n') {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (&[][..], &input[..]),
    };
    let authorization = std::str::from_utf8(header).ok().filter(|h| !h.is_empty());
    let params = match Params::parse(body) {
        Ok(params) => params,
        Err(e) => return assert!(e.status() < 500, "{e:?}"),
    };
    let authenticated = fixture.runtime.block_on(async {
        let credentials =
            client_auth::credentials(&fixture.db, &fixture.ctx, authorization, &params).await?;
        let mut conn = fixture.conn();
        client_auth::authenticate(&mut conn, &fixture.ctx, credentials)
    });
    if let Err(e) = &authenticated {
        assert!(e.status() < 500, "{e:?}");
    }
    if let Err(e) = TokenRequest::parse(&params) {
        assert!(e.status() < 500, "{e:?}");
    }
});
