//! `rdesk`: Recording Desk on the command line. It is a second front end on the same core as
//! the window (`desk-core`): the same saved account and keychain entry, the same settings file
//! and the same audit trail, so the two never disagree. See `rdesk --help` and the admin guide's
//! "Scripting with rdesk".
//!
//! Map: [`cli`] the command line; [`commands`] what each subcommand does; [`ids`] session IDs
//! from arguments, files and stdin; [`report`] a run's results and exit code; [`exit`] exit
//! codes and error messages; [`output`] JSON and tables.

mod cli;
mod commands;
mod exit;
mod ids;
mod output;
mod report;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("rdesk could not start ({e}).");
            return exit::Exit::NotDone.into();
        }
    };
    let json = cli.json;
    match runtime.block_on(commands::run(cli)) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            failure.tell(json);
            failure.exit().into()
        }
    }
}
