//! `citrix-sim`: runs the Citrix Cloud simulator on 127.0.0.1 until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use citrix_sim::{
    FixtureSet, HiddenFields, Hide, SearchMode, SimConfig, Simulator, UnseenCustomerTokens,
    VisibleCustomer, VisibleSite,
};

const USAGE: &str = "\
Usage: citrix-sim [OPTIONS]

Runs a local simulator of the Citrix Cloud token service and the CVAD manage sessions API.

Options:
  --port <PORT>                 TCP port on 127.0.0.1 (default 8787; 0 = any free port)
  --fixtures <demo|test>        the demo site's sessions (default), or the test sessions: the
                                demo's kind led by fixed ones (an HTML user name, RDP,
                                Disconnected, Connected, State/Protocol null or missing)
  --customer <ID>               customer ID (default demo-customer)
  --customer-name <NAME>        the customer's name in /me (demo: Contoso Ltd; test: null)
  --client-id <ID>              API client ID (default demo-client)
  --client-secret <SECRET>      API client secret (default demo-secret)
  --site-name <NAME>            name of the customer's site (default Demo Site)
  --other-customer <ID[:NAME]>  another customer the API client can see, with one empty site
                                (repeatable)
  --unseen-customer-tokens <refuse|grant|grant-me-lists>
                                a token asked for a customer the client cannot see: refused
                                with 400 invalid_client (default), or granted (every call
                                naming it then gets 403; with grant-me-lists, /me answers
                                with the customers the client can see)
  --sessions <N>                number of fixture sessions (default 240)
  --latency-ms <MS>             delay added to every request (default 0)
  --token-lifetime-secs <SECS>  lifetime of issued tokens (default 3600)
  --record-delay-ms <MS>        RecordingStatus turns true this long after an accepted start
                                (demo default 1000, test default 0)
  --record-jitter-ms <MS>       plus a random extra of up to this (demo 1000, test 0)
  --stop-delay-ms <MS>          RecordingStatus turns false this long after a stop (default 0)
  --search-mode <lenient|no-contains|equals-only>
                                search operators $search refuses with 400 (default lenient)
  --hide-fields <state,connection,protocol>
                                answers about every session leave these out (Citrix marks
                                them nullable); the session itself is unchanged
  --hide-as <null|absent>       hidden fields are null (default) or missing
  --control                     serve fault switches over HTTP under /_sim/ (for tests)
  -h, --help                    print this help
";

