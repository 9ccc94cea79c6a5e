//! Properties over structured bodies: generators build every body shape of SPEC 2.2 in JSON
//! and XML (and mutate the committed fixtures), dressed with random letter case, unknown keys,
//! key order, whitespace, escapes, a BOM, nesting and cuts; the reference model of `model.rs`
//! says from the generator's description what `decode` must report, and the codec must agree.

use impact_errors::{FieldError, Report, StatusCode};
use proptest::prelude::*;
use proptest::sample::{Index, select};

use crate::common::fixture_bodies;
use crate::model::{self, Body, Doc, Elem, Json, Node};

// ---- Texts and scalars ----

/// A character XML 1.0 can carry (no C0 control but tab, line feed and carriage return).
fn xml_char() -> BoxedStrategy<char> {
    any::<char>().prop_filter("not an XML 1.0 character", |&c| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    })
    .boxed()
}

/// Message and field texts: words, texts that look like the other format or like an error,
/// markup characters, non-ASCII and arbitrary characters.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[A-Za-z0-9 ]{0,16}",
        3 => select(vec![
            "",
            "Validation Failed",
            "Not a numeric value",
            "ERROR",
            "error",
            "<Status>ERROR</Status>",
            r#"{"Status":"ERROR","Message":"x"}"#,
            "a & b < c > d \"q\" 'a'",
            "x]]>y",
            "two\nlines\tand\r\nmore",
            "caf\u{e9} \u{1F600} \u{fc}ber",
            "\\u0045RROR",
            "  padded  ",
            "&amp; &#69; &lt;",
        ])
        .prop_map(str::to_owned),
        1 => prop::collection::vec(xml_char(), 0..12).prop_map(String::from_iter),
    ]
    .boxed()
}

/// `ERROR` in a random letter case.
fn error_word() -> BoxedStrategy<String> {
    "[eE][rR][rR][oO][rR]".boxed()
}

/// Any JSON value, nested a few levels.
fn junk() -> BoxedStrategy<Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(|n| Json::Int(n.into())),
        text().prop_map(Json::Str),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec(("[A-Za-z@_]{1,8}", inner), 0..4).prop_map(Json::Object),
        ]
    })
    .boxed()
}

/// A value nested deeper than any real body: up to 300 levels of arrays or objects.
fn deep() -> BoxedStrategy<Json> {
    (1usize..300, any::<bool>())
        .prop_map(|(levels, arrays)| {
            let mut value = Json::Int(1);
            for _ in 0..levels {
                value = if arrays {
                    Json::Array(vec![value])
                } else {
                    Json::Object(vec![("a".into(), value)])
                };
            }
            value
        })
        .boxed()
}

/// A value where a text is expected: mostly a string, sometimes another type.
fn loose(text: impl Strategy<Value = String> + 'static) -> impl Strategy<Value = Json> {
    prop_oneof![
        8 => text.prop_map(Json::Str),
        1 => Just(Json::Null),
        1 => any::<u32>().prop_map(|n| Json::Int(n.into())),
        1 => any::<bool>().prop_map(Json::Bool),
        1 => junk(),
        1 => deep(),
    ]
}

/// A top-level `Status`: `ERROR` in any case, other statuses, near misses, other types.
fn status_value() -> BoxedStrategy<Json> {
    prop_oneof![
        5 => error_word().prop_map(Json::Str),
        3 => select(vec![
            "OK", "QUEUED", "DELETED", "COMPLETED", "Complete", "ACTIVE", "ERRORS", "ERR",
            "ERROR ", " ERROR", "E RROR", "ERR\u{d6}R", "\u{ff25}RROR", "FAILED", "",
        ])
        .prop_map(|s| Json::Str(s.to_owned())),
        1 => Just(Json::Null),
        1 => any::<i32>().prop_map(|n| Json::Int(n.into())),
        1 => any::<bool>().prop_map(Json::Bool),
        1 => junk(),
    ]
    .boxed()
}

// ---- JSON shapes ----

type Entries = Vec<(String, Json)>;

