//! `--quota-store` and `IMPACT_QUOTA_STORE` on `impact api` and `impact sync` (SPEC 10),
//! against a real `redis-server` the test starts on a free loopback port: the store is used
//! (keys of the account, never of the token), Redis down at start means going on in-process
//! with one line on stderr, and a URL that is not `redis://` exits 2.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, MockConfig, Quota};

use crate::impact_with_env;
use crate::sync::{TempDir, World, sync_env};

/// A `redis-server` without persistence, killed on drop.
struct Redis {
    port: u16,
    child: Child,
}

impl Redis {
    fn start() -> Redis {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts (is it installed? .ci/run installs it)");
        let redis = Redis { port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while redis.command("PING").first().map(String::as_str) != Some("PONG") {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// An inline command's reply: a status, or the elements of an array of bulk strings;
    /// empty when Redis cannot be reached.
    fn command(&self, command: &str) -> Vec<String> {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return Vec::new();
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        if stream
            .write_all(format!("{command}\r\n").as_bytes())
            .is_err()
        {
            return Vec::new();
        }
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return Vec::new();
        }
        match line.trim_end().split_at(1) {
            ("+", status) => vec![status.to_owned()],
            ("*", count) => (0..count.parse::<usize>().unwrap_or(0))
                .map(|_| {
                    let mut header = String::new();
                    let _ = reader.read_line(&mut header);
                    let len: usize = header.trim_end()[1..].parse().unwrap_or(0);
                    let mut bulk = vec![0; len + 2];
                    let _ = reader.read_exact(&mut bulk);
                    String::from_utf8_lossy(&bulk[..len]).into_owned()
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().expect("an address").port()
}

fn world() -> World {
    World::start(MockConfig::default().frozen().quota(Quota::disabled()))
}

fn api(world: &World, extra: &[&str], env: &[(&str, &str)]) -> crate::Run {
    let url = world.url();
    let mut args = vec!["api", "/Campaigns", "--base-url", &url];
    args.extend_from_slice(extra);
    let mut vars = vec![
        ("IMPACT_ACCOUNT_SID", DEMO_ACCOUNT_SID),
        ("IMPACT_AUTH_TOKEN", DEMO_AUTH_TOKEN),
    ];
    vars.extend_from_slice(env);
    impact_with_env(&args, b"", &vars)
}

#[test]
fn both_commands_share_the_store_by_flag_or_environment() {
    let redis = Redis::start();
    let world = world();
    let url = redis.url();
    let run = api(&world, &["--quota-store", &url], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dir = TempDir::new("quota-sync");
    let to = format!("sqlite:{}", dir.path().join("s.db").display());
    let run = sync_env(
        &world,
        &["--streams", "Campaigns", "--to", &to],
        &[("IMPACT_QUOTA_STORE", &url)],
        0,
    );
    assert!(!run.stderr.contains("does not answer"), "{}", run.stderr);
    let keys = redis.command("KEYS *");
    assert!(
        keys.iter().any(|key| key.contains(DEMO_ACCOUNT_SID)),
        "no key of the account: {keys:?}"
    );
    assert!(
        keys.iter().all(|key| !key.contains(DEMO_AUTH_TOKEN)),
        "{keys:?}"
    );
}

#[test]
fn redis_down_at_start_goes_on_in_process_and_says_so_once() {
    let world = world();
    let down = format!("redis://127.0.0.1:{}/0", free_port());
    let run = api(&world, &["--quota-store", &down], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("does not answer").count(),
        1,
        "{}",
        run.stderr
    );
    let dir = TempDir::new("quota-down");
    let to = format!("sqlite:{}", dir.path().join("s.db").display());
    let run = sync_env(
        &world,
        &["--streams", "Campaigns,Ads", "--to", &to],
        &[("IMPACT_QUOTA_STORE", &down)],
        0,
    );
    assert_eq!(
        run.stderr.matches("does not answer").count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn a_store_url_that_is_not_redis_exits_2() {
    let world = world();
    for bad in ["http://127.0.0.1:6379", "redis://", "not a url"] {
        let run = api(&world, &["--quota-store", bad, "--json-errors"], &[]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        let run = api(&world, &[], &[("IMPACT_QUOTA_STORE", bad)]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
    }
    assert_eq!(world.server.requests_seen(), 0);
}
