//! Plain-text tables, and the goal summary that `scripts/bench.sh` gathers from every part.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// A table printed with aligned columns (first column left, the others right).
pub struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(head: &[&str]) -> Table {
        Table {
            head: head.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let cols = self.head.len();
        let mut widths: Vec<usize> = self.head.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(cols) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String]| {
            for (i, w) in widths.iter().enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                let sep = if i == 0 { "" } else { "  " };
                if i == 0 {
                    let _ = write!(out, "{sep}{cell:<w$}");
                } else {
                    let _ = write!(out, "{sep}{cell:>w$}");
                }
            }
            out.push('\n');
        };
        line(&mut out, &self.head);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&mut out, &rule);
        for row in &self.rows {
            line(&mut out, row);
        }
        out
    }
}

/// One figure checked against its goal.
pub struct Check {
    pub figure: String,
    pub measured: String,
    pub goal: String,
    pub pass: bool,
}

/// The goal checks of a run: printed at the end, and appended (tab-separated) to the file named
/// by `--summary`, where `scripts/bench.sh` merges them with the UI figures.
#[derive(Default)]
pub struct Summary {
    checks: Vec<Check>,
}

impl Summary {
    pub fn check(&mut self, figure: String, measured: String, goal: &str, pass: bool) {
        self.checks.push(Check {
            figure,
            measured,
            goal: goal.to_owned(),
            pass,
        });
    }

    pub fn all_pass(&self) -> bool {
        self.checks.iter().all(|c| c.pass)
    }

    pub fn print(&self) {
        let mut t = Table::new(&["figure", "measured", "goal", "verdict"]);
        for c in &self.checks {
            t.row(vec![
                c.figure.clone(),
                c.measured.clone(),
                c.goal.clone(),
                verdict(c.pass).to_owned(),
            ]);
        }
        println!("\nGoals\n{}", t.render());
    }

    pub fn append_to(&self, path: &Option<PathBuf>) -> Result<(), String> {
        let Some(path) = path else { return Ok(()) };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        for c in &self.checks {
            writeln!(
                file,
                "{}\t{}\t{}\t{}",
                c.figure,
                c.measured,
                c.goal,
                verdict(c.pass)
            )
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }
}

pub fn verdict(pass: bool) -> &'static str {
    if pass {
        "pass"
    } else {
        "FAIL"
    }
}

pub fn secs(d: std::time::Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up() {
        let mut t = Table::new(&["name", "value"]);
        t.row(vec!["a".into(), "1".into()]);
        t.row(vec!["longer".into(), "12345".into()]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "name    value");
        assert_eq!(lines[2], "a           1");
        assert_eq!(lines[3], "longer  12345");
    }
}