/// An entry that is there with the given probability.
fn maybe(
    weight: f64,
    key: &'static str,
    value: impl Strategy<Value = Json>,
) -> impl Strategy<Value = Option<(String, Json)>> {
    prop::option::weighted(weight, value.prop_map(move |v| (key.to_owned(), v)))
}

/// One error item. `upper` chooses the case the list prefers; each part may come in that
/// case, in the other, in both (in either order) or not at all.
fn item(upper: bool) -> BoxedStrategy<Json> {
    let names = |preferred: &'static str, other: &'static str| {
        (0u8..6, loose(text()), loose(text())).prop_map(move |(how, a, b)| match how {
            0 => vec![],
            1 | 2 => vec![(preferred.to_owned(), a)],
            3 => vec![(other.to_owned(), a)],
            4 => vec![(preferred.to_owned(), a), (other.to_owned(), b)],
            _ => vec![(other.to_owned(), a), (preferred.to_owned(), b)],
        })
    };
    let (field, message, level) = if upper {
        (
            names("Field", "field"),
            names("Message", "message"),
            names("Level", "level"),
        )
    } else {
        (
            names("field", "Field"),
            names("message", "Message"),
            names("level", "Level"),
        )
    };
    let object = (
        field,
        message,
        level,
        prop::option::weighted(0.2, ("[A-Za-z]{1,6}", junk())),
    )
        .prop_map(|(f, m, l, extra)| {
            let mut entries: Entries = f.into_iter().chain(m).chain(l).collect();
            entries.extend(extra);
            entries
        })
        .prop_flat_map(|entries| Just(entries).prop_shuffle())
        .prop_map(Json::Object);
    prop_oneof![
        8 => object,
        1 => text().prop_map(Json::Str),
        1 => Just(Json::Null),
        1 => any::<u16>().prop_map(|n| Json::Int(n.into())),
        1 => prop::collection::vec(junk(), 0..3).prop_map(Json::Array),
    ]
    .boxed()
}

/// `Errors`, `errors` or `warnings` in every form of SPEC 2.2 and the tolerated ones.
fn error_list(upper: bool) -> BoxedStrategy<Json> {
    let items = || prop::collection::vec(item(upper), 0..4);
    prop_oneof![
        6 => items().prop_map(Json::Array),
        1 => Just(Json::Array(vec![])),
        2 => item(upper).prop_map(|i| Json::Object(vec![("Error".into(), i)])),
        2 => items().prop_map(|i| Json::Object(vec![("Error".into(), Json::Array(i))])),
        1 => item(upper),
        1 => Just(Json::Null),
        1 => text().prop_map(Json::Str),
    ]
    .boxed()
}

fn envelope() -> BoxedStrategy<Entries> {
    (
        maybe(0.85, "Status", status_value()),
        maybe(0.7, "Message", loose(text())),
        maybe(0.6, "Errors", error_list(true)),
        maybe(0.1, "StatusMessage", loose(text())),
    )
        .prop_map(|parts| {
            [parts.0, parts.1, parts.2, parts.3]
                .into_iter()
                .flatten()
                .collect()
        })
        .boxed()
}

fn conversion() -> BoxedStrategy<Entries> {
    (
        maybe(
            0.6,
            "Status",
            prop_oneof![
                error_word().prop_map(Json::Str),
                Just(Json::Str("OK".into()))
            ],
        ),
        maybe(
            0.95,
            "errors",
            prop::collection::vec(item(false), 0..4).prop_map(Json::Array),
        ),
        maybe(0.5, "warnings", error_list(false)),
        maybe(0.2, "message", loose(text())),
    )
        .prop_map(|parts| {
            [parts.0, parts.1, parts.2, parts.3]
                .into_iter()
                .flatten()
                .collect()
        })
        .boxed()
}

fn problem() -> BoxedStrategy<Entries> {
    let number = prop_oneof![
        4 => (100u16..600).prop_map(|n| Json::Int(n.into())),
        1 => select(vec![401.0, 403.5, 1e3]).prop_map(Json::Float),
        1 => Just(Json::Str("401".into())),
    ];
    (
        prop_oneof![Just("status"), Just("statusCode"),],
        number,
        maybe(0.6, "title", loose(text())),
        maybe(0.4, "detail", loose(text())),
        maybe(0.4, "message", loose(text())),
        maybe(0.3, "apiErrorCode", text().prop_map(Json::Str)),
        maybe(0.3, "type", Just(Json::Str("about:blank".into()))),
    )
        .prop_map(|(key, number, a, b, c, d, e)| {
            let mut entries = vec![(key.to_owned(), number)];
            entries.extend([a, b, c, d, e].into_iter().flatten());
            entries
        })
        .boxed()
}

