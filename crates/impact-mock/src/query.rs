//! Query strings and form bodies: decoded for reading, kept raw for page links, which repeat
//! the request's query as it was sent.

/// A request's query (or form body).
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    /// `(name, value)` as sent, not decoded.
    raw: Vec<(String, String)>,
    /// The same, percent-decoded.
    decoded: Vec<(String, String)>,
}

impl Query {
    /// Parses `a=1&b=x%20y`.
    pub(crate) fn parse(text: &str) -> Query {
        let raw: Vec<(String, String)> = text
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (key.to_owned(), value.to_owned())
            })
            .collect();
        let decoded = raw
            .iter()
            .map(|(key, value)| (percent_decode(key), percent_decode(value)))
            .collect();
        Query { raw, decoded }
    }

    /// Whether a parameter name matches one of `names`: case-insensitively, with or without
    /// a `[]` suffix (array parameters repeat the name).
    fn is(key: &str, names: &[&str]) -> bool {
        let key = key.strip_suffix("[]").unwrap_or(key);
        names.iter().any(|name| key.eq_ignore_ascii_case(name))
    }

    /// The first value under any of `names`.
    pub(crate) fn get(&self, names: &[&str]) -> Option<&str> {
        self.decoded
            .iter()
            .find(|(key, _)| Query::is(key, names))
            .map(|(_, value)| value.as_str())
    }

    /// Which of `names` the query uses, if any.
    pub(crate) fn given(&self, names: &[&'static str]) -> Option<&'static str> {
        self.decoded.iter().find_map(|(key, _)| {
            let key = key.strip_suffix("[]").unwrap_or(key);
            names
                .iter()
                .find(|name| key.eq_ignore_ascii_case(name))
                .copied()
        })
    }

    /// Every value under any of `names`, comma-separated lists split.
    pub(crate) fn all(&self, names: &[&str]) -> Vec<String> {
        self.decoded
            .iter()
            .filter(|(key, _)| Query::is(key, names))
            .flat_map(|(_, value)| value.split(','))
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
            .collect()
    }

    /// The query as sent without `Page`, then `Page=page`: the page links' query.
    pub(crate) fn with_page(&self, page: u64) -> String {
        let mut out = String::new();
        for (key, value) in &self.raw {
            if key.eq_ignore_ascii_case("Page") {
                continue;
            }
            out.push_str(key);
            out.push('=');
            out.push_str(value);
            out.push('&');
        }
        out.push_str("Page=");
        out.push_str(&page.to_string());
        out
    }

    /// The decoded pairs that are not paging parameters, sorted: a cache key for a query.
    pub(crate) fn canonical_without_paging(&self) -> String {
        let mut pairs: Vec<String> = self
            .decoded
            .iter()
            .filter(|(key, _)| !Query::is(key, &["Page", "PageSize"]))
            .map(|(key, value)| format!("{}={value}", key.to_ascii_lowercase()))
            .collect();
        pairs.sort();
        pairs.join("&")
    }
}

/// Decodes `%XX` and `+`; a stray `%` is kept as it is.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(index + 1..index + 3)
                    .and_then(|pair| std::str::from_utf8(pair).ok())
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok());
                match hex {
                    Some(decoded) => {
                        out.push(decoded);
                        index += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_decoded_and_links_keep_the_query_as_sent() {
        let query = Query::parse("PageSize=2&Name=a+b%26c&Page=3&ProgramId[]=1&programid[]=2,3&X");
        assert_eq!(query.get(&["name"]), Some("a b&c"));
        assert_eq!(query.all(&["ProgramId"]), vec!["1", "2", "3"]);
        assert_eq!(query.get(&["X"]), Some(""));
        assert_eq!(query.given(&["Other", "PAGESIZE"]), Some("PAGESIZE"));
        assert_eq!(
            query.with_page(4),
            "PageSize=2&Name=a+b%26c&ProgramId[]=1&programid[]=2,3&X=&Page=4"
        );
        assert_eq!(
            Query::parse("b=2&a=1&Page=9").canonical_without_paging(),
            "a=1&b=2"
        );
        assert_eq!(percent_decode("a%zz%41"), "a%zzA");
    }
}
