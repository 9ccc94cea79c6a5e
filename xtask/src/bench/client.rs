//! The client figures: requests per second of impact-client against raw reqwest on the
//! loopback mock, and the peak resident memory of one call answered with a huge error body.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use impact_client::{Client, Request};
use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, MockServer, Quota, RequestMatch};
use serde::Deserialize;

use super::stats::{Paired, median};

/// Requests in flight at once, on each side.
pub(crate) const CONCURRENCY: usize = 16;
/// Items per page: one campaign (18 attributes, as the Partner API sends them) makes a
/// body of about 1 KiB.
const PAGE_SIZE: &str = "1";
/// The size of the hostile error body.
pub(crate) const HUGE_BODY_BYTES: u64 = 100 * 1024 * 1024;
/// The path the mock answers with the huge error body, under the account root.
const HUGE_PATH: &str = "/BenchHugeError";
/// The path the mock answers with a tiny error body of the same status.
const TINY_PATH: &str = "/BenchTinyError";
/// The status of both error answers: a 400 is not retried, so the call is one attempt.
const ERROR_STATUS: u16 = 400;
const TINY_BODY: &[u8] = br#"{"Status":"ERROR","Message":"Validation Failed","Errors":[{"Field":"AccountId","Message":"Not a numeric value"}]}"#;

/// The page both sides decode: the paging keys and the campaigns' fields.
#[derive(Deserialize)]
struct CampaignPage {
    #[serde(rename = "@page")]
    page: String,
    #[serde(rename = "@nextpageuri", default)]
    next_page_uri: String,
    #[serde(rename = "Campaigns")]
    campaigns: Vec<Campaign>,
}

#[derive(Deserialize)]
struct Campaign {
    #[serde(rename = "CampaignId")]
    id: String,
    #[serde(rename = "CampaignName")]
    name: String,
    #[serde(rename = "CampaignUrl")]
    url: String,
    #[serde(rename = "ContractStatus")]
    contract_status: String,
}

impl CampaignPage {
    /// Whether the page is what the mock serves: one campaign, 1000.
    fn looks_right(&self) -> bool {
        self.page == "1"
            && !self.next_page_uri.is_empty()
            && self.campaigns.len() == 1
            && self.campaigns.first().is_some_and(|campaign| {
                campaign.id == "1000"
                    && !campaign.name.is_empty()
                    && !campaign.url.is_empty()
                    && !campaign.contract_status.is_empty()
            })
    }
}

/// The mock server in a child process of its own (`xtask bench --serve-mock`), so that its
/// work is not scheduled on the runtime being measured. It serves until its stdin closes.
pub(crate) struct MockProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    pub(crate) base_url: String,
}

impl MockProcess {
    pub(crate) fn spawn(exe: &Path) -> Result<MockProcess, String> {
        let mut child = Command::new(exe)
            .args(["bench", "--serve-mock"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| format!("cannot start the mock: {error}"))?;
        let stdin = child.stdin.take();
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout)
                .read_line(&mut line)
                .map_err(|error| format!("cannot read the mock's address: {error}"))?;
        }
        let base_url = line.trim().to_owned();
        let process = MockProcess {
            child,
            stdin,
            base_url,
        };
        if !process.base_url.starts_with("http://127.0.0.1:") {
            return Err(format!("the mock printed {line:?} instead of its base URL"));
        }
        Ok(process)
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        // Closing stdin asks the mock to stop; waiting reaps it.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// `xtask bench --serve-mock`: serves the mock with its quota off and no request log, with the
/// huge and tiny error answers scripted, prints the base URL, and stops when stdin closes.
pub(crate) fn serve_mock() -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a runtime: {error}"))?;
    let server = runtime
        .block_on(
            MockServer::builder()
                .quota(Quota::disabled())
                .request_log_capacity(0)
                .start(),
        )
        .map_err(|error| format!("cannot start the mock: {error}"))?;
    let root = format!("/Mediapartners/{DEMO_ACCOUNT_SID}");
    server.push_fault(
        RequestMatch::exact(&format!("{root}{HUGE_PATH}")),
        u32::MAX,
        Fault::huge(ERROR_STATUS, "application/json", HUGE_BODY_BYTES),
    );
    server.push_fault(
        RequestMatch::exact(&format!("{root}{TINY_PATH}")),
        u32::MAX,
        Fault::raw(ERROR_STATUS, "application/json", TINY_BODY),
    );
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", server.base_url())
        .and_then(|()| stdout.flush())
        .map_err(|error| format!("cannot print the base URL: {error}"))?;
    let mut sink = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    runtime.block_on(server.shutdown());
    Ok(())
}

