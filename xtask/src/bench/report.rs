//! The figures of one run, as the readable table or the one-line JSON object of `--json`,
//! each set against its goal from SPEC 7.

use std::fmt::Write as _;

use super::client::{CONCURRENCY, MemoryFigures, ThroughputFigures};
use super::codec::CodecFigures;
use super::retry::RetryFigures;
use super::sync::SyncFigures;
use crate::goals::{Checked, Goal};

/// The error-body cap of impact-client's defaults, in MiB.
const ERROR_BODY_CAP_MIB: f64 = impact_client::DEFAULT_ERROR_BODY_CAP as f64 / (1024.0 * 1024.0);
/// SPEC 7's allowance on top of the cap for the memory figure, in MiB.
const MEMORY_SLACK_MIB: f64 = 8.0;

/// Everything one run measured: the SPEC 7 figures unless `--only sync`, and the sync
/// figures of SPEC 11.
pub(crate) struct Figures {
    pub(crate) quick: bool,
    pub(crate) spec7: Option<Spec7>,
    pub(crate) sync: SyncFigures,
    pub(crate) seconds: f64,
}

/// The figures of SPEC 7.
pub(crate) struct Spec7 {
    pub(crate) codec: CodecFigures,
    pub(crate) retry: RetryFigures,
    pub(crate) throughput: ThroughputFigures,
    pub(crate) memory: MemoryFigures,
}

/// One line of the table.
struct Row {
    figure: String,
    ours: String,
    baseline: String,
    value: f64,
    goal: Goal,
}

impl Spec7 {
    fn memory_delta(&self) -> f64 {
        self.memory.huge_median() - self.memory.tiny_median()
    }

    fn rows(&self) -> Vec<Row> {
        let codec = &self.codec;
        let retry = &self.retry;
        let rps = &self.throughput.rps;
        let null = &self.throughput.null;
        let memory_bound = ERROR_BODY_CAP_MIB + MEMORY_SLACK_MIB;
        vec![
            Row {
                figure: "codec.json_decode_ratio".to_owned(),
                ours: format!("{:.0} ns", codec.json.ours_median()),
                baseline: format!("{:.0} ns serde_json", codec.json.baseline_median()),
                value: codec.json.ratio_median(),
                goal: Goal::AtMost(1.2),
            },
            Row {
                figure: "codec.xml_decode_ratio".to_owned(),
                ours: format!("{:.0} ns", codec.xml.ours_median()),
                baseline: format!("{:.0} ns quick-xml serde", codec.xml.baseline_median()),
                value: codec.xml.ratio_median(),
                goal: Goal::AtMost(1.2),
            },
            Row {
                figure: "codec.mixed_decode_mib_s".to_owned(),
                ours: format!(
                    "{} bodies, {} bytes",
                    codec.corpus_files, codec.corpus_bytes
                ),
                baseline: "-".to_owned(),
                value: codec.mixed_median(),
                goal: Goal::Record,
            },
            Row {
                figure: "retry.decision_ns".to_owned(),
                ours: format!("429 hint path {:.1} ns", retry.hint_median()),
                baseline: "-".to_owned(),
                value: retry.backoff_median(),
                goal: Goal::Below(1000.0),
            },
            Row {
                figure: "retry.decision_allocs".to_owned(),
                ours: format!("over {} decisions", retry.allocs_decisions),
                baseline: "-".to_owned(),
                value: retry.allocs_per_decision,
                goal: Goal::AtMost(0.0),
            },
            Row {
                figure: "client.rps_ratio".to_owned(),
                ours: format!("{:.0} req/s", rps.ours_median()),
                baseline: format!("{:.0} req/s reqwest", rps.baseline_median()),
                value: rps.ratio_median(),
                goal: Goal::AtLeast(0.95),
            },
            Row {
                figure: "client.rps_null_ratio".to_owned(),
                ours: format!("{:.0} req/s reqwest", null.ours_median()),
                baseline: format!("{:.0} req/s reqwest", null.baseline_median()),
                value: null.ratio_median(),
                goal: Goal::Record,
            },
            Row {
                figure: "client.peak_rss_mib_100mib_body".to_owned(),
                ours: "100 MiB error body".to_owned(),
                baseline: format!("{:.1} MiB tiny body", self.memory.tiny_median()),
                value: self.memory.huge_median(),
                goal: Goal::Record,
            },
            Row {
                figure: "client.peak_rss_mib_delta".to_owned(),
                ours: "huge - tiny".to_owned(),
                baseline: "-".to_owned(),
                value: self.memory_delta(),
                goal: Goal::AtMost((memory_bound * 1000.0).round() / 1000.0),
            },
        ]
    }
}

impl Figures {
    fn rows(&self) -> Vec<Row> {
        let mut rows = self.spec7.as_ref().map(Spec7::rows).unwrap_or_default();
        let sync = &self.sync;
        rows.extend([
            Row {
                figure: "sync.calls_ratio".to_owned(),
                ours: format!("{} calls", sync.calls),
                baseline: format!("{} minimum ({} actions)", sync.minimum, sync.actions),
                value: sync.calls_ratio(),
                goal: Goal::AtMost(1.02),
            },
            Row {
                figure: "sync.time_ratio".to_owned(),
                ours: format!("{:.3} s impact sync", sync.seconds.ours_median()),
                baseline: format!("{:.3} s impact api", sync.seconds.baseline_median()),
                value: sync.seconds.ratio_median(),
                goal: Goal::AtMost(1.3),
            },
        ]);
        rows
    }

