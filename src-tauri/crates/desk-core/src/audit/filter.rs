//! What the officer asked to see in the trail, and the requests in it that never got an outcome.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use ts_rs::TS;

use super::{ActionKind, AuditEvent, AuditRecord};
use crate::account::Mode;
use crate::error::{Error, Result};

/// What the officer asked to see.
// Serialize: the investigation report names the filter's fields as they are set.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(default, rename_all = "camelCase")]
pub struct AuditFilter {
    /// RFC 3339 time, or a date (`YYYY-MM-DD`, from the start of that day, UTC).
    pub from: Option<String>,
    /// RFC 3339 time, or a date (`YYYY-MM-DD`, up to the end of that day, UTC).
    pub to: Option<String>,
    /// Part of the session's user (account or display name) or of the OS user who acted, any
    /// case. Records written before display names were kept match by account only.
    pub user: Option<String>,
    /// The case or ticket reference, exactly as given (any case, spaces around ignored): `INV-1`
    /// does not find `INV-12`.
    pub case_ref: Option<String>,
    pub action: Option<ActionKind>,
    /// An outcome (recording, failed, ...) or `requested` for the request records.
    pub outcome: Option<String>,
    /// Only the records made against Citrix Cloud, or only the demo site's; `null` for both.
    pub mode: Option<Mode>,
}

struct Bounds {
    from: Option<OffsetDateTime>,
    to_exclusive: Option<OffsetDateTime>,
}

impl AuditFilter {
    fn bounds(&self) -> Result<Bounds> {
        Ok(Bounds {
            from: non_empty(&self.from)
                .map(|s| parse_bound(s, false))
                .transpose()?,
            to_exclusive: non_empty(&self.to)
                .map(|s| parse_bound(s, true))
                .transpose()?,
        })
    }

    /// Keeps the records that match; an unparseable date is an `invalidInput` error.
    pub fn apply(&self, records: &[AuditRecord]) -> Result<Vec<AuditRecord>> {
        let bounds = self.bounds()?;
        let user = non_empty(&self.user).map(str::to_lowercase);
        let outcome = non_empty(&self.outcome);
        let case_ref = non_empty(&self.case_ref);
        Ok(records
            .iter()
            .filter(|r| {
                let time = OffsetDateTime::parse(&r.time, &Rfc3339).ok();
                let in_range = match (time, bounds.from, bounds.to_exclusive) {
                    (_, None, None) => true,
                    // A record whose time cannot be read is shown rather than hidden.
                    (None, _, _) => true,
                    (Some(t), from, to) => from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e),
                };
                let user_matches = user.as_ref().is_none_or(|u| {
                    [r.session_user.as_deref(), r.display_name.as_deref()]
                        .into_iter()
                        .flatten()
                        .chain([r.os_user.as_str()])
                        .any(|s| s.to_lowercase().contains(u))
                });
                let case_matches = case_ref.is_none_or(|c| {
                    r.case_ref
                        .as_deref()
                        .is_some_and(|rc| rc.trim().to_lowercase() == c.to_lowercase())
                });
                let action_matches = self.action.is_none_or(|a| a == r.action);
                let outcome_matches = outcome.is_none_or(|o| match r.event {
                    AuditEvent::Requested => o == "requested",
                    AuditEvent::Outcome | AuditEvent::Check => r.outcome.as_deref() == Some(o),
                    AuditEvent::Resealed => false,
                });
                // A re-seal is about the whole trail, whichever site it was on.
                let mode_matches =
                    self.mode.is_none_or(|m| m == r.mode) || r.event == AuditEvent::Resealed;
                in_range
                    && user_matches
                    && case_matches
                    && action_matches
                    && outcome_matches
                    && mode_matches
            })
            .cloned()
            .collect())
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_bound(s: &str, end: bool) -> Result<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        // An end time is inclusive: move it just past the given instant.
        return if end {
            t.checked_add(time::Duration::nanoseconds(1))
                .ok_or_else(|| out_of_range(s))
        } else {
            Ok(t)
        };
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(s, &format).map_err(|_| {
        Error::invalid(format!(
            "“{s}” is not a date. Use a date like 2025-03-01 or a full date and time."
        ))
    })?;
    let start = date.midnight().assume_utc();
    if end {
        start
            .checked_add(time::Duration::days(1))
            .ok_or_else(|| out_of_range(s))
    } else {
        Ok(start)
    }
}

fn out_of_range(s: &str) -> Error {
    Error::invalid(format!(
        "“{s}” is too far in the future. Leave “To” empty to include everything up to now."
    ))
}

