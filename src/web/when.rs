//! Times as people read them in the consoles: an absolute date in UTC and how long ago (or how
//! soon) that is, e.g. `30 Nov 2026, 21:40 UTC (3 minutes ago)`. Machine-readable RFC 3339
//! stays in the API and in `<time datetime>`.

use time::macros::format_description;
use time::OffsetDateTime;

use crate::domain::unix_now;
use crate::i18n::Texts;

/// `30 Nov 2026, 21:40 UTC (3 minutes ago)`.
pub fn describe(at: i64) -> String {
    describe_at(at, unix_now())
}

/// [`describe`] for a stored RFC 3339 value; anything else is shown as it is.
pub fn describe_rfc3339(value: &str) -> String {
    match OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339) {
        Ok(t) => describe(t.unix_timestamp()),
        Err(_) => value.to_owned(),
    }
}

pub fn describe_at(at: i64, now: i64) -> String {
    let absolute = OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(format_description!(
                "[day padding:none] [month repr:short] [year], [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| at.to_string());
    format!("{absolute} ({})", relative(at, now))
}

/// [`describe`] in the reader's language on the hosted pages: `30. Nov. 2026, 21:40 UTC
/// (vor 3 Minuten)`. The month names, the order and the distance are the catalogue's.
pub fn describe_in(t: &Texts, at: i64) -> String {
    describe_in_at(t, at, unix_now())
}

/// [`describe_in`] for a stored RFC 3339 value; anything else is shown as it is.
pub fn describe_rfc3339_in(t: &Texts, value: &str) -> String {
    match OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339) {
        Ok(at) => describe_in(t, at.unix_timestamp()),
        Err(_) => value.to_owned(),
    }
}

pub fn describe_in_at(t: &Texts, at: i64, now: i64) -> String {
    let Ok(moment) = OffsetDateTime::from_unix_timestamp(at) else {
        return at.to_string();
    };
    let month = t.get(&format!("month-{}", u8::from(moment.month())));
    let absolute = t.with(
        "date-time",
        &[
            ("day", &moment.day().to_string()),
            ("month", &month),
            ("year", &moment.year().to_string()),
            (
                "time",
                &format!("{:02}:{:02}", moment.hour(), moment.minute()),
            ),
        ],
    );
    let distance = (now - at).abs();
    let relative = match unit_of(distance) {
        None => t.get("time-just-now"),
        Some((count, unit)) => {
            let direction = if at > now { "in" } else { "ago" };
            t.count(&format!("time-{direction}-{unit}s"), count)
        }
    };
    format!("{absolute} ({relative})")
}

/// A distance in seconds as a count of its largest sensible unit; `None` under 45 seconds.
fn unit_of(distance: i64) -> Option<(i64, &'static str)> {
    Some(match distance {
        d if d < 45 => return None,
        d if d < 90 * 60 => ((d + 30) / 60, "minute"),
        d if d < 36 * 3600 => ((d + 1800) / 3600, "hour"),
        d if d < 60 * 86_400 => ((d + 43_200) / 86_400, "day"),
        d if d < 730 * 86_400 => ((d + 15 * 86_400) / (30 * 86_400), "month"),
        d => ((d + 182 * 86_400) / (365 * 86_400), "year"),
    })
}

/// `just now`, `3 minutes ago`, `in 6 days`.
pub fn relative(at: i64, now: i64) -> String {
    let Some((count, unit)) = unit_of((now - at).abs()) else {
        return "just now".into();
    };
    let plural = if count == 1 { "" } else { "s" };
    if at > now {
        format!("in {count} {unit}{plural}")
    } else {
        format!("{count} {unit}{plural} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = 1_800_000_000;
        assert_eq!(relative(now - 10, now), "just now");
        assert_eq!(relative(now - 60, now), "1 minute ago");
        assert_eq!(relative(now - 3 * 60, now), "3 minutes ago");
        assert_eq!(relative(now - 2 * 3600, now), "2 hours ago");
        assert_eq!(relative(now + 7 * 86_400, now), "in 7 days");
        assert_eq!(relative(now - 400 * 86_400, now), "13 months ago");
        assert_eq!(relative(now - 3 * 365 * 86_400, now), "3 years ago");
    }

    #[test]
    fn absolute_dates_are_utc_and_unambiguous() {
        // 2026-11-30T21:40:00Z
        let at = 1_796_074_800;
        assert_eq!(
            describe_at(at, at + 180),
            "30 Nov 2026, 21:40 UTC (3 minutes ago)"
        );
        assert_eq!(describe_rfc3339("not a time"), "not a time");
    }

    #[test]
    fn hosted_pages_write_dates_in_the_readers_language() {
        use crate::i18n::Lang;
        let at = 1_796_074_800;
        let in_lang = |lang| describe_in_at(&Texts::new(lang), at, at + 180);
        assert_eq!(in_lang(Lang::En), "30 Nov 2026, 21:40 UTC (3 minutes ago)");
        assert_eq!(
            in_lang(Lang::De),
            "30. Nov. 2026, 21:40 UTC (vor 3 Minuten)"
        );
        assert_eq!(
            in_lang(Lang::Fr),
            "30 nov. 2026, 21:40 UTC (il y a 3 minutes)"
        );
        assert_eq!(in_lang(Lang::Es), "30 nov 2026, 21:40 UTC (hace 3 minutos)");
        let de = Texts::new(Lang::De);
        assert_eq!(
            describe_in_at(&de, at, at + 60),
            "30. Nov. 2026, 21:40 UTC (vor 1 Minute)"
        );
        assert_eq!(
            describe_in_at(&de, at + 7 * 86_400, at),
            "7. Dez. 2026, 21:40 UTC (in 7 Tagen)"
        );
    }
}
