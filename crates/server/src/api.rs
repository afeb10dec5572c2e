//! The routes: JSON in, JSON out, every error in the one shape of [`crate::error`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_lake::registry::{Champion, Manifest, Registry};
use futbr_pipeline::runs::RunRecord;
use futbr_pipeline::serving::{
    ClubEntry, ClubSummary, FixtureQuery, OriginalPrediction, Prediction, ServedModel,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use tower_http::timeout::TimeoutLayer;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::settings::MAX_BATCH;
use crate::AppState;

/// The response header naming the model version that computed an answer.
pub const MODEL_VERSION_HEADER: &str = "x-model-version";

/// Every route, with metrics, body limit and timeout.
pub fn router(state: AppState) -> Router {
    let mut api = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/predict", post(predict_original))
        .route("/v1/predict", get(predict_one).post(predict_batch))
        .route("/v1/clubs", get(clubs))
        .route("/v1/clubs/{club}", get(club))
        .route("/v1/models", get(models))
        .route("/v1/models/{version}", get(model))
        .route("/v1/runs", get(runs))
        .route("/v1/runs/{run_id}", get(run));
    if state.settings.admin_token().is_some() {
        let admin = Router::new()
            .route("/v1/admin/uploads", post(crate::api::admin::upload))
            .route("/v1/admin/runs", post(crate::api::admin::start_run))
            .route(
                "/v1/admin/models/{version}/promote",
                post(crate::api::admin::promote),
            )
            .route("/v1/admin/rollback", post(crate::api::admin::rollback))
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                admin::require_token,
            ));
        api = api.merge(admin);
    }
    api.merge(crate::openapi::routes())
        .merge(crate::web::routes(&state))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(state.settings.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            state.settings.timeout(),
        ))
        .with_state(state)
}

async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(format!(
        "no route {} {}",
        request.method(),
        request.uri().path()
    ))
}

/// The model serving, or 503.
fn served(state: &AppState) -> Result<Arc<ServedModel>, ApiError> {
    state.model().ok_or_else(ApiError::not_ready)
}

/// A JSON answer stamped with the model version that computed it.
fn stamped<T: Serialize>(version: &str, body: &T) -> Response {
    let mut response = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(version) {
        response.headers_mut().insert(MODEL_VERSION_HEADER, v);
    }
    response
}

/// Parses a date as `YYYY-MM-DD` or `dd/mm/yyyy`.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, ApiError> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map_err(|_| {
            ApiError::bad_field(
                field,
                format!("{field} {text:?} is not a date (YYYY-MM-DD or dd/mm/yyyy)"),
            )
        })
}

fn query_error(e: QueryRejection) -> ApiError {
    ApiError::bad_request(format!("invalid query string: {}", e.body_text()))
}

fn json_error(e: JsonRejection) -> ApiError {
    match e {
        JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                b.body_text(),
            )
        }
        other => ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", other.body_text()),
    }
}

// ---------------------------------------------------------------- health

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub uptime_seconds: f64,
}

/// The process is alive.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        uptime_seconds: state.started.elapsed().as_secs_f64(),
    })
}

/// Readiness: a champion is loaded.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    pub status: &'static str,
    pub version: String,
    pub trained_through: NaiveDate,
}

/// Ready when a champion is loaded (503 until then).
#[utoipa::path(get, path = "/ready", tag = "health", responses(
    (status = 200, body = Ready), (status = 503, body = ErrorBody)))]
pub async fn ready(State(state): State<AppState>) -> Result<Response, ApiError> {
    let m = served(&state)?;
    Ok(stamped(
        m.version(),
        &Ready {
            status: "ready",
            version: m.version().to_string(),
            trained_through: m.artifact().trained_through,
        },
    ))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "health", responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

// ---------------------------------------------------------------- predictions

/// A fixture question in a query string.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PredictParams {
    /// Home club, as people type it ("sao paulo", "São Paulo" and "SAO PAULO" all match).
    pub home: Option<String>,
    /// Away club.
    pub away: Option<String>,
    /// Match day (YYYY-MM-DD or dd/mm/yyyy); default: today, or the day after the champion's
    /// latest match if that is later.
    pub date: Option<String>,
    /// Accept a club without history (newcomer priors are used and the answer says so).
    pub new_club: Option<bool>,
}

/// One fixture of a batch.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FixtureRequest {
    pub home: String,
    pub away: String,
    /// YYYY-MM-DD or dd/mm/yyyy.
    pub date: Option<String>,
    #[serde(default)]
    pub new_club: bool,
}

