//! The feed follower against a real HTTP server on 127.0.0.1 (started here) whose files change
//! between polls: changed versions land in raw/ as new objects, unchanged ones do not (ETag,
//! and SHA-256 for a server without validators), failures are retried and never stop it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futbr_lake::Lake;
use futbr_pipeline::feed::{follow, FeedOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const HEADER: &str =
    "Country,League,Season,Date,Time,Home,Away,HG,AG,Res,PSCH,PSCD,PSCA,AvgCH,AvgCD,AvgCA\r\n";
const ROW1: &str =
    "Brazil,Serie A,2024,13/04/2024,22:00,Flamengo RJ,Vasco,2,1,H,1.5,4.2,7,1.48,4.1,6.5\r\n";
const ROW2: &str =
    "Brazil,Serie A,2024,14/04/2024,20:00,Palmeiras,Sport Recife,1,1,D,1.6,3.9,6,1.55,3.8,5.8\r\n";

/// One file the server serves.
#[derive(Clone, Default)]
struct Resource {
    body: String,
    /// None: the server sends no validators and ignores conditional headers.
    etag: Option<String>,
    /// Answer this many requests with HTTP 500 first.
    failures_left: u32,
    /// Answer with an HTML page (a 200 that is not a match file) this many times.
    html_left: u32,
}

#[derive(Clone, Default)]
struct Server {
    resources: Arc<Mutex<HashMap<String, Resource>>>,
    /// (path, status) of every request, in order.
    log: Arc<Mutex<Vec<(String, u16)>>>,
}

impl Server {
    fn set(&self, path: &str, resource: Resource) {
        self.resources
            .lock()
            .unwrap()
            .insert(path.to_string(), resource);
    }

    fn statuses(&self, path: &str) -> Vec<u16> {
        let log = self.log.lock().unwrap();
        log.iter()
            .filter(|(p, _)| p == path)
            .map(|(_, s)| *s)
            .collect()
    }

    async fn start(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = self.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                        if request.len() > 64 * 1024 {
                            return;
                        }
                    }
                    let text = String::from_utf8_lossy(&request).to_string();
                    let path = text.split(' ').nth(1).unwrap_or("").to_string();
                    let if_none_match = text.lines().find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("if-none-match")
                            .then(|| value.trim().to_string())
                    });
                    let (status, headers, body) = server.answer(&path, if_none_match);
                    server.log.lock().unwrap().push((path, status));
                    let response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        format!("http://{address}")
    }

    fn answer(&self, path: &str, if_none_match: Option<String>) -> (u16, String, String) {
        let mut resources = self.resources.lock().unwrap();
        let Some(r) = resources.get_mut(path) else {
            return (404, String::new(), "not found".into());
        };
        if r.failures_left > 0 {
            r.failures_left -= 1;
            return (500, String::new(), "boom".into());
        }
        if r.html_left > 0 {
            r.html_left -= 1;
            return (
                200,
                String::new(),
                "<html><body>maintenance</body></html>".into(),
            );
        }
        match &r.etag {
            Some(etag) if if_none_match.as_deref() == Some(etag.as_str()) => {
                (304, format!("ETag: {etag}\r\n"), String::new())
            }
            Some(etag) => (200, format!("ETag: {etag}\r\n"), r.body.clone()),
            None => (200, String::new(), r.body.clone()),
        }
    }
}

async fn feed_objects(lake: &Lake, name: &str) -> Vec<String> {
    let mut keys: Vec<String> = lake
        .list("raw/feeds/")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .filter(|k| k.contains(name))
        .collect();
    keys.sort();
    keys
}

/// Waits (at most 10 s) until `check` holds.
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..1000 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_feeds_land_in_raw_unchanged_ones_do_not_and_failures_are_retried() {
    let server = Server::default();
    let base = server.start().await;
    let v1 = format!("\u{feff}{HEADER}{ROW1}");
    let v2 = format!("\u{feff}{HEADER}{ROW1}{ROW2}");
    server.set(
        "/bra.csv",
        Resource {
            body: v1.clone(),
            etag: Some("\"v1\"".into()),
            ..Resource::default()
        },
    );
    server.set(
        "/plain.csv",
        Resource {
            body: v1.clone(),
            ..Resource::default()
        },
    );
    server.set(
        "/flaky.csv",
        Resource {
            body: v1.clone(),
            failures_left: 2,
            html_left: 1,
            ..Resource::default()
        },
    );
    let lake = Lake::open("memory://").unwrap();
    let options = FeedOptions {
        urls: ["/bra.csv", "/plain.csv", "/flaky.csv", "/missing.csv"]
            .iter()
            .map(|p| format!("{base}{p}"))
            .collect(),
        interval: Duration::from_millis(50),
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let driver = async {
        until("the first version is saved", async || {
            feed_objects(&lake, "bra").await.len() == 1
        })
        .await;
        until("three conditional polls answered 304", async || {
            server
                .statuses("/bra.csv")
                .iter()
                .filter(|s| **s == 304)
                .count()
                >= 3
        })
        .await;
        assert_eq!(server.statuses("/bra.csv")[0], 200);
        assert_eq!(
            feed_objects(&lake, "bra").await.len(),
            1,
            "304 saves nothing"
        );

        // The feed changes between polls: a second object, the first kept as it was.
        server.set(
            "/bra.csv",
            Resource {
                body: v2.clone(),
                etag: Some("\"v2\"".into()),
                ..Resource::default()
            },
        );
        until("the changed version is saved", async || {
            feed_objects(&lake, "bra").await.len() == 2
        })
        .await;
        let keys = feed_objects(&lake, "bra").await;
        assert_eq!(lake.get(&keys[0]).await.unwrap(), v1.as_bytes());
        assert_eq!(lake.get(&keys[1]).await.unwrap(), v2.as_bytes());

        // Without validators, the body's SHA-256 says it did not change.
        until("the plain feed was polled five times", async || {
            server.statuses("/plain.csv").len() >= 5
        })
        .await;
        assert_eq!(feed_objects(&lake, "plain").await.len(), 1);

        // Two HTTP 500s and an HTML page, then the file: retried, then saved.
        until("the flaky feed recovers", async || {
            feed_objects(&lake, "flaky").await.len() == 1
        })
        .await;
        assert_eq!(&server.statuses("/flaky.csv")[..4], [500, 500, 200, 200]);
        // A feed that always fails keeps being retried and stops nothing.
        assert!(server.statuses("/missing.csv").len() >= 3);
        let _ = stop.send(());
    };
    tokio::time::timeout(
        Duration::from_secs(30),
        futures_join(
            follow(&lake, &options, async {
                let _ = stopped.await;
            }),
            driver,
        ),
    )
    .await
    .expect("the follower stops on shutdown");

    // A restarted follower recalls the last version: an unchanged feed is not saved again.
    let restarted = FeedOptions {
        urls: vec![format!("{base}/plain.csv")],
        ..options.clone()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let polls_before = server.statuses("/plain.csv").len();
    let driver = async {
        until("the restarted follower polled", async || {
            server.statuses("/plain.csv").len() >= polls_before + 2
        })
        .await;
        let _ = stop.send(());
    };
    futures_join(
        follow(&lake, &restarted, async {
            let _ = stopped.await;
        }),
        driver,
    )
    .await;
    assert_eq!(feed_objects(&lake, "plain").await.len(), 1);
}

async fn futures_join(
    a: impl std::future::Future<Output = ()>,
    b: impl std::future::Future<Output = ()>,
) {
    tokio::join!(a, b);
}
