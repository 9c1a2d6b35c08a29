//! One line of a legacy import file (`tessera import`): parsed and checked, including the
//! legacy password hash's format and cost caps. A bad line is an error naming what is wrong,
//! never a panic, and never a record without a recognised hash or a valid email.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::admin::import::parse_record;
use tessera::identity::password::PasswordHasher;
use tessera_fuzz::Fixture;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fixture = Fixture::get();
    match parse_record(&fixture.hasher, 7, text) {
        Ok(record) => {
            assert_eq!(record.line, 7);
            assert!(!record.reference().is_empty());
            if let Some(hash) = &record.password_hash {
                assert!(PasswordHasher::recognises(hash), "kept an unknown hash: {hash}");
            }
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
