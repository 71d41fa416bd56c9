//! The trail as CSV for a spreadsheet.

use std::path::Path;

use super::{AuditEvent, AuditRecord};
use crate::error::{Error, Result};

/// Writes the records as CSV for a spreadsheet. Returns the number of rows written.
pub fn write_csv(records: &[AuditRecord], path: &Path) -> Result<usize> {
    let file = std::fs::File::create(path).map_err(|e| Error::file_write(path, e))?;
    write_csv_to(records, file).map_err(|e| Error::file_write(path, e))
}

const CSV_HEADER: [&str; 31] = [
    "seq",
    "time",
    "event",
    "action",
    "runId",
    "caseRef",
    "reason",
    "sessionId",
    "sessionUser",
    "displayName",
    "machine",
    "deliveryGroup",
    "notifyUser",
    "outcome",
    "kind",
    "message",
    "transactionId",
    "accepted",
    "answerLost",
    "osUser",
    "computer",
    "appVersion",
    "mode",
    "region",
    "profile",
    "customerId",
    "siteId",
    "apiHost",
    "keyId",
    "prevHash",
    "hash",
];

fn write_csv_to<W: std::io::Write>(records: &[AuditRecord], mut out: W) -> std::io::Result<usize> {
    // A byte order mark, so spreadsheet programs read names with accents as UTF-8.
    out.write_all("\u{feff}".as_bytes())?;
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(CSV_HEADER)?;
    for r in records {
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        let flag = |b: Option<bool>| b.map(|b| b.to_string()).unwrap_or_default();
        let region = r
            .region
            .and_then(|region| serde_json::to_value(region).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let row = [
            r.seq.to_string(),
            r.time.clone(),
            match r.event {
                AuditEvent::Requested => "requested".to_owned(),
                AuditEvent::Outcome => "outcome".to_owned(),
                AuditEvent::Check => "check".to_owned(),
                AuditEvent::Resealed => "resealed".to_owned(),
            },
            r.action.as_str().to_owned(),
            r.run_id.clone(),
            opt(&r.case_ref),
            opt(&r.reason),
            r.session_id.clone(),
            opt(&r.session_user),
            opt(&r.display_name),
            opt(&r.machine),
            opt(&r.delivery_group),
            flag(r.notify_user),
            opt(&r.outcome),
            opt(&r.kind),
            opt(&r.message),
            opt(&r.transaction_id),
            flag(r.accepted),
            flag(r.answer_lost),
            r.os_user.clone(),
            r.computer.clone(),
            r.app_version.clone(),
            r.mode.as_str().to_owned(),
            region,
            opt(&r.profile),
            r.customer_id.clone(),
            r.site_id.clone(),
            opt(&r.api_host),
            opt(&r.key_id),
            r.prev_hash.clone(),
            r.hash.clone(),
        ];
        csv.write_record(row.iter().map(|cell| defuse_formula(cell).into_owned()))?;
    }
    csv.flush()?;
    Ok(records.len())
}

/// Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula. Session user names
/// come from Citrix and can be anything (and reasons from the officer), so such cells get a
/// leading apostrophe.
fn defuse_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::testing::*;

    #[test]
    fn csv_quotes_commas_quotes_newlines_and_defuses_formulas() {
        let (_dir, log) = log_with(0);
        let mut e = entry("s1", "Smith, \"Jane\"\nsecond line");
        e.message = Some("=HYPERLINK(\"http://x\")".into());
        e.display_name = Some("Jane Smith".into());
        e.delivery_group = Some("Finance Desktops".into());
        let mut ctx = ctx_for(START);
        ctx.reason = Some("-suspected leak, see ticket".into());
        ctx.case_ref = Some("INV-2291".into());
        ctx.profile = Some("Acme EU".into());
        let r = log.append(&ctx, AuditEvent::Outcome, e).expect("append");
        let mut out = Vec::new();
        assert_eq!(write_csv_to(&[r], &mut out).expect("csv"), 1);
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.starts_with('\u{feff}'));
        assert!(
            text.contains(",\"Smith, \"\"Jane\"\"\nsecond line\","),
            "{text}"
        );
        assert!(
            text.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
            "{text}"
        );

        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers = reader.headers().expect("headers").clone();
        assert_eq!(headers.iter().collect::<Vec<_>>(), CSV_HEADER);
        let row = reader.records().next().expect("row").expect("parse");
        let cell = |name: &str| {
            let i = CSV_HEADER.iter().position(|h| *h == name).expect(name);
            row[i].to_owned()
        };
        assert_eq!(cell("sessionUser"), "Smith, \"Jane\"\nsecond line");
        assert_eq!(cell("displayName"), "Jane Smith");
        assert_eq!(cell("caseRef"), "INV-2291");
        assert_eq!(cell("deliveryGroup"), "Finance Desktops");
        assert_eq!(cell("apiHost"), "api.cloud.com", "where the request went");
        assert_eq!(
            cell("reason"),
            "'-suspected leak, see ticket",
            "the officer's text is defused too"
        );
        assert_eq!(cell("notifyUser"), "true");
        assert_eq!(
            cell("mode"),
            "cloud",
            "demo and real actions are told apart in the export"
        );
        assert_eq!(cell("region"), "eu");
        assert_eq!(cell("profile"), "Acme EU", "the saved account's name");
        assert_eq!(cell("customerId"), "acme");
    }
}
