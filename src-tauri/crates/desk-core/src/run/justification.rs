//! Why a run is made and for which case: given by the officer before a start or stop, checked
//! here for every front end (the window's confirm dialog, `rdesk --reason/--case`), written into
//! every record of the run.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, InputField, Result};

/// The longest reason accepted, in characters: a sentence or two, not a report.
pub const REASON_MAX_CHARS: usize = 500;
/// The longest case or ticket reference accepted, in characters.
pub const CASE_MAX_CHARS: usize = 64;
/// How many reasons and case references are offered again.
pub const RECENT_MAX: usize = 5;

/// What the officer gave before the run; an empty field means none was given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default, rename_all = "camelCase")]
pub struct Justification {
    /// Why recording is started or stopped (free text, one line).
    pub reason: String,
    /// The case or ticket reference (`INV-2291`), if any.
    pub case_ref: String,
}

/// Which fields the organisation requires (settings `requireReason`, `requireCase`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Required {
    pub reason: bool,
    pub case_ref: bool,
}

impl Justification {
    /// The justification trimmed, or an `invalidInput` error naming the field that is wrong: the
    /// reason is checked first, so the message is next to the first field to fix.
    pub fn checked(&self, required: Required) -> Result<Justification> {
        let reason = check_field(
            &self.reason,
            required.reason,
            InputField::Reason,
            REASON_MAX_CHARS,
            "Give a reason for this recording request: your organisation requires one.",
            "reason",
        )?;
        let case_ref = check_field(
            &self.case_ref,
            required.case_ref,
            InputField::CaseRef,
            CASE_MAX_CHARS,
            "Enter the case or ticket reference this request is for: your organisation requires \
             one.",
            "case or ticket reference",
        )?;
        Ok(Justification { reason, case_ref })
    }

    /// The reason as a record holds it: `None` when none was given.
    pub fn reason(&self) -> Option<String> {
        non_empty(&self.reason)
    }

    /// The case reference as a record holds it: `None` when none was given.
    pub fn case_ref(&self) -> Option<String> {
        non_empty(&self.case_ref)
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn check_field(
    value: &str,
    required: bool,
    field: InputField,
    max: usize,
    when_missing: &str,
    name: &str,
) -> Result<String> {
    let value = value.trim();
    if value.is_empty() && required {
        return Err(Error::invalid_field(field, when_missing));
    }
    // Line breaks and other invisible characters would let one record's text pass for another
    // line of the trail's CSV or report, and cannot be seen on screen.
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_field(
            field,
            format!(
                "The {name} contains a line break, tab or another invisible control character. \
                 Write it on one line with ordinary characters."
            ),
        ));
    }
    let len = value.chars().count();
    if len > max {
        return Err(Error::invalid_field(
            field,
            format!("The {name} is {len} characters long. Keep it to {max} characters or fewer."),
        ));
    }
    Ok(value.to_owned())
}

/// `recent` with `value` put first (once, compared without regard to case), at most
/// [`RECENT_MAX`] long. An empty value leaves the list as it is.
pub fn remember_recent(recent: &mut Vec<String>, value: Option<String>) {
    let Some(value) = value else { return };
    recent.retain(|r| !r.eq_ignore_ascii_case(&value));
    recent.insert(0, value);
    recent.truncate(RECENT_MAX);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn field_of(e: &Error) -> Option<InputField> {
        e.to_ipc().field
    }

    #[test]
    fn fields_are_trimmed_and_empty_is_none() {
        let j = Justification {
            reason: "  Suspected data theft ".into(),
            case_ref: "   ".into(),
        }
        .checked(Required::default())
        .expect("fine");
        assert_eq!(j.reason().as_deref(), Some("Suspected data theft"));
        assert_eq!(j.case_ref(), None);
    }

    #[test]
    fn required_fields_must_be_given_and_the_error_names_the_field() {
        let both = Required {
            reason: true,
            case_ref: true,
        };
        let missing_reason = Justification {
            reason: " ".into(),
            case_ref: "INV-1".into(),
        }
        .checked(both)
        .expect_err("reason required");
        assert_eq!(missing_reason.kind(), ErrorKind::InvalidInput);
        assert_eq!(field_of(&missing_reason), Some(InputField::Reason));
        assert!(missing_reason.message().contains("requires"));

        let missing_case = Justification {
            reason: "HR request".into(),
            case_ref: String::new(),
        }
        .checked(both)
        .expect_err("case required");
        assert_eq!(field_of(&missing_case), Some(InputField::CaseRef));

        let not_required = Justification::default().checked(Required::default());
        assert_eq!(not_required.expect("optional"), Justification::default());
    }

    #[test]
    fn too_long_and_control_characters_are_refused_with_a_plain_message() {
        let long = Justification {
            reason: "é".repeat(REASON_MAX_CHARS),
            case_ref: "X".repeat(CASE_MAX_CHARS + 1),
        }
        .checked(Required::default())
        .expect_err("case too long");
        assert_eq!(field_of(&long), Some(InputField::CaseRef));
        assert_eq!(
            long.message(),
            "The case or ticket reference is 65 characters long. Keep it to 64 characters or fewer."
        );

        for bad in ["line one\nline two", "tab\there", "bell\u{7}"] {
            let e = Justification {
                reason: bad.into(),
                case_ref: String::new(),
            }
            .checked(Required::default())
            .expect_err(bad);
            assert_eq!(field_of(&e), Some(InputField::Reason));
            assert!(e.message().contains("control character"), "{}", e.message());
        }
    }

    #[test]
    fn recent_values_are_deduplicated_newest_first_and_bounded() {
        let mut recent = vec!["INV-1".to_owned(), "INV-2".to_owned()];
        remember_recent(&mut recent, Some("inv-2".into()));
        assert_eq!(recent, ["inv-2", "INV-1"]);
        remember_recent(&mut recent, None);
        assert_eq!(recent, ["inv-2", "INV-1"]);
        for i in 3..10 {
            remember_recent(&mut recent, Some(format!("INV-{i}")));
        }
        assert_eq!(recent.len(), RECENT_MAX);
        assert_eq!(recent[0], "INV-9");
    }
}