/// A batch of fixtures (at most 1000).
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchRequest {
    pub fixtures: Vec<FixtureRequest>,
}

/// The answers to a batch, all from one model version.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    pub model_version: String,
    #[schema(value_type = Vec<Object>)]
    pub predictions: Vec<Prediction>,
}

fn fixture_query(
    home: Option<String>,
    away: Option<String>,
    date: Option<&str>,
    new_club: bool,
    prefix: &str,
) -> Result<FixtureQuery, ApiError> {
    let home = home
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| ApiError::bad_field(&format!("{prefix}home"), "home club is missing"))?;
    let away = away
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| ApiError::bad_field(&format!("{prefix}away"), "away club is missing"))?;
    let date = date
        .filter(|d| !d.trim().is_empty())
        .map(|d| parse_date(&format!("{prefix}date"), d))
        .transpose()?;
    Ok(FixtureQuery {
        home,
        away,
        date,
        new_club,
    })
}

fn log_warnings(p: &Prediction) {
    for w in &p.warnings {
        tracing::warn!(home = %p.home.name, away = %p.away.name, date = %p.date, "{w}");
    }
}

/// The champion's probabilities for one fixture, by club name.
#[utoipa::path(get, path = "/v1/predict", tag = "predictions", params(PredictParams), responses(
    (status = 200, description = "Probabilities, most likely outcome, the model (`version`, `candidate`, `trained_through`, `closing_odds_in_training`: `{used, matches}`, since the same candidate name is a different model with and without odds), `market` (market candidates: `home_rating`, `away_rating`, `home_advantage`, `difference`, `home_expectation`: what the model read), the feature engine's 44 features, warnings", body = Object),
    (status = 400, body = ErrorBody), (status = 404, description = "Unknown club, with the closest names", body = ErrorBody),
    (status = 422, description = "Same club twice, or a date the champion already knows", body = ErrorBody),
    (status = 503, body = ErrorBody)))]
pub async fn predict_one(
    State(state): State<AppState>,
    params: Result<Query<PredictParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(query_error)?;
    let query = fixture_query(
        p.home,
        p.away,
        p.date.as_deref(),
        p.new_club.unwrap_or(false),
        "",
    )?;
    let model = served(&state)?;
    let prediction = model.predict(&query)?;
    log_warnings(&prediction);
    Ok(stamped(model.version(), &prediction))
}

/// The champion's probabilities for a batch of fixtures (at most 1000), all from one version.
#[utoipa::path(post, path = "/v1/predict", tag = "predictions", request_body = BatchRequest, responses(
    (status = 200, body = BatchResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn predict_batch(
    State(state): State<AppState>,
    body: Result<Json<BatchRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(batch) = body.map_err(json_error)?;
    if batch.fixtures.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "{} fixtures in one batch; at most {MAX_BATCH}",
                batch.fixtures.len()
            ),
        ));
    }
    let model = served(&state)?;
    let mut predictions = Vec::with_capacity(batch.fixtures.len());
    for (i, f) in batch.fixtures.into_iter().enumerate() {
        let prefix = format!("fixtures[{i}].");
        let query = fixture_query(
            Some(f.home),
            Some(f.away),
            f.date.as_deref(),
            f.new_club,
            &prefix,
        )?;
        let p = model.predict(&query).map_err(|e| {
            let mut e = ApiError::from(e);
            if let Value::Object(map) = &mut e.details {
                map.insert("index".into(), json!(i));
            }
            e.message = format!("fixture {i}: {}", e.message);
            e
        })?;
        log_warnings(&p);
        predictions.push(p);
    }
    Ok(stamped(
        model.version(),
        &BatchResponse {
            model_version: model.version().to_string(),
            predictions,
        },
    ))
}

/// The original system's request: its 16 features by their original names.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct OriginalRequest {
    pub form_gols_feitos_mandante: f64,
    pub form_gols_sofridos_mandante: f64,
    pub form_pontos_mandante: f64,
    pub form_gols_feitos_visitante: f64,
    pub form_gols_sofridos_visitante: f64,
    pub form_pontos_visitante: f64,
    pub eh_classico: f64,
    pub mandante_def: f64,
    pub mandante_mid: f64,
    pub mandante_att: f64,
    pub visitante_def: f64,
    pub visitante_mid: f64,
    pub visitante_att: f64,
    pub diff_def: f64,
    pub diff_mid: f64,
    pub diff_att: f64,
}

