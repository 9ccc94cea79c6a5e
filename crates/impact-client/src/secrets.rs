//! The forms a server could echo the credentials in, and their replacement by `<redacted>` in
//! everything the client keeps of an error answer (SPEC 4), before anything can print it.
//!
//! Only error answers pay for it: a success is returned as the server sent it.

use std::fmt;

use impact_errors::{DecodedBody, FieldError, Report};
use memchr::memmem;
use zeroize::Zeroizing;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// What replaces a secret in a body about to be decoded: letters alone, which mean the same in
/// JSON strings, XML text and plain text (`<redacted>` would be a tag in XML), and which the
/// decoded texts then show as [`REDACTED`].
const PLACEHOLDER: &str = "IMPACTRSREDACTEDSECRET";

/// What ends an excerpt that was cut short (`impact_codec::excerpt`).
const EXCERPT_CUT: &str = "...";

/// The shortest piece of a secret redacted where a body was cut off mid-secret: shorter ones
/// say nothing of it (and would redact every body that ends in a common letter).
const MIN_PARTIAL: usize = 4;

/// The credentials of a client in every form an echo may take, wiped when dropped.
pub(crate) struct Secrets {
    forms: Vec<Zeroizing<Vec<u8>>>,
}

/// Never the secrets themselves.
impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} forms, <redacted>)", self.forms.len())
    }
}

impl Secrets {
    /// The forms of `token` and of the Basic credentials `sid:token`: the token as is,
    /// percent-encoded (RFC 3986), form-encoded, escaped for JSON (`/` as `\/`) and for XML,
    /// and in base64 (the token alone and `sid:token`, without padding, so that an echo of
    /// `Basic <credentials>` is found whatever its padding).
    pub(crate) fn new(sid: &str, token: &str) -> Secrets {
        let mut credentials = Zeroizing::new(Vec::with_capacity(sid.len() + 1 + token.len()));
        credentials.extend_from_slice(sid.as_bytes());
        credentials.push(b':');
        credentials.extend_from_slice(token.as_bytes());
        let candidates = [
            Zeroizing::new(token.as_bytes().to_vec()),
            encode(
                token,
                |b| b.is_ascii_alphanumeric() || b"-._~".contains(&b),
                false,
            ),
            encode(
                token,
                |b| b.is_ascii_alphanumeric() || b"*-._".contains(&b),
                true,
            ),
            escaped(token, &[(b'/', "\\/"), (b'"', "\\\""), (b'\\', "\\\\")]),
            escaped(
                token,
                &[
                    (b'&', "&amp;"),
                    (b'<', "&lt;"),
                    (b'>', "&gt;"),
                    (b'"', "&quot;"),
                    (b'\'', "&apos;"),
                ],
            ),
            base64_unpadded(token.as_bytes()),
            base64_unpadded(&credentials),
        ];
        let mut forms: Vec<Zeroizing<Vec<u8>>> = Vec::with_capacity(candidates.len());
        for form in candidates {
            if !form.is_empty() && !forms.iter().any(|known| **known == *form) {
                forms.push(form);
            }
        }
        // Longest first, so that a form inside another (the token's base64 inside the
        // credentials', when `sid:` is a multiple of three bytes long) goes with it whole.
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        Secrets { forms }
    }

    /// A body about to be decoded, with every form replaced by a placeholder that decodes to
    /// itself (and reads `<redacted>` in the report, see [`Secrets::redact_report`]); `None`
    /// when it holds none. With `cut_off`, the body was cut short at its cap, and a secret's
    /// beginning at its very end (at least [`MIN_PARTIAL`] bytes) is replaced too.
    pub(crate) fn mask(&self, body: &[u8], cut_off: bool) -> Option<Vec<u8>> {
        let pieces = self.forms.iter().map(|form| form.as_slice());
        replace(body, pieces, PLACEHOLDER, cut_off)
    }

