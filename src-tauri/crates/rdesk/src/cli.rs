//! The command line: every subcommand and option, with the help text people read.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  Done: everything was done as asked (a run: every session ended as asked).
  1  Not done: the command could not be carried out (not signed in, a wrong session ID,
     Citrix Cloud not reachable, ...). Nothing was started or stopped. The reason is on stderr.
  2  The command line itself is wrong (an unknown option, --notify/--no-notify missing, ...),
     or asks for what your organisation's settings on this computer do not allow (see
     `rdesk settings`). Nothing was sent.
  3  Partly done: the run or look-up went ahead, but at least one session did not end as
     asked (or was not found). Each session's line says what happened to it.
  4  Busy: another Recording Desk program on this computer holds the audit trail: the window,
     for as long as it is open, or another rdesk command. Nothing was sent. Close the window or
     try again later, or add --wait.
  5  The audit trail is not intact, or its end cannot be verified (`audit verify`).";

/// Recording Desk on the command line: find Citrix DaaS sessions and start or stop Session
/// Recording on them, from scripts and ticketing tools. It uses the same saved accounts,
/// settings and audit trail as the Recording Desk window on this computer: the current account
/// unless --profile names another (see `rdesk profiles`).
#[derive(Parser)]
#[command(name = "rdesk", version, after_long_help = EXIT_CODES, after_help = EXIT_CODES)]
pub struct Cli {
    /// Print the result as JSON on standard output, for scripts. Messages stay on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// Use the built-in demo site (invented sessions) instead of your Citrix Cloud account. Each
    /// command starts it afresh; its runs are written to the audit trail as demo runs.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Work with the saved Citrix account of this name (see `rdesk profiles`) instead of the
    /// current one. The window's current account does not change.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Sign in to Citrix Cloud and keep the account for the window and rdesk. The client secret
    /// is asked for without showing it, or read from standard input; it is kept in this
    /// computer's password store.
    Login(Login),
    /// Forget the saved account (the current one, or the one named with --profile) and delete
    /// its client secret from the password store. The audit trail keeps its records.
    Logout,
    /// List the saved Citrix accounts and the demo site; the current one is marked with *.
    Profiles,
    /// List the account's sites, or choose the one to work on.
    Sites {
        #[command(subcommand)]
        action: Option<SitesAction>,
    },
    /// Find sessions by user, machine, delivery group or state, with their recording status.
    Sessions(Search),
    /// Start recording sessions. You must say whether their users are told: --notify or
    /// --no-notify, unless your organisation decided it (see `rdesk settings`).
    Start(Start),
    /// Stop recording sessions.
    Stop(Stop),
    /// Whether sessions are being recorded, as Citrix reports it now.
    Status(Ids),
    /// Show the settings in effect, and which of them your organisation set (those cannot be
    /// changed on this computer).
    Settings,
    /// Check the audit trail, or export it as CSV.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
}

#[derive(Args)]
pub struct Login {
    /// The Citrix Cloud region of the account.
    #[arg(long, value_enum)]
    pub region: CliRegion,
    /// The customer ID (Citrix Cloud > Identity and Access Management > API Access).
    #[arg(long = "customer", value_name = "CUSTOMER-ID")]
    pub customer_id: String,
    /// The ID of the API client (not its name).
    #[arg(long, value_name = "CLIENT-ID")]
    pub client_id: String,
    /// The name to keep the account under, e.g. "Acme EU" (default: "Citrix Cloud (CUSTOMER-ID)",
    /// or the name it is saved under already).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CliRegion {
    Us,
    Eu,
    #[value(name = "ap-s")]
    ApS,
    Jp,
}

impl From<CliRegion> for citrix_cloud::Region {
    fn from(r: CliRegion) -> Self {
        match r {
            CliRegion::Us => citrix_cloud::Region::Us,
            CliRegion::Eu => citrix_cloud::Region::Eu,
            CliRegion::ApS => citrix_cloud::Region::ApS,
            CliRegion::Jp => citrix_cloud::Region::Jp,
        }
    }
}

#[derive(Subcommand)]
pub enum SitesAction {
    /// Work on this site from now on (the window too).
    Use {
        #[arg(value_name = "SITE-ID")]
        site_id: String,
    },
}