/// Reads the 16 original features from a JSON body, naming the field at fault.
pub fn original_features(body: &[u8]) -> Result<[f64; 16], ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(ApiError::bad_request(
            "the body must be a JSON object with the 16 features",
        ));
    };
    let mut out = [0.0; 16];
    for (slot, feature) in out.iter_mut().zip(futbr_features::ORIGINAL) {
        let name = feature.name();
        let v = map
            .get(name)
            .ok_or_else(|| ApiError::bad_field(name, format!("feature {name} is missing")))?;
        *slot = v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
            ApiError::bad_field(name, format!("feature {name} is {v}, not a finite number"))
        })?;
    }
    Ok(out)
}

/// The original system's contract: 16 features in, the class out (plus the probabilities),
/// answered by the logistic model on those features trained with the champion.
#[utoipa::path(post, path = "/predict", tag = "predictions", request_body = OriginalRequest, responses(
    (status = 200, body = Object, example = json!({"prediction_numeric": 0, "prediction_text": "Vitória do Mandante",
        "probabilities": {"home": 0.48, "draw": 0.28, "away": 0.24}, "model_version": "v20261129T053000000Z-1a2b"})),
    (status = 400, description = "Malformed JSON, or a missing or non-finite feature (named)", body = ErrorBody),
    (status = 503, body = ErrorBody)))]
pub async fn predict_original(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let features = original_features(&body)?;
    let model = served(&state)?;
    let answer: OriginalPrediction = model.predict_original(&features)?;
    Ok(stamped(model.version(), &answer))
}

// ---------------------------------------------------------------- clubs

/// The clubs the champion knows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClubList {
    pub model_version: String,
    #[schema(value_type = Vec<Object>)]
    pub clubs: Vec<ClubEntry>,
}

/// Every club the champion knows, the latest season's first (marked).
#[utoipa::path(get, path = "/v1/clubs", tag = "clubs", responses((status = 200, body = ClubList), (status = 503, body = ErrorBody)))]
pub async fn clubs(State(state): State<AppState>) -> Result<Response, ApiError> {
    let model = served(&state)?;
    Ok(stamped(
        model.version(),
        &ClubList {
            model_version: model.version().to_string(),
            clubs: model.clubs(),
        },
    ))
}

/// One club: recent matches, form, ratings.
#[utoipa::path(get, path = "/v1/clubs/{club}", tag = "clubs",
    params(("club" = String, Path, description = "Club name, matched case- and accent-insensitively")),
    responses((status = 200, description = "Recent matches, form, `ratings` (after the club's latest match) and `for_next_match` (`date`, `elo`, `market`: what a prediction for the default match day reads, after the off-season pull toward the mean)", body = Object), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn club(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let model = served(&state)?;
    let summary: ClubSummary = model
        .club(&name)
        .map_err(|e| ApiError::from(futbr_pipeline::serving::QueryError::UnknownClub(e)))?;
    Ok(stamped(model.version(), &summary))
}

// ---------------------------------------------------------------- models and runs

/// A version in the registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelEntry {
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub manifest: Manifest,
    /// Whether it is the champion now.
    pub champion: bool,
}

/// The registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelList {
    #[schema(value_type = Object)]
    pub champion: Option<Champion>,
    /// Every published version, newest first.
    pub versions: Vec<ModelEntry>,
}

fn lake_error(e: futbr_lake::LakeError) -> ApiError {
    match e {
        futbr_lake::LakeError::NotFound { key } => {
            ApiError::not_found(format!("no object {key} in the lake"))
        }
        other => ApiError::internal(other.to_string()),
    }
}

/// A version id or run id as a path segment: letters, digits, `-`, `_`, `.` (no `..`).
fn safe_id(field: &str, id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && !id.contains("..")
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_field(
            field,
            format!("{field} {id:?} is not a valid id"),
        ))
    }
}

/// Every model version with its metrics, and the champion pointer.
#[utoipa::path(get, path = "/v1/models", tag = "models", responses((status = 200, body = ModelList), (status = 500, body = ErrorBody)))]
pub async fn models(State(state): State<AppState>) -> Result<Json<ModelList>, ApiError> {
    let registry = Registry::new(&state.lake);
    let champion = registry.champion().await.map_err(lake_error)?;
    let mut versions: Vec<ModelEntry> = registry
        .versions()
        .await
        .map_err(lake_error)?
        .into_iter()
        .map(|manifest| ModelEntry {
            champion: champion.as_ref().map(|c| &c.version) == Some(&manifest.version),
            manifest,
        })
        .collect();
    versions.reverse();
    Ok(Json(ModelList { champion, versions }))
}

