//! The admin API's JSON bodies: the first byte of the input picks an operation, the rest is
//! its body. The body is decoded as the API decodes it (`decode_body`), and what decodes is
//! handed to the admin service the API would call, inside a transaction that is then rolled
//! back (the fixture stays as it was). Bad input is a 4xx error (`invalid_request`,
//! `conflict`, `not_found`); never a panic or a `server_error`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::admin::clients::{ClientChanges, NewClient};
use tessera::admin::{self, AdminError, Principal};
use tessera::consent::purposes::{NewPurpose, NewVersion};
use tessera::db::AnyConnection;
use tessera::profiles::attributes::NewDefinition;
use tessera::resources::{NewResource, ResourceChanges};
use tessera::tenancy::branding::BrandingChanges;
use tessera::tenancy::tenants::PolicyChanges;
use tessera::web::admin::api::{decode_body, NewRole};
use tessera::webhooks::{NewSubscription, SubscriptionChanges};
use tessera_fuzz::Fixture;

/// Stands for "undo": the service's work is rolled back with the transaction.
const ROLLED_BACK: &str = "rolled back by the fuzz target";

fn operation(conn: &mut AnyConnection, which: u8, body: &[u8]) -> Result<(), AdminError> {
    let fixture = Fixture::get();
    let who = Principal::cli(&fixture.ctx.tenant.id);
    let confidential = String::from_utf8(fixture.expand(b"@conf")).expect("an id");
    match which % 11 {
        0 => admin::clients::create(conn, &who, decode_body::<NewClient>(body)?).map(drop),
        1 => {
            let changes = decode_body::<ClientChanges>(body)?;
            admin::clients::update(conn, &who, &confidential.as_str().into(), changes).map(drop)
        }
        2 => admin::roles::create(conn, &who, &decode_body::<NewRole>(body)?.name).map(drop),
        3 => {
            let changes = decode_body::<PolicyChanges>(body)?;
            let instance = &fixture.ctx.settings;
            admin::settings::set_policy(conn, instance, &who, &fixture.ctx.tenant, changes)
                .map(drop)
        }
        4 => {
            let changes = decode_body::<BrandingChanges>(body)?;
            admin::settings::set_branding(conn, &who, &fixture.ctx.tenant, &changes).map(drop)
        }
        5 => admin::purposes::create(conn, &who, &decode_body::<NewPurpose>(body)?).map(drop),
        6 => {
            let new = decode_body::<NewVersion>(body)?;
            admin::purposes::publish(conn, &who, "marketing", &new).map(drop)
        }
        7 => admin::attributes::create(conn, &who, &decode_body::<NewDefinition>(body)?).map(drop),
        8 => admin::resources::create(conn, &who, &decode_body::<NewResource>(body)?).map(drop),
        9 => {
            let changes = decode_body::<ResourceChanges>(body)?;
            admin::resources::update(conn, &who, "https://api.example.com", &changes).map(drop)
        }
        // Webhook bodies are decoded only: creating a subscription checks its URL over the
        // network, which a fuzzer must not do.
        _ => {
            decode_body::<NewSubscription>(body).map(drop)?;
            decode_body::<SubscriptionChanges>(body).map(drop)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let fixture = Fixture::get();
    let mut conn = fixture.conn();
    let outcome = tessera::db::tx::write::<(), AdminError, _>(&mut conn, |conn| {
        operation(conn, which, body)?;
        Err(AdminError::Invalid(ROLLED_BACK.into()))
    });
    match outcome {
        Err(AdminError::Internal(e)) => panic!("a body made the service fail: {e}"),
        Err(AdminError::Db(e)) if !e.is_transient() => panic!("a body broke the database: {e}"),
        _ => {}
    }
});
