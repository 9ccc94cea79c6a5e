//! The runner against the fake API, case by case: export jobs across restarts, failed jobs,
//! single objects and path fan-outs, a call limit, a window that cannot be split.

use std::sync::{Arc, Mutex};

use impact_client::ApiKind;
use impact_sync::{
    DAY, Event, JsonlStore, Key, Runner, SqliteStore, Store, StreamSpec, SyncErrorKind,
    SyncOptions, Timestamp,
};

use crate::fake::{FakeApi, START};
use crate::support::{Kind, TempDir, poll_once};

fn spec(name: &str) -> &'static StreamSpec {
    StreamSpec::find(ApiKind::Brand, name).expect("a brand stream")
}

fn report_options() -> SyncOptions {
    SyncOptions::new()
        .reports(["r1"])
        .start(Timestamp::from_unix(START).add_days(-61))
}

/// The starts of the export windows of [`report_options`]: a grid of 31 days from the epoch,
/// from the one holding the start date to now.
fn report_windows() -> Vec<Timestamp> {
    let step = 31 * DAY;
    let start = Timestamp::from_unix(START).add_days(-61).unix();
    let first = start.div_euclid(step) * step;
    (first..START)
        .step_by(step as usize)
        .map(Timestamp::from_unix)
        .collect()
}

/// The records an export of `r1` over the windows of [`report_options`] holds.
fn expected_report() -> std::collections::BTreeMap<String, String> {
    report_windows()
        .into_iter()
        .flat_map(|window| {
            let text = window.to_string();
            FakeApi::report_rows("r1", &text)
                .into_iter()
                .enumerate()
                .map(move |(n, mut row)| {
                    let id = format!("r1/{text}/{n}");
                    row["Id"] = serde_json::Value::String(id.clone());
                    (id, row.to_string())
                })
        })
        .collect()
}

/// Whatever call the process dies at, the export ends with every row once, and a job is
/// requested again only when the process died on the call that requested it (its answer,
/// the ticket, was lost before it could be recorded).
#[test]
fn export_jobs_are_requested_once_and_polled_after_a_restart() {
    let clean = FakeApi::new(1, 2, 10, 5);
    let dir = TempDir::new("export-clean");
    let mut runner = Runner::new(
        &clean,
        SqliteStore::open(dir.path().join("s")).expect("a store"),
    )
    .options(report_options());
    let report = poll_once(runner.sync(spec("ReportExport")))
        .expect("no crash")
        .expect("an export");
    assert!(report.complete);
    let calls = report.calls;
    let jobs = report_windows().len();
    assert_eq!(jobs, 3);
    assert_eq!(clean.jobs_requested(), jobs);
    // Each job: a request, three status polls, a download.
    assert_eq!(calls, 5 * jobs as u64);

    for crash_at in 1..=calls {
        let api = FakeApi::new(1, 2, 10, 5);
        let dir = TempDir::new("export-crash");
        let path = dir.path().join("s");
        api.crash_after(crash_at);
        let runner_store = SqliteStore::open(&path).expect("a store");
        let mut runner = Runner::new(&api, runner_store).options(report_options());
        assert!(
            poll_once(runner.sync(spec("ReportExport"))).is_none(),
            "crash at {crash_at}"
        );
        drop(runner);
        let lost_call = api.take_served().pop().expect("the call in flight").0;
        let mut runner = Runner::new(&api, SqliteStore::open(&path).expect("reopened"))
            .options(report_options());
        let report = poll_once(runner.sync(spec("ReportExport")))
            .expect("no crash")
            .expect("the export resumed");
        assert!(report.resumed && report.complete, "crash at {crash_at}");
        let requests_lost = usize::from(lost_call.starts_with("ReportExport/"));
        assert_eq!(
            api.jobs_requested(),
            jobs + requests_lost,
            "crash at {crash_at}: {lost_call}"
        );
        let records = runner
            .store()
            .records("ReportExport", Key::Field("Id"))
            .expect("records");
        assert_eq!(records, expected_report(), "crash at {crash_at}");
    }
}

