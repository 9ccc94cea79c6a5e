//! A successful response: status, headers, rate-limit information and the body, as bytes or
//! decoded into the caller's types.

use std::fmt;

use bytes::Bytes;
use http::HeaderMap;
use impact_errors::{RateLimitInfo, StatusCode};

use crate::error::{Error, ErrorKind};
use crate::url::AnsweredUrl;

/// A response the API answered with success (2xx, and no `Status: ERROR` in the body).
///
/// ```no_run
/// # async fn run(client: impact_client::Client) -> Result<(), impact_client::Error> {
/// #[derive(serde::Deserialize)]
/// struct Campaign { #[serde(rename = "Id")] id: String }
///
/// let response = client.send(impact_client::Request::get("/Campaigns/1000")).await?;
/// println!("{} after {} attempts", response.status(), response.attempts());
/// let campaign: Campaign = response.deserialize()?;
/// # Ok(()) }
/// ```
///
/// The status, headers and body are the server's, as sent (an echo of the credentials in a
/// success is not redacted: read them as data). `Debug` shows the status, the header names,
/// the body's length, the rate-limit headers as read, the attempts and the URL: never a header
/// value or the body, so that printing a response cannot show what the server put in them.
#[derive(Clone)]
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) rate_limit: RateLimitInfo,
    pub(crate) attempts: u32,
    pub(crate) url: AnsweredUrl,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Names<'a>(&'a HeaderMap);
        impl fmt::Debug for Names<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.keys()).finish()
            }
        }
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("header_names", &Names(&self.headers))
            .field("body_len", &self.body.len())
            .field("rate_limit", &self.rate_limit)
            .field("attempts", &self.attempts)
            .field("url", &self.url.as_str())
            .finish()
    }
}

impl Response {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The rate-limit headers, read in every family.
    pub fn rate_limit(&self) -> &RateLimitInfo {
        &self.rate_limit
    }

    /// How many attempts the call took.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The URL answered, without query or credentials.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The `Content-Type` header, when present and readable.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
    }

    /// The body as received.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as received, consuming the response.
    pub fn into_bytes(self) -> Bytes {
        self.body
    }

    /// The body decoded from JSON into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        impact_codec::from_json(&self.body).map_err(|error| self.decode_error(error))
    }

    /// The body decoded from XML into `T`.
    pub fn xml<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        impact_codec::from_xml(&self.body).map_err(|error| self.decode_error(error))
    }

    /// The body decoded into `T` from JSON or XML, whichever the bytes are (after a byte-order
    /// mark and whitespace, `<` starts XML).
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        impact_codec::from_body(&self.body).map_err(|error| self.decode_error(error))
    }

    /// The body as a list page: its paging metadata and items.
    pub fn page(&self) -> Result<impact_codec::Page, Error> {
        impact_codec::decode_page(&self.body).map_err(|error| self.decode_error(error))
    }

    fn decode_error(&self, error: impact_codec::DecodeError) -> Error {
        Error::new(ErrorKind::Decode, format!("{error}"))
            .with_attempts(self.attempts)
            .with_url(self.url.as_str())
            .with_source(error)
    }
}
