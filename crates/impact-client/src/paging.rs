//! Pagination (SPEC 2.4): a stream of pages following `@nextpageuri` (JSON) or the list
//! element's `nextpageuri` attribute (XML), and a stream of their items.

use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};
use impact_codec::Page;

use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::request::Request;

/// Where the page stream stands.
enum Cursor {
    First(Request),
    Next { template: Request, uri: String },
    Done,
}

impl Client {
    /// The pages of a list, fetched one after the other: the first from `request`, each next
    /// one from the previous page's next-page URI, resolved against the base URL (its path and
    /// query only, so credentials never follow a link to another host). The stream ends after
    /// a page whose next URI is empty or absent; `@total` is not consulted, since it can be 0
    /// while pages remain. Each page is a call of its own, with retries and pacing.
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// # async fn run(client: impact_client::Client) -> Result<(), impact_client::Error> {
    /// let mut pages = std::pin::pin!(client.pages(impact_client::Request::get("/Ads")));
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("page {:?}: {} items", page.meta.page, page.items.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(
        &self,
        request: Request,
    ) -> impl Stream<Item = Result<Page, Error>> + Send + 'static {
        let client = self.clone();
        stream::try_unfold(Cursor::First(request), move |cursor| {
            let client = client.clone();
            async move {
                let (template, response, uri) = match cursor {
                    Cursor::First(request) => {
                        let response = client.send(request.clone()).await?;
                        (request, response, None)
                    }
                    Cursor::Next { template, uri } => {
                        let response = client.send_next_page(&template, &uri).await?;
                        (template, response, Some(uri))
                    }
                    Cursor::Done => return Ok(None),
                };
                let page = response.page()?;
                let next = match page.meta.next() {
                    Some(next) if Some(next) == uri.as_deref() => {
                        // A server that links a page to itself would make the stream endless.
                        return Err(Error::new(
                            ErrorKind::Decode,
                            "the next page uri repeats the page just read",
                        )
                        .with_attempts(response.attempts()));
                    }
                    Some(next) => Cursor::Next {
                        template,
                        uri: next.to_owned(),
                    },
                    None => Cursor::Done,
                };
                Ok(Some((page, next)))
            }
        })
    }

    /// Every item of every page of a list, in order; see [`Client::pages`]. An XML item is an
    /// object of its child elements' texts.
    pub fn items(
        &self,
        request: Request,
    ) -> impl Stream<Item = Result<serde_json::Value, Error>> + Send + 'static {
        self.pages(request)
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}