#[test]
fn a_failed_job_ends_the_run_and_the_next_run_requests_a_new_one() {
    let api = FakeApi::new(1, 2, 10, 5);
    let dir = TempDir::new("export-failed");
    let mut store = JsonlStore::open(dir.path()).expect("a store");
    api.fail_next_job();
    let mut runner = Runner::new(&api, &mut store).options(report_options());
    let error = poll_once(runner.sync(spec("ReportExport")))
        .expect("no crash")
        .expect_err("a failed job");
    assert_eq!(error.kind(), SyncErrorKind::JobFailed);
    assert_eq!(error.stream(), Some("ReportExport"));
    let mut runner = Runner::new(&api, &mut store).options(report_options());
    let report = poll_once(runner.sync(spec("ReportExport")))
        .expect("no crash")
        .expect("the export");
    assert!(report.resumed && report.complete);
    // The failed job, then one per window.
    assert_eq!(api.jobs_requested(), 1 + report_windows().len());
    assert_eq!(
        store
            .records("ReportExport", Key::Field("Id"))
            .expect("records"),
        expected_report()
    );
}

#[test]
fn an_export_without_a_report_handle_is_refused_before_any_call() {
    let api = FakeApi::new(1, 2, 10, 5);
    let mut store = SqliteStore::open_in_memory().expect("a store");
    let mut runner = Runner::new(&api, &mut store);
    let error = poll_once(runner.sync(spec("ReportExport")))
        .expect("no crash")
        .expect_err("no handle");
    assert!(error.is_invalid_options());
    assert!(api.take_served().is_empty());
}

