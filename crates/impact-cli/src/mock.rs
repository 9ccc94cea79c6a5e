//! `impact mock`: runs the loopback mock of the impact.com APIs in the foreground (SPEC 6.3),
//! for trying `impact api` or a program of one's own without credentials or network.

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};

use clap::Args;
use impact_mock::{
    Account, ClockMode, DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, FaultSpec, MockConfig, MockServer,
    Quota, Rules, Scale, Timestamp,
};

use crate::exit::Exit;

/// The arguments of `impact mock` (SPEC 8.4).
///
/// ```text
/// impact mock                      # seed 1, small world, real quotas, clock from now
/// impact mock --addr 127.0.0.1:8080 --scale medium --frozen --now 2025-06-01T00:00:00Z
/// impact mock --quota 300/60 --fault '{"path":"/Actions","status":503,"times":2}'
/// ```
#[derive(Debug, Clone, Args)]
pub(crate) struct MockArgs {
    /// The loopback address to listen on; port 0 picks any free port.
    #[arg(long, value_name = "127.0.0.1:PORT", default_value_t = SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), value_parser = parse_loopback)]
    addr: SocketAddr,

    /// The seed the world is generated from: the same seed gives the same world.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,

    /// Where the world's clock starts (RFC 3339, or a date); default the real time at start.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<Timestamp>,

    /// Keep the world's clock still; it moves only through `POST /_mock/clock`.
    #[arg(long)]
    frozen: bool,

    /// The world's size: small (about 2,000 actions, 5 campaigns), medium (50,000, 20) or
    /// large (1,000,000, 100).
    #[arg(long, value_name = "small|medium|large", default_value = "small")]
    scale: Scale,

    /// Rate limits: real (the API's own), off, or N/SECS for every endpoint group.
    #[arg(long, value_name = "off|real|N/SECS", default_value = "real")]
    quota: Quota,

    /// Which of the API's refusals lists enforce: documented (since August 2024) or legacy.
    #[arg(long, value_name = "documented|legacy", default_value = "documented")]
    rules: Rules,

    /// A fault scripted before the first request: the JSON object of `POST /_mock/faults`.
    /// Repeatable.
    #[arg(long = "fault", value_name = "JSON")]
    faults: Vec<FaultSpec>,

    /// Another account the mock serves, as SID:TOKEN (the demo account always exists).
    /// Repeatable.
    #[arg(long = "account", value_name = "SID:TOKEN")]
    accounts: Vec<String>,
}

/// Parses `--now`.
fn parse_now(text: &str) -> Result<Timestamp, String> {
    impact_mock::parse_now(text).map_err(|error| error.to_string())
}

impl MockArgs {
    /// The mock's configuration. Accounts are parsed here, after clap, so that a refused value
    /// is never echoed: it holds a token.
    fn config(&self) -> Result<MockConfig, String> {
        let mut config = MockConfig::default()
            .seed(self.seed)
            .scale(self.scale)
            .quota(self.quota)
            .rules(self.rules);
        if let Some(now) = self.now {
            config = config.now(now);
        }
        if self.frozen {
            config = config.frozen();
        }
        for fault in &self.faults {
            config = config.fault(fault.clone());
        }
        for (index, text) in self.accounts.iter().enumerate() {
            let account: Account = text
                .parse()
                .map_err(|error| format!("--account number {}: {error}", index + 1))?;
            config = config.account(account);
        }
        Ok(config)
    }
}

/// Parses `--addr`: a socket address whose IP is loopback. The mock accepts a public demo
/// token, so it must not be reachable from other machines.
fn parse_loopback(text: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not an address such as 127.0.0.1:8080"))?;
    if addr.ip().is_loopback() {
        Ok(addr)
    } else {
        Err(format!(
            "{addr} is not a loopback address: the mock listens only on 127.0.0.0/8 or ::1"
        ))
    }
}

/// Runs `impact mock` until Ctrl-C or SIGTERM.
pub(crate) fn run(args: MockArgs) -> Exit {
    let config = match args.config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("impact mock: {message}");
            return Exit::Usage;
        }
    };
    crate::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("impact mock: cannot start the async runtime: {error}");
            return Exit::Usage;
        }
    };
    let clock = if args.frozen {
        ClockMode::Frozen
    } else {
        ClockMode::Live
    };
    runtime.block_on(serve(args.addr, config, clock))
}

async fn serve(addr: SocketAddr, config: MockConfig, clock: ClockMode) -> Exit {
    let server = match MockServer::builder()
        .addr(addr)
        .config(config)
        .start()
        .await
    {
        Ok(server) => server,
        Err(error) => {
            eprintln!("impact mock: cannot listen on {addr}: {error}");
            return Exit::Usage;
        }
    };
    let base_url = server.base_url();
    // The first line of stdout is the base URL, flushed at once: a script reads it to learn
    // the port before sending anything.
    let mut stdout = io::stdout().lock();
    if writeln!(stdout, "{base_url}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("impact mock: cannot write the base url to stdout");
        return Exit::Usage;
    }
    drop(stdout);
    // The demo credentials are public and open nothing but mocks; a person needs them to
    // call the mock, so they are shown, on stderr only.
    eprintln!(
        "impact mock: serving the impact.com API emulation on {base_url} until interrupted (Ctrl-C)\n\
         impact mock: the world's clock is at {} ({}); ground truth at {base_url}/_mock/world/Actions\n\
         impact mock: demo credentials (public, for mocks only):\n\
         \x20 export {}={DEMO_ACCOUNT_SID}\n\
         \x20 export {}={DEMO_AUTH_TOKEN}\n\
         impact mock: try  impact api /Campaigns --base-url {base_url}",
        server.now().to_rfc3339_utc(),
        match clock {
            ClockMode::Frozen => "frozen",
            _ => "following real time",
        },
        crate::connect::SID_VAR,
        crate::connect::TOKEN_VAR,
    );
    server.serve_until(interrupted()).await;
    eprintln!("impact mock: stopped");
    Exit::Success
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<&str, &str>) {
        assert_eq!(
            parse_loopback(input).map(|addr| addr.to_string()),
            expect.map(str::to_owned).map_err(str::to_owned),
            "{input:?}"
        );
    }

    #[test]
    fn only_loopback_addresses() {
        check("127.0.0.1:8080", Ok("127.0.0.1:8080"));
        check("127.0.0.2:0", Ok("127.0.0.2:0"));
        check("[::1]:9000", Ok("[::1]:9000"));
        check(
            "0.0.0.0:8080",
            Err(
                "0.0.0.0:8080 is not a loopback address: the mock listens only on 127.0.0.0/8 or ::1",
            ),
        );
        check(
            "localhost:8080",
            Err("\"localhost:8080\" is not an address such as 127.0.0.1:8080"),
        );
    }
}
