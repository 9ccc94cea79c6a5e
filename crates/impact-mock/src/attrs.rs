//! Attribute lists as generators: a resource's attributes are a table of names, each with how
//! its value is made, so that the table reads like the reference it was taken from.
//!
//! Every value is a string, as the API sends them (ids and amounts included); empty values
//! are empty strings; nested objects and lists are JSON objects and arrays.

use serde_json::{Map, Value};

use crate::rng::{Draw, tag};
use crate::table::Api;
use crate::time::Timestamp;
use crate::world::World;

/// What a value is made from: the world, the API whose view is served, the account root
/// (`/Mediapartners/IR...`) and the instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cx<'a> {
    pub(crate) world: &'a World,
    pub(crate) api: Api,
    pub(crate) root: &'a str,
    pub(crate) now: Timestamp,
}

/// A thing of the world whose attributes a table makes.
pub(crate) trait Entity {
    /// The draws of this thing; each attribute forks them by its name.
    fn draw(&self) -> Draw;
}

/// How one attribute's value is made.
pub(crate) enum Gen<E: 'static> {
    /// `""`.
    Empty,
    /// This text.
    Lit(&'static str),
    /// One of these, drawn.
    Pick(&'static [&'static str]),
    /// `"true"` with this chance in 100, else `"false"`.
    Flag(u64),
    /// A whole number in this range, drawn.
    Int(i64, i64),
    /// Text made from the thing.
    Text(fn(&E, &Cx<'_>) -> String),
    /// Text made from the thing and the attribute's own name (one maker for a family of
    /// attributes, such as a deal's fields repeated on ads and promo codes).
    Named(fn(&E, &Cx<'_>, &'static str) -> String),
    /// Any JSON made from the thing (nested lists, objects of other things).
    Json(fn(&E, &Cx<'_>) -> Value),
    /// A nested object of attributes of the same thing.
    Object(&'static [Attr<E>]),
    /// A run of attributes that several tables share, made at this level (no name of its own).
    Also(&'static [Attr<E>]),
    /// A family of attributes made by one maker from each one's name, at this level (no name
    /// of its own): a deal's terms as ads, promo codes and tracking requests repeat them.
    NamedEach(
        &'static [&'static str],
        fn(&E, &Cx<'_>, &'static str) -> String,
    ),
}

/// One attribute: its name as the API spells it and how its value is made.
pub(crate) struct Attr<E: 'static> {
    pub(crate) name: &'static str,
    pub(crate) make: Gen<E>,
}

pub(crate) const fn empty<E>(name: &'static str) -> Attr<E> {
    Attr {
        name,
        make: Gen::Empty,
    }
}

pub(crate) const fn lit<E>(name: &'static str, text: &'static str) -> Attr<E> {
    Attr {
        name,
        make: Gen::Lit(text),
    }
}

pub(crate) const fn pick<E>(name: &'static str, choices: &'static [&'static str]) -> Attr<E> {
    Attr {
        name,
        make: Gen::Pick(choices),
    }
}

pub(crate) const fn flag<E>(name: &'static str, percent_true: u64) -> Attr<E> {
    Attr {
        name,
        make: Gen::Flag(percent_true),
    }
}

pub(crate) const fn int<E>(name: &'static str, low: i64, high: i64) -> Attr<E> {
    Attr {
        name,
        make: Gen::Int(low, high),
    }
}

pub(crate) const fn text<E>(name: &'static str, make: fn(&E, &Cx<'_>) -> String) -> Attr<E> {
    Attr {
        name,
        make: Gen::Text(make),
    }
}

pub(crate) const fn named<E>(
    name: &'static str,
    make: fn(&E, &Cx<'_>, &'static str) -> String,
) -> Attr<E> {
    Attr {
        name,
        make: Gen::Named(make),
    }
}

pub(crate) const fn json<E>(name: &'static str, make: fn(&E, &Cx<'_>) -> Value) -> Attr<E> {
    Attr {
        name,
        make: Gen::Json(make),
    }
}

pub(crate) const fn object<E>(name: &'static str, attrs: &'static [Attr<E>]) -> Attr<E> {
    Attr {
        name,
        make: Gen::Object(attrs),
    }
}

/// A run of attributes several tables share, listed where the reference puts it (objects are
/// served with their attributes in alphabetical order, so the place is documentation).
pub(crate) const fn also<E>(attrs: &'static [Attr<E>]) -> Attr<E> {
    Attr {
        name: "",
        make: Gen::Also(attrs),
    }
}

/// The attributes `names`, each made by `make` from its name (see [`Gen::NamedEach`]).
pub(crate) const fn named_each<E>(
    names: &'static [&'static str],
    make: fn(&E, &Cx<'_>, &'static str) -> String,
) -> Attr<E> {
    Attr {
        name: "",
        make: Gen::NamedEach(names, make),
    }
}

/// The object a table makes of a thing.
pub(crate) fn build<E: Entity>(attrs: &[Attr<E>], thing: &E, cx: &Cx<'_>) -> Value {
    Value::Object(build_map(attrs, thing, cx))
}

fn build_map<E: Entity>(attrs: &[Attr<E>], thing: &E, cx: &Cx<'_>) -> Map<String, Value> {
    let mut map = Map::new();
    build_into(&mut map, attrs, thing, cx);
    map
}

fn build_into<E: Entity>(map: &mut Map<String, Value>, attrs: &[Attr<E>], thing: &E, cx: &Cx<'_>) {
    let draw = thing.draw();
    for attr in attrs {
        let mut draw = draw.fork(tag(attr.name));
        let value = match &attr.make {
            Gen::Empty => Value::String(String::new()),
            Gen::Lit(text) => Value::String((*text).to_owned()),
            Gen::Pick(choices) => Value::String(draw.pick(choices).to_owned()),
            Gen::Flag(percent) => Value::String(bool_text(draw.chance(*percent)).to_owned()),
            Gen::Int(low, high) => Value::String(draw.between(*low, *high).to_string()),
            Gen::Text(make) => Value::String(make(thing, cx)),
            Gen::Named(make) => Value::String(make(thing, cx, attr.name)),
            Gen::Json(make) => make(thing, cx),
            Gen::Object(attrs) => Value::Object(build_map(attrs, thing, cx)),
            Gen::Also(attrs) => {
                build_into(map, attrs, thing, cx);
                continue;
            }
            Gen::NamedEach(names, make) => {
                for name in *names {
                    map.insert((*name).to_owned(), Value::String(make(thing, cx, name)));
                }
                continue;
            }
        };
        map.insert(attr.name.to_owned(), value);
    }
}

/// `"true"` or `"false"`, as the API writes booleans.
pub(crate) const fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// An amount in cents with two decimals: `1234` is `"12.34"`, `-5` is `"-0.05"`.
pub(crate) fn cents(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let amount = amount.unsigned_abs();
    format!("{sign}{}.{:02}", amount / 100, amount % 100)
}

/// A JSON string.
pub(crate) fn s(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

/// A JSON array of strings.
pub(crate) fn strings<'a>(texts: impl IntoIterator<Item = &'a str>) -> Value {
    Value::Array(texts.into_iter().map(s).collect())
}

/// A date attribute: the API's form, or `""` when there is none.
pub(crate) fn date(at: Option<Timestamp>) -> String {
    at.map(|at| at.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_two_decimals() {
        assert_eq!(cents(1234), "12.34");
        assert_eq!(cents(5), "0.05");
        assert_eq!(cents(-150), "-1.50");
        assert_eq!(cents(0), "0.00");
    }
}
