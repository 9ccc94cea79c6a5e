//! `impact mock`: runs the loopback mock of the impact.com APIs in the foreground (SPEC 6.3),
//! for trying `impact api` or a program of one's own without credentials or network.

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};

use clap::Args;
use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, MockServer};

use crate::exit::Exit;

/// The arguments of `impact mock`.
///
/// ```text
/// impact mock                      # any free port; the first stdout line is the base URL
/// impact mock --addr 127.0.0.1:8080
/// ```
#[derive(Debug, Clone, Args)]
pub(crate) struct MockArgs {
    /// The loopback address to listen on; port 0 picks any free port.
    #[arg(long, value_name = "127.0.0.1:PORT", default_value_t = SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), value_parser = parse_loopback)]
    addr: SocketAddr,
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
    runtime.block_on(serve(args.addr))
}

async fn serve(addr: SocketAddr) -> Exit {
    let server = match MockServer::builder().addr(addr).start().await {
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
         impact mock: demo credentials (public, for mocks only):\n\
         \x20 export {}={DEMO_ACCOUNT_SID}\n\
         \x20 export {}={DEMO_AUTH_TOKEN}\n\
         impact mock: try  impact api /Campaigns --base-url {base_url}",
        crate::api::SID_VAR,
        crate::api::TOKEN_VAR,
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
