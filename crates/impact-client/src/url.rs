//! Base URLs, request paths and next-page URIs: where a request may go, so that the token never
//! travels in clear text nor follows a link to another host (SPEC 2.4, 2.5).

use std::net::IpAddr;

use reqwest::Url;

use crate::error::Error;

/// The roots of the three APIs; a path that starts with one of them is absolute.
const API_ROOTS: [&str; 3] = ["Mediapartners", "Advertisers", "Agencies"];

/// A checked base URL: an `https` origin, or `http` to loopback, with an optional path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    /// `scheme://host[:port]`, without a trailing slash.
    origin: String,
    /// The path prefix, empty or starting with `/` and without a trailing slash.
    prefix: String,
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
        Ok(BaseUrl { origin, prefix })
    }

    /// The full URL of a path (which starts with `/` and does not yet carry the prefix) and an
    /// encoded query.
    pub(crate) fn join(&self, path: &str, query: &str) -> Result<Url, Error> {
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
    if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::request(
            "path must not contain whitespace or control characters",
        ));
    }
    if path.contains("://") || path.starts_with("//") {
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

/// A URL for errors and logs: origin and path, never the query (it may carry secrets).
pub(crate) fn redacted(url: &Url) -> String {
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
}
