//! The investigation report: the records the Audit screen shows for a filter, as a PDF an
//! investigator can file.
//!
//! The report is laid out in two passes: first every line is shaped and placed on pages (so the
//! number of pages is known), then the pages are drawn with "Page n of N". Text is shaped with
//! rustybuzz (Arabic joining forms, marks), right-to-left runs are put in visual order with the
//! Unicode bidirectional algorithm per line, and each character is drawn with the first of the
//! embedded fonts that has it. krilla embeds only the glyphs used and maps each back to its text,
//! so the PDF's text can be searched and copied.
//!
//! Fields that newer records carry (reason, case, display name, delivery group) are read from the
//! record's own line in the trail, so a record that lacks them shows that the trail does not say,
//! never a guess.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use ts_rs::TS;
use unicode_bidi::BidiInfo;

use super::{ActionKind, AuditChain, AuditEvent, AuditRecord, ChainState};
use crate::account::Mode;
use crate::error::{Error, Result};

/// What goes into a report besides the records.
pub struct ReportRequest<'a> {
    /// The filter as the officer set it, as JSON: each field that is set is named in the report.
    pub filter: Value,
    /// The records that match the filter, in trail order.
    pub records: &'a [AuditRecord],
    /// The trail file's bytes: each record's own line is hashed and read from here.
    pub trail: &'a [u8],
    /// The verification of the whole trail, as the Audit screen states it.
    pub chain: &'a AuditChain,
    /// Who makes the report, on which computer, with which version, when (RFC 3339).
    pub made_by: String,
    pub computer: String,
    pub app_version: String,
    pub made_at: String,
}

/// What the window is told once the report is saved.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportSaved {
    #[ts(type = "number")]
    pub records: usize,
    #[ts(type = "number")]
    pub pages: usize,
    pub sha256: String,
    pub path: String,
}

/// What was made.
#[derive(Debug, Clone)]
pub struct Report {
    pub pdf: Vec<u8>,
    pub records: usize,
    pub pages: usize,
    /// SHA-256 (hex) over the exported records' lines; see [`EXPORT_HASH_SCOPE`].
    pub sha256: String,
}

/// What the report's SHA-256 is computed over, in the words the report prints.
pub const EXPORT_HASH_SCOPE: &str =
    "Computed over the exported records' lines exactly as they are \
stored in the audit trail file (UTF-8 JSON, one record per line, in the order of their numbers), \
each followed by one line feed (0x0A). For a report of the whole trail this is the SHA-256 of the \
trail file itself, as long as the file holds no incomplete line.";

/// Builds the report and writes it to `path`.
pub fn write_report(request: &ReportRequest<'_>, path: &Path) -> Result<Report> {
    let report = build_report(request)?;
    std::fs::write(path, &report.pdf).map_err(|e| Error::file_write(path, e))?;
    Ok(report)
}

/// Builds the report in memory.
pub fn build_report(request: &ReportRequest<'_>) -> Result<Report> {
    let lines = trail_lines(request.trail);
    // Only records whose own line is in the bytes read: those are the bytes hashed.
    let exported: Vec<Rec<'_>> = request
        .records
        .iter()
        .filter_map(|r| {
            lines
                .get(&(r.seq, r.hash.clone()))
                .map(|(line, extra)| Rec { r, line, extra })
        })
        .collect();
    let mut hasher = Sha256::new();
    for rec in &exported {
        hasher.update(rec.line.as_bytes());
        hasher.update(b"\n");
    }
    let sha256 = hex(&hasher.finalize());

    let fonts = fonts()?;
    let mut layout = Layout::new(fonts);
    compose(&mut layout, request, &exported, &sha256);
    let pages = layout.finish();
    let page_count = pages.len();
    let pdf = draw(fonts, &pages, request)?;
    Ok(Report {
        pdf,
        records: exported.len(),
        pages: page_count,
        sha256,
    })
}

/// A record with its line as stored and the fields of that line.
struct Rec<'a> {
    r: &'a AuditRecord,
    line: &'a str,
    extra: &'a Map<String, Value>,
}

impl Rec<'_> {
    /// The first of `keys` the record has as a non-empty string.
    fn field(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| {
            self.extra
                .get(*k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
    }
    fn reason(&self) -> Option<String> {
        self.field(REASON_KEYS)
    }
    fn case(&self) -> Option<String> {
        self.field(CASE_KEYS)
    }
    fn display_name(&self) -> Option<String> {
        self.field(DISPLAY_NAME_KEYS)
    }
    fn delivery_group(&self) -> Option<String> {
        self.field(DELIVERY_GROUP_KEYS)
    }
}

// The names newer records give them (`reason`, `caseRef`, `displayName`), and close variants,
// so a record that has one is never shown as lacking it.
const REASON_KEYS: &[&str] = &["reason"];
const CASE_KEYS: &[&str] = &["caseRef", "case", "caseReference", "caseId"];
const DISPLAY_NAME_KEYS: &[&str] = &["displayName", "sessionDisplayName", "userDisplayName"];
const DELIVERY_GROUP_KEYS: &[&str] = &["deliveryGroup", "deliveryGroupName"];

type Lines<'a> = HashMap<(u64, String), (&'a str, Map<String, Value>)>;

