//! Times as people read them: an absolute date in the tenant's time zone and how long ago (or
//! how soon) that is, e.g. `30 Nov 2026, 22:40 CET (3 minutes ago)`; English in the consoles,
//! the reader's language on the hosted pages. Machine-readable RFC 3339 (UTC) stays in the API.
//! Zones are IANA names (`Europe/Berlin`) from the bundled time-zone database; an unknown one
//! reads as UTC (`tenancy::branding` checks a name when a tenant sets it).

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

use crate::domain::unix_now;
use crate::i18n::Texts;

fn zoned(at: i64, zone: &str) -> Option<Zoned> {
    let zone = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    Timestamp::from_second(at).ok().map(|t| t.to_zoned(zone))
}

/// `30 Nov 2026, 22:40 CET (3 minutes ago)`.
pub fn describe(at: i64, zone: &str) -> String {
    describe_at(at, unix_now(), zone)
}

/// [`describe`] for a stored RFC 3339 value; anything else is shown as it is.
pub fn describe_rfc3339(value: &str, zone: &str) -> String {
    match value.parse::<Timestamp>() {
        Ok(t) => describe(t.as_second(), zone),
        Err(_) => value.to_owned(),
    }
}

pub fn describe_at(at: i64, now: i64, zone: &str) -> String {
    let absolute = zoned(at, zone)
        .map(|z| z.strftime("%-d %b %Y, %H:%M %Z").to_string())
        .unwrap_or_else(|| at.to_string());
    format!("{absolute} ({})", relative(at, now))
}

/// [`describe`] in the reader's language on the hosted pages: `30. Nov. 2026, 22:40 CET
/// (vor 3 Minuten)`. The month names, the order and the distance are the catalogue's.
pub fn describe_in(t: &Texts, zone: &str, at: i64) -> String {
    describe_in_at(t, zone, at, unix_now())
}

/// [`describe_in`] for a stored RFC 3339 value; anything else is shown as it is.
pub fn describe_rfc3339_in(t: &Texts, zone: &str, value: &str) -> String {
    match value.parse::<Timestamp>() {
        Ok(at) => describe_in(t, zone, at.as_second()),
        Err(_) => value.to_owned(),
    }
}

pub fn describe_in_at(t: &Texts, zone: &str, at: i64, now: i64) -> String {
    let Some(moment) = zoned(at, zone) else {
        return at.to_string();
    };
    let month = t.get(&format!("month-{}", moment.month()));
    let absolute = t.with(
        "date-time",
        &[
            ("day", &moment.day().to_string()),
            ("month", &month),
            ("year", &moment.year().to_string()),
            ("time", &moment.strftime("%H:%M").to_string()),
            ("zone", &moment.strftime("%Z").to_string()),
        ],
    );
    let relative = match unit_of((now - at).abs()) {
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
            describe_at(at, at + 180, "UTC"),
            "30 Nov 2026, 21:40 UTC (3 minutes ago)"
        );
        assert_eq!(describe_rfc3339("not a time", "UTC"), "not a time");
        assert_eq!(
            describe_rfc3339("2026-11-30T21:40:00Z", "UTC")
                .split(" (")
                .next(),
            Some("30 Nov 2026, 21:40 UTC")
        );
    }

    #[test]
    fn hosted_pages_write_dates_in_the_readers_language() {
        use crate::i18n::Lang;
        let at = 1_796_074_800;
        let in_lang = |lang| describe_in_at(&Texts::new(lang), "UTC", at, at + 180);
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
            describe_in_at(&de, "UTC", at, at + 60),
            "30. Nov. 2026, 21:40 UTC (vor 1 Minute)"
        );
        assert_eq!(
            describe_in_at(&de, "UTC", at + 7 * 86_400, at),
            "7. Dez. 2026, 21:40 UTC (in 7 Tagen)"
        );
    }

    #[test]
    fn times_are_local_to_the_tenants_zone() {
        // 2026-11-30T21:40:00Z: 22:40 in Berlin (winter), 16:40 in New York; 2026-07-01
        // 12:00Z is summer time in Berlin.
        let at = 1_796_074_800;
        assert_eq!(
            describe_at(at, at, "Europe/Berlin"),
            "30 Nov 2026, 22:40 CET (just now)"
        );
        assert!(describe_at(at, at, "America/New_York").starts_with("30 Nov 2026, 16:40 EST"));
        assert!(describe_at(1_782_907_200, 1_782_907_200, "Europe/Berlin").contains("14:00 CEST"));
        // Past midnight in Tokyo: the date moves too.
        assert!(describe_at(at, at, "Asia/Tokyo").starts_with("1 Dec 2026, 06:40 JST"));
        let de = Texts::new(crate::i18n::Lang::De);
        assert_eq!(
            describe_in_at(&de, "Europe/Berlin", at, at),
            format!("30. Nov. 2026, 22:40 CET ({})", de.get("time-just-now"))
        );
        assert_eq!(
            describe_at(at, at, "Mars/Olympus"),
            describe_at(at, at, "UTC")
        );
    }
}
