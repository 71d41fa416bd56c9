//! What each subcommand does, through the one [`Desk`] the window also uses.

use std::io::{IsTerminal as _, Read as _};
use std::sync::Arc;

use citrix_cloud::bulk::Action;
use desk_core::account::{ConnectionInfo, Mode, SignIn};
use desk_core::audit::AuditFilter;
use desk_core::run::Justification;
use desk_core::sessions::{SessionQueryInput, SessionRow, StateFilter};
use desk_core::{Desk, DeskOptions, Error};

use crate::cli::{AuditAction, Cli, CliState, Command, Ids, Login, Search, SitesAction, Why};
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{self, cell};
use crate::report::Results;

pub async fn run(cli: Cli) -> Outcome {
    let options = DeskOptions::for_this_computer().ok_or_else(|| {
        Error::invalid(
            "This computer gives Recording Desk no home folder for its settings and audit trail.",
        )
    })?;
    let desk = Arc::new(Desk::open(DeskOptions {
        // A command of the tool must not change how the window comes back.
        remember_mode: false,
        ..options
    }));
    let exit = command(&desk, &cli).await;
    // What the officer should know besides the result: a settings file that was repaired, a
    // secret that could not be kept, ...
    for notice in desk.status().await.notices {
        eprintln!("{notice}");
    }
    exit
}

async fn command(desk: &Arc<Desk>, cli: &Cli) -> Outcome {
    let json = cli.json;
    match &cli.command {
        Command::Login(login) => self::login(desk, login, json).await,
        Command::Logout => {
            match &cli.profile {
                Some(name) => {
                    let profile = desk.profile_named(name)?;
                    desk.remove_profile(&profile.id).await?;
                }
                None => desk.forget_credentials().await?,
            }
            eprintln!("The saved account and its client secret are removed from this computer.");
            Ok(Exit::Done)
        }
        Command::Profiles => {
            profiles(desk, json);
            Ok(Exit::Done)
        }
        Command::Sites { action } => {
            let info = connect(desk, cli).await?;
            let info = match action {
                Some(SitesAction::Use { site_id }) => desk.select_site(site_id)?,
                None => info,
            };
            sites(&info, json);
            Ok(Exit::Done)
        }
        Command::Sessions(search) => {
            connect(desk, cli).await?;
            sessions(desk, search, json).await
        }
        Command::Start(start) => {
            let Some(action) = start_action(desk, start.notify, start.no_notify)? else {
                return Ok(Exit::Usage);
            };
            recording_run(desk, cli, action, &start.why, &start.ids, start.wait.wait).await
        }
        Command::Stop(stop) => {
            recording_run(
                desk,
                cli,
                Action::Stop,
                &stop.why,
                &stop.ids,
                stop.wait.wait,
            )
            .await
        }
        Command::Status(ids) => status(desk, cli, ids).await,
        Command::Settings => {
            settings(desk, json);
            Ok(Exit::Done)
        }
        Command::Audit { action } => audit(desk, action, json).await,
    }
}

/// The start asked for, checked against the organisation's notify choice before anything is
/// sent; `None` (a usage error, already explained) when neither --notify nor --no-notify was
/// given and the organisation did not decide.
fn start_action(desk: &Desk, notify: bool, no_notify: bool) -> Result<Option<Action>, Failure> {
    let policy = desk.policy();
    let notify_user = match (notify || no_notify, policy.forced_notify()) {
        (true, _) => notify,
        (false, Some(forced)) => {
            eprintln!(
                "Your organisation has decided that users {} told when their session is recorded.",
                if forced { "are" } else { "are not" }
            );
            forced
        }
        (false, None) => {
            // Whether people are told they are recorded is never defaulted.
            eprintln!(
                "Say whether the users are told that they are being recorded: add --notify \
                 (they are told) or --no-notify (they are not). Nothing was sent."
            );
            return Ok(None);
        }
    };
    let action = Action::Start { notify_user };
    policy.check_action(&action).map_err(|e| {
        Failure::with_hint(
            e,
            if notify_user {
                "Use --no-notify, or leave both --notify and --no-notify out: rdesk then follows \
                 your organisation's choice."
            } else {
                "Use --notify, or leave both --notify and --no-notify out: rdesk then follows \
                 your organisation's choice."
            },
        )
    })?;
    Ok(Some(action))
}