/// Requests per second of each side in each repetition.
#[derive(Debug, Clone)]
pub(crate) struct ThroughputFigures {
    pub(crate) rps: Paired,
    /// A second raw reqwest client (`ours`) against the first (`baseline`), measured in the
    /// same rounds: how far from 1 the method lands when both sides are the same code.
    pub(crate) null: Paired,
    pub(crate) body_bytes: usize,
    /// The length of one side's turn in a round.
    pub(crate) repetition: Duration,
}

/// impact-client with its defaults (retries, budget, pacing on) on the loopback mock.
fn our_client(base_url: &str) -> Result<Client, String> {
    Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(base_url)
        .build()
        .map_err(|error| format!("cannot build impact-client: {error}"))
}

/// Raw reqwest with the pool settings impact-client uses: HTTP/1.1 only, an unbounded idle
/// pool per host, no automatic redirects, the same `User-Agent`.
fn raw_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent(impact_client::USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(usize::MAX)
        .http1_only()
        .build()
        .map_err(|error| format!("cannot build reqwest: {error}"))
}

async fn ours_once(client: &Client) -> Result<usize, String> {
    let response = client
        .send(Request::get("/Campaigns").query("PageSize", PAGE_SIZE))
        .await
        .map_err(|error| format!("impact-client call failed: {error}"))?;
    let page: CampaignPage = response
        .json()
        .map_err(|error| format!("impact-client decode failed: {error}"))?;
    if !page.looks_right() {
        return Err("impact-client got the wrong page".to_owned());
    }
    Ok(response.bytes().len())
}

async fn raw_once(client: &reqwest::Client, url: &str) -> Result<usize, String> {
    let response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .basic_auth(DEMO_ACCOUNT_SID, Some(DEMO_AUTH_TOKEN))
        .send()
        .await
        .map_err(|error| format!("reqwest call failed: {error}"))?;
    if !response.status().is_success() {
        return Err(format!("reqwest got {}", response.status()));
    }
    let body = response
        .bytes()
        .await
        .map_err(|error| format!("reqwest body failed: {error}"))?;
    let page: CampaignPage =
        serde_json::from_slice(&body).map_err(|error| format!("reqwest decode failed: {error}"))?;
    if !page.looks_right() {
        return Err("reqwest got the wrong page".to_owned());
    }
    Ok(body.len())
}

/// Which side a repetition drives.
#[derive(Clone)]
enum Side {
    Ours(Client),
    Raw(reqwest::Client, Arc<str>),
}

impl Side {
    async fn once(&self) -> Result<usize, String> {
        match self {
            Side::Ours(client) => ours_once(client).await,
            Side::Raw(client, url) => raw_once(client, url).await,
        }
    }
}

/// Keeps [`CONCURRENCY`] requests in flight for `length`: requests per second.
async fn repetition(side: &Side, length: Duration) -> Result<f64, String> {
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + length;
    let mut tasks = Vec::with_capacity(CONCURRENCY);
    for _ in 0..CONCURRENCY {
        let side = side.clone();
        let done = Arc::clone(&done);
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                side.once().await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), String>(())
        }));
    }
    for task in tasks {
        task.await
            .map_err(|error| format!("a request task failed: {error}"))??;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(done.load(Ordering::Relaxed) as f64 / seconds)
}

