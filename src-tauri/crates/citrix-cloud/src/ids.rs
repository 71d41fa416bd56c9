//! Session IDs: the validated [`SessionId`] type, and [`parse_pasted`], which turns whatever an
//! officer pastes (a column from Excel, a ticket, an e-mail) into a clean list of IDs plus a
//! plain-English explanation for every piece that was not one.
//!
//! The rules are deliberately simple so that the UI's TypeScript parser can mirror them exactly;
//! both are tested against the shared corpus in `tests/fixtures/session-ids.json`.
//! The window parses with its TypeScript copy, because the count and the reasons must update
//! as the officer types; this one is the reference the corpus and the property tests pin, and
//! the app re-validates every ID it receives over IPC with [`SessionId::parse`].
//!
//! 1. **Split** the text into pieces at separators: any Unicode `White_Space` character
//!    (JavaScript's `\s` plus U+0085), the invisible characters U+200B–U+200D, U+2060, U+FEFF,
//!    and any of ``, ; | " ' ` { } [ ] ( ) < > : = & ?`` plus the typographic quotes and
//!    full-width punctuation `“ ” „ ‘ ’ ‚ « » ‹ › ， ； ： 、`.
//!    So `{guid}`, `"guid",`, `Id: guid`, `sessionId=guid` and tab-separated cells all work.
//! 2. **Normalise** typographic dashes (U+2010–U+2015, U+2212, U+FE58, U+FE63, U+FF0D) to `-`, as
//!    word processors turn hyphens into them, then **trim** the characters `. ! * # ~ ^ - _` from
//!    both ends of the piece (sentence full stops, bullets, markdown emphasis). A rejected piece
//!    is reported in this normalised, trimmed form.
//! 3. **Ignore** a piece that is then empty or has no letter or digit at all (`—`, `•`, `...`), and
//!    the header/label words `id`, `ids`, `uid`, `guid`, `uuid`, `urn`, `http`, `https`,
//!    `session`, `sessions`, `sessionid`, `sessionids`, `session_id`, `session-id`,
//!    `session_ids`, `session-ids` (any case). A pasted column header or an `Id:` label is
//!    noise, not a mistake worth reporting.
//! 4. **Accept** a piece that is 32 hexadecimal digits, either bare or grouped 8-4-4-4-12 with
//!    hyphens, in any case. It is stored lowercase and hyphenated; later copies are counted as
//!    duplicates.
//! 5. **Reject** everything else, with the first reason that applies (see [`rejection_reason`]).
//!    A rejected piece longer than 80 characters is reported as its first 80 characters and `…`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Citrix session ID: a GUID in canonical form (lowercase, hyphenated 8-4-4-4-12).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(String);

/// Why a string is not a session ID, in words an officer understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{input}\" is not a session ID: it {reason}")]
pub struct IdError {
    /// The text that was given (shortened if very long).
    pub input: String,
    /// Why it was refused, e.g. "is too short to be a session ID (20 of 32 hexadecimal digits)".
    pub reason: String,
}

impl SessionId {
    /// Validates and canonicalises one session ID. Surrounding whitespace and one pair of braces
    /// are tolerated (`{GUID}` is how some tools print GUIDs); anything else must be exact.
    pub fn parse(input: &str) -> Result<SessionId, IdError> {
        let trimmed = input.trim();
        let inner = trimmed
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .unwrap_or(trimmed);
        canonical(inner).map(SessionId).ok_or_else(|| IdError {
            input: shorten(trimmed),
            reason: rejection_reason(inner),
        })
    }

    /// The canonical text, e.g. `3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SessionId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<SessionId, IdError> {
        SessionId::parse(s)
    }
}

