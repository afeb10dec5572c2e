//! The HTTP face of Predictor Fut BR: the prediction API (by club name, and the original system's
//! 16-feature contract), club/model/run listings, health, Prometheus metrics, OpenAPI with its
//! docs page, admin routes, and hot swap of the champion model without a restart.
//!
//! Invariants:
//! - Every answer is computed by exactly one [`ServedModel`], taken once per request from an
//!   [`ArcSwapOption`]; a swap replaces the whole model, so no answer mixes two versions and
//!   in-flight requests finish on the model they started with.
//! - The server only reads the lake, except admin routes (which call the pipeline's own jobs) and
//!   the in-process watcher (the same loop as `futbr watch`).
//! - No request can panic the server: inputs are validated into [`error::ApiError`]s.

pub mod api;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod settings;
pub mod web;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use axum::Router;
use futbr_lake::Lake;
use futbr_pipeline::feed::FeedOptions;
use futbr_pipeline::serving::ServedModel;
use futbr_pipeline::watch::WatchOptions;
use tokio::net::TcpListener;
use tokio::sync::watch as signal;

pub use error::ApiError;
pub use settings::{LogFormat, Settings};

/// What every handler shares.
pub struct AppInner {
    pub lake: Lake,
    /// The champion being served; `None` until the first one is loaded.
    pub served: ArcSwapOption<ServedModel>,
    pub metrics: metrics::Metrics,
    pub settings: Settings,
    /// How admin-started runs train (the same recipe as the watcher's).
    pub watch: WatchOptions,
    /// Feeds followed into raw/ (none by default).
    pub feeds: FeedOptions,
    pub started: Instant,
}

/// Shared state of the server (cheap to clone).
#[derive(Clone)]
pub struct AppState(pub Arc<AppInner>);

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    /// A server's state; it follows no feed.
    pub fn new(lake: Lake, settings: Settings, watch: WatchOptions) -> AppState {
        let no_feeds = FeedOptions {
            urls: Vec::new(),
            ..FeedOptions::default()
        };
        AppState::with_feeds(lake, settings, watch, no_feeds)
    }

    /// A server's state that also follows `feeds` into raw/ while serving.
    pub fn with_feeds(
        lake: Lake,
        settings: Settings,
        watch: WatchOptions,
        feeds: FeedOptions,
    ) -> AppState {
        AppState(Arc::new(AppInner {
            lake,
            served: ArcSwapOption::empty(),
            metrics: metrics::Metrics::default(),
            settings,
            watch,
            feeds,
            started: Instant::now(),
        }))
    }

    /// The model serving now, if any.
    pub fn model(&self) -> Option<Arc<ServedModel>> {
        self.served.load_full()
    }

    /// Loads the champion if the pointer changed since the served one was loaded; returns the
    /// newly served version, if it swapped.
    pub async fn reload(&self) -> Result<Option<String>, futbr_pipeline::PipelineError> {
        let current = self.model();
        let etag = current.as_ref().and_then(|m| m.pointer_etag.clone());
        if current.is_some()
            && !futbr_pipeline::serving::champion_changed(&self.lake, etag.as_deref()).await?
        {
            return Ok(None);
        }
        let Some(loaded) = ServedModel::load(&self.lake).await? else {
            return Ok(None);
        };
        if let Some(current) = &current {
            if current.version() == loaded.version() && current.pointer_etag == loaded.pointer_etag
            {
                return Ok(None);
            }
        }
        let version = loaded.version().to_string();
        self.metrics
            .model_swapped(&version, loaded.artifact().candidate.name());
        tracing::info!(
            version = %version,
            previous = current.as_ref().map(|m| m.version()).unwrap_or("none"),
            "serving a new champion"
        );
        self.served.store(Some(Arc::new(loaded)));
        Ok(Some(version))
    }

    /// Refreshes the last-run metrics from the newest run record.
    pub async fn refresh_run_metrics(&self) {
        match futbr_pipeline::runs::list_runs(&self.lake).await {
            Ok(runs) => {
                if let Some(last) = runs.last() {
                    self.metrics.run_seen(last);
                }
            }
            Err(e) => tracing::debug!("cannot list runs for metrics: {e}"),
        }
    }
}