/// The settings in effect, each marked when the organisation set it.
fn settings(desk: &Desk, json: bool) {
    use desk_core::policy::{NotifyChoice, SettingName as S};
    let s = desk.settings();
    if json {
        output::json(&s);
        return;
    }
    let notify = match s.notify_user {
        NotifyChoice::Ask => "the officer chooses at each start",
        NotifyChoice::Always => "always",
        NotifyChoice::Never => "never",
    };
    let account = &s.managed_account;
    let rows: Vec<(S, String)> = vec![
        (S::RequireReason, s.require_reason.to_string()),
        (S::RequireCase, s.require_case.to_string()),
        (S::NotifyUser, notify.to_owned()),
        (S::NotifyUserDefault, s.notify_user_default.to_string()),
        (S::Concurrency, s.concurrency.to_string()),
        (S::DemoSiteOffered, s.demo_site_offered.to_string()),
        (S::Region, cell(account.region.map(|r| r.as_str()))),
        (S::CustomerId, cell(account.customer_id.as_deref())),
        (S::ClientId, cell(account.client_id.as_deref())),
        (S::CheckForUpdates, s.check_for_updates.to_string()),
        (
            S::UpdateFeedUrl,
            cell(desk.policy().update_feed_url.as_deref()),
        ),
    ];
    // The collector in effect: the organisation's, else the one in the settings file.
    let collector = desk
        .policy()
        .collector()
        .or(desk.stored_settings().syslog_collector);
    let rows = rows.into_iter().chain([
        (
            S::SyslogCollectorHost,
            cell(collector.as_ref().map(|c| c.host.as_str())),
        ),
        (
            S::SyslogCollectorPort,
            cell(collector.as_ref().map(|c| c.port.to_string()).as_deref()),
        ),
        (
            S::SyslogCollectorCaFile,
            cell(collector.as_ref().and_then(|c| c.ca_file.as_deref())),
        ),
    ]);
    let table: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(name, value)| {
            let by = if s.locked.contains(&name) {
                "set by your organisation"
            } else {
                ""
            };
            vec![name.key().to_owned(), value, by.to_owned()]
        })
        .collect();
    output::table(&["SETTING", "VALUE", ""], &table);
    if !s.locked.is_empty() {
        eprintln!(
            "Settings set by your organisation cannot be changed on this computer; ask your IT \
             department if one needs to change."
        );
    }
}

/// Connects to the demo site, to the profile named with `--profile`, or to the current saved
/// account, with the secret from the keychain.
async fn connect(desk: &Desk, cli: &Cli) -> Result<ConnectionInfo, Failure> {
    let named = cli
        .profile
        .as_deref()
        .map(|name| desk.profile_named(name))
        .transpose()?;
    if cli.demo || named.as_ref().is_some_and(|p| p.mode == Mode::Demo) {
        return Ok(desk.connect_demo().await?);
    }
    let (id, region, customer_id, client_id) = match named {
        Some(p) => (
            p.id,
            p.region.ok_or(Error::NotConnected)?,
            p.customer_id,
            p.client_id,
        ),
        None => {
            let a = desk
                .status()
                .await
                .saved_account
                .ok_or(Error::NotConnected)?;
            (a.profile_id, a.region, a.customer_id, a.client_id)
        }
    };
    Ok(desk
        .sign_in(SignIn {
            region,
            customer_id,
            client_id,
            secret: None,
            name: None,
            profile_id: Some(id),
        })
        .await?)
}

/// `rdesk profiles`: every saved account and the demo site, the current one marked.
fn profiles(desk: &Desk, json: bool) {
    let all = desk.profiles();
    if json {
        output::json(&all);
        return;
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|p| {
            vec![
                if p.current { "*" } else { "" }.to_owned(),
                p.name.clone(),
                p.region
                    .map(|r| r.label().to_owned())
                    .unwrap_or_else(|| "-".to_owned()),
                if p.mode == Mode::Demo {
                    "built-in demo site".to_owned()
                } else {
                    p.customer_id.clone()
                },
            ]
        })
        .collect();
    output::table(&["", "NAME", "REGION", "CUSTOMER"], &rows);
}