impl AsRef<str> for SessionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for SessionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SessionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SessionId, D::Error> {
        let s = String::deserialize(d)?;
        SessionId::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl From<IdError> for crate::Error {
    fn from(e: IdError) -> crate::Error {
        crate::Error::InvalidSessionId {
            message: e.to_string(),
            transaction_id: None,
        }
    }
}

/// The result of [`parse_pasted`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedIds {
    /// Distinct valid IDs, in the order they first appeared.
    pub valid: Vec<SessionId>,
    /// How many valid pieces repeated an ID already in `valid`.
    pub duplicates: usize,
    /// Every piece that was neither an ID nor noise, in input order.
    pub rejected: Vec<Rejected>,
}

/// A piece of pasted text that is not a session ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    /// The piece as it was pasted (after splitting and trimming; shortened if very long).
    pub piece: String,
    /// Why, as a sentence fragment that follows the piece: "is too short to be a session ID ...".
    pub reason: String,
}

/// Splits pasted text into session IDs; see the module docs for the rules.
pub fn parse_pasted(text: &str) -> ParsedIds {
    let mut out = ParsedIds::default();
    let mut seen = std::collections::HashSet::new();
    for raw in text.split(is_separator) {
        let normalised: String = raw.chars().map(normalise_dash).collect();
        let piece = normalised.trim_matches(is_trimmed);
        if is_noise(piece) {
            continue;
        }
        match canonical(piece) {
            Some(id) => {
                if seen.insert(id.clone()) {
                    out.valid.push(SessionId(id));
                } else {
                    out.duplicates += 1;
                }
            }
            None => out.rejected.push(Rejected {
                piece: shorten(piece),
                reason: rejection_reason(piece),
            }),
        }
    }
    out
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | ';'
                | '|'
                | '"'
                | '\''
                | '`'
                | '{'
                | '}'
                | '['
                | ']'
                | '('
                | ')'
                | '<'
                | '>'
                | ':'
                | '='
                | '&'
                | '?'
                | '\u{200B}'
                | '\u{200C}'
                | '\u{200D}'
                | '\u{2060}'
                | '\u{FEFF}'
                | '“'
                | '”'
                | '„'
                | '‘'
                | '’'
                | '‚'
                | '«'
                | '»'
                | '‹'
                | '›'
                | '，'
                | '；'
                | '：'
                | '、'
        )
}

fn normalise_dash(c: char) -> char {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        other => other,
    }
}

fn is_trimmed(c: char) -> bool {
    matches!(c, '.' | '!' | '*' | '#' | '~' | '^' | '-' | '_')
}

const NOISE_WORDS: [&str; 16] = [
    "id",
    "ids",
    "uid",
    "guid",
    "uuid",
    "urn",
    "http",
    "https",
    "session",
    "sessions",
    "sessionid",
    "sessionids",
    "session_id",
    "session-id",
    "session_ids",
    "session-ids",
];

fn is_noise(piece: &str) -> bool {
    !piece.chars().any(char::is_alphanumeric)
        || NOISE_WORDS.iter().any(|w| piece.eq_ignore_ascii_case(w))
}

