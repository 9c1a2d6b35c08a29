//! An authorization request, as the query string or form a browser brings to `/authorize`,
//! parsed and validated against a real tenant and its clients (`oidc::authorize::validate`).
//! Whatever it holds, the answer is a page for the user or an error for a verified redirect
//! URI; never a panic, and never a redirect to an address the client did not register.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::oidc::authorize::{self, AuthorizeError};
use tessera::oidc::form::Params;
use tessera_fuzz::Fixture;

fuzz_target!(|data: &[u8]| {
    let fixture = Fixture::get();
    let input = fixture.expand(data);
    let Ok(params) = Params::parse(&input) else {
        return;
    };
    let mut conn = fixture.conn();
    match authorize::validate(&mut conn, &fixture.ctx, &params) {
        Ok((client, request)) => {
            assert!(client.redirect_uri_for(&request.redirect_uri).is_some());
            assert_eq!(request.client_id, client.id.to_string());
        }
        Err(AuthorizeError::Redirect(response)) => {
            let location = response.location();
            let client = params.get("client_id").expect("a redirect names its client");
            let client = fixture.ctx.client(&mut conn, client).expect("a known client");
            let target = location.split(['?', '#']).next().unwrap_or_default();
            assert!(
                client.redirect_uri_for(target).is_some(),
                "redirected to an unregistered address: {location}"
            );
        }
        Err(_) => {}
    }
});
