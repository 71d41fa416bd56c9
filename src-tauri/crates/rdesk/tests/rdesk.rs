//! The real `rdesk` binary against the Citrix Cloud simulator over real HTTP, in folders of its
//! own (the app's folders follow `XDG_DATA_HOME` / `XDG_CONFIG_HOME` on Linux), with the
//! keychain of the session (a private, unlocked one in `scripts/test.sh`). The window's side of a
//! shared trail is played by a `Desk` built the way the app builds it.
//!
//! Linux only: each tool run gets folders of its own through `XDG_DATA_HOME` and
//! `XDG_CONFIG_HOME`, which only Linux's folders follow. On Windows and macOS the tool would use
//! the user's real folders, shared by every test at once (and with the user's own trail).
#![cfg(target_os = "linux")]

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

use citrix_cloud::bulk::Action;
use citrix_sim::{SimConfig, Simulator, SpecialSessions};
use desk_core::audit::{AuditLog, TrailSeals, NAMESPACE_ENV};
use desk_core::paths::{AppPaths, IDENTIFIER};
use desk_core::policy::POLICY_FILE_ENV;
use desk_core::run::Justification;
use desk_core::vault::{KeyringStore, Vault};
use desk_core::{Desk, DeskOptions};
use serde_json::Value;

const CLIENT_ID: &str = "3f1c7b52-6a0e-4c55-9d7e-2b8a41f0c9d1";

/// A computer for the tool: its own folders, and the simulator as Citrix Cloud.
struct Computer {
    root: tempfile::TempDir,
    sim: Simulator,
    config: SimConfig,
}

impl Computer {
    async fn new() -> Computer {
        Computer::with(Vec::new()).await
    }

    /// A computer whose API client can also see `other_customers` (more accounts to save).
    async fn with(other_customers: Vec<citrix_sim::VisibleCustomer>) -> Computer {
        // A customer of its own, so tests running at once never share a keychain entry.
        let config = SimConfig {
            customer_id: format!("rdesk-test-{}", std::process::id()) + &random_suffix(),
            client_id: CLIENT_ID.into(),
            other_customers,
            ..SimConfig::default()
        };
        let sim = Simulator::start(config.clone()).await.expect("simulator");
        Computer {
            root: tempfile::tempdir().expect("tempdir"),
            sim,
            config,
        }
    }

    /// A computer on which rdesk has signed in; `None` (the test is skipped) without a keychain.
    async fn signed_in() -> Option<Computer> {
        if !keychain_available() {
            return None;
        }
        let pc = Computer::new().await;
        pc.login().expect(0);
        Some(pc)
    }