async fn login(desk: &Desk, login: &Login, json: bool) -> Outcome {
    let secret = read_secret()?;
    let info = desk
        .sign_in(SignIn {
            region: login.region.into(),
            customer_id: login.customer_id.clone(),
            client_id: login.client_id.clone(),
            secret: Some(secret),
            name: login.name.clone(),
            profile_id: None,
        })
        .await?;
    eprintln!(
        "Signed in to Citrix Cloud as \"{}\": customer {}{}.",
        info.profile.as_deref().unwrap_or_default(),
        info.customer_id,
        info.customer_name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    sites(&info, json);
    Ok(Exit::Done)
}

/// The secret from a prompt that does not show it, or the first line of standard input when
/// that is not a terminal (a script, a secret manager's output). Never from the command line,
/// where other users of the computer and the shell history could see it.
fn read_secret() -> Result<String, Failure> {
    let unreadable =
        |e: std::io::Error| Error::invalid(format!("The client secret could not be read ({e})."));
    if std::io::stdin().is_terminal() {
        return Ok(
            rpassword::prompt_password("Client secret (not shown as you type): ")
                .map_err(unreadable)?,
        );
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(unreadable)?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

fn sites(info: &ConnectionInfo, json: bool) {
    if json {
        output::json(&serde_json::json!({
            "customerId": info.customer_id,
            "customerName": info.customer_name,
            "sites": info.sites,
            "siteId": info.site_id,
        }));
        return;
    }
    let rows: Vec<Vec<String>> = info
        .sites
        .iter()
        .map(|s| {
            let chosen = info.site_id.as_deref() == Some(s.id.as_str());
            vec![
                if chosen { "*" } else { "" }.to_owned(),
                s.id.clone(),
                s.name.clone(),
            ]
        })
        .collect();
    output::table(&["", "SITE-ID", "NAME"], &rows);
    if info.site_id.is_none() {
        eprintln!("No site is chosen yet: choose one with `rdesk sites use SITE-ID`.");
    }
}

async fn sessions(desk: &Desk, search: &Search, json: bool) -> Outcome {
    let query = SessionQueryInput {
        user: search.user.clone(),
        machine: search.machine.clone(),
        delivery_group: search.delivery_group.clone(),
        state: match search.state {
            CliState::Active => StateFilter::Active,
            CliState::Disconnected => StateFilter::Disconnected,
            CliState::Connected => StateFilter::Connected,
            CliState::Any => StateFilter::Any,
        },
    };
    let mut rows: Vec<SessionRow> = Vec::new();
    let mut continuation = None;
    let more = loop {
        let page = desk.search_sessions(&query, continuation).await?;
        rows.extend(page.items);
        continuation = page.continuation;
        if continuation.is_none() || !search.all {
            break continuation.is_some();
        }
    };
    desk.fill_recording_status(&mut rows.iter_mut().collect::<Vec<_>>())
        .await?;
    if json {
        output::json(&rows);
    } else {
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.id.clone(),
                    cell(r.user_name.as_deref().or(r.user_display_name.as_deref())),
                    cell(r.machine_name.as_deref()),
                    cell(r.delivery_group.as_deref()),
                    r.state.clone(),
                    recording_word(r),
                ]
            })
            .collect();
        output::table(
            &[
                "SESSION",
                "USER",
                "MACHINE",
                "DELIVERY GROUP",
                "STATE",
                "RECORDING",
            ],
            &table,
        );
    }
    if more {
        eprintln!("More sessions match: narrow the search, or add --all to list them all.");
    } else if rows.is_empty() {
        eprintln!("No session matches.");
    }
    Ok(Exit::Done)
}

/// The recording column: what Citrix reports, and why a session cannot be recorded.
fn recording_word(row: &SessionRow) -> String {
    let now = match row.recording {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown (Citrix did not say)",
    };
    match &row.not_recordable_reason {
        Some(why) => format!("{now}; cannot be recorded: {why}"),
        None => now.to_owned(),
    }
}

async fn recording_run(
    desk: &Arc<Desk>,
    cli: &Cli,
    action: Action,
    why: &Why,
    ids: &Ids,
    wait: bool,
) -> Outcome {
    // The reason and case, then every ID, are checked before anything is sent.
    let justification = desk.check_justification(&Justification {
        reason: why.reason.clone().unwrap_or_default(),
        case_ref: why.case_ref.clone().unwrap_or_default(),
    })?;
    let ids = crate::ids::gather(ids)?;
    hold_trail(desk, wait).await?;
    connect(desk, cli).await?;
    let results = Results::new(&action, ids.len(), cli.json);
    // Ctrl-C cancels like the window's Cancel: sessions not yet asked are left as they are.
    let cancel = {
        let desk = Arc::clone(desk);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nCancelling: sessions not asked yet are left as they are.");
                desk.cancel_run();
            }
        })
    };
    let report = desk.run(action, &ids, &justification, results.sink()).await;
    cancel.abort();
    Ok(results.print(&action, &ids, &report?, cli.json))
}

