//! A deterministic fake of the Brand API behind the [`Source`] seam: campaigns, actions that
//! live in time (new, backdated, adjusted, reversed, approved at their locking date), the
//! date filters and rules of the reference, small pages, export jobs, and crashes on cue.
//!
//! The rules the runner must never break (a window over 45 days, a start before the
//! three-year floor, a start without an end, actions without a campaign) panic: a test fails
//! there. The rule the runner must handle (more than ten pages in a window) answers
//! [`FetchError::TooLarge`], as the client reports a refusal for size.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use impact_sync::{Answer, DAY, FetchError, Source, Timestamp};
use serde_json::{Value, json};

const ROOT: &str = "/Advertisers/IRfake0000000000000000000000000001";

/// One action of the fake world.
#[derive(Debug, Clone)]
struct Action {
    id: String,
    campaign: String,
    event: Timestamp,
    created: Timestamp,
    /// The last modification (creation, an adjustment, a reversal); approval at the locking
    /// date is not one, as the reference says.
    updated: Timestamp,
    locking: Timestamp,
    cents: u64,
    reversed: bool,
}

impl Action {
    fn render(&self, now: Timestamp) -> Value {
        let state = if self.reversed {
            "REVERSED"
        } else if self.locking <= now {
            "APPROVED"
        } else {
            "PENDING"
        };
        json!({
            "Id": self.id,
            "CampaignId": self.campaign,
            "EventDate": self.event.to_string(),
            "CreationDate": self.created.to_string(),
            "LockingDate": self.locking.to_string(),
            "State": state,
            "Amount": format!("{}.{:02}", self.cents / 100, self.cents % 100),
        })
    }
}

/// An export job: polled `polls_left` more times before it completes.
#[derive(Debug, Clone)]
struct Job {
    report: String,
    start: String,
    polls_left: u32,
    fail: bool,
}

#[derive(Debug)]
struct World {
    now: Timestamp,
    campaigns: Vec<String>,
    actions: Vec<Action>,
    rng: u64,
    next_id: u64,
    page_cap: usize,
    calls: u64,
    crash_at: Option<u64>,
    served: Vec<(String, u16)>,
    jobs: Vec<Job>,
    fail_next_job: bool,
    refuse_every_window: bool,
}

/// The fake API.
#[derive(Debug)]
pub(crate) struct FakeApi {
    world: Mutex<World>,
}

/// The fake's `now` at the start: a fixed instant, so that windows are reproducible.
pub(crate) const START: i64 = 1_748_736_000; // 2025-06-01T00:00:00Z

impl FakeApi {
    /// A world of `campaigns` campaigns and about `actions` actions over the last 1,000 days,
    /// some in bursts dense enough that a 45-day window holds more than ten pages.
    pub(crate) fn new(seed: u64, campaigns: usize, actions: usize, page_cap: usize) -> FakeApi {
        let mut world = World {
            now: Timestamp::from_unix(START),
            campaigns: (0..campaigns).map(|n| (1000 + n).to_string()).collect(),
            actions: Vec::new(),
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
            next_id: 0,
            page_cap,
            calls: 0,
            crash_at: None,
            served: Vec::new(),
            jobs: Vec::new(),
            fail_next_job: false,
            refuse_every_window: false,
        };
        let start = world.now.add_days(-1_000);
        for _ in 0..actions {
            let created = start.add_secs(world.below(1_000 * DAY as u64) as i64);
            world.create(created);
        }
        let burst_campaign = world.pick_campaign();
        let burst_day = start.add_days(world.below(900) as i64 + 50);
        for _ in 0..(page_cap * 12) {
            let created = burst_day.add_secs(world.below(DAY as u64) as i64);
            let id = world.create(created);
            if let Some(action) = world.actions.iter_mut().find(|a| a.id == id) {
                action.campaign = burst_campaign.clone();
                action.event = created;
            }
        }
        FakeApi {
            world: Mutex::new(world),
        }
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The world moves `days` forward: new actions (a share backdated by weeks), adjustments
    /// and reversals of pending ones; approvals happen by themselves at the locking dates.
    pub(crate) fn advance(&self, days: i64) {
        let mut world = self.world();
        let from = world.now;
        let to = from.add_days(days);
        let span = to.secs_since(from).max(1) as u64;
        let fresh = 5 + days as usize * 2;
        for _ in 0..fresh {
            let created = from.add_secs(1 + world.below(span) as i64);
            world.create(created.min(to));
        }
        let changes = 3 + days as usize;
        for _ in 0..changes {
            let at = from.add_secs(1 + world.below(span) as i64).min(to);
            let pending: Vec<usize> = (0..world.actions.len())
                .filter(|&i| {
                    let action = &world.actions[i];
                    !action.reversed && action.created <= at && action.locking > at
                })
                .collect();
            if pending.is_empty() {
                continue;
            }
            let index = pending[world.below(pending.len() as u64) as usize];
            let reverse = world.below(4) == 0;
            let delta = world.below(500);
            let action = &mut world.actions[index];
            if reverse {
                action.reversed = true;
            } else {
                action.cents += delta + 1;
            }
            action.updated = action.updated.max(at);
        }
        world.now = to;
    }

    /// Every action that exists now, as the API serves it.
    pub(crate) fn truth(&self) -> BTreeMap<String, String> {
        let world = self.world();
        world
            .actions
            .iter()
            .filter(|action| action.created <= world.now)
            .map(|action| (action.id.clone(), action.render(world.now).to_string()))
            .collect()
    }

    /// The process dies when the call `calls_from_now` calls from now has been answered by
    /// the server (its answer is lost).
    pub(crate) fn crash_after(&self, calls_from_now: u64) {
        let mut world = self.world();
        world.crash_at = Some(world.calls + calls_from_now.max(1));
    }

    pub(crate) fn no_crash(&self) {
        self.world().crash_at = None;
    }

    /// What was served since the last call, and forgets it: `(target, status)`.
    pub(crate) fn take_served(&self) -> Vec<(String, u16)> {
        std::mem::take(&mut self.world().served)
    }

    /// How many export jobs were requested.
    pub(crate) fn jobs_requested(&self) -> usize {
        self.world().jobs.len()
    }

    /// Every read of actions is refused for its size, however short its window.
    pub(crate) fn refuse_every_window(&self) {
        self.world().refuse_every_window = true;
    }

    /// The next export job fails instead of completing.
    pub(crate) fn fail_next_job(&self) {
        self.world().fail_next_job = true;
    }

    /// The rows an export of `report` for the window starting `start` holds.
    pub(crate) fn report_rows(report: &str, start: &str) -> Vec<Value> {
        (0..3)
            .map(|n| json!({"Report": report, "Start": start, "Row": n, "Clicks": (n * 7).to_string()}))
            .collect()
    }
}

impl World {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn pick_campaign(&mut self) -> String {
        let index = self.below(self.campaigns.len() as u64) as usize;
        self.campaigns[index].clone()
    }

