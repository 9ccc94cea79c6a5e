//! Lists and items of a table row: the rules first (what the API refuses), then the filters,
//! the order, the page and its links.

use std::collections::HashMap;
use std::sync::Arc;

use impact_codec::PageMeta;
use serde_json::Value;

use crate::Rules;
use crate::attrs::Cx;
use crate::query::Query;
use crate::table::{Applied, Data, Filter, Op, Row, Rule, Wanted};
use crate::time::{DAY, Timestamp};
use crate::world::timeline::THREE_YEARS;
use crate::world::{Cached, Population};

/// Why a list request is refused: a 400 naming the parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) message: String,
    pub(crate) field: &'static str,
    pub(crate) detail: String,
}

impl Refusal {
    fn new(field: &'static str, detail: impl Into<String>) -> Refusal {
        Refusal {
            message: "Validation Failed".to_owned(),
            field,
            detail: detail.into(),
        }
    }
}

/// The items of one page: a run of a cached population's items when nothing filtered them
/// (served without a copy), else items of their own.
#[derive(Debug)]
pub(crate) enum PageItems {
    Shared(Arc<Cached<Population>>, std::ops::Range<usize>),
    Owned(Vec<Value>),
}

impl PageItems {
    pub(crate) fn as_slice(&self) -> &[Value] {
        match self {
            PageItems::Shared(population, range) => population
                .value
                .items
                .get(range.clone())
                .unwrap_or_default(),
            PageItems::Owned(items) => items,
        }
    }
}

/// What a list request gave.
#[derive(Debug)]
pub(crate) enum Listed {
    Page {
        meta: PageMeta,
        items: PageItems,
    },
    Refused(Refusal),
    /// The parent named in the path does not exist.
    NoParent,
}

/// A list request against one row.
#[derive(Debug)]
pub(crate) struct ListRequest<'a> {
    pub(crate) row: &'static Row,
    pub(crate) row_index: usize,
    pub(crate) cx: Cx<'a>,
    pub(crate) query: &'a Query,
    pub(crate) captures: &'a [(&'static str, String)],
    /// The path the request used, repeated in page links.
    pub(crate) link_path: &'a str,
    pub(crate) rules: Rules,
    /// A page size that replaces every row's default (the builder's `page_size`).
    pub(crate) default_page_size: Option<u64>,
}