    /// The folders the app resolves on this computer.
    fn paths(&self) -> AppPaths {
        AppPaths {
            data: self.root.path().join("data").join(IDENTIFIER),
            config: self.root.path().join("config").join(IDENTIFIER),
            log: self.root.path().join("data").join(IDENTIFIER).join("logs"),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rdesk"));
        cmd.args(args)
            .env("XDG_DATA_HOME", self.root.path().join("data"))
            .env("XDG_CONFIG_HOME", self.root.path().join("config"))
            .env("RECORDING_DESK_CLOUD_URL", self.sim.url().to_string())
            .env(NAMESPACE_ENV, &self.config.customer_id)
            // The organisation's settings, when a test writes them (see `policy_file`).
            .env(POLICY_FILE_ENV, self.policy_file())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `rdesk args...` with `stdin` and waits for it.
    fn rdesk(&self, args: &[&str], stdin: &str) -> Ran {
        let mut child = self.command(args).spawn().expect("rdesk starts");
        feed(&mut child, stdin);
        Ran(child.wait_with_output().expect("rdesk ends"))
    }

    fn login(&self) -> Ran {
        let secret = format!("{}\n", self.config.client_secret);
        self.rdesk(&self.login_args(), &secret)
    }

    fn login_args(&self) -> Vec<&str> {
        vec![
            "login",
            "--region",
            "eu",
            "--customer",
            &self.config.customer_id,
            "--client-id",
            CLIENT_ID,
        ]
    }

    /// The window: a desk on the same folders and keychain, as the app opens it.
    fn window(&self) -> Desk {
        Desk::open(DeskOptions {
            paths: self.paths(),
            vault: Vault::keyring(),
            cloud_url: Some(self.sim.url()),
            notices: Vec::new(),
            remember_mode: true,
            trail_namespace: Some(self.config.customer_id.clone()),
            policy: desk_core::policy::PolicySource::none(),
        })
    }

    /// The window, connected with the account and secret rdesk saved.
    async fn connected_window(&self) -> Desk {
        let window = self.window();
        let saved = window.status().await.saved_account.expect("saved account");
        window
            .connect_cloud(saved.region, saved.customer_id, saved.client_id, None)
            .await
            .expect("the window connects with the secret rdesk stored");
        window
    }

    fn trail(&self) -> AuditLog {
        let paths = self.paths();
        let seals = TrailSeals::in_namespace(
            Arc::new(KeyringStore::new(desk_core::vault::SERVICE)),
            Some(&self.config.customer_id),
        );
        AuditLog::sealed(paths.audit_file(), paths.anchor_file(), seals)
    }

    /// The organisation's settings file for this computer's rdesk (none until a test writes it).
    fn policy_file(&self) -> std::path::PathBuf {
        self.root.path().join("policy.json")
    }

    fn settings(&self) -> Value {
        let text = std::fs::read_to_string(self.paths().settings_file()).unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

fn random_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("-{nanos}")
}

fn feed(child: &mut Child, stdin: &str) {
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write stdin");
}

struct Ran(Output);

impl Ran {
    fn code(&self) -> i32 {
        self.0.status.code().expect("exit code")
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.0.stdout).expect("JSON on stdout")
    }
    /// Asserts that the tool said `text` on stderr.
    fn says(&self, text: &str) -> &Ran {
        assert!(
            self.stderr().contains(text),
            "{text:?} in:\n{}",
            self.stderr()
        );
        self
    }
    /// Asserts the exit code, showing what the tool said when it differs.
    fn expect(self, code: i32) -> Ran {
        assert_eq!(
            self.code(),
            code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// The keychain tests need a Secret Service on Linux; `scripts/test.sh` starts one and sets
/// RECORDING_DESK_REQUIRE_KEYCHAIN, so there they always run.
fn keychain_available() -> bool {
    if std::env::var_os("RECORDING_DESK_REQUIRE_KEYCHAIN").is_some()
        || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || !cfg!(target_os = "linux")
    {
        return true;
    }
    eprintln!("SKIPPED: no session bus for the keychain (set RECORDING_DESK_REQUIRE_KEYCHAIN=1)");
    false
}

fn ids() -> SpecialSessions {
    SpecialSessions::ids()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tool_signs_in_from_stdin_then_finds_starts_and_stops_sessions() {
    if !keychain_available() {
        return;
    }
    let pc = Computer::new().await;
    let s = ids();

    // A wrong secret: nothing is kept.
    let ran = pc.rdesk(&pc.login_args(), "wrong-secret\n").expect(1);
    assert!(
        ran.stderr()
            .contains("did not accept this client ID and secret"),
        "{}",
        ran.stderr()
    );
    assert!(pc.settings()["settings"]["account"].is_null());

    let ran = pc.login().expect(0);
    assert!(
        ran.stderr().contains(&pc.config.customer_id),
        "{}",
        ran.stderr()
    );
    let account = &pc.settings()["settings"]["account"];
    assert_eq!(account["customerId"], pc.config.customer_id.as_str());
    assert_eq!(account["secretStored"], true);
    assert!(
        !pc.settings().to_string().contains(&pc.config.client_secret),
        "the secret is in the keychain only"
    );

    // Search, as JSON and as text.
    let found = pc
        .rdesk(&["sessions", "--user", "jsmith", "--json"], "")
        .expect(0)
        .json();
    let found: Vec<&str> = found
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(found.contains(&s.recordable.as_str()), "{found:?}");
    assert!(found.contains(&s.second_of_user.as_str()), "{found:?}");
    let text = pc
        .rdesk(&["sessions", "--user", "jsmith"], "")
        .expect(0)
        .stdout();
    assert!(text.starts_with("SESSION"), "{text}");
    assert!(
        text.contains(&s.recordable) && text.contains("CONTOSO\\jsmith"),
        "{text}"
    );

    // A start on one recordable and one RDP session: partly done.
    let ran = pc
        .rdesk(
            &["start", "--no-notify", &s.recordable, &s.rdp, "--json"],
            "",
        )
        .expect(3);
    let result = ran.json();
    assert_eq!(result["action"]["action"], "start");
    assert_eq!(result["action"]["notifyUser"], false);
    assert_eq!(result["report"]["total"], 2);
    assert_eq!(result["report"]["succeeded"], 1);
    assert_eq!(
        result["report"]["refused"], 1,
        "Citrix refuses to record RDP"
    );
    let sessions = result["sessions"].as_array().expect("sessions");
    assert_eq!(sessions[0]["sessionId"], s.recordable.as_str());
    assert_eq!(sessions[1]["sessionId"], s.rdp.as_str());
    let control = pc.sim.control();
    assert!(control.is_recording(&s.recordable));
    assert_eq!(control.notify_user(&s.recordable), Some(false));
    assert!(!control.is_recording(&s.rdp));

    // A stop with the IDs in a file, as text.
    let list = pc.root.path().join("ids.txt");
    std::fs::write(&list, format!("# from ticket 4711\n{}\n", s.recordable)).expect("write");
    let ran = pc
        .rdesk(&["stop", "--file", &list.display().to_string()], "")
        .expect(0);
    assert!(
        ran.stdout()
            .contains("Stop recording: 1 of 1 sessions done as asked."),
        "{}",
        ran.stdout()
    );
    assert!(!control.is_recording(&s.recordable));
    assert!(
        !ran.stderr().contains("Stopping recording ["),
        "no progress bar when stderr is not a terminal: {}",
        ran.stderr()
    );

    // The status of IDs read from stdin.
    let ran = pc
        .rdesk(&["status", "--file", "-"], &format!("{}\n", s.recordable))
        .expect(0);
    let line = ran
        .stdout()
        .lines()
        .find(|l| l.starts_with(s.recordable.as_str()))
        .map(str::to_owned)
        .expect("a line for the session");
    assert!(line.ends_with(" no"), "{line}");

    // The trail: every request and outcome, intact, and exported.
    let ran = pc.rdesk(&["audit", "verify"], "").expect(0);
    assert!(ran.stdout().contains("intact"), "{}", ran.stdout());
    let verify = pc
        .rdesk(&["audit", "verify", "--json"], "")
        .expect(0)
        .json();
    assert_eq!(verify["intact"], true);
    assert_eq!(verify["records"], 6);
    let csv = pc.root.path().join("trail");
    pc.rdesk(&["audit", "export", "-o", &csv.display().to_string()], "")
        .expect(0);
    let exported = std::fs::read_to_string(csv.with_extension("csv")).expect("csv");
    assert_eq!(exported.lines().count(), 7, "{exported}");

    // The investigation report of the same records, read back from the PDF.
    let pdf = pc.root.path().join("report");
    let saved = pc
        .rdesk(
            &[
                "audit",
                "report",
                "-o",
                &pdf.display().to_string(),
                "--json",
            ],
            "",
        )
        .expect(0)
        .json();
    assert_eq!(saved["records"], 6);
    let pdf = pdf.with_extension("pdf");
    assert_eq!(saved["path"], pdf.display().to_string());
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    for needle in [
        "Investigation report",
        "Audit trail intact",
        "Recording — confirmed by Citrix",
        "Recording stopped — confirmed by Citrix",
        "No: the users were not told",
        s.recordable.as_str(),
        saved["sha256"].as_str().expect("sha256"),
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }

    let ran = pc.rdesk(&["logout"], "").expect(0);
    assert!(ran.stderr().contains("removed"), "{}", ran.stderr());
    assert!(pc.settings()["settings"]["account"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_sent_for_a_malformed_id_or_a_start_without_the_notify_choice() {
    let pc = Computer::new().await;
    let s = ids();

    let ran = pc
        .rdesk(&["start", "--notify", &s.recordable, "not-a-session"], "")
        .expect(1);
    assert!(
        ran.stderr()
            .contains("\"not-a-session\" is not a session ID"),
        "{}",
        ran.stderr()
    );
    assert!(
        ran.stderr().contains("Nothing was sent"),
        "{}",
        ran.stderr()
    );

    let ran = pc
        .rdesk(&["start", "--notify", "--json", "--file", "-"], "0123\n")
        .expect(1);
    assert_eq!(ran.json()["error"]["kind"], "invalidSessionId");

    let ran = pc.rdesk(&["start", &s.recordable], "").expect(2);
    assert!(
        ran.stderr()
            .contains("add --notify (they are told) or --no-notify"),
        "{}",
        ran.stderr()
    );
    pc.rdesk(&["start", "--notify", "--no-notify", &s.recordable], "")
        .expect(2);

    let ran = pc.rdesk(&["stop"], "").expect(1);
    assert!(
        ran.stderr().contains("at least one session ID"),
        "{}",
        ran.stderr()
    );

    let control = pc.sim.control();
    assert_eq!(control.token_requests(), 0);
    assert_eq!(control.api_requests(), 0);
    assert!(!control.is_recording(&s.recordable));
    assert!(!pc.paths().audit_file().exists(), "no record of anything");

    // No account saved: the advice says how to sign in.
    let ran = pc.rdesk(&["sessions"], "").expect(1);
    assert!(ran.stderr().contains("rdesk login"), "{}", ran.stderr());
}

/// The settings (saved by the window) require a reason and a case: rdesk refuses a run without
/// them with the same advice as the window plus the option to use, sends nothing, and a run with
/// them writes both into every record, which `audit export --case` finds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tool_honours_a_required_reason_and_case() {
    let Some(pc) = Computer::signed_in().await else {
        return;
    };
    let s = ids();
    let control = pc.sim.control();
    let window = pc.window();
    let mut settings = window.settings();
    settings.require_reason = true;
    settings.require_case = true;
    window.update_settings(&settings).expect("settings");
    let calls_before = control.api_requests();

    let ran = pc
        .rdesk(
            &["start", "--no-notify", "--case", "INV-2291", &s.recordable],
            "",
        )
        .expect(1);
    assert!(ran.stderr().contains("Give a reason"), "{}", ran.stderr());
    assert!(ran.stderr().contains("--reason"), "{}", ran.stderr());
    let ran = pc
        .rdesk(
            &["stop", "--reason", "Investigation closed", &s.recordable],
            "",
        )
        .expect(1);
    assert!(ran.stderr().contains("--case"), "{}", ran.stderr());
    let ran = pc
        .rdesk(
            &[
                "start",
                "--no-notify",
                "--reason",
                "two\tcolumns",
                "--case",
                "INV-2291",
                &s.recordable,
            ],
            "",
        )
        .expect(1);
    assert!(
        ran.stderr().contains("control character"),
        "{}",
        ran.stderr()
    );
    assert_eq!(control.api_requests(), calls_before, "nothing was sent");
    assert!(!control.is_recording(&s.recordable));
    let recorded = std::fs::read_to_string(pc.paths().audit_file()).unwrap_or_default();
    assert_eq!(recorded, "", "nothing was recorded");

    let why = ["--reason", "Suspected data theft", "--case", "INV-2291"];
    let mut start = vec!["start", "--no-notify"];
    start.extend(why);
    start.push(&s.recordable);
    pc.rdesk(&start, "").expect(0);
    assert!(control.is_recording(&s.recordable));
    let mut stop = vec!["stop"];
    stop.extend(why);
    stop.push(&s.recordable);
    pc.rdesk(&stop, "").expect(0);
    assert!(!control.is_recording(&s.recordable));

    let records = pc.trail().scan().expect("scan").records;
    assert_eq!(records.len(), 4);
    for r in &records {
        assert_eq!(r.reason.as_deref(), Some("Suspected data theft"));
        assert_eq!(r.case_ref.as_deref(), Some("INV-2291"));
        assert_eq!(r.display_name.as_deref(), Some("Jane Smith"));
    }
    assert_eq!(window.settings().recent_cases, ["INV-2291"]);

    let out = pc.root.path().join("inv-2291.csv");
    let out_text = out.display().to_string();
    pc.rdesk(
        &["audit", "export", "--case", "inv-2291", "-o", &out_text],
        "",
    )
    .expect(0);
    let csv = std::fs::read_to_string(&out).expect("csv");
    assert_eq!(csv.lines().count(), 5, "a header and four records:\n{csv}");
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.contains(",INV-2291,Suspected data theft,")),
        "{csv}"
    );
    pc.rdesk(
        &["audit", "export", "--case", "INV-22", "-o", &out_text],
        "",
    )
    .expect(0);
    let csv = std::fs::read_to_string(&out).expect("csv");
    assert_eq!(csv.lines().count(), 1, "another case: the header only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_and_the_tool_share_the_account_and_one_audit_trail() {
    let Some(pc) = Computer::signed_in().await else {
        return;
    };
    let s = ids();
    let control = pc.sim.control();

    // The window finds the account rdesk saved, and its secret in the keychain.
    let window = pc.connected_window().await;

    let start = Action::Start { notify_user: true };
    let report = window
        .run(
            start,
            std::slice::from_ref(&s.recordable),
            &Justification::default(),
            Arc::new(|_| {}),
        )
        .await
        .expect("window run");
    assert_eq!(report.succeeded, 1);
    pc.rdesk(&["stop", &s.recordable], "").expect(0);
    assert!(!control.is_recording(&s.recordable));
    // The window chains on from the tool's records.
    let report = window
        .run(
            start,
            std::slice::from_ref(&s.second_of_user),
            &Justification::default(),
            Arc::new(|_| {}),
        )
        .await
        .expect("window run");
    assert_eq!(report.succeeded, 1);

    let verify = pc
        .rdesk(&["audit", "verify", "--json"], "")
        .expect(0)
        .json();
    assert_eq!(verify["intact"], true, "{verify}");
    assert_eq!(verify["records"], 6);
    let view = window
        .audit_view(desk_core::audit::AuditFilter::default(), None)
        .await
        .expect("view");
    assert!(view.chain.intact, "{}", view.chain.message);

    // While another program runs (here: holds the trail, as the window's run does), the tool
    // refuses and sends nothing...
    let trail = pc.trail();
    let held = trail.try_hold().expect("lock").expect("free");
    let requests = control.activation_requests();
    let ran = pc
        .rdesk(&["start", "--no-notify", &s.recordable], "")
        .expect(4);
    assert!(
        ran.stderr().contains("Another Recording Desk program"),
        "{}",
        ran.stderr()
    );
    assert!(ran.stderr().contains("--wait"), "{}", ran.stderr());
    assert!(!control.is_recording(&s.recordable));
    assert_eq!(control.activation_requests(), requests);

    // ... or, with --wait, waits for it and then goes ahead.
    let mut child = pc
        .command(&["start", "--no-notify", "--wait", &s.recordable])
        .spawn()
        .expect("rdesk starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut said = String::new();
    stderr.read_line(&mut said).expect("stderr line");
    assert!(said.contains("waiting for it to let go"), "{said}");
    assert!(!control.is_recording(&s.recordable));
    assert_eq!(trail.scan().expect("scan").records.len(), 6);
    drop(held);
    let out = child.wait_with_output().expect("rdesk ends");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(control.is_recording(&s.recordable));
    let scan = trail.scan().expect("scan");
    assert!(scan.chain.intact, "{}", scan.chain.message);
    assert_eq!(scan.records.len(), 8);

    pc.rdesk(&["logout"], "").expect(0);
}

/// The window holds the trail for as long as it is open: the tool, a second process, sends
/// nothing and says why, or with --wait waits until the window closes; the chain stays whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_window_is_open_the_tool_is_refused_or_waits_for_it_to_close() {
    let Some(pc) = Computer::signed_in().await else {
        return;
    };
    let s = ids();
    let control = pc.sim.control();

    let window = Arc::new(pc.connected_window().await);
    window.hold_trail_for_life();
    let report = window
        .run(
            Action::Start { notify_user: true },
            std::slice::from_ref(&s.second_of_user),
            &Justification::default(),
            Arc::new(|_| {}),
        )
        .await
        .expect("the window runs on the trail it holds");
    assert_eq!(report.succeeded, 1);

    let requests = control.activation_requests();
    for args in [
        &["start", "--no-notify", &s.recordable][..],
        &["audit", "verify"][..],
    ] {
        let ran = pc.rdesk(args, "").expect(4);
        assert!(
            ran.stderr()
                .contains("the Recording Desk window (which keeps it while it is open)"),
            "{}",
            ran.stderr()
        );
        assert!(ran.stderr().contains("--wait"), "{}", ran.stderr());
    }
    assert_eq!(control.activation_requests(), requests, "nothing was sent");
    assert!(!control.is_recording(&s.recordable));

    let mut child = pc
        .command(&["audit", "verify", "--wait", "--json"])
        .spawn()
        .expect("rdesk starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut said = String::new();
    stderr.read_line(&mut said).expect("stderr line");
    assert!(said.contains("waiting for it to let go"), "{said}");
    // The window closes.
    drop(window);
    let out = child.wait_with_output().expect("rdesk ends");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let verify: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(verify["intact"], true, "{verify}");
    assert_eq!(verify["state"], "intact", "{verify}");
    assert_eq!(verify["records"], 2);
    assert_eq!(verify["keyedFrom"], 1);
    // Every record names where its request went: here the simulator, never Citrix Cloud.
    let url = pc.sim.url();
    let host = format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port().unwrap_or_default()
    );
    let scan = pc.trail().scan().expect("scan");
    assert!(
        scan.records
            .iter()
            .all(|r| r.api_host.as_deref() == Some(host.as_str())),
        "{:?}",
        scan.records.iter().map(|r| &r.api_host).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_site_works_without_an_account_and_leaves_the_window_as_it_was() {
    let pc = Computer::new().await;
    let rows = pc
        .rdesk(&["--demo", "sessions", "--state", "active", "--json"], "")
        .expect(0)
        .json();
    let id = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["recordable"] == true)
        .and_then(|r| r["id"].as_str())
        .expect("a recordable demo session")
        .to_owned();
    let result = pc
        .rdesk(&["--demo", "start", "--notify", &id, "--json"], "")
        .expect(0)
        .json();
    assert_eq!(result["report"]["succeeded"], 1);
    assert_eq!(result["sessions"][0]["outcome"]["status"], "recording");

    let scan = pc.trail().scan().expect("scan");
    assert!(scan.chain.intact);
    assert_eq!(scan.records.len(), 2);
    assert!(scan
        .records
        .iter()
        .all(|r| r.mode == desk_core::account::Mode::Demo));
    assert_eq!(
        pc.sim.control().api_requests(),
        0,
        "the demo site is its own"
    );
    assert!(
        pc.settings()["settings"]["lastMode"].is_null(),
        "a command of the tool does not switch the window to the demo site"
    );
}

/// The organisation's settings (here from the policy file) bind rdesk as they bind the window:
/// the notify choice it decided, the case it requires, no demo site; and `rdesk settings` says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tool_follows_the_settings_the_organisation_set() {
    let Some(pc) = Computer::signed_in().await else {
        return;
    };
    std::fs::write(
        pc.policy_file(),
        r#"{"requireCase": true, "notifyUser": "never", "demoSiteOffered": false}"#,
    )
    .expect("policy");
    let s = ids();
    let control = pc.sim.control();
    let calls_before = control.api_requests();

    let ran = pc
        .rdesk(&["start", "--notify", "--case", "INV-7", &s.recordable], "")
        .expect(2);
    ran.says("Your organisation has decided that users are not told");
    ran.says("Nothing was sent");
    ran.says("Use --no-notify");
    let ran = pc
        .rdesk(&["start", "--no-notify", &s.recordable], "")
        .expect(1);
    ran.says("--case");
    let ran = pc.rdesk(&["--demo", "sessions"], "").expect(2);
    ran.says("turned off the demo site");
    assert_eq!(control.api_requests(), calls_before, "nothing was sent");
    assert!(!control.is_recording(&s.recordable));

    // Neither --notify nor --no-notify: the organisation's choice, said on stderr.
    let ran = pc
        .rdesk(&["start", "--case", "INV-7", &s.recordable], "")
        .expect(0);
    ran.says("users are not told");
    assert!(control.is_recording(&s.recordable));
    assert_eq!(control.notify_user(&s.recordable), Some(false));
    let records = pc.trail().scan().expect("scan").records;
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.notify_user == Some(false)));
    assert!(records
        .iter()
        .all(|r| r.case_ref.as_deref() == Some("INV-7")));

    let ran = pc.rdesk(&["settings"], "").expect(0);
    let line = |key: &str| {
        ran.stdout()
            .lines()
            .find(|l| l.starts_with(key))
            .map(str::to_owned)
            .unwrap_or_default()
    };
    assert!(line("requireCase").contains("true"), "{}", ran.stdout());
    assert!(line("requireCase").ends_with("set by your organisation"));
    assert!(line("notifyUser ").contains("never"), "{}", ran.stdout());
    assert!(!line("requireReason").contains("organisation"));
    let json = pc.rdesk(&["settings", "--json"], "").expect(0).json();
    assert_eq!(json["notifyUser"], "never");
    assert_eq!(json["locked"][0], "requireCase");

    // A broken file: rdesk goes on without it, and says so.
    std::fs::write(pc.policy_file(), "{ not json").expect("policy");
    let ran = pc.rdesk(&["settings"], "").expect(0);
    ran.says("Your organisation's settings for Recording Desk could not be read");
}

/// Two saved accounts: `rdesk profiles` lists them with the demo site, the current one marked;
/// `--profile NAME` works with another one for one command and leaves the current one as it is;
/// the records of a run name the account; `logout --profile` removes that account's secret only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_listed_and_chosen_by_name_for_one_command() {
    if !keychain_available() {
        return;
    }
    let other = format!("globex-{}", random_suffix().trim_start_matches('-'));
    let pc = Computer::with(vec![citrix_sim::VisibleCustomer {
        id: other.clone(),
        name: Some("Globex".into()),
        sites: vec![citrix_sim::VisibleSite {
            id: "globex-site".into(),
            name: "Globex site".into(),
        }],
    }])
    .await;
    let secret = format!("{}\n", pc.config.client_secret);
    let first = format!("Citrix Cloud ({})", pc.config.customer_id);
    let ran = pc.login().expect(0);
    assert!(
        ran.stderr()
            .contains(&format!("Signed in to Citrix Cloud as \"{first}\"")),
        "{}",
        ran.stderr()
    );
    let login_globex_as = |name: &str| {
        let args = [
            "login",
            "--region",
            "us",
            "--customer",
            &other,
            "--client-id",
            CLIENT_ID,
            "--name",
            name,
        ];
        pc.rdesk(&args, &secret)
    };
    login_globex_as("Globex US").expect(0);
    // The same customer and client again under another name: refused, naming the saved one.
    let ran = login_globex_as("Globex 2").expect(1);
    assert!(
        ran.stderr().contains("already saved as \"Globex US\""),
        "{}",
        ran.stderr()
    );

    let listed = pc.rdesk(&["profiles", "--json"], "").expect(0).json();
    let listed: Vec<(String, bool)> = listed
        .as_array()
        .expect("profiles")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["current"] == true,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (first.clone(), true),
            ("Globex US".to_owned(), false),
            ("Demo site".to_owned(), false)
        ],
        "the first account stays current: a login of the tool does not switch the window"
    );
    let text = pc.rdesk(&["profiles"], "").expect(0).stdout();
    let marked: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with('*'))
        .collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(
        marked[0].contains(&first) && marked[0].contains(&pc.config.customer_id),
        "{text}"
    );
    assert!(
        text.contains("Globex US") && text.contains(&other),
        "{text}"
    );

    // One command on the other account, by name in any case; the next one is back on the current.
    let sites = pc
        .rdesk(&["--profile", "globex us", "sites", "--json"], "")
        .expect(0)
        .json();
    assert_eq!(sites["customerId"], other.as_str());
    assert_eq!(sites["siteId"], "globex-site");
    let sites = pc.rdesk(&["sites", "--json"], "").expect(0).json();
    assert_eq!(sites["customerId"], pc.config.customer_id.as_str());
    let ran = pc.rdesk(&["--profile", "Initech", "sites"], "").expect(1);
    assert!(
        ran.stderr()
            .contains("There is no Citrix account named \"Initech\""),
        "{}",
        ran.stderr()
    );

    // A run with --profile: the simulator of that account records it, every record names it.
    let s = ids();
    pc.rdesk(
        &["--profile", &first, "start", "--no-notify", &s.recordable],
        "",
    )
    .expect(0);
    assert!(pc.sim.control().is_recording(&s.recordable));
    let scan = pc.trail().scan().expect("scan");
    assert_eq!(scan.records.len(), 2);
    for r in &scan.records {
        assert_eq!(r.profile.as_deref(), Some(first.as_str()));
        assert_eq!(r.customer_id, pc.config.customer_id);
    }

    // Removing one account removes its secret only.
    pc.rdesk(&["--profile", "Globex US", "logout"], "")
        .expect(0);
    let keychain = KeyringStore::new(desk_core::vault::SERVICE);
    use desk_core::vault::SecretStore as _;
    let entry = |customer: &str| desk_core::vault::account(customer, CLIENT_ID);
    assert!(keychain.get(&entry(&other)).expect("keychain").is_none());
    assert!(keychain
        .get(&entry(&pc.config.customer_id))
        .expect("keychain")
        .is_some());
    assert_eq!(
        pc.trail().scan().expect("scan").records.len(),
        2,
        "the trail is untouched"
    );
    pc.rdesk(&["logout"], "").expect(0);
    assert!(keychain
        .get(&entry(&pc.config.customer_id))
        .expect("keychain")
        .is_none());
}
