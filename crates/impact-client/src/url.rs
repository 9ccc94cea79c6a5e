//! Base URLs, request paths and next-page URIs: where a request may go, so that the token never
//! travels in clear text nor follows a link to another host (SPEC 2.4, 2.5).

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

use crate::error::Error;

/// The roots of the three APIs; a path that starts with one of them is absolute.
const API_ROOTS: [&str; 3] = ["Mediapartners", "Advertisers", "Agencies"];

/// A checked base URL: an `https` origin, or `http` to loopback, with an optional path prefix.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    /// `scheme://host[:port]`, without a trailing slash.
    origin: String,
    /// The path prefix, empty or starting with `/` and without a trailing slash.
    prefix: String,
    /// The origin parsed once: request URLs are this with their path and query set, which
    /// spares parsing and checking the scheme and host again on every request.
    parsed_origin: Url,
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaseUrl")
            .field("origin", &self.origin)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl BaseUrl {
    /// Checks a base URL: `https`, or `http` to a loopback host only; no credentials, query
    /// or fragment.
    pub(crate) fn parse(text: &str) -> Result<BaseUrl, Error> {
        let url = Url::parse(text.trim())
            .map_err(|error| Error::config(format!("base url is not a valid url: {error}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            // The URL itself is not repeated: it carries a secret.
            return Err(Error::config(
                "base url must not carry credentials; pass them to the builder",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(
                "base url must not have a query string or fragment",
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(Error::config(format!(
                    "refusing plain http to {}: the token would travel in clear text; use https (http is allowed only to localhost, 127.0.0.0/8 and ::1)",
                    url.host_str().unwrap_or("")
                )));
            }
            other => {
                return Err(Error::config(format!(
                    "base url scheme must be https, not {other}"
                )));
            }
        }
        let Some(host) = url.host_str() else {
            return Err(Error::config("base url has no host"));
        };
        let origin = match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        let prefix = url.path().trim_end_matches('/').to_owned();
        let parsed_origin = Url::parse(&origin)
            .map_err(|error| Error::config(format!("base url is not a valid url: {error}")))?;
        Ok(BaseUrl {
            origin,
            prefix,
            parsed_origin,
        })
    }

    /// The full URL of a path (which starts with `/` and does not yet carry the prefix) and an
    /// encoded query.
    ///
    /// The already parsed origin gets the path and query set on it, which the URL parser
    /// normalises and percent-encodes exactly as it would in a whole URL. Text that a whole
    /// URL reads differently takes the slower way through [`BaseUrl::join_by_parsing`], so
    /// that both ways always give the same URL (a property test holds them to it): `?` or `#`
    /// in the path and `#` in the query, which would start a query or fragment but are encoded
    /// when set alone, and spaces or control characters, which the parser trims or drops from a
    /// whole URL.
    pub(crate) fn join(&self, path: &str, query: &str) -> Result<Url, Error> {
        let read_differently = |text: &str, delimiters: &[u8]| {
            text.bytes()
                .any(|byte| byte <= b' ' || delimiters.contains(&byte))
        };
        if !path.starts_with('/') || read_differently(path, b"?#") || read_differently(query, b"#")
        {
            return self.join_by_parsing(path, query);
        }
        let mut url = self.parsed_origin.clone();
        if self.prefix.is_empty() {
            url.set_path(path);
        } else {
            let mut full = String::with_capacity(self.prefix.len() + path.len());
            full.push_str(&self.prefix);
            full.push_str(path);
            url.set_path(&full);
        }
        url.set_query((!query.is_empty()).then_some(query));
        Ok(url)
    }

    /// [`BaseUrl::join`] by parsing the whole URL as text.
    pub(crate) fn join_by_parsing(&self, path: &str, query: &str) -> Result<Url, Error> {
        let mut text = String::with_capacity(
            self.origin.len() + self.prefix.len() + path.len() + query.len() + 1,
        );
        text.push_str(&self.origin);
        text.push_str(&self.prefix);
        text.push_str(path);
        if !query.is_empty() {
            text.push('?');
            text.push_str(query);
        }
        Url::parse(&text).map_err(|error| Error::request(format!("invalid request url: {error}")))
    }

    /// Applies a next-page URI's path and query to this base (SPEC 2.4): the URI's origin, if
    /// any, is dropped, and the prefix is added unless the path already starts with it.
    /// Returns the path without the prefix, and the query.
    pub(crate) fn next_page(&self, uri: &str) -> Result<(String, String), Error> {
        let uri = uri.trim();
        let without_fragment = uri.split('#').next().unwrap_or("");
        let path_and_query = strip_origin(without_fragment);
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, query),
            None => (path_and_query, ""),
        };
        let mut path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        if !self.prefix.is_empty() && starts_with_segment(&path, &self.prefix) {
            path.drain(..self.prefix.len());
            if path.is_empty() {
                path.push('/');
            }
        }
        check_path(&path)?;
        Ok((path, query.to_owned()))
    }
}

/// The path and query of a URI, whether it is absolute (`https://host/p?q`), scheme-relative
/// (`//host/p`), a path with a doubled slash before an API root (`//Mediapartners/...`), or a
/// path.
fn strip_origin(uri: &str) -> &str {
    if let Some(rest) = uri.strip_prefix("//") {
        let first = rest.split(['/', '?']).next().unwrap_or("");
        if API_ROOTS.contains(&first) {
            // `//Mediapartners/IR.../PromoAds` is a path with a doubled slash, not a host.
            return &uri[1..];
        }
        return rest.find(['/', '?']).map_or("", |at| &rest[at..]);
    }
    if let Some(colon) = uri.find("://") {
        let scheme = &uri[..colon];
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            let rest = &uri[colon + 3..];
            return rest.find(['/', '?']).map_or("", |at| &rest[at..]);
        }
    }
    uri
}

/// Whether `path` is `prefix` or starts with `prefix/`.
fn starts_with_segment(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Whether `path` names an API root itself (`/Mediapartners/...` and the others).
pub(crate) fn is_absolute_api_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    API_ROOTS.iter().any(|root| {
        rest.strip_prefix(root)
            .is_some_and(|tail| tail.starts_with('/'))
    })
}

/// Refuses a path that could not be sent as given: control characters, whitespace, or a
/// scheme that would make it a URL of its own.
pub(crate) fn check_path(path: &str) -> Result<(), Error> {
    // Nearly every path is printable ASCII without a colon: one test over all the bytes (a
    // fold without an early exit, which the compiler turns into vector instructions) clears
    // it. Anything else is checked by the definition, character by character.
    let plain = path.bytes().fold(true, |plain, byte| {
        plain & (byte > b' ') & (byte < 0x7f) & (byte != b':')
    });
    let (refused, scheme_separator) = if plain {
        (false, false)
    } else {
        (
            path.chars().any(|c| c.is_control() || c.is_whitespace()),
            path.contains("://"),
        )
    };
    if refused {
        return Err(Error::request(
            "path must not contain whitespace or control characters",
        ));
    }
    if scheme_separator || path.starts_with("//") {
        return Err(Error::request(
            "path must be relative to the base url, not a url of its own",
        ));
    }
    Ok(())
}

/// Whether a URL's host is loopback: `localhost`, 127.0.0.0/8 or `::1`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    // The URL parser has already normalised IPv4 forms and bracketed IPv6 addresses.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The URL a response came from, held as the request sent it and shown as [`redacted`] shows
/// URLs: scheme, host, port and path. Keeping the URL itself spares building a string for
/// every response.
#[derive(Clone)]
pub(crate) struct AnsweredUrl(Url);

impl AnsweredUrl {
    /// Wraps an http(s) URL, dropping any user info (only a redirect target can carry it).
    pub(crate) fn new(mut url: Url) -> AnsweredUrl {
        if !url.username().is_empty() || url.password().is_some() {
            // Both only fail for URLs without a host, which http(s) URLs always have.
            let _ = url.set_password(None);
            let _ = url.set_username("");
        }
        AnsweredUrl(url)
    }

    /// Scheme, host, port and path.
    pub(crate) fn as_str(&self) -> &str {
        before_query(&self.0)
    }
}

impl fmt::Debug for AnsweredUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A URL for errors and logs: origin and path, never the query (it may carry secrets).
pub(crate) fn redacted(url: &Url) -> String {
    let web = matches!(url.scheme(), "http" | "https");
    if web && url.username().is_empty() && url.password().is_none() {
        return before_query(url).to_owned();
    }
    redacted_from_parts(url)
}

/// An http(s) URL's serialisation up to its query or fragment. Without user info that is
/// exactly scheme, host, port and path (the URL parser percent-encodes `?` and `#` in a path),
/// so one slice replaces assembling the parts.
fn before_query(url: &Url) -> &str {
    let text = url.as_str();
    let end = text
        .bytes()
        .position(|byte| byte == b'?' || byte == b'#')
        .unwrap_or(text.len());
    &text[..end]
}

/// [`redacted`] assembled from the URL's parts, for any URL.
fn redacted_from_parts(url: &Url) -> String {
    let mut text = String::with_capacity(url.as_str().len());
    text.push_str(url.scheme());
    text.push_str("://");
    text.push_str(url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        text.push(':');
        text.push_str(&port.to_string());
    }
    text.push_str(url.path());
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(base: &str, uri: &str, expect: &str) {
        let base = BaseUrl::parse(base).expect("valid base");
        let (path, query) = base.next_page(uri).expect("valid uri");
        let url = base.join(&path, &query).expect("joins");
        assert_eq!(url.as_str(), expect, "{uri}");
    }

    #[test]
    fn next_page_uris_keep_only_path_and_query() {
        let sid = "/Mediapartners/IRabc/Ads";
        check(
            "https://api.impact.com",
            "/Mediapartners/IRabc/Ads?Page=2",
            "https://api.impact.com/Mediapartners/IRabc/Ads?Page=2",
        );
        check(
            "https://api.impact.com",
            "//Mediapartners/IRabc/Ads?Page=2",
            "https://api.impact.com/Mediapartners/IRabc/Ads?Page=2",
        );
        check(
            "https://api.impact.com",
            "//Agencies/IRabc/Ads",
            "https://api.impact.com/Agencies/IRabc/Ads",
        );
        check(
            "https://api.impact.com",
            "https://evil.example/Mediapartners/IRabc/Ads?Page=2",
            "https://api.impact.com/Mediapartners/IRabc/Ads?Page=2",
        );
        check(
            "https://api.impact.com",
            "//evil.example/x?Page=2",
            "https://api.impact.com/x?Page=2",
        );
        check(
            "http://127.0.0.1:8080/proxy/",
            &format!("{sid}?Page=3"),
            "http://127.0.0.1:8080/proxy/Mediapartners/IRabc/Ads?Page=3",
        );
        check(
            "http://127.0.0.1:8080/proxy",
            &format!("/proxy{sid}?Page=3"),
            "http://127.0.0.1:8080/proxy/Mediapartners/IRabc/Ads?Page=3",
        );
        check(
            "http://127.0.0.1:8080/proxy",
            "/proxyish/Ads",
            "http://127.0.0.1:8080/proxy/proxyish/Ads",
        );
        check(
            "https://api.impact.com",
            "Mediapartners/IRabc/Ads#frag",
            "https://api.impact.com/Mediapartners/IRabc/Ads",
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://api.impact.com",
            "http://localhost:1234",
            "http://127.0.0.1",
            "http://127.200.0.9:80/x",
            "http://[::1]:99",
        ] {
            assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.impact.com",
            "http://10.0.0.1",
            "http://localhost.evil.example",
            "ftp://api.impact.com",
            "https://user:pass@api.impact.com",
            "https://api.impact.com?x=1",
            "not a url",
        ] {
            let error = BaseUrl::parse(bad).expect_err(bad);
            assert_eq!(error.kind(), crate::ErrorKind::InvalidConfig, "{bad}");
            assert!(!error.to_string().contains("pass@"), "{error}");
        }
    }

    #[test]
    fn absolute_api_paths() {
        assert!(is_absolute_api_path("/Mediapartners/IR1/Ads"));
        assert!(is_absolute_api_path("/Agencies/IR1"));
        // SPEC 6.2: only a path under `/Agencies/` is absolute; `/Agencies` alone is a resource
        // name relative to the account root, like any other.
        assert!(!is_absolute_api_path("/Agencies"));
        assert!(!is_absolute_api_path("/Advertisers?Page=2"));
        assert!(!is_absolute_api_path("/MediapartnersX/Ads"));
        assert!(!is_absolute_api_path("/Campaigns"));
    }

    use proptest::prelude::*;

    /// Path and query text of any kind a caller or a next-page URI could bring: ASCII
    /// letters, dot segments, percent signs, backslashes, reserved and non-ASCII characters.
    fn url_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                8 => proptest::char::range('a', 'z').prop_map(String::from),
                2 => Just("/".to_owned()),
                1 => prop::sample::select(vec![
                    ".", "..", "/./", "/../", "://", "%", "%2e", "%2F", "%zz", "\\", "?", "#", "&", "=",
                    "+", ":", "@", "!", "$", "'", "(", ")", "*", ",", ";", "[", "]", "{", "}",
                    "|", "^", "`", "<", ">", "\"", " ", "\t", "é", "€", "\u{1F600}",
                    "\u{0}", "\u{7f}", "\u{85}", "\u{a0}",
                ])
                .prop_map(str::to_owned),
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        /// Setting the path and query on the parsed origin gives the same URL as parsing the
        /// whole text, with and without a path prefix.
        #[test]
        fn join_agrees_with_parsing_the_whole_url(
            base in prop::sample::select(vec![
                "https://api.impact.com",
                "http://127.0.0.1:8080/proxy/",
                "https://example.com:8443/a%20b",
                "http://[::1]:99",
            ]),
            path in url_text(),
            query in url_text(),
        ) {
            let base = BaseUrl::parse(base).expect("valid base");
            let path = format!("/{path}");
            let fast = base.join(&path, &query).map(|url| url.to_string());
            let parsed = base.join_by_parsing(&path, &query).map(|url| url.to_string());
            prop_assert_eq!(fast.ok(), parsed.ok());
        }

        /// The one-pass check refuses exactly what its definition refuses.
        #[test]
        fn check_path_agrees_with_its_definition(path in url_text()) {
            let defined = !path.chars().any(|c| c.is_control() || c.is_whitespace())
                && !path.contains("://")
                && !path.starts_with("//");
            prop_assert_eq!(check_path(&path).is_ok(), defined, "{:?}", path);
        }

        /// The sliced redactions (of a URL in an error and of the URL a response came from)
        /// are the one assembled from the parts, whatever the URL holds.
        #[test]
        fn redacted_agrees_with_its_parts(
            base in prop::sample::select(vec![
                "https://api.impact.com",
                "http://127.0.0.1:8080/proxy/",
                "https://user:secret@example.com:8443/x",
                "http://[::1]:99",
                "https://example.com:443/",
            ]),
            path in url_text(),
        ) {
            let Ok(url) = Url::parse(base).and_then(|base| base.join(&path)) else {
                return Ok(());
            };
            prop_assert_eq!(redacted(&url), redacted_from_parts(&url));
            prop_assert!(!redacted(&url).contains("secret"));
            // Responses only ever come from http(s) URLs (a join may give another scheme).
            if !matches!(url.scheme(), "http" | "https") {
                return Ok(());
            }
            let answered = AnsweredUrl::new(url.clone());
            prop_assert_eq!(answered.as_str(), redacted(&url));
            let shown = format!("{answered:?}");
            prop_assert!(!shown.contains("secret"), "{}", shown);
        }
    }
}
