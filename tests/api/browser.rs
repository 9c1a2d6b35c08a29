//! A scripted user agent over HTTP: follows the hosted pages the way a person would (GET the
//! page, fill in the form with its hidden fields, POST), with cookies and no automatic
//! redirects so each step can be asserted. Real-browser tests come with the console work.

use reqwest::{header, StatusCode};

pub struct Browser {
    pub client: reqwest::Client,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
    pub headers: header::HeaderMap,
}

impl Page {
    /// The value of a hidden (or any) input named `name`.
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.html.find(&marker)? + marker.len();
        let end = self.html[start..].find('"')? + start;
        Some(
            self.html[start..end]
                .replace("&amp;", "&")
                .replace("&#38;", "&"),
        )
    }

    /// The form's action URL.
    pub fn form_action(&self) -> Option<String> {
        let start = self.html.find("action=\"")? + 8;
        let end = self.html[start..].find('"')? + start;
        Some(self.html[start..end].to_owned())
    }

    pub fn query_param(&self, name: &str) -> Option<String> {
        let location = url::Url::parse(self.location.as_deref()?).ok()?;
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .expect("client"),
        }
    }
}

impl Browser {
    /// A browser whose requests reach Tessera through a trusted proxy that reports `address`
    /// as the client (apps configured with `server.trusted_proxies = ["127.0.0.1"]`): many
    /// simulated users need not share one rate-limit bucket.
    pub fn at(address: &str) -> Browser {
        Browser::with_header("x-forwarded-for", address)
    }

    fn with_header(name: &'static str, value: &str) -> Browser {
        let mut headers = header::HeaderMap::new();
        headers.insert(
            name,
            header::HeaderValue::from_str(value).expect("a header value"),
        );
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .default_headers(headers)
                .build()
                .expect("client"),
        }
    }

    /// A browser whose user prefers these languages (`Accept-Language`).
    pub fn speaking(accept_language: &str) -> Browser {
        Browser::with_header("accept-language", accept_language)
    }

    async fn page(response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let html = response.text().await.unwrap_or_default();
        Page {
            status,
            location,
            html,
            headers,
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        Self::page(self.client.get(url).send().await.expect("GET")).await
    }

    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Page {
        Self::page(self.client.post(url).form(form).send().await.expect("POST")).await
    }

    /// Submits the page's form with its hidden fields plus `fields`.
    pub async fn submit(&self, page: &Page, fields: &[(&str, &str)]) -> Page {
        let action = page.form_action().expect("a form");
        let mut form: Vec<(String, String)> = Vec::new();
        for hidden in [
            "csrf_token",
            "request",
            "next",
            "challenge",
            "token",
            "id_token_hint",
            "post_logout_redirect_uri",
            "state",
            "client_id",
        ] {
            if let Some(value) = page.field(hidden) {
                form.push((hidden.to_owned(), value));
            }
        }
        form.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post(&action, &pairs).await
    }

    /// Follows same-site redirects until a page or a redirect to `stop_prefix`.
    pub async fn follow(&self, mut page: Page, stop_prefix: &str) -> Page {
        for _ in 0..10 {
            match page.location.clone() {
                Some(location) if !location.starts_with(stop_prefix) => {
                    page = self.get(&location).await
                }
                _ => return page,
            }
        }
        page
    }
}