fn spring() -> BoxedStrategy<Entries> {
    (
        maybe(0.7, "timestamp", any::<u32>().prop_map(|n| Json::Int(i128::from(n) * 1000))),
        maybe(
            0.95,
            "status",
            prop_oneof![
                4 => select(vec!["FORBIDDEN", "BAD_REQUEST", "error", ""]).prop_map(|s| Json::Str(s.into())),
                1 => Just(Json::Int(403)),
            ],
        ),
        maybe(0.7, "error", loose(text())),
        maybe(0.5, "message", loose(text())),
        maybe(0.3, "path", Just(Json::Str("/Advertisers/IR1/Campaigns".into()))),
    )
        .prop_map(|parts| [parts.0, parts.1, parts.2, parts.3, parts.4].into_iter().flatten().collect())
    .boxed()
}

fn success() -> BoxedStrategy<Entries> {
    (
        select(vec![
            "OK",
            "QUEUED",
            "DELETED",
            "COMPLETED",
            "Complete",
            "ACTIVE",
            "ok",
        ]),
        maybe(
            0.7,
            "Uri",
            Just(Json::Str("/Mediapartners/IR1/Errors/1".into())),
        ),
        maybe(
            0.3,
            "QueuedUri",
            Just(Json::Str("/Mediapartners/IR1/Jobs/9".into())),
        ),
        maybe(0.15, "Message", loose(text())),
    )
        .prop_map(|(status, a, b, c)| {
            let mut entries = vec![("Status".to_owned(), Json::Str(status.into()))];
            entries.extend([a, b, c].into_iter().flatten());
            entries
        })
        .boxed()
}

/// A Job resource (`GET /Jobs/{id}`): its `Status` may be `ERROR` beside a `StatusMessage`.
fn job() -> BoxedStrategy<Entries> {
    (
        prop_oneof![
            error_word(),
            Just("COMPLETED".to_owned()),
            Just("RUNNING".to_owned())
        ],
        maybe(0.9, "StatusMessage", loose(text())),
        maybe(0.1, "Message", loose(text())),
        maybe(0.1, "Errors", error_list(true)),
        maybe(0.1, "errors", error_list(false)),
    )
        .prop_map(|(status, a, b, c, d)| {
            let mut entries = vec![
                (
                    "Id".to_owned(),
                    Json::Str("IRJ4pTqc8mW2b7161820xKvNfYhRsLd6a3".into()),
                ),
                ("Status".to_owned(), Json::Str(status)),
                ("ResultUri".to_owned(), Json::Str(String::new())),
            ];
            entries.extend([a, b, c, d].into_iter().flatten());
            entries
        })
        .boxed()
}

/// A list page: `@`-keys beside the list, or the 0-based `Results` envelope.
fn page() -> BoxedStrategy<Entries> {
    let meta = prop::collection::vec(
        (
            select(vec![
                "@page",
                "@numpages",
                "@pagesize",
                "@total",
                "@nextpageuri",
                "@uri",
            ]),
            prop_oneof![
                "[0-9]{1,3}".prop_map(Json::Str),
                Just(Json::Str("/Mediapartners/IR1/Campaigns?Page=2".into())),
                Just(Json::Str(String::new())),
                (0u16..100).prop_map(|n| Json::Int(n.into())),
            ],
        ),
        0..5,
    );
    let items = prop::collection::vec(junk(), 0..3).prop_map(Json::Array);
    (
        meta,
        select(vec!["Campaigns", "Ads", "Action", "Results"]),
        items,
    )
        .prop_map(|(meta, list, items)| {
            let mut entries: Entries = meta.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            entries.push((list.to_owned(), items));
            entries
        })
        .boxed()
}

