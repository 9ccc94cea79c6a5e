//! Redaction of an auth token from bytes a server sent: the last line of defence before
//! anything is stored or printed, whatever the layers below did.

use std::borrow::Cow;
use std::fmt;

use zeroize::Zeroizing;

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// Replaces an auth token, in every form a server can echo it in, by `<redacted>`: as is,
/// percent-encoded (RFC 3986, and as a form value), base64 alone and inside the account's
/// Basic credentials (unpadded, so that the padded text is found too).
///
/// `Debug` never shows the secrets; they are wiped from memory when the redactor is dropped.
///
/// ```
/// use impact_sync::Redactor;
///
/// let redactor = Redactor::new("IRsid", "to k/en");
/// assert_eq!(redactor.redact_str("a to k/en b to%20k%2Fen"), "a <redacted> b <redacted>");
/// assert_eq!(redactor.redact_str("nothing here"), "nothing here");
/// assert!(!format!("{redactor:?}").contains("to k"));
/// ```
pub struct Redactor {
    secrets: Vec<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("forms", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor of `token` and of the Basic credentials of `sid` with it.
    pub fn new(sid: &str, token: &str) -> Redactor {
        Redactor {
            secrets: secret_forms(Some(sid), token),
        }
    }

    /// A redactor of `token` alone, when the account is not known.
    pub fn for_token(token: &str) -> Redactor {
        Redactor {
            secrets: secret_forms(None, token),
        }
    }

    /// A redactor of nothing.
    pub fn none() -> Redactor {
        Redactor {
            secrets: Vec::new(),
        }
    }

    /// The bytes with every form of the token replaced; borrowed when none was there.
    pub fn redact<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out = Cow::Borrowed(bytes);
        for secret in &self.secrets {
            if memchr::memmem::find(&out, secret).is_some() {
                out = Cow::Owned(replace_all(&out, secret, REDACTED.as_bytes()));
            }
        }
        out
    }

    /// The text with every form of the token replaced; borrowed when none was there.
    pub fn redact_str<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.redact(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Secrets and their replacement are whole UTF-8 strings: replacing one keeps the
            // text valid.
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }
}

/// The forms a token can be echoed in: as is, percent-encoded (RFC 3986, and as a form
/// value), base64 alone and inside the account's Basic credentials (without padding, so that
/// the padded text is found too). Empty and repeated forms are skipped.
fn secret_forms(sid: Option<&str>, token: &str) -> Vec<Zeroizing<Vec<u8>>> {
    if token.is_empty() {
        return Vec::new();
    }
    let percent: String = token
        .bytes()
        .map(
            |b| match b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                true => char::from(b).to_string(),
                false => format!("%{b:02X}"),
            },
        )
        .collect();
    let form = impact_codec::encode_form([("", token)]);
    let credentials = sid.map(|sid| Zeroizing::new(format!("{sid}:{token}")));
    let candidates = [
        Zeroizing::new(token.to_owned()),
        Zeroizing::new(percent),
        Zeroizing::new(form.trim_start_matches('=').to_owned()),
        Zeroizing::new(base64(token.as_bytes())),
        Zeroizing::new(
            credentials
                .map(|credentials| base64(credentials.as_bytes()))
                .unwrap_or_default(),
        ),
    ];
    let mut forms: Vec<Zeroizing<Vec<u8>>> = Vec::new();
    for candidate in candidates {
        let bytes = candidate.as_bytes();
        if !bytes.is_empty() && !forms.iter().any(|form| form[..] == *bytes) {
            forms.push(Zeroizing::new(bytes.to_vec()));
        }
    }
    forms
}

/// Standard base64 without padding, as `Authorization: Basic` carries credentials (a
/// prefix of the padded text).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for shift in [18, 12, 6, 0].into_iter().take(chunk.len() + 1) {
            out.push(char::from(ALPHABET[(n >> shift & 63) as usize]));
        }
    }
    out
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = memchr::memmem::find(rest, needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples_unpadded() {
        let cases = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expect) in cases {
            assert_eq!(base64(input.as_bytes()), expect, "{input:?}");
        }
    }

    #[test]
    fn every_form_of_the_token_is_replaced() {
        let forms = secret_forms(Some("IRsid"), "to k/en");
        let texts: Vec<String> = forms
            .iter()
            .map(|form| String::from_utf8_lossy(form).into_owned())
            .collect();
        assert_eq!(
            texts,
            [
                "to k/en",
                "to%20k%2Fen",
                "to+k%2Fen",
                base64(b"to k/en").as_str(),
                base64(b"IRsid:to k/en").as_str(),
            ]
        );
        let body = b"a to k/en b to%20k%2Fen c to k/ento k/en";
        assert_eq!(
            replace_all(body, b"to k/en", REDACTED.as_bytes()),
            b"a <redacted> b to%20k%2Fen c <redacted><redacted>"
        );
        assert!(secret_forms(Some("IRsid"), "").is_empty());
        assert_eq!(secret_forms(Some("IRsid"), "plain").len(), 3);
    }
}