/// The full application: API routes with their middleware.
pub fn router(state: AppState) -> Router {
    api::router(state)
}

/// A server bound to its address, not yet serving.
pub struct BoundServer {
    pub listener: TcpListener,
    pub state: AppState,
}

impl BoundServer {
    /// Binds the configured address (port 0 picks a free one).
    pub async fn bind(state: AppState) -> std::io::Result<BoundServer> {
        let listener = TcpListener::bind(state.settings.bind_addr()).await?;
        Ok(BoundServer { listener, state })
    }

    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and stops the
    /// background tasks (the reloader, and the watcher if on, after its current run).
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let BoundServer { listener, state } = self;
        let (stop_tx, stop_rx) = signal::channel(false);
        // The champion already in the lake is served before anything else happens.
        if let Err(e) = state.reload().await {
            tracing::warn!("cannot load the champion yet: {e}");
        }
        state.refresh_run_metrics().await;
        let reloader = tokio::spawn(reload_loop(state.clone(), stop_rx.clone()));
        // A watcher that cannot work (e.g. a bootstrap source that does not exist) stops the
        // server with its error instead of leaving it unready forever.
        let (fatal_tx, mut fatal_rx) = signal::channel::<Option<String>>(None);
        let watcher = (!state.settings.no_watch).then(|| {
            let state = state.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let stopped = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                if let Err(e) =
                    futbr_pipeline::watch::watch(&state.lake, &state.watch, stopped).await
                {
                    tracing::error!("the raw/ watcher stopped: {e}");
                    let _ = fatal_tx.send(Some(e.to_string()));
                }
            })
        });
        // Feeds land in raw/ as new objects, which the watcher (here or in the cloud) picks up.
        let follower = (!state.feeds.urls.is_empty()).then(|| {
            let state = state.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let stopped = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                futbr_pipeline::feed::follow(&state.lake, &state.feeds, stopped).await;
            })
        });
        let app = router(state.clone());
        let mut fatal_seen = fatal_rx.clone();
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                tokio::select! {
                    _ = shutdown => {}
                    // Without a watcher the sender is gone at once: that is no failure.
                    Ok(_) = fatal_seen.wait_for(|f| f.is_some()) => {}
                }
                tracing::info!("shutting down: finishing in-flight requests");
            })
            .await;
        let _ = stop_tx.send(true);
        let _ = reloader.await;
        if let Some(f) = follower {
            let _ = f.await;
        }
        if let Some(w) = watcher {
            // A run in progress finishes (or its lease expires if this wait is cut short).
            let _ = tokio::time::timeout(Duration::from_secs(60), w).await;
        }
        let fatal = fatal_rx.borrow_and_update().clone();
        match fatal {
            Some(e) => Err(std::io::Error::other(format!(
                "the raw/ watcher stopped: {e}"
            ))),
            None => result,
        }
    }
}

/// Checks the champion pointer every `reload_interval` and swaps in a new model.
async fn reload_loop(state: AppState, mut stop: signal::Receiver<bool>) {
    let every = state.settings.reload_every();
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tokio::time::sleep(every) => {}
        }
        ticks += 1;
        match state.reload().await {
            Ok(Some(_)) => state.refresh_run_metrics().await,
            Ok(None) => {}
            Err(e) => tracing::warn!("cannot check the champion: {e}"),
        }
        // Run records change without a swap (failed or up-to-date runs): every ~5 s.
        if ticks.is_multiple_of(((5.0 / every.as_secs_f64()).ceil() as u64).max(1)) {
            state.refresh_run_metrics().await;
        }
    }
}