/// One version: manifest (lineage, recipe, scores) and its evaluation report.
#[utoipa::path(get, path = "/v1/models/{version}", tag = "models",
    params(("version" = String, Path, description = "Version id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn model(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Json<Value>, ApiError> {
    safe_id("version", &version)?;
    let registry = Registry::new(&state.lake);
    let manifest = registry.manifest(&version).await.map_err(|e| match e {
        futbr_lake::LakeError::NotFound { .. } => {
            ApiError::not_found(format!("no model version {version}"))
        }
        other => lake_error(other),
    })?;
    let champion = registry.champion().await.map_err(lake_error)?;
    let report: Value = match registry.report(&version).await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    Ok(Json(json!({
        "manifest": manifest,
        "champion": champion.map(|c| c.version) == Some(version),
        "report": report,
    })))
}

/// Paging of the run list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsParams {
    /// At most this many runs, newest first (default 50, at most 1000).
    pub limit: Option<usize>,
}

/// Recent pipeline runs, newest first.
#[utoipa::path(get, path = "/v1/runs", tag = "runs", params(RunsParams), responses((status = 200, body = Vec<Object>)))]
pub async fn runs(
    State(state): State<AppState>,
    params: Result<Query<RunsParams>, QueryRejection>,
) -> Result<Json<Vec<RunRecord>>, ApiError> {
    let Query(p) = params.map_err(query_error)?;
    let limit = p.limit.unwrap_or(50).min(1000);
    let mut runs = futbr_pipeline::runs::list_runs(&state.lake)
        .await
        .map_err(lake_error)?;
    runs.reverse();
    runs.truncate(limit);
    Ok(Json(runs))
}