/// Runs `rounds` rounds of impact-client, raw reqwest and a second raw reqwest client, after
/// warming every pool up.
pub(crate) fn throughput(
    base_url: &str,
    rounds: usize,
    length: Duration,
) -> Result<ThroughputFigures, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a runtime: {error}"))?;
    runtime.block_on(async {
        let ours = Side::Ours(our_client(base_url)?);
        let url =
            format!("{base_url}/Mediapartners/{DEMO_ACCOUNT_SID}/Campaigns?PageSize={PAGE_SIZE}");
        let raw = Side::Raw(raw_client()?, Arc::from(url.as_str()));
        let raw_again = Side::Raw(raw_client()?, Arc::from(url.as_str()));
        let body_bytes = ours.once().await?;
        let raw_bytes = raw.once().await?;
        if body_bytes != raw_bytes {
            return Err(format!(
                "the sides got different bodies ({body_bytes} and {raw_bytes} bytes)"
            ));
        }
        // Warm-up: open every pooled connection and let the allocator settle.
        let warm_up = length.min(Duration::from_millis(300));
        for side in [&ours, &raw, &raw_again] {
            repetition(side, warm_up).await?;
        }
        // Many short rounds, each running the three sides back to back in an order that
        // cycles through all six: this machine's throughput swings by 10% and more from one
        // second to the next, and only samples taken close together see the same machine.
        const ORDERS: [[usize; 3]; 6] = [
            [0, 1, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
            [1, 0, 2],
            [0, 2, 1],
        ];
        let sides = [&ours, &raw, &raw_again];
        let mut rps = Paired::default();
        let mut null = Paired::default();
        for round in 0..rounds {
            let mut samples = [0.0; 3];
            for index in ORDERS[round % ORDERS.len()] {
                samples[index] = repetition(sides[index], length).await?;
            }
            rps.ours.push(samples[0]);
            rps.baseline.push(samples[1]);
            null.ours.push(samples[2]);
            null.baseline.push(samples[1]);
        }
        Ok(ThroughputFigures {
            rps,
            null,
            body_bytes,
            repetition: length,
        })
    })
}

/// Peak resident memory (VmHWM) of fresh child processes, in MiB.
#[derive(Debug, Clone)]
pub(crate) struct MemoryFigures {
    pub(crate) huge_mib: Vec<f64>,
    pub(crate) tiny_mib: Vec<f64>,
}

impl MemoryFigures {
    pub(crate) fn huge_median(&self) -> f64 {
        median(&self.huge_mib)
    }

    pub(crate) fn tiny_median(&self) -> f64 {
        median(&self.tiny_mib)
    }
}

/// Runs `pairs` fresh children of each kind, interleaved.
pub(crate) fn memory(exe: &Path, base_url: &str, pairs: usize) -> Result<MemoryFigures, String> {
    let mut figures = MemoryFigures {
        huge_mib: Vec::with_capacity(pairs),
        tiny_mib: Vec::with_capacity(pairs),
    };
    for _ in 0..pairs {
        let huge_kib = rss_child_run(exe, base_url, HUGE_PATH)?;
        figures.huge_mib.push(huge_kib as f64 / 1024.0);
        let tiny_kib = rss_child_run(exe, base_url, TINY_PATH)?;
        figures.tiny_mib.push(tiny_kib as f64 / 1024.0);
    }
    Ok(figures)
}

/// Runs one `xtask bench --rss-child URL PATH`: its VmHWM in KiB.
fn rss_child_run(exe: &Path, base_url: &str, path: &str) -> Result<u64, String> {
    let output = Command::new(exe)
        .args(["bench", "--rss-child", base_url, path])
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run the memory child: {error}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "the memory child for {path} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    parse_child(&text).ok_or_else(|| format!("unexpected output of the memory child: {text:?}"))
}

/// Reads `vmhwm_kib=N`.
fn parse_child(text: &str) -> Option<u64> {
    text.split_whitespace()
        .find_map(|word| word.strip_prefix("vmhwm_kib="))
        .and_then(|value| value.parse().ok())
}

/// `xtask bench --rss-child URL PATH`: one call with impact-client's defaults, which must end
/// in the API error the mock scripted; then prints this process's peak resident memory.
pub(crate) fn rss_child(args: &[String]) -> Result<(), String> {
    let [base_url, path] = args else {
        return Err("usage: xtask bench --rss-child BASE_URL PATH".to_owned());
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a runtime: {error}"))?;
    runtime.block_on(async {
        let client = our_client(base_url)?;
        match client.get(path).await {
            Ok(response) => Err(format!("expected an API error, got {}", response.status())),
            Err(error) => {
                let status = error.status().map(|status| status.as_u16());
                if !error.is_api() || status != Some(ERROR_STATUS) {
                    return Err(format!("expected a {ERROR_STATUS} API error, got: {error}"));
                }
                Ok(())
            }
        }
    })?;
    drop(runtime);
    let peak = peak_rss_kib()?;
    println!("vmhwm_kib={peak}");
    Ok(())
}

/// This process's peak resident set size (`VmHWM` in `/proc/self/status`), in KiB: what
/// `getrusage`'s `ru_maxrss` reports, read without libc.
fn peak_rss_kib() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|error| format!("cannot read /proc/self/status: {error}"))?;
    parse_vmhwm(&status).ok_or_else(|| "no VmHWM line in /proc/self/status".to_owned())
}

