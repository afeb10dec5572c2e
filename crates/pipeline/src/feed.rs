//! The feed follower: keeps a lake current by polling match-result feeds (such as
//! football-data.co.uk's `new/BRA.csv`) and saving every changed version into `raw/`.
//!
//! - Each feed is polled every [`FeedOptions::interval`] with a conditional request
//!   (`If-None-Match` with the last ETag, `If-Modified-Since` with the last `Last-Modified`); a
//!   `304 Not Modified` is no change. A server that ignores them is caught by the body's
//!   SHA-256, compared with the last version saved.
//! - A changed body is validated like any input; a file that is not a match CSV (an HTML error
//!   page, a truncated download rejected whole) is a failure, not saved. A valid one is saved
//!   create-only as a new object `raw/feeds/<feed>-<UTC time>.csv`: `raw/` stays append-only and
//!   keeps the history of what was downloaded when. The watcher then sees a new object and runs
//!   the loop, as for any upload.
//! - A failure (network, HTTP status, invalid file, store) is logged and the feed retried after
//!   [`FeedOptions::backoff`], doubling up to the interval; nothing stops the follower but its
//!   shutdown.
//! - After a restart the last SHA-256 of each feed is read back from its newest object in
//!   `raw/feeds/`, so an unchanged feed is not saved again.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_lake::{keys, Lake};
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::StatusCode;

use crate::sha256_hex;

/// The folder of `raw/` feed versions are saved in.
pub const FEEDS_FOLDER: &str = "feeds/";

/// Settings of the follower.
#[derive(Debug, Clone)]
pub struct FeedOptions {
    /// The feeds' http(s) URLs.
    pub urls: Vec<String>,
    /// Time between two polls of a feed that answered.
    pub interval: Duration,
    /// First delay before retrying a feed that failed; doubled on each failure, up to `interval`.
    pub backoff: Duration,
    /// Time limit of one request.
    pub timeout: Duration,
}

impl Default for FeedOptions {
    fn default() -> Self {
        FeedOptions {
            urls: Vec::new(),
            interval: DEFAULT_INTERVAL,
            backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
        }
    }
}

/// Six hours: football-data.co.uk updates its files every few days.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(6 * 3600);

/// What one poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// `304 Not Modified`.
    NotModified,
    /// A body identical (SHA-256) to the last version saved.
    Unchanged,
    /// A new version, saved under this key.
    Saved(String),
}

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("feed {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("feed {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("feed {url} is not a valid match file: {reason}")]
    Invalid { url: String, reason: String },
    #[error("feed {url}: cannot save into the lake: {reason}")]
    Store { url: String, reason: String },
}

/// One feed's state between polls.
#[derive(Debug, Clone)]
pub struct Feed {
    pub url: String,
    /// The object name prefix of its versions in `raw/feeds/`.
    pub name: String,
    etag: Option<String>,
    last_modified: Option<String>,
    /// SHA-256 of the last version saved.
    sha256: Option<String>,
    failures: u32,
}

impl Feed {
    /// A feed not polled yet; `name` comes from the URL (`www.football-data.co.uk/new/BRA.csv`
    /// → `www.football-data.co.uk_new_BRA`).
    pub fn new(url: &str) -> Feed {
        let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let without_query = without_scheme.split(['?', '#']).next().unwrap_or("");
        let stem = without_query
            .trim_end_matches('/')
            .trim_end_matches(".csv")
            .replace('/', "_");
        Feed {
            url: url.to_string(),
            name: keys::safe_file_name(&stem),
            etag: None,
            last_modified: None,
            sha256: None,
            failures: 0,
        }
    }

    /// Reads the SHA-256 of the newest saved version back from the lake (after a restart).
    pub async fn recall(&mut self, lake: &Lake) -> Result<(), futbr_lake::LakeError> {
        // Listing works by folder; the feed's own versions share a name prefix in it.
        let prefix = format!("{}{FEEDS_FOLDER}{}-", keys::RAW, self.name);
        let newest = lake
            .list(&format!("{}{FEEDS_FOLDER}", keys::RAW))
            .await?
            .into_iter()
            .filter(|o| o.key.starts_with(&prefix))
            .max_by(|a, b| a.key.cmp(&b.key));
        if let Some(object) = newest {
            self.sha256 = Some(sha256_hex(&lake.get(&object.key).await?));
        }
        Ok(())
    }

