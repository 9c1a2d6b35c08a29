//! Hosted pages in the reader's language. Texts live in Fluent message files
//! (`locales/{lang}/pages.ftl`, compiled in); English is the reference every other language
//! matches message for message, and a message missing in a language falls back to English.
//!
//! The language of a page, first match wins: the reader's explicit choice (the page's language
//! switcher, remembered in a cookie), the authorization request's `ui_locales` (OpenID Connect
//! Core §3.1.2.1), the signed-in profile's locale, the browser's `Accept-Language`, English.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// The languages hosted pages come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    De,
    Fr,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::De, Lang::Fr, Lang::Es];

    /// The BCP 47 tag (`<html lang>`, `ui_locales_supported`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// The language's name in itself (the switcher).
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
            Lang::Fr => "Français",
            Lang::Es => "Español",
        }
    }

    /// The supported language a tag names by its primary subtag (`de-AT` → German), if any.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// The language's catalogue: the hosted pages, the account page, the mails.
    fn source(self) -> &'static str {
        macro_rules! catalogue {
            ($lang:literal) => {
                concat!(
                    include_str!(concat!("../../locales/", $lang, "/pages.ftl")),
                    "\n",
                    include_str!(concat!("../../locales/", $lang, "/account.ftl")),
                    "\n",
                    include_str!(concat!("../../locales/", $lang, "/mail.ftl")),
                )
            };
        }
        match self {
            Lang::En => catalogue!("en"),
            Lang::De => catalogue!("de"),
            Lang::Fr => catalogue!("fr"),
            Lang::Es => catalogue!("es"),
        }
    }
}

/// What a page request says about the reader's language.
#[derive(Debug, Default, Clone, Copy)]
pub struct Hints<'a> {
    /// The switcher's choice (a query parameter or the cookie remembering it).
    pub chosen: Option<&'a str>,
    /// The authorization request's `ui_locales`: space-separated, in order of preference.
    pub ui_locales: Option<&'a str>,
    /// The signed-in profile's locale.
    pub profile_locale: Option<&'a str>,
    /// The browser's `Accept-Language` header.
    pub accept_language: Option<&'a str>,
}

/// The language to show; see the module's documentation for the order.
pub fn negotiate(hints: Hints) -> Lang {
    hints
        .chosen
        .and_then(Lang::parse)
        .or_else(|| {
            hints
                .ui_locales
                .and_then(|list| list.split_whitespace().find_map(Lang::parse))
        })
        .or_else(|| hints.profile_locale.and_then(Lang::parse))
        .or_else(|| hints.accept_language.and_then(from_accept_language))
        .unwrap_or_default()
}

/// The best supported language of an `Accept-Language` header (RFC 9110 §12.5.4): highest
/// `q` first, then the order given; `q=0` means "not this one".
fn from_accept_language(header: &str) -> Option<Lang> {
    let mut ranked: Vec<(u16, usize, Lang)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, item)| {
            let mut parts = item.split(';');
            let lang = Lang::parse(parts.next()?)?;
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), |q| {
                    q.trim().parse::<f32>().ok().map(|q| (q * 1000.0) as u16)
                })?;
            (q > 0).then_some((q, i, lang))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.first().map(|(_, _, lang)| *lang)
}

struct Catalog {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog {
    bundles: Lang::ALL
        .into_iter()
        .map(|lang| {
            let tag = lang.code().parse().expect("a valid language tag");
            let mut bundle = FluentBundle::new_concurrent(vec![tag]);
            // Isolation marks would show up inside HTML attributes and plain-text mail.
            bundle.set_use_isolating(false);
            // The files are compiled in and checked by the tests below: a parse error here is a
            // build that never passed them.
            let resource = FluentResource::try_new(lang.source().to_owned())
                .unwrap_or_else(|(resource, _)| resource);
            let _ = bundle.add_resource(resource);
            (lang, bundle)
        })
        .collect(),
});

impl Catalog {
    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        &self
            .bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .unwrap_or(&self.bundles[0])
            .1
    }

    fn format(&self, lang: Lang, id: &str, args: Option<&FluentArgs>) -> Option<String> {
        let bundle = self.bundle(lang);
        let pattern = bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        Some(
            bundle
                .format_pattern(pattern, args, &mut errors)
                .into_owned(),
        )
    }
}

/// A tenant's own wording: language code → message id → text. A text may use the English
/// message's `{ $name }` arguments.
pub type Overrides = BTreeMap<String, BTreeMap<String, String>>;

/// The texts of one page in one language, with the tenant's own wording first.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    pub lang: Lang,
    /// The tenant's texts (shared with its cached row, never copied per page).
    own: Option<Arc<Overrides>>,
}

impl Texts {
    pub fn new(lang: Lang) -> Texts {
        Texts { lang, own: None }
    }