/// One pipeline run: trigger, steps with timings, gate, outcome.
#[utoipa::path(get, path = "/v1/runs/{run_id}", tag = "runs",
    params(("run_id" = String, Path, description = "Run id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    Path(run_id): Path<String>,
) -> Result<Json<RunRecord>, ApiError> {
    safe_id("run_id", &run_id)?;
    futbr_pipeline::runs::get_run(&state.lake, &run_id)
        .await
        .map(Json)
        .map_err(|e| match e {
            futbr_lake::LakeError::NotFound { .. } => {
                ApiError::not_found(format!("no run {run_id}"))
            }
            other => lake_error(other),
        })
}

// ---------------------------------------------------------------- admin

pub mod admin {
    //! Admin routes: present only when `FUTBR_ADMIN_TOKEN` is set; bearer token compared in
    //! constant time.

    use super::*;

    /// Rejects requests without the admin bearer token.
    pub async fn require_token(
        State(state): State<AppState>,
        request: Request,
        next: Next,
    ) -> Response {
        let expected = state.settings.admin_token().unwrap_or_default().as_bytes();
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .as_bytes();
        if expected.is_empty() || !bool::from(given.ct_eq(expected)) {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "admin routes need the header Authorization: Bearer <FUTBR_ADMIN_TOKEN>",
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
        next.run(request).await
    }

    /// Name of an uploaded file.
    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct UploadParams {
        /// File name in raw/ (default `upload-<UTC time>.csv`).
        pub name: Option<String>,
    }

    /// Validates a CSV body and adds it to raw/ (never overwriting); the watcher (or the cloud
    /// trigger) then runs the pipeline.
    #[utoipa::path(post, path = "/v1/admin/uploads", tag = "admin", params(UploadParams),
        request_body(content = String, content_type = "text/csv"),
        security(("bearer" = [])),
        responses((status = 201, description = "Added to raw/, with the validation report", body = Object),
            (status = 200, description = "The same bytes were already in raw/", body = Object),
            (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
            (status = 422, description = "The file was rejected whole (report included)", body = ErrorBody)))]
    pub async fn upload(
        State(state): State<AppState>,
        params: Result<Query<UploadParams>, QueryRejection>,
        body: Bytes,
    ) -> Result<Response, ApiError> {
        let Query(p) = params.map_err(query_error)?;
        let name = p.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| {
            format!(
                "upload-{}.csv",
                chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ")
            )
        });
        let checked = validate_csv(&name, &body, &ValidateOptions::default());
        let report = checked.report;
        if report.rejected.is_some() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "file_rejected",
                format!(
                    "{name} was rejected: {}",
                    report.rejected.clone().unwrap_or_default()
                ),
            )
            .with_details(json!({ "report": report })));
        }
        let added = state
            .lake
            .add_raw(&name, body)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let status = if added.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((
            status,
            Json(json!({ "key": added.key, "created": added.created, "report": report })),
        )
            .into_response())
    }

    /// Whether to wait for the run.
    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct RunParams {
        /// Answer when the run has finished, with its record (default: answer at once, 202).
        pub wait: Option<bool>,
    }

    /// Starts a pipeline run (409 while another run holds the lease).
    #[utoipa::path(post, path = "/v1/admin/runs", tag = "admin", params(RunParams), security(("bearer" = [])),
        responses((status = 202, description = "Started", body = Object), (status = 200, description = "Finished (wait=true)", body = Object),
            (status = 401, body = ErrorBody), (status = 409, description = "A run holds the lease", body = ErrorBody)))]
    pub async fn start_run(
        State(state): State<AppState>,
        params: Result<Query<RunParams>, QueryRejection>,
    ) -> Result<Response, ApiError> {
        let Query(p) = params.map_err(query_error)?;
        let busy = |run_id: String, expires_at: chrono::DateTime<chrono::Utc>| {
            ApiError::new(
                StatusCode::CONFLICT,
                "run_in_progress",
                format!("run {run_id} holds the lake's run lease until {expires_at}"),
            )
            .with_details(json!({ "run_id": run_id, "expires_at": expires_at }))
        };
        if let Some(holder) = state
            .lake
            .lease_holder()
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?
        {
            return Err(busy(holder.run_id, holder.expires_at));
        }
        let mut options = state.watch.pipeline.clone();
        options.trigger = "admin (POST /v1/admin/runs)".into();
        let task_state = state.clone();
        let task = tokio::spawn(async move {
            let result =
                futbr_pipeline::orchestrate::run_pipeline(&task_state.lake, &options).await;
            if let Err(e) = task_state.reload().await {
                tracing::warn!("cannot check the champion after the run: {e}");
            }
            task_state.refresh_run_metrics().await;
            result
        });
        if !p.wait.unwrap_or(false) {
            return Ok((
                StatusCode::ACCEPTED,
                Json(json!({ "status": "started", "runs": "/v1/runs" })),
            )
                .into_response());
        }
        match task.await {
            Ok(Ok(record)) => Ok(Json(record).into_response()),
            Ok(Err(futbr_pipeline::PipelineError::Busy { run_id, expires_at })) => {
                Err(busy(run_id, expires_at))
            }
            Ok(Err(e)) => Err(ApiError::internal(e.to_string())),
            Err(e) => Err(ApiError::internal(format!("the run task failed: {e}"))),
        }
    }

    /// Makes a published version the champion by hand (no gate); served at once.
    #[utoipa::path(post, path = "/v1/admin/models/{version}/promote", tag = "admin", security(("bearer" = [])),
        params(("version" = String, Path, description = "Version id")),
        responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
    pub async fn promote(
        State(state): State<AppState>,
        Path(version): Path<String>,
    ) -> Result<Json<Champion>, ApiError> {
        safe_id("version", &version)?;
        let champion = futbr_pipeline::promote::promote_by_hand(
            &state.lake,
            &version,
            "promoted by hand (POST /v1/admin/models/{version}/promote)",
        )
        .await
        .map_err(|e| match e {
            futbr_pipeline::PipelineError::Lake(futbr_lake::LakeError::NotFound { .. }) => {
                ApiError::not_found(format!("no model version {version}"))
            }
            other => ApiError::internal(other.to_string()),
        })?;
        swap_now(&state).await;
        Ok(Json(champion))
    }

    /// Makes the previous champion the champion again; served at once.
    #[utoipa::path(post, path = "/v1/admin/rollback", tag = "admin", security(("bearer" = [])),
        responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 409, description = "Nothing to roll back to", body = ErrorBody)))]
    pub async fn rollback(State(state): State<AppState>) -> Result<Json<Champion>, ApiError> {
        let champion = futbr_pipeline::promote::rollback(&state.lake)
            .await
            .map_err(|e| match e {
                futbr_pipeline::PipelineError::NothingToRollBack(why) => {
                    ApiError::new(StatusCode::CONFLICT, "nothing_to_roll_back", why)
                }
                other => ApiError::internal(other.to_string()),
            })?;
        swap_now(&state).await;
        Ok(Json(champion))
    }

    async fn swap_now(state: &AppState) {
        if let Err(e) = state.reload().await {
            tracing::warn!("cannot load the new champion: {e}");
        }
    }
}