#[derive(Args)]
pub struct Search {
    /// Part of the user's name or account, e.g. jsmith.
    #[arg(long)]
    pub user: Option<String>,
    /// Part of the machine name.
    #[arg(long)]
    pub machine: Option<String>,
    /// The delivery group's name.
    #[arg(long)]
    pub delivery_group: Option<String>,
    #[arg(long, value_enum, default_value = "any")]
    pub state: CliState,
    /// Show every match, not only the first page (50).
    #[arg(long)]
    pub all: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CliState {
    Active,
    Disconnected,
    Connected,
    Any,
}

#[derive(Args)]
pub struct Ids {
    /// Session IDs, as `rdesk sessions` shows them.
    #[arg(value_name = "SESSION-ID")]
    pub ids: Vec<String>,
    /// Also read session IDs from this file (`-` reads standard input): one or more per line,
    /// the same way the window reads pasted IDs; lines starting with # are skipped.
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Args)]
pub struct Wait {
    /// While another Recording Desk program holds the audit trail (the window, for as long as it
    /// is open, or another rdesk command), wait until it lets go instead of giving up.
    #[arg(long)]
    pub wait: bool,
}

/// Why, and for which case: written into every record of the run.
#[derive(Args)]
pub struct Why {
    /// Why recording is started or stopped, in a sentence (one line, up to 500 characters).
    /// Required when the settings require a reason.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// The case or ticket reference the request is for, such as INV-2291 (up to 64 characters).
    /// Required when the settings require a case.
    #[arg(long = "case", value_name = "REFERENCE")]
    pub case_ref: Option<String>,
}

#[derive(Args)]
// Not `required` in clap: a missing choice gets rdesk's own plain message (see `commands`).
#[command(group(ArgGroup::new("notify_choice").args(["notify", "no_notify"])))]
pub struct Start {
    /// Tell the users that their sessions are being recorded.
    #[arg(long)]
    pub notify: bool,
    /// Do not tell the users.
    #[arg(long)]
    pub no_notify: bool,
    // When the organisation decided whether users are told, both may be left out.
    #[command(flatten)]
    pub why: Why,
    #[command(flatten)]
    pub ids: Ids,
    #[command(flatten)]
    pub wait: Wait,
}

#[derive(Args)]
pub struct Stop {
    #[command(flatten)]
    pub why: Why,
    #[command(flatten)]
    pub ids: Ids,
    #[command(flatten)]
    pub wait: Wait,
}

#[derive(Subcommand)]
pub enum AuditAction {
    /// Check that no record of the audit trail was changed or removed, and that its end is the
    /// one Recording Desk noted in the keychain.
    Verify {
        #[command(flatten)]
        wait: Wait,
    },
    /// Write the audit trail (or part of it) to a CSV file for a spreadsheet.
    Export {
        /// The CSV file to write (".csv" is added if missing).
        #[arg(long, short = 'o', value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        filter: TrailFilter,
    },
    /// Write the investigation report (PDF) of the audit trail, or of part of it.
    Report {
        /// The PDF file to write (".pdf" is added if missing).
        #[arg(long, short = 'o', value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        filter: TrailFilter,
    },
}

/// Which records of the audit trail an export or report holds.
#[derive(Args)]
pub struct TrailFilter {
    /// From this date (YYYY-MM-DD) or time (RFC 3339).
    #[arg(long)]
    pub from: Option<String>,
    /// Up to this date (YYYY-MM-DD, the whole day) or time (RFC 3339).
    #[arg(long)]
    pub to: Option<String>,
    /// Part of the session's user (account or display name), or of who acted.
    #[arg(long)]
    pub user: Option<String>,
    /// Only the records of this case or ticket reference (the whole reference, any case).
    #[arg(long = "case", value_name = "REFERENCE")]
    pub case_ref: Option<String>,
}

impl TrailFilter {
    pub fn audit_filter(&self) -> desk_core::audit::AuditFilter {
        desk_core::audit::AuditFilter {
            from: self.from.clone(),
            to: self.to.clone(),
            user: self.user.clone(),
            case_ref: self.case_ref.clone(),
            ..Default::default()
        }
    }
}
