//! Redirect URI registration and matching: the first line of the input is registered, the
//! rest is what a request asks for. Matching is exact (RFC 9700 §4.1.3) except for the port
//! of a loopback address (RFC 8252 §7.3); a match never leaves the registered origin and path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::domain::RedirectUri;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (registered, requested) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(uri) = RedirectUri::parse(registered) else {
        return;
    };
    assert!(uri.matches(uri.as_str(), false), "a registered URI must match itself");
    for any_port in [false, true] {
        if !uri.matches(requested, any_port) {
            continue;
        }
        if !any_port {
            assert_eq!(requested, uri.as_str(), "only the exact URI matches");
            continue;
        }
        let (a, b) = (url::Url::parse(uri.as_str()), url::Url::parse(requested));
        let (Ok(a), Ok(b)) = (a, b) else {
            panic!("{requested} matched {} without parsing", uri.as_str());
        };
        assert_eq!(
            (a.scheme(), a.host_str(), a.path(), a.query()),
            (b.scheme(), b.host_str(), b.path(), b.query()),
            "{requested} matched {}",
            uri.as_str()
        );
    }
});