/// Every line of the trail that is a record, by number and seal.
fn trail_lines(bytes: &[u8]) -> Lines<'_> {
    let mut out = HashMap::new();
    for line in bytes.split(|b| *b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        let seq = map.get("seq").and_then(Value::as_u64);
        let hash = map.get("hash").and_then(Value::as_str).map(str::to_owned);
        if let (Some(seq), Some(hash)) = (seq, hash) {
            out.entry((seq, hash)).or_insert((text, map));
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

// ---------------------------------------------------------------------------------------------
// What the report says.

fn footer_text(request: &ReportRequest<'_>) -> String {
    format!(
        "Recording Desk investigation report, made {} by {} on {}",
        when(&request.made_at),
        request.made_by,
        request.computer
    )
}

fn compose(layout: &mut Layout, request: &ReportRequest<'_>, recs: &[Rec<'_>], sha256: &str) {
    layout.text("Investigation report", Style::TITLE);
    layout.text(
        "Citrix Session Recording started and stopped with Recording Desk, from its audit trail",
        Style::SUBTITLE,
    );
    let cases: BTreeSet<String> = recs.iter().filter_map(Rec::case).collect();
    // The report is named for a case only when every record in it is for that case.
    let one_case = (cases.len() == 1 && recs.iter().all(|r| r.case().is_some()))
        .then(|| cases.first().cloned())
        .flatten();
    if let Some(case) = &one_case {
        layout.text(&format!("Case {case}"), Style::CASE);
    }
    layout.gap(6.0);

    layout.heading("About this report");
    layout.pair(
        "Made by",
        &format!(
            "{} on the computer {}, {}",
            request.made_by,
            request.computer,
            when(&request.made_at)
        ),
    );
    layout.pair(
        "Made with",
        &format!("Recording Desk {}", request.app_version),
    );
    layout.pair("Records chosen", &describe_filter(&request.filter));
    let runs = group_runs(recs);
    let sessions: BTreeSet<&str> = recs.iter().map(|r| r.r.session_id.as_str()).collect();
    layout.pair("Records", &summary(recs, runs.len(), sessions.len()));
    if one_case.is_none() && !cases.is_empty() {
        let mut named = cases.iter().cloned().collect::<Vec<_>>().join(", ");
        if recs.iter().any(|r| r.case().is_none()) {
            named.push_str("; some records name no case");
        }
        layout.pair("Cases", &named);
    }

    layout.heading("Audit trail verification");
    let chain = request.chain;
    // The Audit screen's words for each state: never "intact" unless the scan said so.
    let verdict = match (chain.state, chain.broken_at) {
        (ChainState::Intact, _) => "Audit trail intact".to_owned(),
        (ChainState::EndUnverified, _) => "The end of the trail cannot be verified".to_owned(),
        (ChainState::Altered, Some(at)) => format!("Audit trail has been altered at record {at}"),
        (ChainState::Altered, None) => "Audit trail has been altered".to_owned(),
    };
    layout.pair("Result", &verdict);
    layout.pair("Details", &chain.message);
    if let Some(from) = chain.keyed_from.filter(|&from| from > 1) {
        layout.pair(
            "Sealing",
            &format!(
                "Records 1 to {} were written by an earlier version of Recording Desk, before \
                 records were sealed with a key; record {from} and every record after it are \
                 sealed with this computer's key.",
                from - 1
            ),
        );
    }
    if let Some(at) = chain.resealed_at {
        layout.pair(
            "Re-sealed",
            &format!("An officer re-sealed the trail at record {at} (see that record)."),
        );
    }
    layout.pair(
        "Scope",
        "The whole audit trail was checked when this report was made, not only the records in it.",
    );

    layout.heading("Fingerprint of the exported records");
    layout.pair("SHA-256", sha256);
    layout.pair("Over", EXPORT_HASH_SCOPE);
    if recs.len() < request.records.len() {
        layout.pair(
            "Left out",
            &format!(
                "{} records written while the report was being made are not in it.",
                request.records.len() - recs.len()
            ),
        );
    }

    if recs.is_empty() {
        layout.heading("Runs");
        layout.text("No records match these filters.", Style::BODY);
    }
    for run in &runs {
        compose_run(layout, run);
    }
}

fn summary(recs: &[Rec<'_>], runs: usize, sessions: usize) -> String {
    let (Some(first), Some(last)) = (recs.first(), recs.last()) else {
        return "None".to_owned();
    };
    format!(
        "{} ({}), {} and {}, from {} to {}",
        count(recs.len(), "record", "records"),
        if first.r.seq == last.r.seq {
            format!("number {}", first.r.seq)
        } else {
            format!("numbers {} to {}", first.r.seq, last.r.seq)
        },
        count(runs, "run", "runs"),
        count(sessions, "session", "sessions"),
        when(&first.r.time),
        when(&last.r.time)
    )
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The filter in words: each field that is set; fields this version does not know by name are
/// still listed, by their own name.
fn describe_filter(filter: &Value) -> String {
    let Some(map) = filter.as_object() else {
        return "All records (no filter)".to_owned();
    };
    // The fields in the order the Audit screen shows them, then any others.
    const ORDER: [&str; 6] = ["from", "to", "user", "action", "outcome", "mode"];
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by_key(|k| ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()));
    let mut parts = Vec::new();
    for (key, value) in keys.into_iter().filter_map(|k| map.get(k).map(|v| (k, v))) {
        let text = match value {
            Value::String(s) if !s.trim().is_empty() => s.trim().to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        let text = match (key.as_str(), text.as_str()) {
            ("mode", "cloud") => "Citrix Cloud only".to_owned(),
            ("mode", "demo") => "demo site only".to_owned(),
            ("action", "start") => "start recording".to_owned(),
            ("action", "stop") => "stop recording".to_owned(),
            _ => text,
        };
        let label = match key.as_str() {
            "from" => "from",
            "to" => "to",
            "user" => "user contains",
            "action" => "action",
            "outcome" => "outcome",
            "mode" => "where",
            "caseRef" | "case" => "case",
            "displayName" => "display name",
            other => other,
        };
        parts.push(format!("{label}: {text}"));
    }
    if parts.is_empty() {
        "All records (no filter)".to_owned()
    } else {
        format!("Filtered by {}", parts.join("; "))
    }
}

/// The records of one run, by session, in trail order.
struct Run<'a> {
    first: &'a Rec<'a>,
    sessions: Vec<(&'a str, Vec<&'a Rec<'a>>)>,
    records: Vec<&'a Rec<'a>>,
}

fn group_runs<'a>(recs: &'a [Rec<'a>]) -> Vec<Run<'a>> {
    let mut runs: Vec<Run<'a>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for rec in recs {
        let i = *index.entry(rec.r.run_id.as_str()).or_insert_with(|| {
            runs.push(Run {
                first: rec,
                sessions: Vec::new(),
                records: Vec::new(),
            });
            runs.len() - 1
        });
        let run = &mut runs[i];
        run.records.push(rec);
        match run
            .sessions
            .iter_mut()
            .find(|(id, _)| *id == rec.r.session_id)
        {
            Some((_, list)) => list.push(rec),
            None => run.sessions.push((rec.r.session_id.as_str(), vec![rec])),
        }
    }
    runs
}

fn compose_run(layout: &mut Layout, run: &Run<'_>) {
    let r = run.first.r;
    let what = match r.action {
        ActionKind::Start => "Start recording",
        ActionKind::Stop => "Stop recording",
        ActionKind::Reseal => return compose_reseal(layout, run),
    };
    let reasons: BTreeSet<String> = run.records.iter().filter_map(|x| x.reason()).collect();
    let cases: BTreeSet<String> = run.records.iter().filter_map(|x| x.case()).collect();
    let pairs = [
        (
            "Asked by".to_owned(),
            format!("{} on the computer {}", r.os_user, r.computer),
        ),
        ("Against".to_owned(), against(r)),
        (
            "Requested".to_owned(),
            format!(
                "{what} for {}",
                count(run.sessions.len(), "session", "sessions")
            ),
        ),
        (
            "Notify users".to_owned(),
            notify_words(r.action, notify(run)),
        ),
        ("Reason".to_owned(), listed(&reasons)),
        ("Case".to_owned(), listed(&cases)),
        (
            "Run".to_owned(),
            format!("{} (Recording Desk {})", r.run_id, r.app_version),
        ),
    ];
    layout.keep_together(Style::HEADING, &pairs);
    layout.heading(&format!("{what} \u{2014} {}", when(&r.time)));
    for (label, value) in &pairs {
        layout.pair(label, value);
    }

    for (session_id, records) in &run.sessions {
        compose_session(layout, session_id, records);
    }
}

/// A re-seal of the trail: who did it, when, and what was found; it touches no session.
fn compose_reseal(layout: &mut Layout, run: &Run<'_>) {
    let r = run.first.r;
    let mut pairs = vec![(
        "Done by".to_owned(),
        format!("{} on the computer {}", r.os_user, r.computer),
    )];
    for rec in &run.records {
        pairs.push(("Record".to_owned(), event_words(rec.r)));
    }
    layout.keep_together(Style::HEADING, &pairs);
    layout.heading(&format!("Audit trail re-sealed \u{2014} {}", when(&r.time)));
    for (label, value) in &pairs {
        layout.pair(label, value);
    }
}

/// The run's notify-user choice, from its records (only starts have one).
fn notify(run: &Run<'_>) -> Option<bool> {
    run.records.iter().find_map(|x| x.r.notify_user)
}

fn notify_words(action: ActionKind, notify: Option<bool>) -> String {
    match (action, notify) {
        (ActionKind::Start, Some(true)) => "Yes: Citrix was asked to tell each user".to_owned(),
        (ActionKind::Start, Some(false)) => "No: the users were not told".to_owned(),
        (ActionKind::Start, None) => "The audit trail does not say".to_owned(),
        (ActionKind::Stop, _) => "Does not apply to a stop".to_owned(),
        (ActionKind::Reseal, _) => "Does not apply to a re-seal".to_owned(),
    }
}

fn listed(values: &BTreeSet<String>) -> String {
    if values.is_empty() {
        "None given (not in these records)".to_owned()
    } else {
        values.iter().cloned().collect::<Vec<_>>().join("; ")
    }
}

fn against(r: &AuditRecord) -> String {
    match r.mode {
        Mode::Demo => "The built-in demo site: no real session was touched".to_owned(),
        Mode::Cloud => {
            let region = r
                .region
                .map(|region| format!(", region {}", region.label()))
                .unwrap_or_default();
            let profile = r
                .profile
                .as_ref()
                .map(|name| format!(" (the account saved as \"{name}\")"))
                .unwrap_or_default();
            format!(
                "Citrix Cloud{region}, customer {}, site {}{profile}",
                r.customer_id, r.site_id
            )
        }
    }
}

fn compose_session(layout: &mut Layout, session_id: &str, records: &[&Rec<'_>]) {
    let r = records[0].r;
    let display = records.iter().find_map(|x| x.display_name());
    let account = records.iter().find_map(|x| x.r.session_user.clone());
    let title = display
        .clone()
        .or_else(|| account.clone())
        .unwrap_or_else(|| format!("Session {session_id}"));
    let user = match (&display, &account) {
        (Some(d), Some(a)) => format!("{d} ({a})"),
        (None, Some(a)) => a.clone(),
        (Some(d), None) => d.clone(),
        (None, None) => "Not in the audit trail".to_owned(),
    };
    let group = records.iter().find_map(|x| x.delivery_group());
    let mut pairs = vec![
        ("User".to_owned(), user),
        (
            "Machine".to_owned(),
            r.machine
                .clone()
                .unwrap_or_else(|| "Not in the audit trail".to_owned()),
        ),
        (
            "Delivery group".to_owned(),
            group.unwrap_or_else(|| {
                "Not in the audit trail (these records do not carry it)".to_owned()
            }),
        ),
        ("Session ID".to_owned(), session_id.to_owned()),
    ];
    pairs.extend(
        records
            .iter()
            .map(|rec| (when(&rec.r.time), event_words(rec.r))),
    );
    layout.keep_together(Style::SUBHEADING, &pairs);
    layout.subheading(&title);
    for (label, value) in &pairs {
        layout.pair(label, value);
    }
}

/// One record in words: what was asked or what Citrix reported, with its details.
fn event_words(r: &AuditRecord) -> String {
    let mut words = match r.event {
        AuditEvent::Requested => match (r.action, r.notify_user) {
            (ActionKind::Start, Some(true)) => "Requested: start recording, telling the user",
            (ActionKind::Start, Some(false)) => {
                "Requested: start recording, without telling the user"
            }
            (ActionKind::Start, None) => "Requested: start recording",
            (ActionKind::Stop, _) => "Requested: stop recording",
            (ActionKind::Reseal, _) => "Requested: re-seal the audit trail",
        }
        .to_owned(),
        AuditEvent::Resealed => {
            "The audit trail was re-sealed after its end could not be verified".to_owned()
        }
        AuditEvent::Outcome => outcome_words(r.action, r.outcome.as_deref()),
        AuditEvent::Check => format!(
            "Checked again: {}",
            check_words(r.outcome.as_deref())
                .unwrap_or_else(|| outcome_words(r.action, r.outcome.as_deref()))
        ),
    };
    if r.accepted == Some(true) {
        words.push_str(". Citrix accepted the request");
    }
    if r.answer_lost == Some(true) {
        words.push_str(
            ". Citrix's answer was lost: the request may have been carried out all the same",
        );
    }
    if let Some(message) = r.message.as_deref().filter(|m| !m.trim().is_empty()) {
        let _ = write!(words, ". Message: {}", message.trim_end_matches('.'));
    }
    if let Some(id) = r.transaction_id.as_deref().filter(|t| !t.trim().is_empty()) {
        let _ = write!(words, ". Citrix transaction ID: {id}");
    }
    let _ = write!(words, ". Record {}", r.seq);
    words
}

/// The outcome as the app's windows word it; older trails' words keep their meaning.
fn outcome_words(action: ActionKind, outcome: Option<&str>) -> String {
    match (outcome, action) {
        (Some("recording"), ActionKind::Start) => "Recording \u{2014} confirmed by Citrix",
        (Some("recording"), ActionKind::Stop) => {
            "Stop sent, but Citrix still reports it as recording"
        }
        (Some("notRecording"), ActionKind::Start) => {
            "Started, but Citrix does not report it as recording"
        }
        (Some("notRecording"), ActionKind::Stop) => {
            "Recording stopped \u{2014} confirmed by Citrix"
        }
        (Some("sessionEnded"), _) => "The session has ended \u{2014} confirmed by Citrix",
        (Some("refused"), _) => "Refused by Citrix: nothing was applied",
        (Some("unknown"), _) => "Not known \u{2014} check again",
        (Some("cancelled"), _) => "Cancelled before sending: no request reached Citrix",
        (Some("startedNotRecording"), _) => {
            "Started, but not confirmed as recording (written by an earlier version)"
        }
        (Some("stopped"), _) => "Stopped (written by an earlier version)",
        (Some("failed"), _) => "Failed (written by an earlier version)",
        (Some(other), _) => return format!("Outcome \u{201c}{other}\u{201d}"),
        (None, _) => "No outcome in this record",
    }
    .to_owned()
}

fn check_words(outcome: Option<&str>) -> Option<String> {
    let words = match outcome? {
        "recording" => "recording, Citrix reports",
        "notRecording" => "not recording, Citrix reports",
        "sessionEnded" => "the session has ended",
        "unknown" => "still not known",
        _ => return None,
    };
    Some(words.to_owned())
}

/// A record's time as people read it: `2025-03-01 08:00:00 UTC`; as written if unreadable.
fn when(time: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    OffsetDateTime::parse(time, &Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&format).ok())
        .map(|t| format!("{t} UTC"))
        .unwrap_or_else(|| time.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Fonts.

const REGULAR: &[u8] = include_bytes!("../../fonts/NotoSans-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../../fonts/NotoSans-Bold.ttf");
const ARABIC: &[u8] = include_bytes!("../../fonts/NotoSansArabic-Regular.ttf");
const HEBREW: &[u8] = include_bytes!("../../fonts/NotoSansHebrew-Regular.ttf");
const CJK: &[u8] = include_bytes!("../../fonts/NotoSansCJKsc-Regular.otf");

/// Indexes into [`Fonts::faces`].
const F_REGULAR: usize = 0;
const F_BOLD: usize = 1;
/// The fonts tried, in order, for a character the first font lacks.
const FALLBACK: [usize; 3] = [2, 3, 4];

struct Fonts {
    faces: Vec<rustybuzz::Face<'static>>,
    pdf: Vec<Font>,
}

fn fonts() -> Result<&'static Fonts> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let data = [REGULAR, BOLD, ARABIC, HEBREW, CJK];
            let faces = data
                .iter()
                .map(|d| rustybuzz::Face::from_slice(d, 0))
                .collect::<Option<Vec<_>>>()?;
            let pdf = data
                .iter()
                .map(|d| Font::new(krilla::Data::from(*d), 0))
                .collect::<Option<Vec<_>>>()?;
            Some(Fonts { faces, pdf })
        })
        .as_ref()
        .ok_or_else(|| Error::invalid("The report's fonts could not be read."))
}

impl Fonts {
    /// The font for `c`: the style's own if it has it, else the first fallback that does.
    fn for_char(&self, base: usize, c: char) -> Option<usize> {
        std::iter::once(base)
            .chain(FALLBACK)
            .find(|&f| self.faces[f].glyph_index(c).is_some())
    }
}

// ---------------------------------------------------------------------------------------------
// Layout: shaped lines placed on pages.

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 50.0;
const TOP: f32 = 64.0;
const BOTTOM: f32 = PAGE_H - 60.0;
const LABEL_W: f32 = 118.0;
const VALUE_W: f32 = PAGE_W - 2.0 * MARGIN_X - LABEL_W;

#[derive(Clone, Copy)]
struct Style {
    size: f32,
    bold: bool,
    gray: u8,
    /// Space above a block of this style.
    before: f32,
}

impl Style {
    /// Size in points, bold, gray level (0 black to 255 white), space above in points.
    const fn new(size: f32, bold: bool, gray: u8, before: f32) -> Style {
        Style {
            size,
            bold,
            gray,
            before,
        }
    }

    const TITLE: Style = Style::new(20.0, true, 20, 0.0);
    const SUBTITLE: Style = Style::new(10.5, false, 80, 2.0);
    const CASE: Style = Style::new(14.0, true, 20, 8.0);
    const HEADING: Style = Style::new(12.5, true, 20, 14.0);
    const SUBHEADING: Style = Style::new(10.5, true, 30, 8.0);
    const BODY: Style = Style::new(9.0, false, 25, 0.0);
    const LABEL: Style = Style::new(9.0, false, 100, 0.0);
    const SMALL: Style = Style::new(7.5, false, 100, 0.0);

    fn line_height(self) -> f32 {
        self.size * 1.4
    }
}

/// A run of glyphs in one font, in visual order.
struct Piece {
    font: usize,
    text: String,
    glyphs: Vec<KrillaGlyph>,
    width: f32,
}

/// One line of text, its pieces in visual order.
struct Line {
    pieces: Vec<Piece>,
    width: f32,
}

enum Op {
    Text {
        x: f32,
        y: f32,
        line: Line,
        style: Style,
    },
    Rule {
        y: f32,
    },
}

/// Shaping plans by font, direction and script: making one reads the font's layout tables,
/// which for the CJK font costs far more than shaping a name.
type Plans = RefCell<HashMap<(usize, bool, rustybuzz::Script), rustybuzz::ShapePlan>>;

struct Layout {
    fonts: &'static Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
    plans: Plans,
}

impl Layout {
    fn new(fonts: &'static Fonts) -> Self {
        Layout {
            fonts,
            pages: vec![Vec::new()],
            y: TOP,
            plans: RefCell::default(),
        }
    }

    fn finish(self) -> Vec<Vec<Op>> {
        self.pages
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Makes room for `height` on the current page, starting a new one if needed.
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn gap(&mut self, height: f32) {
        self.y += height;
    }

    /// A paragraph across the full width.
    fn text(&mut self, text: &str, style: Style) {
        let lines = self.lines(text, style, PAGE_W - 2.0 * MARGIN_X);
        self.y += style.before;
        for line in lines {
            self.room(style.line_height());
            self.y += style.line_height();
            let y = self.y - style.size * 0.35;
            self.push(Op::Text {
                x: MARGIN_X,
                y,
                line,
                style,
            });
        }
    }

    fn heading(&mut self, text: &str) {
        // A heading is kept with at least two lines after it.
        self.room(Style::HEADING.before + Style::HEADING.line_height() + 3.0 * 12.6);
        self.text(text, Style::HEADING);
        self.y += 2.0;
        let y = self.y;
        self.push(Op::Rule { y });
        self.y += 5.0;
    }

    fn subheading(&mut self, text: &str) {
        self.room(Style::SUBHEADING.before + Style::SUBHEADING.line_height() + 3.0 * 12.6);
        self.text(text, Style::SUBHEADING);
    }

    /// Starts a new page unless a title in `style` and its `pairs` fit on this one, so a run or
    /// a session is only split across pages when it is longer than a page.
    fn keep_together(&mut self, style: Style, pairs: &[(String, String)]) {
        let height = style.before
            + style.line_height()
            + 7.0
            + pairs
                .iter()
                .map(|(label, value)| self.pair_height(label, value))
                .sum::<f32>();
        if height <= BOTTOM - TOP {
            self.room(height);
        }
    }

    fn pair_height(&self, label: &str, value: &str) -> f32 {
        let rows = self
            .lines(label, Style::LABEL, LABEL_W - 8.0)
            .len()
            .max(self.lines(value, Style::BODY, VALUE_W).len());
        rows as f32 * Style::BODY.line_height() + 2.0
    }

    /// A label and its value; the value wraps in its own column, line by line across pages.
    fn pair(&mut self, label: &str, value: &str) {
        let value_x = MARGIN_X + LABEL_W;
        let labels = self.lines(label, Style::LABEL, LABEL_W - 8.0);
        let values = self.lines(value, Style::BODY, VALUE_W);
        let lh = Style::BODY.line_height();
        let rows = labels.len().max(values.len());
        let mut labels = labels.into_iter();
        let mut values = values.into_iter();
        for _ in 0..rows {
            self.room(lh);
            self.y += lh;
            let y = self.y - Style::BODY.size * 0.35;
            if let Some(line) = labels.next() {
                self.push(Op::Text {
                    x: MARGIN_X,
                    y,
                    line,
                    style: Style::LABEL,
                });
            }
            if let Some(line) = values.next() {
                self.push(Op::Text {
                    x: value_x,
                    y,
                    line,
                    style: Style::BODY,
                });
            }
        }
        self.y += 2.0;
    }

    /// `text` broken into lines no wider than `width`, each shaped and in visual order.
    fn lines(&self, text: &str, style: Style, width: f32) -> Vec<Line> {
        let text = clean(text);
        let base = if style.bold { F_BOLD } else { F_REGULAR };
        // The report is in English: each value is a left-to-right paragraph in which runs of
        // Arabic or Hebrew are shown right to left, as in the app's window.
        let bidi = BidiInfo::new(&text, Some(unicode_bidi::Level::ltr()));
        let mut out = Vec::new();
        for para in &bidi.paragraphs {
            for range in self.breaks(&text, para.range.clone(), base, style.size, width) {
                let (levels, runs) = bidi.visual_runs(para, range);
                let mut pieces = Vec::new();
                for run in runs {
                    let level_rtl = levels[run.start].is_rtl();
                    let mut run_pieces = self.shape_run(&text[run], base, style.size, level_rtl);
                    if level_rtl {
                        run_pieces.reverse();
                    }
                    pieces.extend(run_pieces);
                }
                let width = pieces.iter().map(|p| p.width).sum();
                out.push(Line { pieces, width });
            }
        }
        if out.is_empty() {
            out.push(Line {
                pieces: Vec::new(),
                width: 0.0,
            });
        }
        out
    }

    /// Greedy line breaks in `range` of `text`: after spaces and a few separators, between CJK
    /// characters, and anywhere inside a word too long for a line (hashes, IDs).
    fn breaks(
        &self,
        text: &str,
        range: Range<usize>,
        base: usize,
        size: f32,
        width: f32,
    ) -> Vec<Range<usize>> {
        let mut lines = Vec::new();
        let mut start = range.start;
        let mut line_w = 0.0f32;
        for chunk in chunks(text, range.clone()) {
            let w = self.measure(&text[chunk.clone()], base, size);
            let is_space = text[chunk.clone()].trim().is_empty();
            if line_w + w <= width || is_space {
                line_w += w;
                continue;
            }
            if w <= width {
                if chunk.start > start {
                    lines.push(start..chunk.start);
                }
                start = chunk.start;
                line_w = w;
                continue;
            }
            // Too long for any line: cut it character by character.
            for (i, c) in text[chunk.clone()].char_indices() {
                let at = chunk.start + i;
                let cw = self.measure(&text[at..at + c.len_utf8()], base, size);
                if line_w + cw > width && at > start {
                    lines.push(start..at);
                    start = at;
                    line_w = 0.0;
                }
                line_w += cw;
            }
        }
        if start < range.end || lines.is_empty() {
            lines.push(start..range.end);
        }
        // Trailing spaces of a line take no room at its end.
        lines
            .into_iter()
            .map(|r| r.start..r.start + text[r.clone()].trim_end().len())
            .collect()
    }

    fn measure(&self, text: &str, base: usize, size: f32) -> f32 {
        let rtl = text.chars().any(is_rtl_char);
        self.shape_run(text, base, size, rtl)
            .iter()
            .map(|p| p.width)
            .sum()
    }

    /// Shapes a run of one direction, split where the font changes; pieces in logical order.
    fn shape_run(&self, text: &str, base: usize, size: f32, rtl: bool) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let mut current: Option<(usize, usize)> = None; // (font, start)
        for (i, c) in text.char_indices() {
            let keep = current.is_some_and(|(f, _)| {
                (c.is_whitespace() || is_mark(c)) && self.fonts.faces[f].glyph_index(c).is_some()
            });
            if keep {
                continue;
            }
            let font = self.fonts.for_char(base, c).unwrap_or(base);
            match current {
                Some((f, _)) if f == font => {}
                Some((f, s)) => {
                    pieces.push(self.shape(&text[s..i], f, size, rtl));
                    current = Some((font, i));
                }
                None => current = Some((font, i)),
            }
        }
        if let Some((f, s)) = current {
            pieces.push(self.shape(&text[s..], f, size, rtl));
        }
        pieces
    }

    fn shape(&self, text: &str, font: usize, size: f32, rtl: bool) -> Piece {
        let face = &self.fonts.faces[font];
        let upem = f32::from(face.units_per_em().max(1) as u16);
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        buffer.set_direction(if rtl {
            rustybuzz::Direction::RightToLeft
        } else {
            rustybuzz::Direction::LeftToRight
        });
        let script = buffer.script();
        let direction = buffer.direction();
        let mut plans = self.plans.borrow_mut();
        let plan = plans
            .entry((font, rtl, script))
            .or_insert_with(|| rustybuzz::ShapePlan::new(face, direction, Some(script), None, &[]));
        let output = rustybuzz::shape_with_plan(face, plan, buffer);
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        // Each glyph's text is its cluster: from its cluster start to the next cluster's start
        // in logical order.
        let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
        starts.sort_unstable();
        starts.dedup();
        let mut glyphs = Vec::with_capacity(infos.len());
        let mut width = 0.0;
        for (info, pos) in infos.iter().zip(positions) {
            let start = info.cluster as usize;
            let end = starts
                .iter()
                .find(|&&s| s > start)
                .copied()
                .unwrap_or(text.len());
            let advance = pos.x_advance as f32 / upem;
            width += advance * size;
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                advance,
                pos.x_offset as f32 / upem,
                pos.y_offset as f32 / upem,
                pos.y_advance as f32 / upem,
                start..end,
                None,
            ));
        }
        Piece {
            font,
            text: text.to_owned(),
            glyphs,
            width,
        }
    }
}