    /// These texts with the tenant's own wording first.
    pub fn owned_by(self, overrides: &Arc<Overrides>) -> Texts {
        let own = (!overrides.is_empty()).then(|| overrides.clone());
        Texts { own, ..self }
    }

    /// Whether the catalogue has the message `id` (what a tenant may reword).
    pub fn exists(id: &str) -> bool {
        CATALOG.format(Lang::En, id, None).is_some()
    }

    /// The message `id`; English when the language lacks it, the id itself when English does.
    pub fn get(&self, id: &str) -> String {
        self.with(id, &[])
    }

    /// The message `id` with its `{ $name }` arguments.
    pub fn with(&self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, *value);
        }
        self.format(id, fluent)
    }

    /// The message `id` with the number `{ $n }`, which selects its plural form
    /// (`{ $n -> [one] … *[other] … }`).
    pub fn count(&self, id: &str, n: i64) -> String {
        let mut fluent = FluentArgs::new();
        fluent.set("n", n);
        self.format(id, fluent)
    }

    fn format(&self, id: &str, fluent: FluentArgs) -> String {
        let own = self.own.as_ref().and_then(|own| own.get(self.lang.code()));
        if let Some(text) = own.and_then(|texts| texts.get(id)) {
            // The tenant's text is plain: its arguments are put in as they are.
            return fluent.iter().fold(text.clone(), |text, (name, value)| {
                let value = match value {
                    fluent_bundle::FluentValue::String(s) => s.to_string(),
                    fluent_bundle::FluentValue::Number(n) => n.as_string().to_string(),
                    _ => String::new(),
                };
                text.replace(&format!("{{ ${name} }}"), &value)
                    .replace(&format!("{{${name}}}"), &value)
            });
        }
        let args = fluent.iter().next().is_some().then_some(&fluent);
        CATALOG
            .format(self.lang, id, args)
            .or_else(|| CATALOG.format(Lang::En, id, args))
            .unwrap_or_else(|| id.to_owned())
    }

    /// The message `id` if the catalogue has it (for codes that arrive from outside, such as a
    /// page's `?error=`).
    pub fn find(&self, id: &str) -> Option<String> {
        CATALOG.format(Lang::En, id, None).map(|_| self.get(id))
    }

    /// The message `id` with its one argument `{ $name }` (handy in templates).
    pub fn arg(&self, id: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.with(id, &[(name, &value.to_string())])
    }

    /// The message `id` with two arguments.
    pub fn arg2(
        &self,
        id: &str,
        first: &str,
        one: impl std::fmt::Display,
        second: &str,
        two: impl std::fmt::Display,
    ) -> String {
        self.with(id, &[(first, &one.to_string()), (second, &two.to_string())])
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(lang: Lang) -> Vec<String> {
        let resource = FluentResource::try_new(lang.source().to_owned())
            .unwrap_or_else(|(_, errors)| panic!("{lang:?}: {errors:?}"));
        let mut ids: Vec<String> = resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn every_language_has_exactly_the_english_messages() {
        let english = ids(Lang::En);
        assert!(!english.is_empty());
        for lang in Lang::ALL {
            assert_eq!(ids(lang), english, "{lang:?}");
        }
    }

    #[test]
    fn messages_format_with_arguments_and_fall_back() {
        let de = Texts::new(Lang::De);
        assert_eq!(de.get("login-title"), "Anmelden");
        assert_eq!(
            de.with("login-continue-to", &[("client", "Shop")]),
            "um mit Shop fortzufahren"
        );
        assert_eq!(de.get("no-such-message"), "no-such-message");
    }

    #[test]
    fn the_language_is_negotiated_in_order() {
        let all = Hints {
            chosen: Some("es"),
            ui_locales: Some("fr-CA de"),
            profile_locale: Some("de"),
            accept_language: Some("de"),
        };
        assert_eq!(negotiate(all), Lang::Es);
        assert_eq!(
            negotiate(Hints {
                chosen: None,
                ..all
            }),
            Lang::Fr
        );
        let ui_unsupported = Hints {
            chosen: Some("xx"),
            ui_locales: Some("ja zh"),
            ..all
        };
        assert_eq!(negotiate(ui_unsupported), Lang::De, "the profile's");
        let browser = |header| {
            negotiate(Hints {
                accept_language: Some(header),
                ..Hints::default()
            })
        };
        assert_eq!(browser("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7"), Lang::Fr);
        assert_eq!(browser("ja, es;q=0.5, de;q=0.6"), Lang::De);
        assert_eq!(browser("de;q=0, es"), Lang::Es);
        assert_eq!(browser("*"), Lang::En);
        assert_eq!(browser("garbage;;;q=x"), Lang::En);
        assert_eq!(negotiate(Hints::default()), Lang::En);
    }
}
