//! Runs the shared pasted-ID corpus (`tests/fixtures/session-ids.json`, also used by the UI's
//! TypeScript parser) through `ids::parse_pasted`. Each case must give exactly the listed valid
//! IDs in order, the duplicate count, and the rejected pieces in order, each reason containing
//! `reasonContains` (a case-sensitive substring, as in the UI's test).

use citrix_cloud::ids::parse_pasted;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    name: String,
    input: String,
    valid: Vec<String>,
    duplicates: usize,
    rejected: Vec<ExpectedRejection>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExpectedRejection {
    piece: String,
    reason_contains: String,
}

#[test]
fn shared_corpus() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../tests/fixtures/session-ids.json"
    );
    let text = std::fs::read_to_string(path).expect("read the corpus");
    let cases: Vec<Case> = serde_json::from_str(&text).expect("parse the corpus");
    assert!(cases.len() >= 50, "the corpus should stay broad");
    let mut failures = Vec::new();
    for case in &cases {
        let got = parse_pasted(&case.input);
        let valid: Vec<&str> = got.valid.iter().map(|id| id.as_str()).collect();
        let mut problems = Vec::new();
        if valid != case.valid {
            problems.push(format!("valid {valid:?}, expected {:?}", case.valid));
        }
        if got.duplicates != case.duplicates {
            problems.push(format!(
                "duplicates {}, expected {}",
                got.duplicates, case.duplicates
            ));
        }
        let matches = got.rejected.len() == case.rejected.len()
            && got
                .rejected
                .iter()
                .zip(&case.rejected)
                .all(|(g, e)| g.piece == e.piece && g.reason.contains(&e.reason_contains));
        if !matches {
            let got: Vec<(&str, &str)> = got
                .rejected
                .iter()
                .map(|r| (r.piece.as_str(), r.reason.as_str()))
                .collect();
            problems.push(format!("rejected {got:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.name, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