/// Break opportunities: each chunk ends after a space or separator, and each CJK character is a
/// chunk of its own. Not at hyphens: IDs (session, transaction) keep theirs whole on one line
/// when they fit, and PDF readers join a line ending in a hyphen with the next, dropping it.
fn chunks(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = range.start;
    for (i, c) in text[range.clone()].char_indices() {
        let at = range.start + i;
        let end = at + c.len_utf8();
        if is_cjk(c) {
            if at > start {
                out.push(start..at);
            }
            out.push(at..end);
            start = end;
        } else if c.is_whitespace() || matches!(c, '\\' | '/' | ',' | ';') {
            out.push(start..end);
            start = end;
        }
    }
    if start < range.end {
        out.push(start..range.end);
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

fn is_rtl_char(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

/// Combining marks stay in the font of the letter they sit on.
fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0591..=0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670
        | 0x06D6..=0x06ED | 0x200C..=0x200D | 0xFE00..=0xFE0F)
}

/// Values come from Citrix and can hold anything: line breaks and other control characters are
/// shown as spaces and U+FFFD so nothing is hidden and one value cannot start another line.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' | '\u{85}' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Drawing.

fn draw(fonts: &'static Fonts, pages: &[Vec<Op>], request: &ReportRequest<'_>) -> Result<Vec<u8>> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title("Recording Desk investigation report".to_owned())
            .creator(format!("Recording Desk {}", request.app_version))
            .language("en".to_owned()),
    );
    let footer_layout = Layout::new(fonts);
    // Room is left for "Page n of N" on the right.
    let footer_left = footer_layout.lines(
        &footer_text(request),
        Style::SMALL,
        PAGE_W - 2.0 * MARGIN_X - 90.0,
    );
    let header = footer_layout.lines(
        "Recording Desk \u{2014} Investigation report",
        Style::SMALL,
        300.0,
    );
    let total = pages.len();
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| Error::invalid("The report's page size is not valid."))?;
    for (n, ops) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let number =
            footer_layout.lines(&format!("Page {} of {total}", n + 1), Style::SMALL, 120.0);
        for line in &header {
            draw_line(&mut surface, fonts, MARGIN_X, 36.0, line, Style::SMALL);
        }
        rule(&mut surface, 41.0);
        rule(&mut surface, PAGE_H - 44.0);
        // Two lines at most below the page's text; the first page says it all in full.
        for (i, line) in footer_left.iter().take(2).enumerate() {
            draw_line(
                &mut surface,
                fonts,
                MARGIN_X,
                PAGE_H - 32.0 + i as f32 * Style::SMALL.line_height(),
                line,
                Style::SMALL,
            );
        }
        for line in &number {
            draw_line(
                &mut surface,
                fonts,
                PAGE_W - MARGIN_X - line.width,
                PAGE_H - 32.0,
                line,
                Style::SMALL,
            );
        }
        for op in ops {
            match op {
                Op::Text { x, y, line, style } => {
                    draw_line(&mut surface, fonts, *x, *y, line, *style)
                }
                Op::Rule { y } => rule(&mut surface, *y),
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| Error::invalid(format!("The report could not be made: {e:?}")))
}

