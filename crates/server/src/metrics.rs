//! Prometheus metrics: requests and latency by route and status, the served model, the last run.

use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
    candidate: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    run_id: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    model: Family<VersionLabels, Gauge>,
    swaps: Counter,
    last_run: Family<RunLabels, Gauge>,
    step_seconds: Family<StepLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    /// Serialises the clear-then-set of the info-style families.
    info_lock: Mutex<()>,
}

fn latency_histogram() -> Histogram {
    // 50 µs to ~3 s.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.00005, 2.0, 16,
    ))
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("futbr");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency =
            Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let model = Family::<VersionLabels, Gauge>::default();
        let swaps = Counter::default();
        let last_run = Family::<RunLabels, Gauge>::default();
        let step_seconds = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route",
            latency.clone(),
        );
        registry.register(
            "model_info",
            "The model version being served (value 1)",
            model.clone(),
        );
        registry.register("model_swaps", "Champion models swapped in", swaps.clone());
        registry.register(
            "last_run_info",
            "The latest pipeline run and its status (value 1)",
            last_run.clone(),
        );
        registry.register(
            "last_run_step_seconds",
            "Duration of each step of the latest pipeline run",
            step_seconds.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            model,
            swaps,
            last_run,
            step_seconds,
            info_lock: Mutex::new(()),
        }
    }
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// Records the model now served.
    pub fn model_swapped(&self, version: &str, candidate: &str) {
        let _guard = self.info_lock.lock().unwrap_or_else(|p| p.into_inner());
        self.model.clear();
        self.model
            .get_or_create(&VersionLabels {
                version: version.to_string(),
                candidate: candidate.to_string(),
            })
            .set(1);
        self.swaps.inc();
    }

    /// Records the latest run seen in the lake.
    pub fn run_seen(&self, run: &futbr_pipeline::runs::RunRecord) {
        let _guard = self.info_lock.lock().unwrap_or_else(|p| p.into_inner());
        self.last_run.clear();
        self.last_run
            .get_or_create(&RunLabels {
                run_id: run.run_id.clone(),
                status: format!("{:?}", run.status).to_lowercase(),
            })
            .set(1);
        self.step_seconds.clear();
        for s in &run.steps {
            if let Some(f) = s.finished_at {
                let seconds = (f - s.started_at).num_milliseconds() as f64 / 1000.0;
                self.step_seconds
                    .get_or_create(&StepLabels {
                        step: s.name.clone(),
                    })
                    .set(seconds);
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Middleware: counts every request and times it, labelled by the matched route (not the raw
/// path, so `/v1/clubs/{club}` is one series).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