/// The outcome written when Citrix could not be asked: "not known — check again".
const UNKNOWN: &str = "unknown";

/// The records whose outcome is open, oldest first: requests that never got an outcome (the app
/// or computer stopped mid-run) and outcomes "not known" that no later check of the same request
/// answered. For each, the officer must check the session's status. Runs still going are left
/// out. Each record is returned, not just its session, because a session can have an open
/// request in one run and a completed one in the next; only the open one is in doubt.
pub fn unknown_outcomes(records: &[AuditRecord], active_run: Option<&str>) -> Vec<AuditRecord> {
    let mut open: HashMap<(&str, &str, ActionKind), usize> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let key = (r.run_id.as_str(), r.session_id.as_str(), r.action);
        match r.event {
            AuditEvent::Requested => {
                open.insert(key, i);
            }
            AuditEvent::Outcome | AuditEvent::Check if r.outcome.as_deref() == Some(UNKNOWN) => {
                open.insert(key, i);
            }
            AuditEvent::Outcome | AuditEvent::Check => {
                open.remove(&key);
            }
            AuditEvent::Resealed => {}
        }
    }
    let mut pending: Vec<usize> = open
        .into_iter()
        .filter(|((run, _, _), _)| Some(*run) != active_run)
        .map(|(_, i)| i)
        .collect();
    pending.sort_unstable();
    pending.into_iter().map(|i| records[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::testing::*;
    use crate::error::ErrorKind;

    /// The numbers of the records `f` keeps.
    fn kept(records: &[AuditRecord], f: AuditFilter) -> Vec<u64> {
        f.apply(records)
            .expect("filter")
            .iter()
            .map(|r| r.seq)
            .collect()
    }

    #[test]
    fn filters_by_time_user_action_and_outcome() {
        use ActionKind::*;
        use AuditEvent::*;
        let mut records = vec![
            record(1, "2025-03-01T08:00:00Z", Requested, Start),
            record(2, "2025-03-01T23:59:59.5Z", Outcome, Start),
            record(3, "2025-03-02T00:00:00Z", Requested, Stop),
            record(4, "2025-03-03T12:00:00+02:00", Outcome, Stop),
        ];
        records[2].session_user = Some("Jane Smith".into());
        let seqs = |f: AuditFilter| kept(&records, f);

        assert_eq!(seqs(AuditFilter::default()), [1, 2, 3, 4]);
        let day = |from: &str, to: &str| AuditFilter {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        };
        assert_eq!(seqs(day("2025-03-01", "2025-03-01")), [1, 2]);
        assert_eq!(seqs(day("2025-03-02", "2025-03-03")), [3, 4]);
        assert_eq!(
            seqs(day("2025-03-01T09:00:00+01:00", "2025-03-02T00:00:00Z")),
            [1, 2, 3],
            "bounds are inclusive and honour offsets"
        );
        assert_eq!(
            seqs(AuditFilter {
                user: Some("  JANE ".into()),
                ..Default::default()
            }),
            [3]
        );
        assert_eq!(
            seqs(AuditFilter {
                user: Some("offic".into()),
                ..Default::default()
            }),
            [1, 2, 3, 4],
            "matches the OS user too"
        );
        assert_eq!(
            seqs(AuditFilter {
                action: Some(Stop),
                ..Default::default()
            }),
            [3, 4]
        );
        assert_eq!(
            seqs(AuditFilter {
                outcome: Some("failed".into()),
                ..Default::default()
            }),
            [2, 4]
        );
        assert_eq!(
            seqs(AuditFilter {
                outcome: Some("requested".into()),
                ..Default::default()
            }),
            [1, 3]
        );
        let bad = AuditFilter {
            from: Some("yesterday".into()),
            ..Default::default()
        };
        assert_eq!(
            bad.apply(&records).expect_err("bad date").kind(),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn finds_records_by_display_name_and_by_exact_case() {
        use ActionKind::*;
        use AuditEvent::*;
        let mut records = vec![
            record(1, "2025-03-01T08:00:00Z", Requested, Start),
            record(2, "2025-03-01T08:00:01Z", Outcome, Start),
            record(3, "2025-03-01T08:00:02Z", Requested, Stop),
        ];
        // Record 1 was written before display names and cases were kept.
        records[1].display_name = Some("Daniel Martínez".into());
        records[1].session_user = Some("ACME\\daniel.martinez".into());
        records[1].case_ref = Some("INV-2291".into());
        records[2].case_ref = Some("INV-22".into());
        let seqs = |f: AuditFilter| kept(&records, f);
        let user = |u: &str| AuditFilter {
            user: Some(u.into()),
            ..Default::default()
        };
        assert_eq!(seqs(user("daniel mart")), [2], "the display name matches");
        assert_eq!(seqs(user("DANIEL.MARTINEZ")), [2], "so does the account");
        let case = |c: &str| AuditFilter {
            case_ref: Some(c.into()),
            ..Default::default()
        };
        assert_eq!(seqs(case(" inv-2291 ")), [2]);
        assert_eq!(seqs(case("INV-22")), [3], "a case is matched whole");
        assert_eq!(seqs(case("INV-2")), Vec::<u64>::new());
        assert_eq!(seqs(case("")), [1, 2, 3], "an empty case is no filter");
    }

    #[test]
    fn the_filter_accepts_the_ipc_shape() {
        let f: AuditFilter = serde_json::from_value(serde_json::json!({
            "from": null, "to": "2025-03-01", "user": null, "action": "stop", "outcome": null
        }))
        .expect("deserialize");
        assert_eq!(f.action, Some(ActionKind::Stop));
        let empty: AuditFilter = serde_json::from_value(serde_json::json!({})).expect("empty");
        assert!(empty.from.is_none());
    }

    #[test]
    fn requests_without_outcome_are_listed_once_except_for_the_active_run() {
        use ActionKind::*;
        use AuditEvent::*;
        let mut rs = vec![
            record(1, "t", Requested, Start),
            record(2, "t", Outcome, Start),
            record(3, "t", Requested, Start),
            record(4, "t", Requested, Stop),
            record(5, "t", Requested, Start),
        ];
        rs[1].session_id = "s1".into(); // outcome of 1
        rs[2].session_id = "a".into();
        rs[3].session_id = "a".into(); // same session, stop, also open
        rs[4].session_id = "b".into();
        rs[4].run_id = "r2".into();
        let seqs = |active: Option<&str>| -> Vec<u64> {
            unknown_outcomes(&rs, active)
                .iter()
                .map(|r| r.seq)
                .collect()
        };
        assert_eq!(seqs(None), [3, 4, 5]);
        assert_eq!(seqs(Some("r2")), [3, 4]);
    }

    /// Session S: requested in run 1 (the app then crashed, no outcome), requested again and
    /// confirmed in run 2. Only run 1's request is in doubt.
    #[test]
    fn the_open_request_is_flagged_not_a_later_completed_one_of_the_same_session() {
        use ActionKind::*;
        use AuditEvent::*;
        let mut rs = vec![
            record(1, "t", Requested, Start),
            record(2, "t", Requested, Start),
            record(3, "t", Outcome, Start),
        ];
        for r in &mut rs {
            r.session_id = "S".into();
        }
        rs[0].run_id = "run-1".into();
        rs[1].run_id = "run-2".into();
        rs[2].run_id = "run-2".into();
        let open = unknown_outcomes(&rs, None);
        assert_eq!(open.iter().map(|r| r.seq).collect::<Vec<_>>(), [1]);
        assert_eq!(open[0].run_id, "run-1");
    }

    #[test]
    fn a_date_at_the_end_of_time_is_invalid_input_not_a_panic() {
        let records = [record(
            1,
            "2025-03-01T08:00:00Z",
            AuditEvent::Requested,
            ActionKind::Start,
        )];
        for to in ["9999-12-31", "9999-12-31T23:59:59.999999999Z"] {
            let f = AuditFilter {
                to: Some(to.into()),
                ..Default::default()
            };
            assert_eq!(
                f.apply(&records).expect_err(to).kind(),
                ErrorKind::InvalidInput
            );
        }
        let f = AuditFilter {
            from: Some("9999-12-31".into()),
            ..Default::default()
        };
        assert!(f.apply(&records).expect("from is fine").is_empty());
    }

    #[test]
    fn filters_by_mode() {
        let mut records = vec![
            record(
                1,
                "2025-03-01T08:00:00Z",
                AuditEvent::Requested,
                ActionKind::Start,
            ),
            record(
                2,
                "2025-03-01T08:00:01Z",
                AuditEvent::Requested,
                ActionKind::Start,
            ),
        ];
        records[1].mode = Mode::Cloud;
        let seqs = |mode| -> Vec<u64> {
            AuditFilter {
                mode,
                ..Default::default()
            }
            .apply(&records)
            .expect("filter")
            .iter()
            .map(|r| r.seq)
            .collect()
        };
        assert_eq!(seqs(Some(Mode::Cloud)), [2]);
        assert_eq!(seqs(Some(Mode::Demo)), [1]);
        assert_eq!(seqs(None), [1, 2]);
    }
}
