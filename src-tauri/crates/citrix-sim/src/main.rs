//! `citrix-sim`: runs the Citrix Cloud simulator on 127.0.0.1 until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use citrix_sim::{SimConfig, Simulator};

const USAGE: &str = "\
Usage: citrix-sim [OPTIONS]

Runs a local simulator of the Citrix Cloud token service and the CVAD manage sessions API.

Options:
  --port <PORT>                 TCP port on 127.0.0.1 (default 8787; 0 = any free port)
  --customer <ID>               customer ID (default demo-customer)
  --client-id <ID>              API client ID (default demo-client)
  --client-secret <SECRET>      API client secret (default demo-secret)
  --site-name <NAME>            name of the customer's site (default Demo Site)
  --sessions <N>                number of fixture sessions (default 240)
  --latency-ms <MS>             delay added to every request (default 0)
  --token-lifetime-secs <SECS>  lifetime of issued tokens (default 3600)
  --control                     serve fault switches over HTTP under /_sim/ (for tests)
  -h, --help                    print this help
";

/// What the command line asks for.
#[derive(Debug)]
struct Options {
    cfg: SimConfig,
    control_api: bool,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut cfg = SimConfig {
        port: 8787,
        ..SimConfig::default()
    };
    let mut control_api = false;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        // Both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        if flag == "--control" {
            control_api = true;
            continue;
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: '{v}' is not a number"))
        };
        match flag.as_str() {
            "--port" => {
                cfg.port = u16::try_from(number(value()?)?)
                    .map_err(|_| "--port must be at most 65535".to_owned())?
            }
            "--customer" => cfg.customer_id = value()?,
            "--client-id" => cfg.client_id = value()?,
            "--client-secret" => cfg.client_secret = value()?,
            "--site-name" => cfg.site_name = value()?,
            "--sessions" => {
                cfg.sessions = usize::try_from(number(value()?)?)
                    .map_err(|_| "--sessions is too large".to_owned())?
            }
            "--latency-ms" => cfg.latency = Duration::from_millis(number(value()?)?),
            "--token-lifetime-secs" => cfg.token_lifetime = Duration::from_secs(number(value()?)?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(Some(Options { cfg, control_api }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let Options { cfg, control_api } = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("citrix-sim: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!("Citrix Cloud simulator");
    println!("  customer ID     {}", cfg.customer_id);
    println!("  client ID       {}", cfg.client_id);
    println!("  client secret   {}", cfg.client_secret);
    println!("  site            {} ({})", cfg.site_id, cfg.site_name);
    println!("  sessions        {}", cfg.sessions);
    println!("  latency         {} ms", cfg.latency.as_millis());
    println!("  token lifetime  {} s", cfg.token_lifetime.as_secs());
    let sim = match Simulator::start(cfg).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("citrix-sim: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    sim.control().set_control_api(control_api);
    let base = sim.url().as_str().trim_end_matches('/').to_owned();
    println!("  token endpoint  {base}/cctrustoauth2/root/tokens/clients");
    println!("  API base        {base}/cvad/manage");
    if control_api {
        println!("  fault switches  {base}/_sim/faults (POST), {base}/_sim/state");
    }
    println!("Listening on {base}");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("citrix-sim: cannot wait for Ctrl-C: {e}");
    }
    sim.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<SimConfig>, String> {
        parse_args(args.iter().map(|s| (*s).to_owned())).map(|o| o.map(|o| o.cfg))
    }

    #[test]
    fn flags() {
        let cfg = parse(&[
            "--port",
            "0",
            "--customer=acme",
            "--site-name",
            "Contoso Production",
            "--sessions",
            "10",
            "--latency-ms",
            "5",
        ])
        .expect("valid")
        .expect("config");
        assert_eq!(cfg.port, 0);
        assert_eq!(cfg.customer_id, "acme");
        assert_eq!(cfg.site_name, "Contoso Production");
        assert_eq!(cfg.sessions, 10);
        assert_eq!(cfg.latency, Duration::from_millis(5));
        assert_eq!(parse(&[]).expect("valid").expect("config").port, 8787);
        assert!(parse(&["--help"]).expect("valid").is_none());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "70000"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        let with_control = parse_args(["--control".to_owned()].into_iter())
            .expect("valid")
            .expect("options");
        assert!(with_control.control_api);
    }
}