fn draw_line(
    surface: &mut krilla::surface::Surface<'_>,
    fonts: &Fonts,
    x: f32,
    y: f32,
    line: &Line,
    style: Style,
) {
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(style.gray, style.gray, style.gray).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }));
    let mut x = x;
    for piece in &line.pieces {
        surface.draw_glyphs(
            Point::from_xy(x, y),
            &piece.glyphs,
            fonts.pdf[piece.font].clone(),
            &piece.text,
            style.size,
            false,
        );
        x += piece.width;
    }
}

fn rule(surface: &mut krilla::surface::Surface<'_>, y: f32) {
    let Some(rect) = Rect::from_xywh(MARGIN_X, y, PAGE_W - 2.0 * MARGIN_X, 0.6) else {
        return;
    };
    let mut builder = PathBuilder::new();
    builder.push_rect(rect);
    if let Some(path) = builder.finish() {
        surface.set_fill(Some(Fill {
            paint: rgb::Color::new(190, 190, 190).into(),
            opacity: NormalizedF32::ONE,
            rule: Default::default(),
        }));
        surface.draw_path(&path);
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::audit::testing::*;
    use crate::audit::{AuditContext, AuditLog, Entry};
    use citrix_cloud::bulk::Action;

    const ACCENTED: &str = "ACME\\zoë.ångström-núñez";
    const CJK: &str = "ACME\\王小明";
    const JAPANESE: &str = "ACME\\山田太郎";
    const ARABIC: &str = "ACME\\محمد يوسف الأحمد";
    const HEBREW: &str = "ACME\\דוד כהן";
    const HOSTILE: &str = "<img src=x onerror=alert(1)><script>alert(\"x\")</script>";

    /// The PDF's text, as pdftotext reads it (pages `first..=last`, or all).
    fn pdf_text(pdf: &[u8], pages: Option<(usize, usize)>) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, pdf).expect("write");
        let mut cmd = Command::new("pdftotext");
        cmd.arg("-enc").arg("UTF-8");
        if let Some((first, last)) = pages {
            cmd.args(["-f", &first.to_string(), "-l", &last.to_string()]);
        }
        let out = cmd
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext runs (poppler-utils, installed by scripts/install-deps.sh)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf8")
    }

    fn pdf_pages(pdf: &[u8]) -> usize {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, pdf).expect("write");
        let out = Command::new("pdfinfo")
            .arg(&path)
            .output()
            .expect("pdfinfo");
        let info = String::from_utf8_lossy(&out.stdout).to_string();
        info.lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("page count")
    }

    /// Without whitespace: a wrapped value is found whole.
    fn squeeze(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    /// The "Against" line names the saved account (profile) when the record has one; records
    /// written before profiles existed read as they did.
    #[test]
    fn the_against_line_names_the_saved_account() {
        let mut r = crate::audit::testing::record(
            1,
            "2026-12-01T10:00:00Z",
            AuditEvent::Requested,
            ActionKind::Start,
        );
        r.mode = Mode::Cloud;
        r.region = Some(citrix_cloud::Region::Eu);
        r.customer_id = "acme".into();
        r.site_id = "site-1".into();
        assert_eq!(
            against(&r),
            "Citrix Cloud, region European Union, customer acme, site site-1"
        );
        r.profile = Some("Acme EU".into());
        assert_eq!(
            against(&r),
            "Citrix Cloud, region European Union, customer acme, site site-1 (the account saved \
             as \"Acme EU\")"
        );
    }

    fn run_ctx(run: &str, action: Action) -> AuditContext {
        AuditContext {
            run_id: run.into(),
            ..ctx_for(action)
        }
    }

    fn outcome(id: &str, user: &str, status: &str, tx: &str) -> Entry {
        Entry {
            outcome: Some(status.into()),
            transaction_id: Some(tx.into()),
            accepted: Some(true),
            answer_lost: Some(false),
            ..entry(id, user)
        }
    }

    fn request(filter: Value, records: &[AuditRecord], trail: &[u8], chain: &AuditChain) -> Report {
        build_report(&ReportRequest {
            filter,
            records,
            trail,
            chain,
            made_by: "investigator".into(),
            computer: "AUDIT-PC-7".into(),
            app_version: "9.8.7".into(),
            made_at: "2026-12-04T17:05:00Z".into(),
        })
        .expect("report")
    }

    /// A start without telling the users for five people whose names need every font, with
    /// each outcome; then a stop; then the lines as a newer version writes them (reason, case,
    /// display name, delivery group).
    fn mixed_trail() -> (tempfile::TempDir, AuditLog, Vec<u8>) {
        let (dir, log) = log_with(0);
        let start = run_ctx("run-start", Action::Start { notify_user: false });
        let people = [
            ("s-accent", ACCENTED, "recording", "tx-accent-0001"),
            ("s-cjk", CJK, "recording", "tx-cjk-0002"),
            ("s-ja", JAPANESE, "unknown", "tx-ja-0003"),
            ("s-ar", ARABIC, "notRecording", "tx-ar-0004"),
            ("s-he", HEBREW, "refused", "tx-he-0005"),
            ("s-hostile", HOSTILE, "recording", "tx-hostile-0006"),
        ];
        for (id, user, _, _) in people {
            log.append(&start, AuditEvent::Requested, entry(id, user))
                .expect("append");
        }
        for (id, user, status, tx) in people {
            let mut e = outcome(id, user, status, tx);
            if status == "refused" {
                e.accepted = Some(false);
                e.message = Some("Citrix said this session cannot be recorded: the machine has no recording agent installed".into());
            }
            log.append(&start, AuditEvent::Outcome, e).expect("append");
        }
        let stop = run_ctx("run-stop", Action::Stop);
        log.append(&stop, AuditEvent::Requested, entry("s-cjk", CJK))
            .expect("append");
        log.append(
            &stop,
            AuditEvent::Outcome,
            outcome("s-cjk", CJK, "notRecording", "tx-stop-0007"),
        )
        .expect("append");

        // The same records as a newer version writes them: the extra fields sit in each line.
        let bytes = std::fs::read(log.path()).expect("read");
        let text = String::from_utf8(bytes).expect("utf8");
        let mut out = String::new();
        for line in text.lines() {
            let mut v: Value = serde_json::from_str(line).expect("json");
            let o = v.as_object_mut().expect("object");
            o.insert(
                "reason".into(),
                "Suspected data exfiltration reported by HR".into(),
            );
            o.insert("caseRef".into(), "INV-2291".into());
            o.insert("deliveryGroup".into(), "Finance Desktops".into());
            if o["sessionId"] == "s-ar" {
                o.insert("displayName".into(), "محمد يوسف الأحمد".into());
            }
            if o["sessionId"] == "s-accent" {
                o.insert("displayName".into(), "Zoë Ångström-Núñez".into());
            }
            out.push_str(&serde_json::to_string(&v).expect("json"));
            out.push('\n');
        }
        (dir, log, out.into_bytes())
    }

    #[test]
    fn the_report_of_a_mixed_run_reads_back_with_every_item() {
        let (_dir, log, trail) = mixed_trail();
        let scan = log.scan().expect("scan");
        let filter = serde_json::json!({
            "from": "2020-01-01", "to": null, "user": "acme", "mode": "cloud", "caseRef": "INV-2291"
        });
        let report = request(filter, &scan.records, &trail, &scan.chain);
        assert_eq!(report.records, 14);
        let text = pdf_text(&report.pdf, None);
        let flat = squeeze(&text);
        let has = |needle: &str| {
            assert!(
                text.contains(needle) || flat.contains(&squeeze(needle)),
                "missing {needle:?} in:\n{text}"
            )
        };
        // The header, the filter, who made the report.
        has("Investigation report");
        has("Case INV-2291");
        has("Filtered by from: 2020-01-01; user contains: acme; where: Citrix Cloud only; case: INV-2291");
        has("investigator on the computer AUDIT-PC-7, 2026-12-04 17:05:00 UTC");
        has("Recording Desk 9.8.7");
        // Who ran what from which computer and against which site.
        has("officer on the computer DESK-01");
        has("Citrix Cloud, region European Union, customer acme, site site-1");
        has("Start recording for 6 sessions");
        has("Stop recording for 1 session");
        has("No: the users were not told");
        has("Does not apply to a stop");
        has("Suspected data exfiltration reported by HR");
        // Each session: user, machine, delivery group, session ID; every name as text.
        for name in [ACCENTED, CJK, JAPANESE, HOSTILE, "Zoë Ångström-Núñez"] {
            has(name);
        }
        has("CONTOSO\\VDA-01");
        has("Finance Desktops");
        for id in ["s-accent", "s-cjk", "s-ja", "s-ar", "s-he", "s-hostile"] {
            has(&format!("Session ID {id}"));
        }
        // What was asked and what Citrix said, with its transaction IDs.
        has("Requested: start recording, without telling the user");
        has("Requested: stop recording");
        has("Recording — confirmed by Citrix");
        has("Recording stopped — confirmed by Citrix");
        has("Started, but Citrix does not report it as recording");
        has("Not known — check again");
        has("Refused by Citrix: nothing was applied");
        has("the machine has no recording agent installed");
        for tx in [
            "tx-accent-0001",
            "tx-cjk-0002",
            "tx-ar-0004",
            "tx-stop-0007",
            "tx-hostile-0006",
        ] {
            has(&format!("Citrix transaction ID: {tx}"));
        }
        // The trail's verification, the fingerprint and what it covers, page numbers.
        has("Audit trail intact");
        has(&scan.chain.message);
        has(&report.sha256);
        has("each followed by one line feed (0x0A)");
        has(&format!("Page 1 of {}", report.pages));
        has("Recording Desk investigation report, made 2026-12-04 17:05:00 UTC by investigator on AUDIT-PC-7");
    }

    #[test]
    fn right_to_left_names_come_back_as_their_letters() {
        let (_dir, log, trail) = mixed_trail();
        let scan = log.scan().expect("scan");
        let report = request(Value::Null, &scan.records, &trail, &scan.chain);
        let text = pdf_text(&report.pdf, None);
        // pdftotext reads the glyphs back through the fonts' character maps; the words of the
        // right-to-left names are there, each in its reading order. (In "الأحمد" the lam-alef
        // ligature is one glyph for two letters, which pdftotext gives back swapped: a limit of
        // its reading, documented in the user guide.)
        for word in ["محمد", "يوسف", "דוד", "כהן"] {
            assert!(text.contains(word), "missing {word:?} in:\n{text}");
        }
    }

    #[test]
    fn the_fingerprint_is_over_the_exported_lines_as_stored() {
        let (_dir, log) = log_with(0);
        let ctx = run_ctx("r", Action::Start { notify_user: true });
        for i in 0..5 {
            log.append(
                &ctx,
                AuditEvent::Requested,
                entry(&format!("s{i}"), "ACME\\a"),
            )
            .expect("append");
        }
        let trail = std::fs::read(log.path()).expect("read");
        let scan = log.scan().expect("scan");
        // The whole trail: the SHA-256 of the file itself.
        let all = request(Value::Null, &scan.records, &trail, &scan.chain);
        assert_eq!(all.sha256, hex(&Sha256::digest(&trail)));
        // Records 2 and 4: their two lines, each with its line feed.
        let some: Vec<AuditRecord> = scan
            .records
            .iter()
            .filter(|r| r.seq % 2 == 0)
            .cloned()
            .collect();
        let part = request(Value::Null, &some, &trail, &scan.chain);
        let lines: Vec<&str> = std::str::from_utf8(&trail).expect("utf8").lines().collect();
        let expected = format!("{}\n{}\n", lines[1], lines[3]);
        assert_eq!(part.sha256, hex(&Sha256::digest(expected.as_bytes())));
        assert_eq!(part.records, 2);
        let text = pdf_text(&part.pdf, None);
        assert!(text.contains(&part.sha256), "{text}");
        assert!(text.contains("2 records (numbers 2 to 4)"), "{text}");
    }

    /// Records of an earlier version have no reason, case, display name or delivery group: the
    /// report says the trail does not say, and names no case it does not have.
    #[test]
    fn old_records_show_nothing_they_do_not_hold() {
        let mut records = vec![
            record(
                1,
                "2024-05-01T10:00:00Z",
                AuditEvent::Requested,
                ActionKind::Stop,
            ),
            record(
                2,
                "2024-05-01T10:00:02Z",
                AuditEvent::Outcome,
                ActionKind::Stop,
            ),
            record(
                3,
                "2024-05-01T10:01:00Z",
                AuditEvent::Outcome,
                ActionKind::Start,
            ),
            record(
                4,
                "2024-05-01T10:02:00Z",
                AuditEvent::Outcome,
                ActionKind::Start,
            ),
        ];
        records[1].outcome = Some("stopped".into());
        records[2].outcome = Some("startedNotRecording".into());
        records[3].outcome = Some("failed".into());
        let trail: String = records
            .iter()
            .map(|r| serde_json::to_string(r).expect("json") + "\n")
            .collect();
        let chain = AuditChain {
            intact: false,
            state: ChainState::Altered,
            keyed_from: None,
            resealed_at: None,
            lost_key: None,
            broken_at: Some(3),
            message:
                "Record 3 was changed or removed. The records from there on cannot be relied on."
                    .into(),
        };
        let report = request(Value::Null, &records, trail.as_bytes(), &chain);
        let text = pdf_text(&report.pdf, None);
        for needle in [
            "All records (no filter)",
            "Audit trail has been altered at record 3",
            "Record 3 was changed or removed.",
            "Stopped (written by an earlier version)",
            "Started, but not confirmed as recording (written by an earlier version)",
            "Failed (written by an earlier version)",
            "None given (not in these records)",
            "Not in the audit trail (these records do not carry it)",
            "The built-in demo site: no real session was touched",
        ] {
            assert!(
                squeeze(&text).contains(&squeeze(needle)),
                "missing {needle:?} in:\n{text}"
            );
        }
        assert!(!text.contains("Case "), "no case is named: {text}");
        assert!(!text.contains("Audit trail intact"), "{text}");
    }

    /// A trail whose end nothing vouches for, re-sealed earlier and partly written by an earlier
    /// version: the report says so in the Audit screen's words, never "intact", and shows the
    /// re-seal record.
    #[test]
    fn an_unverifiable_end_and_a_reseal_are_reported_as_such() {
        let mut records = vec![
            record(
                1,
                "2024-05-01T10:00:00Z",
                AuditEvent::Requested,
                ActionKind::Start,
            ),
            record(
                2,
                "2024-05-01T10:05:00Z",
                AuditEvent::Resealed,
                ActionKind::Reseal,
            ),
        ];
        records[1].run_id = "re-seal".into();
        records[1].message = Some("The note of the last record was missing.".into());
        let trail: String = records
            .iter()
            .map(|r| serde_json::to_string(r).expect("json") + "\n")
            .collect();
        let chain = AuditChain {
            intact: false,
            state: ChainState::EndUnverified,
            keyed_from: Some(2),
            resealed_at: Some(2),
            lost_key: None,
            broken_at: None,
            message: "The note of the last record, kept in the keychain, is missing.".into(),
        };
        let text = pdf_text(
            &request(Value::Null, &records, trail.as_bytes(), &chain).pdf,
            None,
        );
        for needle in [
            "The end of the trail cannot be verified",
            "is missing.",
            "Records 1 to 1 were written by an earlier version",
            "re-sealed the trail at record 2",
            "Audit trail re-sealed",
            "The audit trail was re-sealed after its end could not be verified",
            "The note of the last record was missing.",
        ] {
            assert!(
                squeeze(&text).contains(&squeeze(needle)),
                "missing {needle:?} in:\n{text}"
            );
        }
        assert!(!text.contains("Audit trail intact"), "{text}");
        assert!(!text.contains("has been altered"), "{text}");
    }

    /// A report of two runs, one for a case and one without: it is not named for that case.
    #[test]
    fn a_case_names_the_report_only_when_every_record_is_for_it() {
        let mut records = vec![
            record(
                1,
                "2026-01-05T09:00:00Z",
                AuditEvent::Requested,
                ActionKind::Start,
            ),
            record(
                2,
                "2026-01-05T09:05:00Z",
                AuditEvent::Requested,
                ActionKind::Start,
            ),
        ];
        records[1].run_id = "r2".into();
        let trail: String = records
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).expect("json");
                if r.seq == 1 {
                    v["caseRef"] = "INV-7".into();
                }
                v.to_string() + "\n"
            })
            .collect();
        let chain = AuditChain {
            intact: true,
            state: ChainState::Intact,
            keyed_from: None,
            resealed_at: None,
            lost_key: None,
            broken_at: None,
            message: "All 2 records are intact.".into(),
        };
        let text = pdf_text(
            &request(Value::Null, &records, trail.as_bytes(), &chain).pdf,
            None,
        );
        assert!(!text.contains("Case INV-7"), "{text}");
        assert!(text.contains("INV-7; some records name no case"), "{text}");
    }

    /// A value cannot start a line of its own or hide characters: line breaks become spaces and
    /// other control characters a visible replacement mark.
    #[test]
    fn control_characters_in_values_are_shown_not_obeyed() {
        assert_eq!(clean("Jane\nSmith\tX"), "Jane Smith X");
        assert_eq!(clean("a\u{7}b\u{1b}[31m"), "a\u{FFFD}b\u{FFFD}[31m");
        assert_eq!(clean("ACME\\李娜"), "ACME\\李娜");
    }

    #[test]
    fn long_values_wrap_and_many_sessions_run_across_pages() {
        let (_dir, log) = log_with(0);
        let ctx = run_ctx("big-run", Action::Start { notify_user: true });
        // No hyphens: pdftotext joins a line that ends in one with the next and drops it.
        let long = format!("VDA{}", "0123456789abcdef".repeat(12));
        for i in 0..120 {
            let mut e = entry(&format!("session-{i:03}"), &format!("ACME\\user{i:03}"));
            e.machine = Some(long.clone());
            log.append(&ctx, AuditEvent::Requested, e).expect("append");
        }
        let trail = std::fs::read(log.path()).expect("read");
        let scan = log.scan().expect("scan");
        let report = request(Value::Null, &scan.records, &trail, &scan.chain);
        let pages = pdf_pages(&report.pdf);
        assert_eq!(pages, report.pages);
        assert!(pages >= 5, "{pages} pages");
        let last = pdf_text(&report.pdf, Some((pages, pages)));
        assert!(
            last.contains("session-119"),
            "the last session is on the last page: {last}"
        );
        assert!(last.contains(&format!("Page {pages} of {pages}")), "{last}");
        let first = pdf_text(&report.pdf, Some((1, 1)));
        assert!(!first.contains("session-119"));
        // The long value is wrapped onto several lines, and comes back whole.
        let all = pdf_text(&report.pdf, None);
        assert!(squeeze(&all).contains(&long));
        assert!(
            !all.lines().any(|l| l.contains(&long)),
            "wrapped, not one line"
        );
    }

    /// Size and time of a report of 1,000 records, printed for the docs; asserts only content.
    #[test]
    fn a_report_of_a_thousand_records() {
        let (_dir, log) = log_with(0);
        let ctx = run_ctx("r1000", Action::Start { notify_user: false });
        for i in 0..500 {
            let id = format!("sess-{i:04}");
            log.append(&ctx, AuditEvent::Requested, entry(&id, "ACME\\王小明"))
                .expect("append");
            log.append(
                &ctx,
                AuditEvent::Outcome,
                outcome(&id, "ACME\\王小明", "recording", "tx"),
            )
            .expect("append");
        }
        let trail = std::fs::read(log.path()).expect("read");
        let scan = log.scan().expect("scan");
        let started = std::time::Instant::now();
        let report = request(Value::Null, &scan.records, &trail, &scan.chain);
        let took = started.elapsed();
        eprintln!(
            "report of {} records: {} pages, {} bytes, {:.2} s (test build: font crates optimised, the rest not)",
            report.records,
            report.pages,
            report.pdf.len(),
            took.as_secs_f64()
        );
        assert_eq!(report.records, 1000);
        assert_eq!(pdf_pages(&report.pdf), report.pages);
    }
}
