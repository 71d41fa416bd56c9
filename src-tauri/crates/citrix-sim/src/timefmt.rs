//! The two time formats of the CVAD API: the US-locale text of plain fields
//! (`3/15/2022 7:41:45 AM`) and the RFC 3339 `Formatted*` twins.

use time::OffsetDateTime;

/// `3/15/2022 7:41:45 AM`, as the service renders `StartTime` and friends.
pub fn us_locale(t: OffsetDateTime) -> String {
    format!(
        "{}/{}/{} {}",
        u8::from(t.month()),
        t.day(),
        t.year(),
        time_of_day(t)
    )
}

/// `7:41:45 AM`, as `GET /me` renders `ExpiryTime` despite the spec promising RFC 3339.
pub fn time_of_day(t: OffsetDateTime) -> String {
    let (hour, half) = match t.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!("{hour}:{:02}:{:02} {half}", t.minute(), t.second())
}

/// `2022-03-15T07:41:45Z`; the simulator keeps every time in UTC.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_like_the_service() {
        let t = datetime!(2022-03-15 07:41:45 UTC);
        assert_eq!(us_locale(t), "3/15/2022 7:41:45 AM");
        assert_eq!(rfc3339(t), "2022-03-15T07:41:45Z");
        assert_eq!(
            time_of_day(datetime!(2022-03-15 00:05:09 UTC)),
            "12:05:09 AM"
        );
        assert_eq!(
            time_of_day(datetime!(2022-03-15 16:19:11 UTC)),
            "4:19:11 PM"
        );
    }
}