    /// `text` with every form replaced by `<redacted>`, or `None` when it holds none.
    pub(crate) fn redact(&self, text: &[u8]) -> Option<Vec<u8>> {
        let pieces = self.forms.iter().map(|form| form.as_slice());
        replace(text, pieces, REDACTED, false)
    }

    /// The report with every form replaced in everything it holds: message, status, field
    /// errors and warnings, excerpt. Its class is derived again from the same status and
    /// verdict, so it does not change.
    pub(crate) fn redact_report(&self, report: Report) -> Report {
        let status = report.http_status();
        let mut body = report.into_body();
        self.redact_body(&mut body);
        Report::new(status, body)
    }

    fn redact_body(&self, body: &mut DecodedBody) {
        for text in [&mut body.status, &mut body.message, &mut body.excerpt]
            .into_iter()
            .flatten()
        {
            self.redact_string(text);
        }
        for error in body.errors.iter_mut().chain(body.warnings.iter_mut()) {
            self.redact_field_error(error);
        }
    }

    fn redact_field_error(&self, error: &mut FieldError) {
        for text in [&mut error.field, &mut error.level].into_iter().flatten() {
            self.redact_string(text);
        }
        self.redact_string(&mut error.message);
    }

    /// Replaces the forms (an echo escaped in the body reads plain once decoded) and the
    /// placeholders of [`Secrets::mask`], one cut short at the end of an excerpt (before its
    /// `...`) included.
    fn redact_string(&self, text: &mut String) {
        let (head, marker) = match text.strip_suffix(EXCERPT_CUT) {
            Some(head) => (head, EXCERPT_CUT),
            None => (text.as_str(), ""),
        };
        let placeholder = std::iter::once(PLACEHOLDER.as_bytes());
        let unmasked = replace(head.as_bytes(), placeholder, REDACTED, true).map(|mut head| {
            head.extend_from_slice(marker.as_bytes());
            head
        });
        let current = unmasked.as_deref().unwrap_or(text.as_bytes());
        let redacted = self.redact(current).or(unmasked);
        if let Some(redacted) = redacted {
            // Whole UTF-8 strings are replaced by ASCII, so the text stays UTF-8.
            *text = String::from_utf8_lossy(&redacted).into_owned();
        }
    }
}

/// `text` with every occurrence of each of `pieces` replaced by `replacement`, or `None` when
/// it holds none; with `cut_off`, also a piece's beginning (at least [`MIN_PARTIAL`] bytes) at
/// the very end of `text`.
fn replace<'a>(
    text: &[u8],
    pieces: impl Iterator<Item = &'a [u8]> + Clone,
    replacement: &str,
    cut_off: bool,
) -> Option<Vec<u8>> {
    let mut replaced: Option<Vec<u8>> = None;
    for piece in pieces.clone() {
        let current = replaced.as_deref().unwrap_or(text);
        if memmem::find(current, piece).is_some() {
            replaced = Some(replace_all(current, piece, replacement));
        }
    }
    if cut_off {
        let current = replaced.as_deref().unwrap_or(text);
        if let Some(start) = partial_at_end(current, pieces) {
            let mut trimmed = current[..start].to_vec();
            trimmed.extend_from_slice(replacement.as_bytes());
            replaced = Some(trimmed);
        }
    }
    replaced
}

/// `text` with every occurrence of `piece` replaced by `replacement`.
fn replace_all(text: &[u8], piece: &[u8], replacement: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = 0;
    for at in memmem::find_iter(text, piece) {
        if at < rest {
            continue;
        }
        out.extend_from_slice(&text[rest..at]);
        out.extend_from_slice(replacement.as_bytes());
        rest = at + piece.len();
    }
    out.extend_from_slice(&text[rest..]);
    out
}

/// Where one of `pieces`' beginnings (at least [`MIN_PARTIAL`] bytes, short of the whole)
/// ends `text`, if one does.
fn partial_at_end<'a>(text: &[u8], pieces: impl Iterator<Item = &'a [u8]>) -> Option<usize> {
    pieces
        .filter_map(|piece| {
            (MIN_PARTIAL..piece.len().min(text.len() + 1))
                .rev()
                .find(|len| text.ends_with(&piece[..*len]))
                .map(|len| text.len() - len)
        })
        .min()
}