    /// A new action created at `created`: most happened minutes before, one in five weeks
    /// before (backdated).
    fn create(&mut self, created: Timestamp) -> String {
        let backdate = if self.below(5) == 0 {
            (14 + self.below(42)) as i64 * DAY
        } else {
            self.below(3_600) as i64
        };
        let event = created.add_secs(-backdate);
        // Most lock a month or two after the event; one in five much later (contracts with
        // long or open-ended locking), beyond any event-date lookback.
        let locking_days = match self.below(5) {
            0 => 100 + self.below(200),
            _ => 30 + self.below(31),
        };
        let locking = event.add_days(locking_days as i64).start_of_day();
        self.next_id += 1;
        let id = format!("1000.4000.{}", 100_000 + self.next_id);
        let campaign = self.pick_campaign();
        let cents = 500 + self.below(50_000);
        self.actions.push(Action {
            id: id.clone(),
            campaign,
            event,
            created,
            updated: created,
            locking,
            cents,
            reversed: false,
        });
        id
    }

    fn serve(&mut self, target: &str) -> Result<Answer, FetchError> {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let params = parse_query(query);
        let path = path.strip_prefix(ROOT).unwrap_or(path);
        let path = path.trim_start_matches('/');
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["Campaigns"] => {
                let items: Vec<Value> = self
                    .campaigns
                    .iter()
                    .map(|id| json!({"Id": id, "Name": format!("Campaign {id}")}))
                    .collect();
                Ok(self.page("Campaigns", "Campaigns", &params, items))
            }
            ["Campaigns", campaign, "Notes"] => {
                let campaign = (*campaign).to_owned();
                let items = (0..2)
                    .map(|n| json!({"Id": format!("{campaign}-{n}"), "CampaignId": campaign}))
                    .collect();
                Ok(self.page(
                    &format!("Campaigns/{campaign}/Notes"),
                    "Notes",
                    &params,
                    items,
                ))
            }
            ["CompanyInformation"] => Ok(Answer::json(
                json!({"CompanyName": "Fake", "Currency": "USD"}).to_string(),
            )),
            ["Actions"] => self.actions(&params),
            ["ReportExport", report] => Ok(self.request_job(report, &params)),
            ["Jobs", id] => Ok(self.job_status(id)),
            ["Jobs", id, "Download"] => Ok(self.download(id)),
            _ => panic!("the fake serves no {target}"),
        }
    }

