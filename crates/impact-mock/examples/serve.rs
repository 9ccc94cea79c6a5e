//! Serves a generated world in the foreground, configured as `impact mock`'s flags would
//! configure it, until stdin closes: for trying the mock from another language, and for
//! measuring a large world's start and memory.
//!
//! `cargo run --release -p impact-mock --example serve -- [--scale small|medium|large]
//! [--quota off|real|N/SECS] [--seed N] [--now RFC3339] [--frozen] [--rules documented|legacy]
//! [--fault JSON]... [--account SID:TOKEN]...`
//!
//! The first line on stdout is the base URL; the demo credentials go to stderr.

use std::io::{BufRead, Write};

use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, MockConfig, MockServer};

fn config(mut args: impl Iterator<Item = String>) -> Result<MockConfig, String> {
    let mut config = MockConfig::default();
    while let Some(flag) = args.next() {
        if flag == "--frozen" {
            config = config.frozen();
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let error = |e: impact_mock::ConfigError| e.to_string();
        config = match flag.as_str() {
            "--scale" => config.scale(value.parse().map_err(error)?),
            "--quota" => config.quota(value.parse().map_err(error)?),
            "--seed" => config.seed(value.parse().map_err(|_| format!("bad seed {value:?}"))?),
            "--now" => config.now(impact_mock::parse_now(&value).map_err(error)?),
            "--rules" => config.rules(value.parse().map_err(error)?),
            "--fault" => config.fault(value.parse().map_err(error)?),
            "--account" => config.account(value.parse().map_err(error)?),
            other => return Err(format!("unknown flag {other}")),
        };
    }
    Ok(config)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = config(std::env::args().skip(1))?;
    let server = MockServer::builder().config(config).start().await?;
    println!("{}", server.base_url());
    std::io::stdout().flush()?;
    eprintln!("demo account: {DEMO_ACCOUNT_SID}:{DEMO_AUTH_TOKEN} (public, for mocks only)");
    // Serve until stdin closes.
    tokio::task::spawn_blocking(|| for _ in std::io::stdin().lock().lines() {}).await?;
    server.shutdown().await;
    Ok(())
}