fn parse_vmhwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let mut words = line.split_whitespace().skip(1);
    let value = words.next()?.parse().ok()?;
    (words.next()? == "kB").then_some(value)
}

/// `xtask bench --client-side ours|reqwest SECONDS`: drives one side alone against a fresh
/// mock process for that long and prints its requests per second, so that a profiler
/// (`perf record`, `valgrind --tool=callgrind`) can look at one side at a time.
pub(crate) fn client_side(exe: &Path, args: &[String]) -> Result<(), String> {
    let (side, seconds) = match args {
        [side, seconds] => (
            side.as_str(),
            seconds
                .parse::<f64>()
                .ok()
                .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
                .ok_or_else(|| format!("bad number of seconds {seconds:?}"))?,
        ),
        _ => return Err("usage: xtask bench --client-side ours|reqwest SECONDS".to_owned()),
    };
    let mock = MockProcess::spawn(exe)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a runtime: {error}"))?;
    let (rps, cpu) = runtime.block_on(async {
        let side = match side {
            "ours" => Side::Ours(our_client(&mock.base_url)?),
            "reqwest" => {
                let url = format!(
                    "{}/Mediapartners/{DEMO_ACCOUNT_SID}/Campaigns?PageSize={PAGE_SIZE}",
                    mock.base_url
                );
                Side::Raw(raw_client()?, Arc::from(url.as_str()))
            }
            other => return Err(format!("unknown side {other:?}: ours or reqwest")),
        };
        let cpu_before = process_cpu_seconds()?;
        let rps = repetition(&side, Duration::from_secs_f64(seconds)).await?;
        let cpu = process_cpu_seconds()? - cpu_before;
        Ok::<_, String>((rps, cpu))
    })?;
    let micros_per_request = cpu * 1e6 / (rps * seconds).max(1.0);
    println!("{rps:.0} requests/s, {micros_per_request:.1} µs of this process's CPU per request");
    Ok(())
}

/// The user and system CPU time this process (all its threads) has used, in seconds, from
/// `/proc/self/stat` (in clock ticks of 1/100 s, which Linux uses on every common platform).
fn process_cpu_seconds() -> Result<f64, String> {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .map_err(|error| format!("cannot read /proc/self/stat: {error}"))?;
    parse_cpu_ticks(&stat)
        .map(|ticks| ticks as f64 / 100.0)
        .ok_or_else(|| "unexpected /proc/self/stat".to_owned())
}

/// utime + stime: fields 14 and 15, counted after the command name, which may hold spaces and
/// parentheses and so ends at the last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<u64>) {
        assert_eq!(parse_vmhwm(input), expect, "{input:?}");
    }

    #[test]
    fn vmhwm_is_read_in_kib() {
        check(
            "Name:\txtask\nVmPeak:\t  9000 kB\nVmHWM:\t    5120 kB\n",
            Some(5120),
        );
        check("VmHWM:\t5120 MB\n", None);
        check("VmRSS:\t5120 kB\n", None);
        check("VmHWM:\tlots kB\n", None);
        assert!(peak_rss_kib().unwrap() > 0);
    }

    #[test]
    fn cpu_ticks_are_read_after_the_command_name() {
        let stat = "4242 (x (y) z) S 1 2 3 4 5 6 7 8 9 10 250 40 0 0 20 0 3";
        assert_eq!(parse_cpu_ticks(stat), Some(290));
        assert_eq!(parse_cpu_ticks("4242 (x) S 1 2"), None);
        assert!(process_cpu_seconds().unwrap() >= 0.0);
    }

    #[test]
    fn child_output_is_one_number() {
        assert_eq!(parse_child("vmhwm_kib=10\n"), Some(10));
        assert_eq!(parse_child("vmhwm_kib=ten\n"), None);
        assert_eq!(parse_child(""), None);
    }
}