    /// Polls once: a conditional GET, then, for a changed and valid body, a new raw object.
    pub async fn poll(
        &mut self,
        lake: &Lake,
        client: &reqwest::Client,
        validate: &ValidateOptions,
    ) -> Result<PollOutcome, FeedError> {
        let url = self.url.clone();
        let mut request = client.get(&url);
        if let Some(etag) = &self.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &self.last_modified {
            request = request.header(IF_MODIFIED_SINCE, modified);
        }
        let fetch = |e: reqwest::Error| FeedError::Fetch {
            url: url.clone(),
            reason: e.to_string(),
        };
        let response = request.send().await.map_err(fetch)?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(PollOutcome::NotModified);
        }
        if !status.is_success() {
            return Err(FeedError::Status {
                url,
                status: status.as_u16(),
            });
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
        let body = response.bytes().await.map_err(fetch)?;
        let sha256 = sha256_hex(&body);
        if self.sha256.as_deref() == Some(sha256.as_str()) {
            (self.etag, self.last_modified) = (etag, last_modified);
            return Ok(PollOutcome::Unchanged);
        }
        let checked = validate_csv(&url, &body, validate);
        if let Some(why) = checked.report.rejected {
            return Err(FeedError::Invalid { url, reason: why });
        }
        let name = format!(
            "{}-{}.csv",
            self.name,
            chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ")
        );
        let added = lake
            .add_raw_in(FEEDS_FOLDER, &name, Bytes::clone(&body))
            .await
            .map_err(|e| FeedError::Store {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        // Remember the validators only once the version is safely saved.
        (self.etag, self.last_modified, self.sha256) = (etag, last_modified, Some(sha256));
        Ok(PollOutcome::Saved(added.key))
    }

    /// The delay before the next poll: the interval after an answer, a doubling backoff (capped
    /// at the interval) after failures.
    fn next_delay(&self, options: &FeedOptions) -> Duration {
        if self.failures == 0 {
            return options.interval;
        }
        let factor = 2u32.saturating_pow(self.failures.saturating_sub(1).min(20));
        options.backoff.saturating_mul(factor).min(options.interval)
    }
}

/// Follows every feed of `options` until `shutdown` completes; never returns an error: each
/// failure is logged and its feed retried with backoff.
pub async fn follow(lake: &Lake, options: &FeedOptions, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    if options.urls.is_empty() {
        return;
    }
    let client = match reqwest::Client::builder().timeout(options.timeout).build() {
        Ok(client) => client,
        Err(e) => {
            tracing::error!("feeds not followed: cannot build an HTTP client: {e}");
            return;
        }
    };
    let mut feeds: Vec<Feed> = options.urls.iter().map(|u| Feed::new(u)).collect();
    for feed in &mut feeds {
        if let Err(e) = feed.recall(lake).await {
            tracing::warn!(feed = %feed.url, "cannot read its saved versions back: {e}");
        }
    }
    let start = tokio::time::Instant::now();
    let mut due: Vec<tokio::time::Instant> = vec![start; feeds.len()];
    loop {
        let (next, at) = due
            .iter()
            .enumerate()
            .min_by_key(|(_, at)| **at)
            .map(|(i, at)| (i, *at))
            .unwrap_or((0, start));
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep_until(at) => {}
        }
        let feed = &mut feeds[next];
        // The club table may have been extended in the lake since the last poll.
        let validate = match crate::clubs::load(lake).await {
            Ok(clubs) => ValidateOptions {
                clubs: Some(clubs),
                ..ValidateOptions::default()
            },
            Err(e) => {
                tracing::warn!("club table unreadable, feed validated without it: {e}");
                ValidateOptions::default()
            }
        };
        match feed.poll(lake, &client, &validate).await {
            Ok(outcome) => {
                feed.failures = 0;
                match outcome {
                    PollOutcome::Saved(key) => {
                        tracing::info!(feed = %feed.url, key = %key, "new feed version saved into raw/")
                    }
                    other => tracing::debug!(feed = %feed.url, ?other, "feed unchanged"),
                }
            }
            Err(e) => {
                feed.failures += 1;
                tracing::warn!(
                    failures = feed.failures,
                    retry_in = ?feed.next_delay(options),
                    "{e}"
                );
            }
        }
        due[next] = tokio::time::Instant::now() + feed.next_delay(options);
    }
}

/// A duration as people write it: `6h`, `1h30m`, `90s`, `0.5s`.
pub fn describe_duration(d: Duration) -> String {
    let total = d.as_secs();
    if d.subsec_millis() != 0 || total == 0 {
        return format!("{}s", d.as_secs_f64());
    }
    let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60);
    let mut out = String::new();
    for (value, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if value > 0 {
            out.push_str(&format!("{value}{unit}"));
        }
    }
    out
}

/// Parses a duration such as `6h`, `30m`, `45s`, `1h30m` or a number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(seconds) = s.parse::<f64>() {
        return if seconds.is_finite() && seconds > 0.0 {
            Ok(Duration::from_secs_f64(seconds))
        } else {
            Err(format!("{s:?} is not a positive duration"))
        };
    }
    let mut total = 0.0;
    let mut number = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400.0,
            'h' => 3_600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return Err(format!("{s:?} is not a duration (e.g. 6h, 30m, 45s)")),
        };
        let value: f64 = number
            .parse()
            .map_err(|_| format!("{s:?} is not a duration (e.g. 6h, 30m, 45s)"))?;
        total += value * unit;
        number.clear();
    }
    if !number.is_empty() || total <= 0.0 || !total.is_finite() {
        return Err(format!("{s:?} is not a duration (e.g. 6h, 30m, 45s)"));
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_names_come_from_the_url() {
        assert_eq!(
            Feed::new("https://www.football-data.co.uk/new/BRA.csv").name,
            "www.football-data.co.uk_new_BRA"
        );
        assert_eq!(
            Feed::new("http://127.0.0.1:8080/x.csv?y=1").name,
            "127.0.0.1_8080_x"
        );
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("6h"), Ok(Duration::from_secs(21_600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(describe_duration(Duration::from_secs(21_600)), "6h");
        assert_eq!(describe_duration(Duration::from_secs(5_430)), "1h30m30s");
        for bad in ["", "0", "-1", "6x", "h", "6h5"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_interval() {
        let options = FeedOptions {
            interval: Duration::from_secs(100),
            backoff: Duration::from_secs(10),
            ..FeedOptions::default()
        };
        let mut feed = Feed::new("http://x/y.csv");
        let delays: Vec<u64> = (0..6)
            .map(|failures| {
                feed.failures = failures;
                feed.next_delay(&options).as_secs()
            })
            .collect();
        assert_eq!(delays, [100, 10, 20, 40, 80, 100]);
    }
}