    fn actions(&mut self, params: &HashMap<String, String>) -> Result<Answer, FetchError> {
        let campaign = params
            .get("CampaignId")
            .expect("brand actions need CampaignId");
        let floor = self.now.add_days(-3 * 365);
        let pairs = [
            ("ActionDateStart", "ActionDateEnd", 0),
            ("StartDate", "EndDate", 1),
            ("LockingDateStart", "LockingDateEnd", 2),
        ];
        let mut filters = Vec::new();
        for (start, end, which) in pairs {
            match (params.get(start), params.get(end)) {
                (None, None) => {}
                (Some(s), Some(e)) => {
                    let s: Timestamp = s.parse().expect("a start date");
                    let e: Timestamp = e.parse().expect("an end date");
                    assert!(
                        e.secs_since(s) <= 45 * DAY,
                        "a window over 45 days: {s}..{e}"
                    );
                    assert!(s >= floor, "a start before the three-year floor: {s}");
                    filters.push((which, s, e));
                }
                _ => panic!("{start} and {end} go together"),
            }
        }
        assert!(
            !filters.is_empty(),
            "without dates the API returns the last 7 days only"
        );
        let now = self.now;
        let mut matched: Vec<&Action> = self
            .actions
            .iter()
            .filter(|a| a.created <= now && &a.campaign == campaign)
            .filter(|a| {
                filters.iter().all(|(which, s, e)| {
                    let at = [a.event, a.updated, a.locking][*which];
                    *s <= at && at <= *e
                })
            })
            .collect();
        matched.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        let size = self.page_size(params);
        if matched.len() > 10 * size || self.refuse_every_window {
            return Err(FetchError::TooLarge {
                message: "Too many records: adjust the PageSize or the StartDate or EndDate"
                    .to_owned(),
                error: None,
            });
        }
        let items = matched.iter().map(|a| a.render(now)).collect();
        Ok(self.page("Actions", "Actions", params, items))
    }

    fn page_size(&self, params: &HashMap<String, String>) -> usize {
        let asked: usize = params
            .get("PageSize")
            .map(|size| size.parse().expect("a page size"))
            .unwrap_or(1_000);
        asked.min(self.page_cap)
    }

    /// One page of `items`, with the page links of the reference.
    fn page(
        &self,
        path: &str,
        key: &str,
        params: &HashMap<String, String>,
        items: Vec<Value>,
    ) -> Answer {
        let size = self.page_size(params);
        let page: usize = params.get("Page").map_or(1, |p| p.parse().expect("a page"));
        let pages = items.len().div_ceil(size).max(1);
        let slice: Vec<Value> = items
            .into_iter()
            .skip((page - 1) * size)
            .take(size)
            .collect();
        let next = if page < pages {
            let mut query: Vec<String> = params
                .iter()
                .filter(|(k, _)| k.as_str() != "Page")
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect();
            query.sort();
            query.push(format!("Page={}", page + 1));
            format!(
                "/{}{ROOT}/{path}?{}",
                if page.is_multiple_of(2) { "/" } else { "" },
                query.join("&")
            )
        } else {
            String::new()
        };
        let mut body = serde_json::Map::new();
        body.insert("@page".into(), page.to_string().into());
        body.insert("@numpages".into(), pages.to_string().into());
        body.insert("@pagesize".into(), size.to_string().into());
        body.insert("@nextpageuri".into(), next.into());
        body.insert(key.into(), Value::Array(slice));
        Answer::json(Value::Object(body).to_string())
    }

    fn request_job(&mut self, report: &str, params: &HashMap<String, String>) -> Answer {
        let fail = std::mem::take(&mut self.fail_next_job);
        self.jobs.push(Job {
            report: report.to_owned(),
            start: params.get("StartDate").cloned().unwrap_or_default(),
            polls_left: 2,
            fail,
        });
        let id = self.jobs.len();
        Answer::json(
            json!({
                "Status": "QUEUED",
                "QueuedUri": format!("{ROOT}/Jobs/{id}"),
                "ResultUri": format!("https://api.impact.com{ROOT}/Jobs/{id}/Download"),
            })
            .to_string(),
        )
    }

    fn job(&mut self, id: &str) -> &mut Job {
        let index: usize = id.parse().expect("a job id");
        &mut self.jobs[index - 1]
    }

    fn job_status(&mut self, id: &str) -> Answer {
        let job = self.job(id);
        let status = if job.polls_left == 0 {
            if job.fail { "FAILED" } else { "COMPLETED" }
        } else {
            job.polls_left -= 1;
            if job.polls_left == 1 {
                "QUEUED"
            } else {
                "RUNNING"
            }
        };
        Answer::json(json!({"Id": id, "Status": status, "StatusMessage": ""}).to_string())
    }

    fn download(&mut self, id: &str) -> Answer {
        let job = self.job(id).clone();
        if job.polls_left > 0 || job.fail {
            return Answer::new(
                202,
                Some("application/json"),
                json!({"Status": "RUNNING"}).to_string(),
            );
        }
        let rows = FakeApi::report_rows(&job.report, &job.start);
        Answer::json(json!({"Records": rows}).to_string())
    }
}

impl Source for FakeApi {
    fn now(&self) -> Timestamp {
        self.world().now
    }

    fn get(&self, target: &str) -> impl Future<Output = Result<Answer, FetchError>> + Send {
        let outcome = {
            let mut world = self.world();
            world.calls += 1;
            let answer = world.serve(target);
            let status = match &answer {
                Ok(answer) => answer.status(),
                Err(_) => 400,
            };
            world.served.push((target.to_owned(), status));
            let crashed = world.crash_at == Some(world.calls);
            if crashed {
                world.crash_at = None;
            }
            (!crashed).then_some(answer)
        };
        async move {
            match outcome {
                Some(answer) => answer,
                None => std::future::pending().await,
            }
        }
    }

    fn sleep(&self, _duration: Duration) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }
}

fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("a percent escape"));
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).expect("utf-8")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
