//! Times as people read them in the consoles: an absolute date in UTC and how long ago (or how
//! soon) that is, e.g. `30 Nov 2026, 21:40 UTC (3 minutes ago)`. Machine-readable RFC 3339
//! stays in the API and in `<time datetime>`.

use time::macros::format_description;
use time::OffsetDateTime;

use crate::domain::unix_now;

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

/// `just now`, `3 minutes ago`, `in 6 days`.
pub fn relative(at: i64, now: i64) -> String {
    let distance = (now - at).abs();
    if distance < 45 {
        return "just now".into();
    }
    let (count, unit) = match distance {
        d if d < 90 * 60 => ((d + 30) / 60, "minute"),
        d if d < 36 * 3600 => ((d + 1800) / 3600, "hour"),
        d if d < 60 * 86_400 => ((d + 43_200) / 86_400, "day"),
        d if d < 730 * 86_400 => ((d + 15 * 86_400) / (30 * 86_400), "month"),
        d => ((d + 182 * 86_400) / (365 * 86_400), "year"),
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
}