    /// Every figure beside its goal, for the verdict that sets the exit status.
    pub(crate) fn checked(&self) -> Vec<Checked> {
        self.rows()
            .into_iter()
            .map(|row| Checked::new(row.figure, row.value, row.goal))
            .collect()
    }

    /// The readable table: each side's median, the figure and its goal.
    pub(crate) fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<34} {:>24} {:>28} {:>10} {:>10} {:>5}",
            "figure", "ours (median)", "baseline (median)", "value", "goal", "met"
        );
        for row in self.rows() {
            let met = Checked::new(row.figure.as_str(), row.value, row.goal).verdict();
            let _ = writeln!(
                out,
                "{:<34} {:>24} {:>28} {:>10.3} {:>10} {:>5}",
                row.figure,
                row.ours,
                row.baseline,
                row.value,
                row.goal.to_string(),
                met
            );
        }
        let _ = writeln!(
            out,
            "\n{} run in {:.0} s; ratios are medians of per-pair ratios (A B B A ...).",
            match (self.quick, &self.spec7) {
                (_, None) => "sync-only",
                (true, _) => "quick",
                (false, _) => "full",
            },
            self.seconds,
        );
        if let Some(spec7) = &self.spec7 {
            let _ = writeln!(
                out,
                "{} pairs for decoding; for the client {} rounds of {} ms per side in rotating \
                 order ({CONCURRENCY} requests in flight, {}-byte JSON page; the null ratio is \
                 reqwest against itself); {} fresh processes of each kind for memory.",
                spec7.codec.json.ours.len(),
                spec7.throughput.rps.ours.len(),
                spec7.throughput.repetition.as_millis(),
                spec7.throughput.body_bytes,
                spec7.memory.huge_mib.len(),
            );
        }
        let _ = writeln!(
            out,
            "sync: impact sync --streams Actions (a fresh SQLite file each time) against impact \
             mock --scale medium --quota off --frozen, {} pairs; the baseline runs impact api \
             PATH --paginate > /dev/null once per first page the sync fetched ({} processes).",
            self.sync.seconds.ours.len(),
            self.sync.first_pages,
        );
        out
    }

    /// One JSON object: every figure of SPEC 7 under its dotted key, and the sides' medians.
    pub(crate) fn json(&self) -> String {
        let mut object = serde_json::Map::new();
        let sync = &self.sync;
        let mut numbers = vec![
            ("sync.calls_ratio", sync.calls_ratio()),
            ("sync.calls", sync.calls as f64),
            ("sync.calls_minimum", sync.minimum as f64),
            ("sync.time_ratio", sync.seconds.ratio_median()),
            ("sync.seconds_impact_sync", sync.seconds.ours_median()),
            ("sync.seconds_impact_api", sync.seconds.baseline_median()),
            ("seconds", self.seconds),
        ];
        if let Some(spec7) = &self.spec7 {
            numbers.extend(spec7.json_numbers());
        }
        for (key, value) in numbers {
            let rounded = (value * 10_000.0).round() / 10_000.0;
            object.insert(key.to_owned(), serde_json::Value::from(rounded));
        }
        object.insert("quick".to_owned(), serde_json::Value::from(self.quick));
        let goals_met = crate::goals::missed(&self.checked()).is_empty();
        object.insert("goals_met".to_owned(), serde_json::Value::from(goals_met));
        serde_json::Value::Object(object).to_string()
    }
}

impl Spec7 {
    fn json_numbers(&self) -> Vec<(&'static str, f64)> {
        let codec = &self.codec;
        let rps = &self.throughput.rps;
        vec![
            ("codec.json_decode_ratio", codec.json.ratio_median()),
            ("codec.json_decode_ns", codec.json.ours_median()),
            ("codec.json_serde_ns", codec.json.baseline_median()),
            ("codec.xml_decode_ratio", codec.xml.ratio_median()),
            ("codec.xml_decode_ns", codec.xml.ours_median()),
            ("codec.xml_quick_xml_ns", codec.xml.baseline_median()),
            ("codec.mixed_decode_mib_s", codec.mixed_median()),
            ("retry.decision_ns", self.retry.backoff_median()),
            ("retry.decision_hint_ns", self.retry.hint_median()),
            ("retry.decision_allocs", self.retry.allocs_per_decision),
            ("client.rps_ratio", rps.ratio_median()),
            ("client.rps_impact_client", rps.ours_median()),
            ("client.rps_reqwest", rps.baseline_median()),
            ("client.rps_null_ratio", self.throughput.null.ratio_median()),
            ("client.peak_rss_mib_100mib_body", self.memory.huge_median()),
            ("client.peak_rss_mib_baseline", self.memory.tiny_median()),
            ("client.peak_rss_mib_delta", self.memory_delta()),
        ]
    }
}