impl ListRequest<'_> {
    fn enforces(&self, rule: Rule) -> bool {
        self.rules == Rules::Documented || !rule.is_documented_only()
    }

    pub(crate) fn run(&self) -> Listed {
        let (page, page_size) = match self.paging() {
            Ok(paging) => paging,
            Err(refusal) => return Listed::Refused(refusal),
        };
        let mut filters = match self.filters() {
            Ok(filters) => filters,
            Err(refusal) => return Listed::Refused(refusal),
        };
        if let Err(refusal) = self.check_rules(page_size, &mut filters) {
            return Listed::Refused(refusal);
        }
        // Captures that do not name the parent narrow the list to items with that attribute
        // (`Models/{ModelId}/ConversionPaths`).
        for (name, value) in self.captures {
            if self.row.parent.is_none_or(|parent| parent.capture != *name) {
                filters.push(Applied {
                    attr: name,
                    op: Op::Eq,
                    wanted: Wanted::Texts(vec![value.clone()]),
                });
            }
        }
        if let Some(parent) = self.row.parent {
            let Some(id) = capture(self.captures, parent.capture) else {
                return Listed::NoParent;
            };
            if !parent_exists(self.cx, self.row, parent.resource, id) {
                return Listed::NoParent;
            }
            filters.push(Applied {
                attr: parent.attr,
                op: Op::Eq,
                wanted: Wanted::Texts(vec![id.to_owned()]),
            });
        }
        let selected = select(self.cx, self.row, self.row_index, &filters, self.query);
        let total = selected.len() as u64;
        for rule in self.row.rules {
            if let (Rule::MaxPages(pages), true) = (*rule, self.enforces(*rule))
                && total > pages.saturating_mul(page_size)
            {
                return Listed::Refused(Refusal::new(
                    "PageSize",
                    format!(
                        "The request matches {total} records, more than {pages} pages of \
                         {page_size}: raise PageSize or narrow the date range"
                    ),
                ));
            }
        }
        let num_pages = total.div_ceil(page_size).max(1);
        let start = (page - 1).saturating_mul(page_size).min(total);
        let end = start.saturating_add(page_size).min(total);
        let items = selected.items(self.cx, start, end);
        let meta = self.meta(page, page_size, total, (start, end), num_pages);
        Listed::Page { meta, items }
    }

    fn paging(&self) -> Result<(u64, u64), Refusal> {
        let number = |name: &'static str| -> Result<Option<u64>, Refusal> {
            match self.query.get(&[name]) {
                None => Ok(None),
                Some(text) => match text.trim().parse::<u64>() {
                    Ok(n) if n >= 1 => Ok(Some(n)),
                    _ => Err(Refusal::new(name, "Must be a positive integer")),
                },
            }
        };
        let page = number("Page")?.unwrap_or(1);
        let default = self.default_page_size.unwrap_or(self.row.pages.default);
        let asked = number("PageSize")?;
        for rule in self.row.rules {
            if let (Rule::MinPageSize(min), Some(asked), true) =
                (*rule, asked, self.enforces(*rule))
                && asked < min
            {
                return Err(Refusal::new(
                    "PageSize",
                    format!("PageSize must be at least {min}"),
                ));
            }
            if let (Rule::MaxReachable(max), true) = (*rule, self.enforces(*rule)) {
                let size = asked.unwrap_or(default).min(self.row.pages.max);
                if (page - 1).saturating_mul(size) >= max {
                    return Err(Refusal::new(
                        "Page",
                        format!("Paging is limited to the first {max} records"),
                    ));
                }
            }
        }
        // A size over the largest is served at the largest, which `@pagesize` reports.
        Ok((
            page,
            asked.unwrap_or(default).min(self.row.pages.max).max(1),
        ))
    }

    /// The row's filters with the values the query gives them.
    fn filters(&self) -> Result<Vec<Applied>, Refusal> {
        let mut applied = Vec::new();
        for filter in self.row.filters {
            if let Some(wanted) = wanted(self.query, filter)? {
                applied.push(Applied {
                    attr: filter.attr,
                    op: filter.op,
                    wanted,
                });
            }
        }
        Ok(applied)
    }

    fn check_rules(&self, _page_size: u64, filters: &mut Vec<Applied>) -> Result<(), Refusal> {
        let now = self.cx.now;
        for rule in self.row.rules {
            if !self.enforces(*rule) {
                continue;
            }
            match *rule {
                Rule::Required(param) if self.query.get(&[param]).is_none() => {
                    return Err(Refusal::new(param, format!("{param} is required")));
                }
                Rule::Window {
                    start,
                    end,
                    max_days,
                } => check_window(self.query, (start, end), max_days)?,
                Rule::Floor(param) => {
                    let floor = now.plus(-THREE_YEARS).local_midnight().plus(-DAY);
                    if let Some(at) = date_param(self.query, param)?
                        && at < floor
                    {
                        return Err(Refusal::new(
                            param,
                            format!("{param} cannot be more than 3 years in the past"),
                        ));
                    }
                }
                Rule::Default { param, attr, value } if self.query.get(&[param]).is_none() => {
                    filters.push(Applied {
                        attr,
                        op: Op::Eq,
                        wanted: Wanted::Texts(vec![value.to_owned()]),
                    });
                }
                Rule::Recent { params, attr, days }
                    if params
                        .iter()
                        .all(|param| self.query.get(&[param]).is_none()) =>
                {
                    filters.push(Applied {
                        attr,
                        op: Op::From,
                        wanted: Wanted::At(now.plus(-days * DAY)),
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn meta(
        &self,
        page: u64,
        page_size: u64,
        total: u64,
        (start, end): (u64, u64),
        num_pages: u64,
    ) -> PageMeta {
        let paging = Paging {
            page,
            page_size,
            total,
            start,
            end,
        };
        page_meta(self.link_path, self.query, paging, num_pages)
    }
}

/// Where one page sits in a list: its number and size, the list's length, and the
/// positions of its first item and past its last.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub(crate) page: u64,
    pub(crate) page_size: u64,
    pub(crate) total: u64,
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// A page's `@` keys, its links repeating the request's path and query with `Page` set.
pub(crate) fn page_meta(
    link_path: &str,
    query: &Query,
    paging: Paging,
    num_pages: u64,
) -> PageMeta {
    let Paging {
        page,
        page_size,
        total,
        start,
        end,
    } = paging;
    let link = |n: u64| format!("{link_path}?{}", query.with_page(n));
    PageMeta {
        page: Some(page),
        num_pages: Some(num_pages),
        page_size: Some(page_size),
        total: Some(total),
        start: Some(start),
        end: Some(end.saturating_sub(1).max(start)),
        uri: Some(link(page)),
        first_page_uri: Some(link(1)),
        previous_page_uri: Some(if page > 1 {
            link((page - 1).min(num_pages))
        } else {
            String::new()
        }),
        next_page_uri: Some(if page < num_pages {
            link(page + 1)
        } else {
            String::new()
        }),
        last_page_uri: Some(link(num_pages)),
    }
}

fn capture<'a>(captures: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    captures
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.as_str())
}

/// The value a request gives a filter, if it gives one.
fn wanted(query: &Query, filter: &Filter) -> Result<Option<Wanted>, Refusal> {
    let Some(param) = query.given(filter.params) else {
        return Ok(None);
    };
    match filter.op {
        Op::Eq | Op::Contains => {
            let texts = query.all(&[param]);
            Ok((!texts.is_empty()).then_some(Wanted::Texts(texts)))
        }
        Op::From | Op::To => Ok(date_param(query, param)?.map(Wanted::At)),
    }
}

fn date_param(query: &Query, param: &'static str) -> Result<Option<Timestamp>, Refusal> {
    match query.get(&[param]).map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => Timestamp::parse_api(text)
            .map(Some)
            .map_err(|_| Refusal::new(param, format!("{text:?} is not a valid date"))),
    }
}

fn check_window(
    query: &Query,
    (start, end): (&'static str, &'static str),
    max_days: i64,
) -> Result<(), Refusal> {
    let from = date_param(query, start)?;
    let to = date_param(query, end)?;
    match (from, to) {
        (Some(_), None) => Err(Refusal::new(
            end,
            format!("{end} is required when {start} is given"),
        )),
        (None, Some(_)) => Err(Refusal::new(
            start,
            format!("{start} is required when {end} is given"),
        )),
        (Some(from), Some(to)) if to < from => Err(Refusal::new(
            end,
            format!("{end} must not be before {start}"),
        )),
        (Some(from), Some(to)) if to.since(from) > max_days * DAY => Err(Refusal::new(
            end,
            format!("{start} and {end} cannot be more than {max_days} days apart"),
        )),
        _ => Ok(()),
    }
}

/// Whether the parent a nested path names exists (in the same API's view).
fn parent_exists(cx: Cx<'_>, row: &Row, parent: crate::Resource, id: &str) -> bool {
    let Some((index, parent_row)) = crate::resources::row_of(parent, row.api) else {
        return false;
    };
    find_item(cx, parent_row, index, &[], id).is_some()
}

/// The keys or items a list selected.
enum Selected {
    /// A population and the positions of the items selected (`None`: all of them).
    Population(Arc<Cached<Population>>, Option<Vec<usize>>),
    Stream(&'static Row, Arc<Cached<Vec<u64>>>),
}

impl Selected {
    fn len(&self) -> usize {
        match self {
            Selected::Population(population, None) => population.value.items.len(),
            Selected::Population(_, Some(indices)) => indices.len(),
            Selected::Stream(_, keys) => keys.value.len(),
        }
    }

    fn items(&self, cx: Cx<'_>, start: u64, end: u64) -> PageItems {
        let range = usize::try_from(start).unwrap_or(usize::MAX)..usize::try_from(end).unwrap_or(0);
        match self {
            Selected::Population(population, None) => {
                PageItems::Shared(Arc::clone(population), range)
            }
            Selected::Population(population, Some(indices)) => PageItems::Owned(
                indices
                    .get(range)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|index| population.value.items.get(*index).cloned())
                    .collect(),
            ),
            Selected::Stream(row, keys) => {
                let Data::Stream(stream) = row.data else {
                    return PageItems::Owned(Vec::new());
                };
                PageItems::Owned(
                    keys.value
                        .get(range)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|key| stream.item(&cx, *key))
                        .collect(),
                )
            }
        }
    }
}

fn select(
    cx: Cx<'_>,
    row: &'static Row,
    row_index: usize,
    filters: &[Applied],
    query: &Query,
) -> Selected {
    match row.data {
        Data::Population(_) | Data::Single(_) => {
            let population = population(cx, row, row_index);
            if filters.is_empty() {
                return Selected::Population(population, None);
            }
            let facts = &population.value.facts;
            let indices = population
                .value
                .items
                .iter()
                .enumerate()
                .filter(|(index, item)| {
                    let facts = facts.get(*index).map_or(&[][..], Vec::as_slice);
                    filters.iter().all(|filter| passes(item, facts, filter))
                })
                .map(|(index, _)| index)
                .collect();
            Selected::Population(population, Some(indices))
        }
        Data::Stream(stream) => {
            let generation = cx.world.overlay().generation;
            let key = format!(
                "{row_index}|{}|{}",
                query.canonical_without_paging(),
                filters
                    .iter()
                    .map(|filter| format!("{}{:?}{:?}", filter.attr, filter.op, filter.wanted))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            if let Some(cached) = cx.world.cached_selection(&key, cx.now, generation) {
                return Selected::Stream(row, cached);
            }
            let (keys, valid_until) = stream.select(&cx, filters);
            let cached = Arc::new(Cached {
                value: keys,
                valid_until,
                generation,
            });
            cx.world.keep_selection(key, Arc::clone(&cached));
            Selected::Stream(row, cached)
        }
    }
}

/// Whether a population item (with its facts) passes a filter.
fn passes(item: &Value, facts: &[(&'static str, String)], filter: &Applied) -> bool {
    if let Some((_, fact)) = facts.iter().find(|(name, _)| *name == filter.attr) {
        // A fact may hold several values, comma-separated (the campaigns of a partner).
        return fact.split(',').any(|value| filter.accepts_text(value));
    }
    let mut value = item;
    for part in filter.attr.split('.') {
        match value.get(part) {
            Some(child) => value = child,
            // A filter on an attribute the item lacks does not narrow the list.
            None => return true,
        }
    }
    match value {
        Value::String(text) if matches!(filter.op, Op::From | Op::To) && text.is_empty() => false,
        Value::String(text) => filter.accepts_text(text),
        Value::Array(values) => values
            .iter()
            .any(|value| value.as_str().is_some_and(|text| filter.accepts_text(text))),
        _ => true,
    }
}

/// A row's whole population at `cx.now`, from the cache while it holds.
pub(crate) fn population(
    cx: Cx<'_>,
    row: &'static Row,
    row_index: usize,
) -> Arc<Cached<Population>> {
    let generation = cx.world.overlay().generation;
    if let Some(cached) = cx.world.cached_population(row_index, cx.now, generation) {
        return cached;
    }
    let generated = match row.data {
        Data::Population(make) => make(&cx),
        _ => crate::table::Generated::default(),
    };
    let overlay = cx.world.overlay();
    let mut items = Vec::with_capacity(generated.items.len());
    let mut facts = Vec::new();
    for (index, item) in generated.items.into_iter().enumerate() {
        let id = item.get(row.id_attr).and_then(Value::as_str).unwrap_or("");
        if overlay.is_deleted(row.resource, id) {
            continue;
        }
        if let Some(item_facts) = generated.facts.get(index) {
            facts.resize(items.len(), Vec::new());
            facts.push(item_facts.clone());
        }
        items.push(item);
    }
    drop(overlay);
    let by_id: HashMap<String, usize> = items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let id = item.get(row.id_attr)?.as_str()?;
            Some((id.to_owned(), index))
        })
        .collect();
    let cached = Arc::new(Cached {
        value: Population {
            items,
            facts,
            by_id,
        },
        valid_until: generated.valid_until,
        generation,
    });
    cx.world.keep_population(row_index, Arc::clone(&cached));
    cached
}

/// One item of a row by its id (under the parent the captures name), if it exists now.
pub(crate) fn find_item(
    cx: Cx<'_>,
    row: &'static Row,
    row_index: usize,
    captures: &[(&'static str, String)],
    id: &str,
) -> Option<Value> {
    let parent: Vec<Applied> = row
        .parent
        .and_then(|parent| {
            let value = capture(captures, parent.capture)?;
            Some(Applied {
                attr: parent.attr,
                op: Op::Eq,
                wanted: Wanted::Texts(vec![value.to_owned()]),
            })
        })
        .into_iter()
        .collect();
    match row.data {
        Data::Population(_) => {
            let population = population(cx, row, row_index);
            let index = *population.value.by_id.get(id)?;
            let item = population.value.items.get(index)?;
            let facts = population
                .value
                .facts
                .get(index)
                .map_or(&[][..], Vec::as_slice);
            parent
                .iter()
                .all(|filter| passes(item, facts, filter))
                .then(|| item.clone())
        }
        Data::Stream(stream) => {
            let key = stream.find(&cx, &parent, id)?;
            stream.item(&cx, key)
        }
        Data::Single(_) => None,
    }
}

/// Every item of a row at `cx.now`, in its order, in batches: the ground truth.
pub(crate) fn every_item<'a>(
    cx: Cx<'a>,
    row: &'static Row,
    row_index: usize,
) -> Box<dyn Iterator<Item = Value> + Send + 'a> {
    match row.data {
        Data::Population(_) => {
            let population = population(cx, row, row_index);
            let count = population.value.items.len();
            Box::new((0..count).filter_map(move |index| population.value.items.get(index).cloned()))
        }
        Data::Stream(stream) => {
            let (keys, _) = stream.select(&cx, &[]);
            Box::new(
                keys.into_iter()
                    .filter_map(move |key| stream.item(&cx, key)),
            )
        }
        // One object per parent (each report's metadata), or the one object.
        Data::Single(make) => match row.parent {
            Some(parent) => {
                let Some((index, parent_row)) = crate::resources::row_of(parent.resource, row.api)
                else {
                    return Box::new(std::iter::empty());
                };
                let parents = population(cx, parent_row, index);
                let ids: Vec<String> = parents
                    .value
                    .items
                    .iter()
                    .filter_map(|item| item.get(parent_row.id_attr)?.as_str().map(str::to_owned))
                    .collect();
                Box::new(
                    ids.into_iter()
                        .filter_map(move |id| make(&cx, &[(parent.capture, id)])),
                )
            }
            None => Box::new(make(&cx, &[]).into_iter()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, expect: Result<(), &str>) {
        let query = Query::parse(query);
        let got = check_window(&query, ("StartDate", "EndDate"), 45).map_err(|r| r.detail);
        assert_eq!(got, expect.map_err(str::to_owned), "{query:?}");
    }

    #[test]
    fn windows_need_both_ends_and_at_most_45_days() {
        check("", Ok(()));
        check("StartDate=2024-01-01&EndDate=2024-02-15", Ok(()));
        check(
            "StartDate=2024-01-01T00:00:00Z&EndDate=2024-02-15T00:00:01Z",
            Err("StartDate and EndDate cannot be more than 45 days apart"),
        );
        check(
            "StartDate=2024-01-01",
            Err("EndDate is required when StartDate is given"),
        );
        check(
            "EndDate=2024-01-01",
            Err("StartDate is required when EndDate is given"),
        );
        check(
            "StartDate=2024-02-01&EndDate=2024-01-01",
            Err("EndDate must not be before StartDate"),
        );
        check(
            "StartDate=soon&EndDate=2024-01-01",
            Err("\"soon\" is not a valid date"),
        );
    }
}
