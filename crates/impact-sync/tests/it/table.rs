//! The stream tables, rendered for people: a snapshot reviewed like documentation, so that a
//! change of a window, key, filter or page size shows up in review.

use std::fmt::Write;

use impact_client::ApiKind;
use impact_sync::stream::{DateFilter, DateForm, FanOut, Read};
use impact_sync::{Key, StreamSpec, streams};

fn filter(filter: &DateFilter) -> String {
    let form = match filter.form() {
        DateForm::DateTime => "",
        DateForm::Date => ", dates",
        _ => ", ?",
    };
    let floor = if filter.has_floor() {
        ", 3-year floor"
    } else {
        ""
    };
    format!(
        "{} by {}/{} (≤ {} days{floor}{form})",
        filter.attribute(),
        filter.start_param(),
        filter.end_param(),
        filter.max_days()
    )
}

fn key(key: Key) -> String {
    match key {
        Key::Field(field) => field.to_owned(),
        Key::Fields(fields) => fields.join("/"),
        Key::Singleton(name) => format!("one object ({name})"),
        _ => "?".to_owned(),
    }
}

fn fan_out(spec: &StreamSpec) -> String {
    let parts: Vec<String> = spec
        .fan_out()
        .iter()
        .map(|dimension| match dimension {
            FanOut::Query { parent, param } => format!("{param}= each of {parent}"),
            FanOut::Path { parent } => format!("path per {parent}"),
            FanOut::Values { param, values } => format!("{param}= each of {}", values.join(",")),
            _ => "?".to_owned(),
        })
        .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(" × ")
    }
}

fn read(spec: &StreamSpec) -> String {
    match spec.read() {
        Read::Full => "full read every run".to_owned(),
        Read::Single => "one object every run".to_owned(),
        Read::Windowed { initial, changes } => format!(
            "first: {}\n    then, from the last run less {} days: {}",
            filter(&initial),
            spec.lookback_days(),
            changes.iter().map(filter).collect::<Vec<_>>().join("; ")
        ),
        Read::Export { filter: f } => format!(
            "export job per window: {}; again from the last run less {} days",
            filter(&f),
            spec.lookback_days()
        ),
        _ => "?".to_owned(),
    }
}

fn render(api: ApiKind) -> String {
    let mut out = String::new();
    for spec in streams(api) {
        let page = spec.page_size().map_or("no paging".to_owned(), |size| {
            format!("PageSize {} (min {})", size.max(), size.min())
        });
        let (calls, window) = spec.group().limit();
        let _ = writeln!(
            out,
            "{} [{}]\n    path {} · list key {} · key {} · fan-out {}\n    {}\n    {page} · {} ({calls} per {window} s)\n    sources: {}",
            spec.name(),
            if spec.is_default() {
                "default"
            } else {
                "opt-in"
            },
            spec.path(),
            spec.list_key(),
            key(spec.key()),
            fan_out(spec),
            read(spec),
            spec.group().as_str(),
            spec.sources()
        );
    }
    out
}

#[test]
fn the_stream_tables_read_as_documented() {
    insta::assert_snapshot!("partner-streams", render(ApiKind::Partner));
    insta::assert_snapshot!("brand-streams", render(ApiKind::Brand));
}
