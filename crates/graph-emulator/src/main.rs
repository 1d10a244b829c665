//! The `graph-emulator` command: load a seed tenant, listen on loopback, print the base URL, serve until told to stop.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use graph_emulator::{server, Config, Emulator, ProcessingConfig, Tenant};

const USAGE: &str = "\
usage: graph-emulator (--users <seed.json> | --generate <n>) [--host 127.0.0.1] [--port 0] [--exit-on-stdin-eof]
                      [--throttle] [--throttle-scale <factor>] [--faults <profile.json>] [--seed <n>]
                      [--processing-delay-ms <n>]
       graph-emulator generate-tenant [--users 300] [--seed 1]

  --users <file>            seed tenant: {\"tenantId\", \"subscribedSkus\", \"groups\", \"users\": [...], \"throttling\", \"faults\", \"processing\"}
  --generate <n>            serve the sample tenant of generate-tenant with n users (1 to 1000000, --seed or 1),
                            built in memory: a tenant of 300,000 users without a 200 MB seed file
  --host <address>          loopback address to listen on (127.0.0.0/8, ::1 or localhost); default 127.0.0.1
  --port <n>                port; 0 (the default) picks a free one
  --exit-on-stdin-eof       stop when standard input closes, so a parent that dies takes the emulator with it
  --throttle                enforce Graph's throttling limits (off by default)
  --throttle-scale <f>      multiply every throttling window by f (0.01: 10 s becomes 100 ms); implies --throttle
  --faults <file>           fault profile: {\"seed\": n, \"rules\": [{\"path\", \"method\", \"failureRate\", ...}]}
  --seed <n>                seed for every random choice (faults, batch answer order), for reproducible runs
  --processing-delay-ms <n> re-evaluate a reprocessed user's licenses n ms after the call, as the service
                            does, instead of inside it (0, the default); overrides the seed's processing

  generate-tenant           print a sample tenant (seed JSON) with users in license trouble, deterministic per --seed

The first line on stdout is the base URL, e.g. http://127.0.0.1:43121. Admin API: <base>/_emulator/ (see README.md).";

#[derive(Debug, PartialEq)]
struct Options {
    users: Source,
    host: IpAddr,
    port: u16,
    exit_on_stdin_eof: bool,
    throttle: bool,
    throttle_scale: Option<f64>,
    faults: Option<PathBuf>,
    seed: Option<u64>,
    processing_delay_ms: Option<u64>,
}

/// Where the tenant comes from.
#[derive(Debug, PartialEq)]
enum Source {
    File(PathBuf),
    Generated(usize),
}

/// The largest tenant `generate-tenant` and `--generate` make.
const MAX_GENERATED_USERS: usize = 1_000_000;

fn user_count(text: &str, option: &str) -> Result<usize, String> {
    text.parse()
        .ok()
        .filter(|n| (1..=MAX_GENERATED_USERS).contains(n))
        .ok_or_else(|| {
            format!(
                "{option} takes a number of users from 1 to {MAX_GENERATED_USERS}, not '{text}'"
            )
        })
}

#[derive(Debug, PartialEq)]
enum Command {
    Run(Options),
    Generate { users: usize, seed: u64 },
    Help,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut users = None;
    let mut generate_users = None;
    let mut host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port = 0u16;
    let mut exit_on_stdin_eof = false;
    let mut throttle = false;
    let mut throttle_scale = None;
    let mut faults = None;
    let mut seed = None;
    let mut processing_delay_ms = None;
    let mut generate = false;
    let mut args = args.into_iter().peekable();
    if args.peek().map(String::as_str) == Some("generate-tenant") {
        args.next();
        generate = true;
    }
    while let Some(arg) = args.next() {
        // Accept both `--port 8080` and `--port=8080`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--users" => users = Some(PathBuf::from(value("--users")?)),
            "--generate" => generate_users = Some(user_count(&value("--generate")?, "--generate")?),
            "--throttle" => throttle = true,
            "--throttle-scale" => {
                let text = value("--throttle-scale")?;
                match text.parse::<f64>() {
                    Ok(f) if f > 0.0 && f.is_finite() => throttle_scale = Some(f),
                    _ => {
                        return Err(format!(
                            "--throttle-scale must be a positive number, not '{text}'"
                        ))
                    }
                }
            }
            "--faults" => faults = Some(PathBuf::from(value("--faults")?)),
            "--seed" => {
                let text = value("--seed")?;
                seed = Some(
                    text.parse()
                        .map_err(|_| format!("--seed must be a whole number, not '{text}'"))?,
                );
            }
            "--processing-delay-ms" => {
                let text = value("--processing-delay-ms")?;
                let delay_ms = text.parse().map_err(|_| {
                    format!("--processing-delay-ms must be a whole number, not '{text}'")
                })?;
                ProcessingConfig { delay_ms }
                    .validate()
                    .map_err(|e| format!("--processing-delay-ms: {e}"))?;
                processing_delay_ms = Some(delay_ms);
            }
            "--host" => host = parse_host(&value("--host")?)?,
            "--port" => {
                let text = value("--port")?;
                port = text.parse().map_err(|_| {
                    format!("--port must be a number from 0 to 65535, not '{text}'")
                })?;
            }
            "--exit-on-stdin-eof" => exit_on_stdin_eof = true,
            "-h" | "--help" => return Ok(Command::Help),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if generate {
        if generate_users.is_some() {
            return Err("generate-tenant takes --users <n>, not --generate".into());
        }
        let count = match &users {
            None => 300,
            Some(path) => user_count(path.to_str().unwrap_or_default(), "generate-tenant --users")?,
        };
        return Ok(Command::Generate {
            users: count,
            seed: seed.unwrap_or(1),
        });
    }
    let users = match (users, generate_users) {
        (Some(path), None) => Source::File(path),
        (None, Some(n)) => Source::Generated(n),
        (Some(_), Some(_)) => {
            return Err("--users and --generate are alternatives; give one".into())
        }
        (None, None) => return Err("--users <seed.json> (or --generate <n>) is required".into()),
    };
    Ok(Command::Run(Options {
        users,
        host,
        port,
        exit_on_stdin_eof,
        throttle,
        throttle_scale,
        faults,
        seed,
        processing_delay_ms,
    }))
}

fn parse_host(text: &str) -> Result<IpAddr, String> {
    let host = if text.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        text.trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| {
                format!("--host must be a loopback IP address or localhost, not '{text}'")
            })?
    };
    server::check_loopback(host).map_err(|e| e.to_string())?;
    Ok(host)
}

fn load_faults(path: &std::path::Path) -> Result<graph_emulator::faults::FaultProfile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read fault profile {}: {e}", path.display()))?;
    let profile: graph_emulator::faults::FaultProfile = serde_json::from_str(&text)
        .map_err(|e| format!("fault profile {}: {e}", path.display()))?;
    graph_emulator::faults::Faults::validate(&profile)
        .map_err(|e| format!("fault profile {}: {e}", path.display()))?;
    Ok(profile)
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Generate { users, seed }) => {
            let tenant = graph_emulator::generate::tenant(users, seed);
            let text = serde_json::to_string_pretty(&tenant).expect("JSON serializes");
            let mut stdout = std::io::stdout().lock();
            return match writeln!(stdout, "{text}").and_then(|_| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            };
        }
        Err(message) => {
            eprintln!("graph-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let loaded = match &options.users {
        Source::File(path) => Tenant::load(path),
        Source::Generated(n) => Tenant::from_seed(graph_emulator::generate::tenant(
            *n,
            options.seed.unwrap_or(1),
        ))
        .map_err(|e| format!("generated tenant: {e}")),
    };
    let tenant = match loaded {
        Ok(tenant) => tenant,
        Err(message) => {
            eprintln!("graph-emulator: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("graph-emulator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(options, tenant))
}

async fn run(options: Options, mut tenant: Tenant) -> ExitCode {
    if let Some(delay_ms) = options.processing_delay_ms {
        tenant
            .set_processing(ProcessingConfig { delay_ms })
            .expect("checked when the arguments were parsed");
    }
    let users = tenant.len();
    let mut config = Config::new(tenant);
    config.host = options.host;
    config.port = options.port;
    config.seed = options.seed;
    if options.throttle || options.throttle_scale.is_some() {
        config.throttle.enabled = true;
    }
    if let Some(scale) = options.throttle_scale {
        config.throttle.scale = scale;
    }
    if let Some(path) = &options.faults {
        match load_faults(path) {
            Ok(profile) => config.faults = profile,
            Err(message) => {
                eprintln!("graph-emulator: {message}");
                return ExitCode::from(2);
            }
        }
    }
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!(
                "graph-emulator: cannot listen on {}:{}: {e}",
                options.host, options.port
            );
            return ExitCode::FAILURE;
        }
    };
    // Parents wait for this exact line, so it goes first and is flushed at once.
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", emulator.base_url())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    eprintln!(
        "graph-emulator: serving {users} users at {}",
        emulator.base_url()
    );

    if options.exit_on_stdin_eof {
        let (eof, stdin_closed) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 1024];
            let mut stdin = std::io::stdin().lock();
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(_) => continue,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            let _ = eof.send(());
        });
        let _ = stdin_closed.await;
        // Do not let a client holding a connection open keep the process alive forever.
        let _ = tokio::time::timeout(Duration::from_secs(5), emulator.stop()).await;
    } else {
        std::future::pending::<()>().await;
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Command, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_the_documented_command_line() {
        assert_eq!(
            args(&[
                "--users",
                "t.json",
                "--host",
                "127.0.0.1",
                "--port=8080",
                "--exit-on-stdin-eof"
            ]),
            Ok(Command::Run(Options {
                users: Source::File("t.json".into()),
                host: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 8080,
                exit_on_stdin_eof: true,
                throttle: false,
                throttle_scale: None,
                faults: None,
                seed: None,
                processing_delay_ms: None,
            }))
        );
        assert!(
            matches!(args(&["--users", "t.json", "--host", "[::1]"]), Ok(Command::Run(o)) if o.host.is_loopback())
        );
        assert!(matches!(
            args(&["--users", "t.json", "--host", "localhost"]),
            Ok(Command::Run(_))
        ));
        assert_eq!(args(&["--help"]), Ok(Command::Help));
        assert!(matches!(
            args(&["--users", "t.json", "--throttle-scale", "0.01", "--faults", "f.json", "--seed=7"]),
            Ok(Command::Run(Options { throttle_scale: Some(s), seed: Some(7), faults: Some(_), .. })) if s == 0.01
        ));
        assert!(matches!(
            args(&["--users", "t.json", "--processing-delay-ms", "300"]),
            Ok(Command::Run(Options {
                processing_delay_ms: Some(300),
                ..
            }))
        ));
        assert_eq!(
            args(&["generate-tenant", "--users", "300", "--seed", "1"]),
            Ok(Command::Generate {
                users: 300,
                seed: 1
            })
        );
        assert!(matches!(
            args(&["--generate", "300000", "--seed", "2"]),
            Ok(Command::Run(Options {
                users: Source::Generated(300_000),
                seed: Some(2),
                ..
            }))
        ));
        assert_eq!(
            args(&["generate-tenant"]),
            Ok(Command::Generate {
                users: 300,
                seed: 1
            })
        );
    }

    #[test]
    fn refuses_bad_arguments() {
        assert!(args(&[]).unwrap_err().contains("--users"));
        assert!(args(&["--users", "t.json", "--host", "0.0.0.0"])
            .unwrap_err()
            .contains("loopback"));
        assert!(args(&["--users", "t.json", "--host", "example.com"])
            .unwrap_err()
            .contains("loopback"));
        assert!(args(&["--users", "t.json", "--port", "99999"]).is_err());
        assert!(args(&["--users"]).is_err());
        assert!(args(&["--users", "t.json", "--verbose"]).is_err());
        assert!(args(&["--users", "t.json", "--throttle-scale", "0"]).is_err());
        assert!(args(&["--users", "t.json", "--seed", "x"]).is_err());
        assert!(args(&["--users", "t.json", "--processing-delay-ms", "-5"]).is_err());
        assert!(
            args(&["--users", "t.json", "--processing-delay-ms", "86400001"])
                .unwrap_err()
                .contains("one day")
        );
        assert!(args(&["generate-tenant", "--users", "many"]).is_err());
        assert!(args(&["--generate", "0"]).unwrap_err().contains("'0'"));
        assert!(args(&["--generate", "1000001"]).is_err());
        assert!(args(&["--generate", "10", "--users", "t.json"])
            .unwrap_err()
            .contains("alternatives"));
    }
}