/// A key that matters to no rule, among them near misses of the keys that do.
fn unknown_key() -> BoxedStrategy<String> {
    prop_oneof![
        2 => "[A-Za-z@_]{1,10}".prop_filter("a key the rules read", |k| !VOCABULARY.contains(&k.as_str())),
        1 => select(vec![
            "STATUS", "MESSAGE", "ERRORS", "Error", "Status ", "StatusMessages", "Statusmessage",
            "Title", "Timestamp", "statuscode", "Warnings", "ERROR", "Errors\u{0}", "st\u{e4}tus",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

/// Every top-level key a rule of SPEC 6.1 reads.
const VOCABULARY: [&str; 13] = [
    "Status",
    "Message",
    "Errors",
    "errors",
    "warnings",
    "StatusMessage",
    "status",
    "statusCode",
    "title",
    "detail",
    "message",
    "error",
    "timestamp",
];

/// Any key of the vocabulary with a value of any type, to cross shapes.
fn vocabulary_entry() -> BoxedStrategy<(String, Json)> {
    (
        select(VOCABULARY.to_vec()),
        prop_oneof![status_value(), loose(text()), error_list(true)],
    )
        .prop_map(|(k, v)| (k.to_owned(), v))
        .boxed()
}

/// An object of some shape with unknown keys, sometimes a key of another shape, sometimes a
/// repeated key, in a random order.
fn json_object() -> BoxedStrategy<Json> {
    let shape = prop_oneof![
        5 => envelope(),
        3 => conversion(),
        2 => problem(),
        2 => spring(),
        2 => success(),
        2 => job(),
        2 => page(),
        1 => prop::collection::vec(vocabulary_entry(), 0..4),
    ];
    (
        shape,
        prop::collection::vec((unknown_key(), prop_oneof![junk(), deep()]), 0..3),
        prop::option::weighted(0.15, vocabulary_entry()),
        prop::option::weighted(
            0.1,
            (
                any::<Index>(),
                prop_oneof![status_value(), loose(text())],
                any::<bool>(),
            ),
        ),
    )
        .prop_map(|(mut entries, unknown, crossing, repeat)| {
            if let Some((index, value, before)) = repeat.filter(|_| !entries.is_empty()) {
                let at = index.index(entries.len());
                let key = entries[at].0.clone();
                entries.insert(if before { at } else { at + 1 }, (key, value));
            }
            entries.extend(unknown);
            entries.extend(crossing);
            entries
        })
        .prop_flat_map(|entries| Just(entries).prop_shuffle())
        .prop_map(Json::Object)
        .boxed()
}

fn json_doc() -> BoxedStrategy<Json> {
    prop_oneof![
        12 => json_object(),
        1 => prop::collection::vec(junk(), 0..4).prop_map(Json::Array),
        1 => junk(),
    ]
    .boxed()
}

// ---- XML shapes ----

/// A text as character data, split into text and CDATA sections with comments and processing
/// instructions between.
fn text_nodes(text: impl Strategy<Value = String>) -> impl Strategy<Value = Vec<Node>> {
    (text, prop::collection::vec((any::<Index>(), 0u8..4), 0..3)).prop_map(|(text, cuts)| {
        let chars: Vec<char> = text.chars().collect();
        let mut at: Vec<usize> = cuts.iter().map(|(i, _)| i.index(chars.len() + 1)).collect();
        at.sort_unstable();
        let mut nodes = Vec::new();
        let mut start = 0;
        for (end, kind) in at
            .iter()
            .chain([&chars.len()])
            .zip(cuts.iter().map(|c| c.1).chain([0]))
        {
            let piece: String = chars[start..*end].iter().collect();
            start = *end;
            match kind {
                1 if !piece.contains("]]>") => nodes.push(Node::CData(piece)),
                2 => {
                    nodes.push(Node::Text(piece));
                    nodes.push(Node::Comment(" note ".into()));
                }
                3 => {
                    nodes.push(Node::Text(piece));
                    nodes.push(Node::Pi("note x".into()));
                }
                _ => nodes.push(Node::Text(piece)),
            }
        }
        nodes
    })
}

/// An element of a known name, now and then in another letter case or with a prefix.
fn element(name: &'static str, text: impl Strategy<Value = String>) -> impl Strategy<Value = Elem> {
    (text_nodes(text), name_variant(name)).prop_map(|(children, name)| Elem {
        name,
        attrs: Vec::new(),
        children,
    })
}

fn name_variant(name: &'static str) -> BoxedStrategy<String> {
    prop_oneof![
        8 => Just(name.to_owned()),
        1 => any::<u64>().prop_map(move |seed| model::recase(name, seed)),
        1 => Just(format!("ir:{name}")),
    ]
    .boxed()
}

fn xml_item() -> BoxedStrategy<Elem> {
    (
        prop::option::weighted(0.8, element("Field", text())),
        prop::option::weighted(0.8, element("Message", text())),
        prop::option::weighted(0.2, element("Level", text())),
        prop::option::weighted(0.1, element("Code", text())),
    )
        .prop_map(|(a, b, c, d)| {
            Elem::new(
                "Error",
                [a, b, c, d].into_iter().flatten().map(Node::Elem).collect(),
            )
        })
        .boxed()
}

/// `<Errors>` with `<Error>` items, empty, or with one item's parts written directly inside.
fn xml_errors() -> BoxedStrategy<Elem> {
    prop_oneof![
        4 => prop::collection::vec(xml_item(), 0..4)
            .prop_map(|items| Elem::new("Errors", items.into_iter().map(Node::Elem).collect())),
        1 => xml_item().prop_map(|item| Elem { name: "Errors".into(), ..item }),
    ]
    .boxed()
}

/// A chain of unknown elements, sometimes deeper than the nesting bound.
fn xml_deep() -> BoxedStrategy<Elem> {
    prop_oneof![3 => 1usize..5, 1 => 1018usize..1030]
        .prop_map(|levels| {
            let mut elem = Elem::new("Detail", vec![Node::Text("x".into())]);
            for _ in 1..levels {
                elem = Elem::new("Detail", vec![Node::Elem(elem)]);
            }
            elem
        })
        .boxed()
}

/// `levels` nested unknown elements.
fn chain(levels: usize) -> Elem {
    let mut elem = Elem::new("Detail", vec![Node::Text("x".into())]);
    for _ in 1..levels {
        elem = Elem::new("Detail", vec![Node::Elem(elem)]);
    }
    elem
}

/// Unknown elements: resources' own fields, with attributes, or nested.
fn xml_unknown() -> BoxedStrategy<Elem> {
    prop_oneof![
        3 => (select(vec!["Id", "Uri", "QueuedUri", "Name", "CreatedDate", "Statuses", "Errorz", "Messages"]), text())
            .prop_map(|(name, t)| Elem::new(name, vec![Node::Text(t)])),
        1 => xml_deep(),
        1 => (text(), text()).prop_map(|(a, t)| Elem {
            name: "Extra".into(),
            attrs: vec![("note".into(), a), ("xml:lang".into(), "en".into())],
            children: vec![Node::Text(t)],
        }),
    ]
    .boxed()
}

fn xml_status() -> BoxedStrategy<String> {
    prop_oneof![
        5 => error_word(),
        3 => select(vec!["OK", "QUEUED", "DELETED", "Complete", "ERRORS", " ERROR", "", "RUNNING"])
            .prop_map(str::to_owned),
    ]
    .boxed()
}

/// `<ImpactRadiusResponse>` with any of `Status`, `Message`, `Errors` and `StatusMessage`
/// (each sometimes twice), unknown elements and comments, in any order.
fn xml_response() -> BoxedStrategy<Elem> {
    let child = prop_oneof![
        4 => element("Status", xml_status()),
        3 => element("Message", text()),
        3 => xml_errors(),
        1 => element("StatusMessage", text()),
        2 => xml_unknown(),
        1 => page_xml(),
    ];
    (
        prop::collection::vec(child, 0..6),
        prop::option::weighted(0.2, Just(Node::Comment(" c ".into()))),
    )
        .prop_map(|(children, comment)| {
            let mut nodes: Vec<Node> = children.into_iter().map(Node::Elem).collect();
            nodes.extend(comment);
            Elem {
                name: "ImpactRadiusResponse".into(),
                attrs: vec![],
                children: nodes,
            }
        })
        .boxed()
}

/// An XML list element (`<Ads page=".." nextpageuri="..">` with `<Ad>` items).
fn page_xml() -> BoxedStrategy<Elem> {
    (
        prop::collection::vec(("[0-9]{1,2}", text()), 0..3),
        "[0-9]{1,2}",
    )
        .prop_map(|(ads, page)| Elem {
            name: "Ads".into(),
            attrs: vec![("page".into(), page), ("nextpageuri".into(), String::new())],
            children: ads
                .into_iter()
                .map(|(id, name)| {
                    Node::Elem(Elem::new(
                        "Ad",
                        vec![
                            Node::Elem(Elem::new("Id", vec![Node::Text(id)])),
                            Node::Elem(Elem::new("Name", vec![Node::Text(name)])),
                        ],
                    ))
                })
                .collect(),
        })
        .boxed()
}

fn xml_doc() -> BoxedStrategy<Elem> {
    prop_oneof![
        8 => xml_response(),
        1 => (1021usize..1027).prop_map(|levels| Elem::new("ImpactRadiusResponse", vec![Node::Elem(chain(levels))])),
        1 => page_xml(),
        1 => (select(vec!["Job", "Campaign", "html", "HTML", "Html"]), xml_response())
            .prop_map(|(name, elem)| Elem { name: name.into(), ..elem }),
    ]
    .boxed()
}

// ---- Bodies ----

fn doc() -> BoxedStrategy<Doc> {
    prop_oneof![
        10 => json_doc().prop_map(Doc::Json),
        6 => (any::<bool>(), xml_doc()).prop_map(|(prolog, root)| Doc::Xml { prolog, root }),
        1 => (any::<bool>(), xml_response()).prop_map(|(external, root)| Doc::EntityXml { external, root }),
        1 => "[A-Z][A-Za-z0-9 .,:;!?\n-]{0,80}".prop_map(Doc::Text),
        1 => (select(vec![
            "<html><body><h1>{}</h1></body></html>",
            "<!DOCTYPE html>\n<html><head><title>{}</title></head></html>",
            "<HTML><BODY>{}</BODY></HTML>",
            "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><body>{}</body></html>",
            "<html><body>{} unclosed",
        ]), "[A-Za-z0-9 ]{0,20}")
            .prop_map(|(page, t)| Doc::Html(page.replace("{}", &t))),
        1 => (select(vec![&b"%PDF-1.4\n\xFF"[..], b"\x89PNG\r\n\x1a\n"]), prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(head, rest)| Doc::Binary([head, &rest].concat())),
        1 => Just(Doc::Empty),
    ]
    .boxed()
}

fn space() -> BoxedStrategy<String> {
    select(vec!["", "", " ", "\n", "\r\n", "\t \n"])
        .prop_map(str::to_owned)
        .boxed()
}

/// How a body is dressed: BOM, whitespace before and after, the writers' layout, a cut.
#[derive(Clone, Debug)]
struct Dress {
    bom: bool,
    lead: String,
    trail: String,
    layout: u64,
    junk: Option<&'static str>,
    cut: Option<u16>,
}

fn dress() -> BoxedStrategy<Dress> {
    (
        prop::bool::weighted(0.2),
        space(),
        space(),
        prop_oneof![Just(0u64), any::<u64>()],
        prop::option::weighted(
            0.06,
            select(vec![
                "x",
                "}",
                "{}",
                "<a/>",
                "\u{0}",
                "<!-- after -->",
                "<?pi after?>",
            ]),
        ),
        prop::option::weighted(0.06, 0u16..1000),
    )
        .prop_map(|(bom, lead, trail, layout, junk, cut)| Dress {
            bom,
            lead,
            trail,
            layout,
            junk,
            cut,
        })
        .boxed()
}

impl Dress {
    fn on(self, doc: Doc) -> Body {
        Body {
            doc,
            bom: self.bom,
            lead: self.lead,
            trail: self.trail,
            layout: self.layout,
            junk: self.junk,
            cut: self.cut,
        }
    }
}

fn http_status() -> BoxedStrategy<Option<u16>> {
    prop::option::weighted(
        0.8,
        prop_oneof![
            3 => select(vec![200, 201, 202, 204, 302, 400, 401, 402, 403, 404, 405, 408, 409, 418, 429, 500, 501, 502, 503, 504]),
            1 => 100u16..1000,
        ],
    )
    .boxed()
}

// ---- The comparison ----

fn items(list: &[FieldError]) -> Vec<model::Item> {
    list.iter()
        .map(|e| (e.field.clone(), e.message.clone(), e.level.clone()))
        .collect()
}

/// The codec's report in the model's one-line rendering.
fn render(report: &Report) -> String {
    let body = report.body();
    if let Some(excerpt) = &body.excerpt {
        assert!(excerpt.len() <= impact_codec::EXCERPT_MAX_BYTES);
    }
    model::render(
        [
            body.format.as_str(),
            body.shape.as_str(),
            report.class().as_str(),
        ],
        [
            report.is_error(),
            report.retryable(),
            body.excerpt.is_some(),
        ],
        (&body.status, &body.message),
        (&items(&body.errors), &items(&body.warnings)),
    )
}

/// Decodes the written body with `status` and checks everything against the model: the
/// report, `sniff`, and `error_report` with its prefilter.
fn check(body: &Body, status: Option<u16>) -> Result<(), TestCaseError> {
    let written = body.write();
    let bytes = &written.bytes;
    let expected = model::expect(body, &written);
    let http_status = status.map(|s| StatusCode::from_u16(s).unwrap());
    let report = impact_codec::decode(bytes, http_status);
    let shown = String::from_utf8_lossy(bytes);
    prop_assert_eq!(render(&report), expected.render(status), "body {:?}", shown);
    prop_assert_eq!(impact_codec::sniff(bytes).as_str(), expected.format);
    // The client's one call: an error exactly when the model says so, whatever the prefilter
    // skipped; and the prefilter never clears a body the model calls an API error.
    if let Some(http_status) = http_status {
        let is_error = expected.class(status) != "none";
        prop_assert_eq!(
            impact_codec::error_report(bytes, http_status).is_some(),
            is_error,
            "body {:?}",
            shown
        );
    }
    if expected.class(Some(200)) == "error_in_body" {
        prop_assert!(
            impact_codec::may_be_api_error(bytes),
            "prefilter cleared {:?}",
            shown
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn generated_bodies_decode_as_the_model_says(doc in doc(), dress in dress(), status in http_status()) {
        check(&dress.on(doc), status)?;
    }

    #[test]
    fn mutated_fixtures_decode_as_the_model_says(
        index in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 0..4),
        order in any::<u64>(),
        dress in dress(),
        status in http_status(),
    ) {
        let fixtures = fixture_docs();
        let (_, doc) = &fixtures[index.index(fixtures.len())];
        let mut doc = doc.clone();
        for mutation in &mutations {
            mutation.apply(&mut doc);
        }
        match &mut doc {
            Doc::Json(Json::Object(entries)) => model::shuffle(entries, order),
            Doc::Xml { root, .. } => model::shuffle(&mut root.children, order),
            _ => {}
        }
        check(&dress.on(doc), status)?;
    }
}

// ---- Mutations of the committed fixtures ----

/// Every committed fixture body that is a JSON or XML document, as a description (a JSON
/// document as serde_json reads it, an XML one as quick-xml reads it); the others (text,
/// HTML, truncated, entities) are left to the byte-level properties.
fn fixture_docs() -> &'static [(String, Doc)] {
    static DOCS: std::sync::OnceLock<Vec<(String, Doc)>> = std::sync::OnceLock::new();
    DOCS.get_or_init(|| {
        let mut docs = Vec::new();
        for fixture in fixture_bodies() {
            let bytes = &fixture.bytes;
            let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(without_bom) {
                docs.push((fixture.file, Doc::Json(model::json_of(&value))));
            } else if let Some((prolog, root)) = model::xml_of(bytes) {
                docs.push((fixture.file, Doc::Xml { prolog, root }));
            }
        }
        assert!(
            docs.len() >= 80,
            "only {} fixtures are documents",
            docs.len()
        );
        docs
    })
}

/// One structured change to a fixture's description.
#[derive(Clone, Debug)]
enum Mutation {
    /// The letter case of the top-level `Status` value (JSON) or `<Status>` text (XML).
    RecaseStatus(u64),
    /// A top-level key set to a value (replacing its last value), JSON only.
    SetKey(String, Json),
    /// A child of the root set (replacing the last of its name), XML only.
    SetElem(Elem),
    /// A top-level entry or child of the root removed.
    Remove(Index),
    /// A top-level key repeated with another value, before or after it (JSON only).
    Repeat(Index, Json, bool),
}

fn mutation() -> BoxedStrategy<Mutation> {
    let key = prop_oneof![
        4 => vocabulary_entry(),
        1 => error_list(true).prop_map(|v| ("Errors".to_owned(), v)),
        1 => error_list(false).prop_map(|v| ("errors".to_owned(), v)),
        1 => (unknown_key(), junk()),
    ];
    let elem = prop_oneof![
        element("Status", xml_status()),
        element("Message", text()),
        xml_errors(),
        element("StatusMessage", text()),
        xml_unknown(),
    ];
    prop_oneof![
        3 => any::<u64>().prop_map(Mutation::RecaseStatus),
        3 => key.prop_map(|(k, v)| Mutation::SetKey(k, v)),
        3 => elem.prop_map(Mutation::SetElem),
        2 => any::<Index>().prop_map(Mutation::Remove),
        1 => (any::<Index>(), prop_oneof![status_value(), loose(text())], any::<bool>())
            .prop_map(|(i, v, before)| Mutation::Repeat(i, v, before)),
    ]
    .boxed()
}

impl Mutation {
    fn apply(&self, doc: &mut Doc) {
        match doc {
            Doc::Json(Json::Object(entries)) => self.apply_json(entries),
            Doc::Xml { root, .. } => self.apply_xml(root),
            _ => {}
        }
    }

    fn apply_json(&self, entries: &mut Vec<(String, Json)>) {
        match self {
            Mutation::RecaseStatus(seed) => {
                if let Some((_, Json::Str(s))) =
                    entries.iter_mut().rev().find(|(k, _)| k == "Status")
                {
                    *s = model::recase(s, *seed);
                }
            }
            Mutation::SetKey(key, value) => {
                match entries.iter_mut().rev().find(|(k, _)| k == key) {
                    Some((_, slot)) => *slot = value.clone(),
                    None => entries.push((key.clone(), value.clone())),
                }
            }
            Mutation::Remove(index) if !entries.is_empty() => {
                entries.remove(index.index(entries.len()));
            }
            Mutation::Repeat(index, value, before) if !entries.is_empty() => {
                let at = index.index(entries.len());
                let key = entries[at].0.clone();
                entries.insert(if *before { at } else { at + 1 }, (key, value.clone()));
            }
            _ => {}
        }
    }

    fn apply_xml(&self, root: &mut Elem) {
        let same_name = |a: &str, b: &str| {
            a.rsplit(':')
                .next()
                .unwrap_or(a)
                .eq_ignore_ascii_case(b.rsplit(':').next().unwrap_or(b))
        };
        match self {
            Mutation::RecaseStatus(seed) => {
                for child in &mut root.children {
                    if let Node::Elem(e) = child
                        && same_name(&e.name, "Status")
                    {
                        let text: String = e
                            .children
                            .iter()
                            .filter_map(|n| match n {
                                Node::Text(t) | Node::CData(t) => Some(t.as_str()),
                                _ => None,
                            })
                            .collect();
                        e.children = vec![Node::Text(model::recase(&text, *seed))];
                    }
                }
            }
            Mutation::SetElem(new) => {
                let last = root
                    .children
                    .iter_mut()
                    .rev()
                    .find(|n| matches!(n, Node::Elem(e) if same_name(&e.name, &new.name)));
                match last {
                    Some(slot) => *slot = Node::Elem(new.clone()),
                    None => root.children.push(Node::Elem(new.clone())),
                }
            }
            Mutation::Remove(index) if !root.children.is_empty() => {
                let at = index.index(root.children.len());
                root.children.remove(at);
            }
            _ => {}
        }
    }
}
