//! Cookies and CSRF: the first line of the input is a `Cookie` header, the rest a posted form.
//! The browser cookie is read from the header as every hosted page reads it, and the form is
//! checked as `CsrfForm` checks it: a form passes only with the token minted for that
//! browser, and a form carrying that token always passes.
#![no_main]

use actix_web::test::TestRequest;
use libfuzzer_sys::fuzz_target;
use tessera::sessions::{csrf_token, BROWSER_COOKIE};
use tessera::web::extract::{check_form, FormRefusal};

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(value) = actix_web::http::header::HeaderValue::from_bytes(header) else {
        return;
    };
    let req = TestRequest::default()
        .insert_header((actix_web::http::header::COOKIE, value))
        .to_http_request();
    let browser = req
        .cookie(BROWSER_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty());
    match check_form(browser.clone(), body) {
        Ok(accepted) => {
            let minted = csrf_token(&accepted);
            let presented = url::form_urlencoded::parse(body).find(|(n, _)| n == "csrf_token");
            assert_eq!(presented.map(|(_, v)| v.into_owned()), Some(minted));
            assert_eq!(Some(accepted), browser);
        }
        Err(FormRefusal::NulCharacter) => {}
        Err(FormRefusal::Forged) => {
            // The same form with this browser's own token (and no NUL) must pass.
            let Some(browser) = browser else { return };
            let clean = url::form_urlencoded::parse(body)
                .filter(|(n, _)| n != "csrf_token")
                .all(|(n, v)| !n.contains('\0') && !v.contains('\0'));
            if !clean {
                return;
            }
            let token: String =
                url::form_urlencoded::byte_serialize(csrf_token(&browser).as_bytes()).collect();
            let mut fixed = format!("csrf_token={token}&").into_bytes();
            fixed.extend_from_slice(body);
            assert!(check_form(Some(browser), &fixed).is_ok());
        }
    }
});