/// What the command line asks for.
#[derive(Debug)]
struct Options {
    cfg: SimConfig,
    control_api: bool,
    search_mode: SearchMode,
    hidden: HiddenFields,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    // Flags first, applied after `--fixtures` has chosen the defaults they override, wherever it
    // stands on the line.
    let mut flags: Vec<(String, Option<String>)> = Vec::new();
    let mut args = args.peekable();
    let mut control_api = false;
    while let Some(arg) = args.next() {
        // Both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--control" => control_api = true,
            _ => {
                let value = inline
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{flag} needs a value"))?;
                flags.push((flag, Some(value)));
            }
        }
    }
    let fixtures = match flags.iter().rev().find(|(f, _)| f == "--fixtures") {
        None => FixtureSet::Demo,
        Some((_, value)) => match value.as_deref() {
            Some("demo") => FixtureSet::Demo,
            Some("test") => FixtureSet::Test,
            _ => return Err("--fixtures must be demo or test".to_owned()),
        },
    };
    let mut cfg = match fixtures {
        FixtureSet::Demo => SimConfig::demo(),
        FixtureSet::Test => SimConfig::default(),
    };
    cfg.port = 8787;
    let mut search_mode = SearchMode::Lenient;
    let (mut hide, mut hide_as) = (None::<String>, Hide::Null);
    for (flag, value) in flags {
        let value = value.unwrap_or_default();
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: '{v}' is not a number"))
        };
        let ms = |v: &str| number(v).map(Duration::from_millis);
        match flag.as_str() {
            "--fixtures" => {}
            "--port" => {
                cfg.port = u16::try_from(number(&value)?)
                    .map_err(|_| "--port must be at most 65535".to_owned())?
            }
            "--customer" => cfg.customer_id = value,
            "--customer-name" => cfg.customer_name = Some(value),
            "--client-id" => cfg.client_id = value,
            "--client-secret" => cfg.client_secret = value,
            "--site-name" => cfg.site_name = value,
            "--other-customer" => cfg.other_customers.push(other_customer(&value)),
            "--unseen-customer-tokens" => {
                cfg.unseen_customer_tokens = match value.as_str() {
                    "refuse" => UnseenCustomerTokens::Refuse,
                    "grant" => UnseenCustomerTokens::Grant,
                    "grant-me-lists" => UnseenCustomerTokens::GrantMeLists,
                    _ => return Err(format!("{flag} must be refuse, grant or grant-me-lists")),
                }
            }
            "--sessions" => {
                cfg.sessions = usize::try_from(number(&value)?)
                    .map_err(|_| "--sessions is too large".to_owned())?
            }
            "--latency-ms" => cfg.latency = ms(&value)?,
            "--token-lifetime-secs" => cfg.token_lifetime = Duration::from_secs(number(&value)?),
            "--record-delay-ms" => cfg.record_delay = ms(&value)?,
            "--record-jitter-ms" => cfg.record_jitter = ms(&value)?,
            "--stop-delay-ms" => cfg.stop_delay = ms(&value)?,
            "--search-mode" => {
                search_mode = match value.as_str() {
                    "lenient" => SearchMode::Lenient,
                    "no-contains" => SearchMode::NoContains,
                    "equals-only" => SearchMode::EqualsOnly,
                    _ => {
                        return Err(format!(
                            "{flag} must be lenient, no-contains or equals-only"
                        ))
                    }
                }
            }
            "--hide-fields" => hide = Some(value),
            "--hide-as" => {
                hide_as = match value.as_str() {
                    "null" => Hide::Null,
                    "absent" => Hide::Absent,
                    _ => return Err(format!("{flag} must be null or absent")),
                }
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    let hidden = match hide {
        None => HiddenFields::NONE,
        Some(list) => HiddenFields::named(list.split(','), hide_as).ok_or_else(|| {
            "--hide-fields takes state, connection and protocol, separated by commas".to_owned()
        })?,
    };
    Ok(Some(Options {
        cfg,
        control_api,
        search_mode,
        hidden,
    }))
}

/// `ID` or `ID:NAME`: a customer with one site, whose ID is derived from the customer's so that
/// it is the same on every start.
fn other_customer(value: &str) -> VisibleCustomer {
    let (id, name) = match value.split_once(':') {
        Some((id, name)) => (id.trim(), Some(name.trim().to_owned())),
        None => (value.trim(), None),
    };
    let site_name = format!("{} Site", name.as_deref().unwrap_or(id));
    VisibleCustomer {
        id: id.to_owned(),
        name,
        sites: vec![VisibleSite {
            id: citrix_sim::fixtures::guid_for(id),
            name: site_name,
        }],
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let Options {
        cfg,
        control_api,
        search_mode,
        hidden,
    } = match parse_args(std::env::args().skip(1)) {
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
    let fixtures = match cfg.fixtures {
        FixtureSet::Demo => "demo",
        FixtureSet::Test => "test",
    };
    println!("  fixtures        {fixtures}");
    println!("  customer ID     {}", cfg.customer_id);
    println!("  client ID       {}", cfg.client_id);
    println!("  client secret   {}", cfg.client_secret);
    println!("  site            {} ({})", cfg.site_id, cfg.site_name);
    println!("  sessions        {}", cfg.sessions);
    println!("  latency         {} ms", cfg.latency.as_millis());
    println!("  token lifetime  {} s", cfg.token_lifetime.as_secs());
    println!(
        "  recording delay {} ms + up to {} ms (stop {} ms)",
        cfg.record_delay.as_millis(),
        cfg.record_jitter.as_millis(),
        cfg.stop_delay.as_millis()
    );
    for other in &cfg.other_customers {
        println!("  also visible    customer {}", other.id);
    }
    let sim = match Simulator::start(cfg).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("citrix-sim: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let control = sim.control();
    control.set_control_api(control_api);
    control.set_search_mode(search_mode);
    if !hidden.is_none() {
        control.hide_fields_everywhere(hidden);
    }
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
        let plain = parse(&[]).expect("valid").expect("config");
        assert_eq!(plain.port, 8787);
        assert_eq!(plain.fixtures, FixtureSet::Demo);
        assert_eq!(plain.record_delay, Duration::from_millis(1000));
        assert!(parse(&["--help"]).expect("valid").is_none());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "70000"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        let with_control = parse_args(["--control".to_owned()].into_iter())
            .expect("valid")
            .expect("options");
        assert!(with_control.control_api);
    }

    #[test]
    fn fixtures_choose_defaults_that_other_flags_override() {
        let cfg = parse(&["--record-delay-ms", "50", "--fixtures", "test"])
            .expect("valid")
            .expect("config");
        assert_eq!(cfg.fixtures, FixtureSet::Test);
        assert_eq!(cfg.record_delay, Duration::from_millis(50));
        assert_eq!(cfg.record_jitter, Duration::ZERO);
        assert_eq!(cfg.customer_name, None);
        let demo = parse(&["--fixtures=demo", "--record-jitter-ms=0"])
            .expect("valid")
            .expect("config");
        assert_eq!(demo.record_jitter, Duration::ZERO);
        assert_eq!(demo.customer_name.as_deref(), Some("Contoso Ltd"));
        assert!(parse(&["--fixtures", "prod"]).is_err());
    }

    #[test]
    fn customers_search_mode_and_hidden_fields() {
        let options = parse_args(
            [
                "--other-customer",
                "fabrikam:Fabrikam Inc",
                "--other-customer=tailspin",
                "--unseen-customer-tokens",
                "grant",
                "--search-mode",
                "equals-only",
                "--hide-fields",
                "state,protocol",
                "--hide-as",
                "absent",
            ]
            .iter()
            .map(|s| (*s).to_owned()),
        )
        .expect("valid")
        .expect("options");
        let others = &options.cfg.other_customers;
        assert_eq!(others.len(), 2);
        assert_eq!(others[0].id, "fabrikam");
        assert_eq!(others[0].name.as_deref(), Some("Fabrikam Inc"));
        assert_eq!(others[0].sites[0].name, "Fabrikam Inc Site");
        assert_eq!(others[1].name, None);
        assert_ne!(others[0].sites[0].id, others[1].sites[0].id);
        assert_eq!(
            options.cfg.unseen_customer_tokens,
            UnseenCustomerTokens::Grant
        );
        assert_eq!(options.search_mode, SearchMode::EqualsOnly);
        assert_eq!(options.hidden.state, Some(Hide::Absent));
        assert_eq!(options.hidden.protocol, Some(Hide::Absent));
        assert_eq!(options.hidden.connection, None);
        assert!(parse(&["--hide-fields", "colour"]).is_err());
        assert!(parse(&["--search-mode", "strict"]).is_err());
    }
}