/// Takes the audit trail for the rest of this command, so no other program writes it meanwhile
/// (and a record cut off half-way is never another program's record being written): refused
/// while another program holds it, or, with `--wait`, waited for.
async fn hold_trail(desk: &Desk, wait: bool) -> Result<(), Failure> {
    let waiting: Option<Box<dyn FnOnce() + Send>> = wait.then(|| {
        Box::new(|| {
            eprintln!(
                "Another Recording Desk program on this computer holds the audit trail (the \
                 window, for as long as it is open, or another rdesk command); waiting for it \
                 to let go..."
            );
        }) as Box<dyn FnOnce() + Send>
    });
    Ok(desk.hold_trail(waiting).await?)
}

async fn status(desk: &Desk, cli: &Cli, ids: &Ids) -> Outcome {
    let ids = crate::ids::gather(ids)?;
    connect(desk, cli).await?;
    let mut results = desk.lookup_sessions(ids).await?;
    desk.fill_recording_status(
        &mut results
            .iter_mut()
            .filter_map(|r| r.row.as_mut())
            .collect::<Vec<_>>(),
    )
    .await?;
    let all_found = results.iter().all(|r| r.error.is_none());
    if cli.json {
        output::json(&results);
    } else {
        let rows: Vec<Vec<String>> = results
            .iter()
            .map(|r| {
                let what = match (&r.row, &r.error) {
                    (Some(row), _) => recording_word(row),
                    (None, Some(e)) => e.message.clone(),
                    (None, None) => "unknown".to_owned(),
                };
                let user = r.row.as_ref().and_then(SessionRow::audit_user);
                vec![r.id.clone(), cell(user.as_deref()), what]
            })
            .collect();
        output::table(&["SESSION", "USER", "RECORDING"], &rows);
    }
    Ok(if all_found { Exit::Done } else { Exit::Partly })
}

async fn audit(desk: &Desk, action: &AuditAction, json: bool) -> Outcome {
    match action {
        AuditAction::Verify { wait } => {
            hold_trail(desk, wait.wait).await?;
            // Only the count of records is shown: no need to hold the whole trail.
            let view = desk.audit_view(AuditFilter::default(), Some(1)).await?;
            let chain = &view.chain;
            if json {
                output::json(&serde_json::json!({
                    "intact": chain.intact,
                    "state": chain.state,
                    "keyedFrom": chain.keyed_from,
                    "brokenAt": chain.broken_at,
                    "message": chain.message,
                    "records": view.total,
                    "requestsWithoutOutcome": view.unknown_outcomes.len(),
                    "path": view.path,
                }));
            } else {
                println!("{}", chain.message);
                println!("{} records in {}", view.total, view.path);
                if !view.unknown_outcomes.is_empty() {
                    println!(
                        "{} requests have no recorded outcome: check those sessions with \
                         `rdesk status`.",
                        view.unknown_outcomes.len()
                    );
                }
            }
            Ok(if chain.intact {
                Exit::Done
            } else {
                Exit::TrailBroken
            })
        }
        AuditAction::Export { out, filter } => {
            let path = out_path(out, "csv")?;
            let count = desk
                .export_audit_csv(filter.audit_filter(), &path.display().to_string())
                .await?;
            if json {
                output::json(&serde_json::json!({ "records": count, "path": path }));
            } else {
                eprintln!("{count} records written to {}.", path.display());
            }
            Ok(Exit::Done)
        }
        AuditAction::Report { out, filter } => {
            let path = out_path(out, "pdf")?;
            let saved = desk
                .export_audit_report(filter.audit_filter(), &path.display().to_string())
                .await?;
            if json {
                output::json(&saved);
            } else {
                eprintln!(
                    "Report of {} records on {} pages written to {}.\nSHA-256 of the exported records: {}",
                    saved.records, saved.pages, saved.path, saved.sha256
                );
            }
            Ok(Exit::Done)
        }
    }
}

/// The file to write, absolute, with its extension. The core adds the extension too; here so
/// the message names the file actually written.
fn out_path(out: &std::path::Path, extension: &str) -> Result<std::path::PathBuf, Error> {
    let mut path = std::path::absolute(out).map_err(|e| Error::file_write(out, e))?;
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension))
    {
        path.as_mut_os_string().push(format!(".{extension}"));
    }
    Ok(path)
}