/// The canonical form of a bare GUID (no braces), or `None`.
fn canonical(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let digits: String = match bytes.len() {
        32 if bytes.iter().all(u8::is_ascii_hexdigit) => s.to_ascii_lowercase(),
        36 if hyphens_in_guid_places(s) => {
            let d: String = s.chars().filter(|c| *c != '-').collect();
            if d.len() == 32 && d.bytes().all(|b| b.is_ascii_hexdigit()) {
                d.to_ascii_lowercase()
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(format!(
        "{}-{}-{}-{}-{}",
        &digits[0..8],
        &digits[8..12],
        &digits[12..16],
        &digits[16..20],
        &digits[20..32]
    ))
}

/// True when `s` is 36 characters with hyphens exactly at the GUID positions (and nowhere else).
fn hyphens_in_guid_places(s: &str) -> bool {
    s.chars().count() == 36
        && s.chars()
            .enumerate()
            .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'))
}

/// Why `piece` is not a session ID. Checked in this order:
/// 1. contains `@` → "looks like an e-mail address or user principal name, not a session ID"
/// 2. contains `\` → "looks like a DOMAIN\name (a machine or user name), not a session ID"
/// 3. contains `/` → "looks like a web address or file path, not a session ID"
/// 4. only decimal digits, fewer than 32 → "is a number, not a session ID (session IDs have 32
///    hexadecimal digits)" (a row number, or the session's deprecated integer `Uid`)
/// 5. only hexadecimal digits and hyphens:
///    - fewer than 32 digits → "is too short to be a session ID (N of 32 hexadecimal digits)"
///    - more than 32 → "is too long to be a session ID (N hexadecimal digits; expected 32)"
///    - exactly 32 → "has its hyphens in the wrong places (expected 8-4-4-4-12)"
/// 6. GUID-like: at least 20 hexadecimal digits, or 36 characters with hyphens in the GUID places,
///    or 32 letters and digits → "contains characters that are not hexadecimal (g, z)"
/// 7. only ASCII letters, digits, `-`, `.` and `_`, with at least one letter, at least one `-` or
///    `.`, and a digit or a `.` → "looks like a machine name, not a session ID"
/// 8. otherwise → "is not a session ID (contains characters that are not hexadecimal: x, y, z)"
pub fn rejection_reason(piece: &str) -> String {
    if piece.trim().is_empty() {
        return "is empty".into();
    }
    if piece.contains('@') {
        return "looks like an e-mail address or user principal name, not a session ID".into();
    }
    if piece.contains('\\') {
        return "looks like a DOMAIN\\name (a machine or user name), not a session ID".into();
    }
    if piece.contains('/') {
        return "looks like a web address or file path, not a session ID".into();
    }
    if piece.chars().all(|c| c.is_ascii_digit()) && piece.len() < 32 {
        return "is a number, not a session ID (session IDs have 32 hexadecimal digits)".into();
    }
    let hex_digits = piece.chars().filter(char::is_ascii_hexdigit).count();
    if piece.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return match hex_digits {
            n if n < 32 => {
                format!("is too short to be a session ID ({n} of 32 hexadecimal digits)")
            }
            n if n > 32 => {
                format!("is too long to be a session ID ({n} hexadecimal digits; expected 32)")
            }
            _ => "has its hyphens in the wrong places (expected 8-4-4-4-12)".into(),
        };
    }
    let bad = non_hex_chars(piece);
    let guid_shaped = hex_digits >= 20
        || hyphens_in_guid_places(piece)
        || (piece.chars().count() == 32 && piece.chars().all(|c| c.is_ascii_alphanumeric()));
    if guid_shaped {
        return format!("contains characters that are not hexadecimal ({bad})");
    }
    if looks_like_machine(piece) {
        return "looks like a machine name, not a session ID".into();
    }
    format!("is not a session ID (contains characters that are not hexadecimal: {bad})")
}

fn looks_like_machine(piece: &str) -> bool {
    let allowed = piece
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
    let letter = piece.chars().any(|c| c.is_ascii_alphabetic());
    let digit = piece.chars().any(|c| c.is_ascii_digit());
    let joined = piece.contains('-') || piece.contains('.');
    allowed && letter && joined && (digit || piece.contains('.'))
}

/// The distinct offending characters as typed, in order of appearance; after five, `…`.
fn non_hex_chars(piece: &str) -> String {
    let mut bad: Vec<char> = Vec::new();
    for c in piece.chars() {
        if !c.is_ascii_hexdigit() && c != '-' && !bad.contains(&c) {
            bad.push(c);
        }
    }
    let more = bad.len() > 5;
    let mut list: Vec<String> = bad.iter().take(5).map(|c| c.to_string()).collect();
    if more {
        list.push("…".into());
    }
    list.join(", ")
}

/// Long pieces are shortened for display: 80 characters (room for two IDs run together) and an
/// ellipsis.
fn shorten(piece: &str) -> String {
    const MAX: usize = 80;
    if piece.chars().count() > MAX {
        let cut: String = piece.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        piece.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: &str = "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b";

    #[test]
    fn parse_single() {
        assert_eq!(SessionId::parse(A).expect("valid").as_str(), A);
        assert_eq!(
            SessionId::parse(&format!(" {{{}}} ", A.to_uppercase()))
                .expect("braced")
                .as_str(),
            A
        );
        assert_eq!(
            SessionId::parse(&A.replace('-', ""))
                .expect("bare")
                .as_str(),
            A
        );
        assert_eq!(
            SessionId::parse(" {} ").expect_err("empty").reason,
            "is empty"
        );
        let e = SessionId::parse("3f2a1b4c").expect_err("short");
        assert!(e.reason.contains("too short"), "{e}");
        assert!(e
            .to_string()
            .starts_with("\"3f2a1b4c\" is not a session ID: it is too short"));
    }

    #[test]
    fn serde_validates() {
        let id: SessionId = serde_json::from_str(&format!("\"{}\"", A.to_uppercase())).expect("de");
        assert_eq!(id.as_str(), A);
        assert!(serde_json::from_str::<SessionId>("\"nope\"").is_err());
        assert_eq!(serde_json::to_string(&id).expect("ser"), format!("\"{A}\""));
    }

    #[test]
    fn reasons() {
        let r = |s: &str| rejection_reason(s);
        assert!(r("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5").contains("too short"));
        assert!(r("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b1").contains("too long"));
        assert!(r("3f2a1b4c5d6e-4f70-8a9b-0c1d-2e3f4a5b").contains("wrong places"));
        assert!(r("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5g").contains("not hexadecimal (g)"));
        assert!(r("VDA-FIN-01").contains("machine name"));
        assert!(r("vda01.contoso.com").contains("machine name"));
        assert!(r("CONTOSO\\jsmith").contains("DOMAIN\\name"));
        assert!(r("jane@contoso.com").contains("e-mail"));
        assert!(r("12345").contains("is a number"));
        assert!(r("hello").contains("not hexadecimal: h, l, o"));
    }

    #[test]
    fn noise_is_ignored() {
        let p = parse_pasted(&format!("SessionId\n{A}\nId: {A}\n— • ...\n"));
        assert_eq!(p.valid.len(), 1);
        assert_eq!(p.duplicates, 1);
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    }

    proptest! {
        #[test]
        fn never_panics_and_always_explains(s in "\\PC{0,400}") {
            let p = parse_pasted(&s);
            for r in &p.rejected {
                prop_assert!(!r.reason.trim().is_empty());
                prop_assert!(!r.piece.is_empty());
            }
            for id in &p.valid {
                let again = SessionId::parse(id.as_str()).ok();
                prop_assert_eq!(again.as_ref(), Some(id));
            }
        }

        #[test]
        fn never_panics_on_any_chars(s in any::<String>()) {
            let p = parse_pasted(&s);
            prop_assert!(p.rejected.iter().all(|r| !r.reason.is_empty()));
        }

        #[test]
        fn finds_every_guid_among_separators(
            ids in proptest::collection::vec(any::<u128>(), 1..20),
            seps in proptest::collection::vec(prop_oneof![
                Just(" "), Just("\n"), Just("\r\n"), Just(","), Just(";"), Just("\t"), Just(" , "), Just("\"\t\""),
            ], 20),
        ) {
            let mut text = String::new();
            for (i, n) in ids.iter().enumerate() {
                let g = format!("{n:032x}");
                let g = if i % 2 == 0 { g.to_uppercase() } else { g };
                text.push_str(&format!("{{{g}}}"));
                text.push_str(seps[i % seps.len()]);
            }
            let p = parse_pasted(&text);
            let distinct: std::collections::HashSet<_> = ids.iter().collect();
            prop_assert_eq!(p.valid.len(), distinct.len());
            prop_assert_eq!(p.duplicates, ids.len() - distinct.len());
            prop_assert!(p.rejected.is_empty());
        }
    }
}