/// Percent-encodes every byte that `keep` refuses; `space_as_plus` writes a space as `+`
/// (form encoding).
fn encode(text: &str, keep: impl Fn(u8) -> bool, space_as_plus: bool) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 3));
    for byte in text.bytes() {
        if keep(byte) {
            out.push(byte);
        } else if space_as_plus && byte == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(format!("%{byte:02X}").as_bytes());
        }
    }
    out
}

/// `text` with each listed byte written as its escape.
fn escaped(text: &str, escapes: &[(u8, &str)]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 2));
    for byte in text.bytes() {
        match escapes.iter().find(|(plain, _)| *plain == byte) {
            Some((_, escape)) => out.extend_from_slice(escape.as_bytes()),
            None => out.push(byte),
        }
    }
    out
}

/// Standard base64 (RFC 4648) without the padding.
fn base64_unpadded(bytes: &[u8]) -> Zeroizing<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len().div_ceil(3) * 4));
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for index in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * index)) & 63) as usize]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "IRsid";
    const TOKEN: &str = "tok/Sq9+Zr7=Wv2:L&m5";

    /// A body masked (cut off or not) and then read as a report's text: `expect`, or `None`
    /// for untouched.
    fn check(text: &str, cut_off: bool, expect: Option<&str>) {
        let secrets = Secrets::new(SID, TOKEN);
        let masked = secrets.mask(text.as_bytes(), cut_off);
        assert_eq!(masked.is_some(), expect.is_some(), "{text:?}");
        let mut read =
            String::from_utf8(masked.unwrap_or_else(|| text.as_bytes().to_vec())).expect("utf-8");
        secrets.redact_string(&mut read);
        assert_eq!(read, expect.unwrap_or(text), "{text:?}");
    }

    #[test]
    fn every_form_is_replaced_and_nothing_else() {
        check("nothing here", false, None);
        check(
            &format!("a {TOKEN} b {TOKEN}"),
            false,
            Some("a <redacted> b <redacted>"),
        );
        check(
            "url tok%2FSq9%2BZr7%3DWv2%3AL%26m5 form tok%2FSq9%2BZr7%3DWv2%3AL%26m5",
            false,
            Some("url <redacted> form <redacted>"),
        );
        check(
            r"json tok\/Sq9+Zr7=Wv2:L&m5",
            false,
            Some("json <redacted>"),
        );
        check(
            "xml tok/Sq9+Zr7=Wv2:L&amp;m5",
            false,
            Some("xml <redacted>"),
        );
        // base64 of "IRsid:tok/Sq9+Zr7=Wv2:L&m5", padded as a header sends it.
        let basic =
            String::from_utf8(base64_unpadded(format!("{SID}:{TOKEN}").as_bytes()).to_vec())
                .expect("ascii");
        check(&format!("Basic {basic}="), false, Some("Basic <redacted>="));
        // A body cut off in the middle of the token: its beginning goes too, when it is long
        // enough to say something.
        check("ends with tok/Sq9", true, Some("ends with <redacted>"));
        check("ends with tok/Sq9", false, None);
        check("ends with tok", true, None);
        // An excerpt cut in the middle of a placeholder reads `<redacted>` all the same.
        let mut excerpt = format!("before {}...", &PLACEHOLDER[..9]);
        Secrets::new(SID, TOKEN).redact_string(&mut excerpt);
        assert_eq!(excerpt, "before <redacted>...");
    }

    #[test]
    fn base64_matches_rfc_4648_vectors_without_padding() {
        for (input, expect) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
        ] {
            assert_eq!(
                &*base64_unpadded(input.as_bytes()),
                expect.as_bytes(),
                "{input}"
            );
        }
    }

    #[test]
    fn the_debug_form_shows_no_secret() {
        let shown = format!("{:?}", Secrets::new(SID, TOKEN));
        assert!(!shown.contains("tok"), "{shown}");
    }
}