/// A single object lands under its constant key; a list fanned out over campaign paths lands
/// whole; the second run of full-read lists reads them again and writes nothing.
#[test]
fn single_objects_and_path_fan_outs() {
    for kind in Kind::ALL {
        let api = FakeApi::new(3, 3, 10, 5);
        let dir = TempDir::new("reference");
        let mut store = kind.open(dir.path()).expect("a store");
        for round in 0..2 {
            let mut runner = Runner::new(&api, &mut store);
            let company = poll_once(runner.sync(spec("CompanyInformation")))
                .expect("no crash")
                .expect("company information");
            let notes = poll_once(runner.sync(spec("Notes")))
                .expect("no crash")
                .expect("notes");
            // One call for the object; the campaign list, then one page per campaign.
            assert_eq!(
                (company.calls, notes.calls),
                (1, 4),
                "{kind:?} round {round}"
            );
            let written = if round == 0 { (1, 6) } else { (0, 0) };
            assert_eq!(
                (company.written, notes.written),
                written,
                "{kind:?} round {round}"
            );
        }
        let company = store
            .records("CompanyInformation", Key::Singleton("CompanyInformation"))
            .expect("records");
        assert_eq!(
            company.get("CompanyInformation").map(String::as_str),
            Some(r#"{"CompanyName":"Fake","Currency":"USD"}"#)
        );
        let notes = store.records("Notes", Key::Field("Id")).expect("records");
        let ids: Vec<&str> = notes.keys().map(String::as_str).collect();
        assert_eq!(
            ids,
            ["1000-0", "1000-1", "1001-0", "1001-1", "1002-0", "1002-1"]
        );
    }
}

/// A call limit stops the run where it stands; runs again go on from there, and all of them
/// together make exactly the calls of one uninterrupted run, each unit reported done once.
#[test]
fn a_call_limit_pauses_and_the_next_run_goes_on() {
    let clean = FakeApi::new(5, 2, 120, 6);
    let mut store = SqliteStore::open_in_memory().expect("a store");
    let mut runner = Runner::new(&clean, &mut store);
    let whole = poll_once(runner.sync(spec("Actions")))
        .expect("no crash")
        .expect("a sync");
    assert!(whole.complete);

    let api = FakeApi::new(5, 2, 120, 6);
    let dir = TempDir::new("limit");
    let events = Arc::new(Mutex::new(Vec::new()));
    let mut calls = 0;
    let mut runs = 0;
    loop {
        let log = Arc::clone(&events);
        let store = JsonlStore::open(dir.path()).expect("a store");
        let mut runner = Runner::new(&api, store)
            .max_calls(7)
            .on_event(move |event| log.lock().expect("the log").push(event.clone()));
        let report = poll_once(runner.sync(spec("Actions")))
            .expect("no crash")
            .expect("a sync");
        calls += report.calls;
        runs += 1;
        assert!(report.calls <= 7);
        if report.complete {
            break;
        }
    }
    assert_eq!(calls, whole.calls);
    assert!(runs > 1);
    assert_eq!(whole.pages, whole.calls - 1 - whole.splits);
    let events = events.lock().expect("the log");
    let units = events
        .iter()
        .find_map(|event| match event {
            Event::RunStarted { units, .. } => Some(*units),
            _ => None,
        })
        .expect("a start");
    let done: Vec<u64> = events
        .iter()
        .filter_map(|event| match event {
            Event::UnitDone { unit, .. } => Some(*unit),
            _ => None,
        })
        .collect();
    assert_eq!(done, (0..units).collect::<Vec<_>>());
    let mut truth_store = JsonlStore::open(dir.path()).expect("the store");
    let records = truth_store
        .records("Actions", Key::Field("Id"))
        .expect("records");
    assert_eq!(records, api.truth());
}

/// A window the API refuses however short it is ends the run with a refusal, never with a
/// window skipped; the run stays recorded, so the next run tries it again.
#[test]
fn a_window_that_cannot_be_split_ends_the_run() {
    let api = FakeApi::new(7, 1, 10, 5);
    api.refuse_every_window();
    let mut store = SqliteStore::open_in_memory().expect("a store");
    let mut runner = Runner::new(&api, &mut store);
    let error = poll_once(runner.sync(spec("Actions")))
        .expect("no crash")
        .expect_err("refused");
    assert_eq!(error.kind(), SyncErrorKind::WindowRefused);
    assert!(store.state("Actions").is_running());
    assert_eq!(store.state("Actions").run().map(|run| run.unit()), Some(0));
    // Halving 45 days of seconds down to two takes 22 splits, each after one refused call.
    let refused = api
        .take_served()
        .iter()
        .filter(|(_, status)| *status == 400)
        .count();
    assert_eq!(refused, 22);
}

/// Passes: a restart resumes the newest pass and reads only the streams not done in it; a
/// pass whose streams are all done is followed by a new one; a stream asked for beyond a
/// resumed pass joins it; a skipped stream counts as done.
#[test]
fn a_restarted_pass_reads_only_the_streams_not_done_in_it() {
    let api = FakeApi::new(1, 2, 10, 5);
    let mut runner = Runner::new(&api, SqliteStore::open_in_memory().expect("a store"));
    let (campaigns, company, notes) =
        (spec("Campaigns"), spec("CompanyInformation"), spec("Notes"));
    let mut check = |specs: &[&'static StreamSpec], expect: (u64, bool, &[&str])| {
        let pass = runner.begin_pass(specs).expect("a pass");
        let names: Vec<&str> = pass.streams.iter().map(|spec| spec.name()).collect();
        assert_eq!(
            (pass.id, pass.resumed, names.as_slice()),
            expect,
            "{specs:?}"
        );
    };
    check(
        &[campaigns, company],
        (1, false, &["Campaigns", "CompanyInformation"]),
    );
    check(
        &[campaigns, company],
        (1, true, &["Campaigns", "CompanyInformation"]),
    );
    let mut runner = runner;
    poll_once(runner.sync(campaigns))
        .expect("no crash")
        .expect("a sync");
    let pass = runner.begin_pass(&[campaigns, company]).expect("a pass");
    assert_eq!((pass.id, pass.resumed), (1, true));
    assert_eq!(pass.streams, [company]);
    poll_once(runner.sync(company))
        .expect("no crash")
        .expect("a sync");
    let pass = runner.begin_pass(&[campaigns, company]).expect("a pass");
    assert_eq!((pass.id, pass.resumed), (2, false));
    assert_eq!(pass.streams, [campaigns, company]);
    poll_once(runner.sync(campaigns))
        .expect("no crash")
        .expect("a sync");
    // Notes was not part of pass 2: it joins it rather than wait for the next.
    let pass = runner
        .begin_pass(&[campaigns, company, notes])
        .expect("a pass");
    assert_eq!((pass.id, pass.resumed), (2, true));
    assert_eq!(pass.streams, [company, notes]);
    let state = runner.store().state("Notes");
    assert_eq!(
        state.pass().map(|pass| (pass.id(), pass.is_done())),
        Some((2, false))
    );
    runner.skip_in_pass(company).expect("a skip");
    runner.skip_in_pass(notes).expect("a skip");
    let pass = runner
        .begin_pass(&[campaigns, company, notes])
        .expect("a pass");
    assert_eq!((pass.id, pass.resumed), (3, false));
}
