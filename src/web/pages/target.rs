//! Where a sign-in goes once it is done: a pending authorization request, or one of the
//! tenant's own consoles. Carried by the login form and, while a second factor is due, by the
//! challenge.

use serde::Deserialize;

/// `?request=ID` or `?next=account|admin` of the sign-in pages.
#[derive(Deserialize)]
pub struct RequestQuery {
    pub(super) request: Option<String>,
    pub(super) next: Option<String>,
    /// The language switcher's choice.
    pub(super) lang: Option<String>,
}

impl RequestQuery {
    pub fn request_id(self) -> Option<String> {
        self.request.filter(|r| !r.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Authorization(String),
    /// One of the tenant's own consoles (no client involved).
    Console(Console),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Console {
    /// `{issuer}/account`: self-service.
    Account,
    /// `{issuer}/admin`: the tenant console.
    Admin,
}

impl Console {
    /// The `next` value and the path under the issuer.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Console::Account => "account",
            Console::Admin => "admin",
        }
    }

    fn parse(input: &str) -> Option<Console> {
        [Console::Account, Console::Admin]
            .into_iter()
            .find(|c| c.as_str() == input)
    }

    /// The message naming where the user is going, for the login page.
    pub(super) fn label(self) -> &'static str {
        match self {
            Console::Account => "login-to-account",
            Console::Admin => "login-to-console",
        }
    }
}

impl Target {
    /// The stored form, kept while a second factor is due.
    pub(super) fn encode(&self) -> String {
        match self {
            Target::Authorization(id) => format!("request:{id}"),
            Target::Console(console) => console.as_str().to_owned(),
        }
    }

    pub(super) fn decode(stored: &str) -> Option<Target> {
        match stored.strip_prefix("request:") {
            Some(id) => Some(Target::Authorization(id.to_owned())),
            None => Console::parse(stored).map(Target::Console),
        }
    }

    pub(super) fn from(request: Option<String>, next: Option<String>) -> Option<Target> {
        match (request.filter(|r| !r.is_empty()), next.as_deref()) {
            (Some(id), _) => Some(Target::Authorization(id)),
            (None, Some(next)) => Console::parse(next).map(Target::Console),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_round_trip() {
        for target in [
            Target::Authorization("abc".into()),
            Target::Console(Console::Account),
            Target::Console(Console::Admin),
        ] {
            assert_eq!(Target::decode(&target.encode()), Some(target));
        }
        assert_eq!(Target::decode("elsewhere"), None);
    }
}
