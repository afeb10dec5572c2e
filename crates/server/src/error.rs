//! The one error shape of the API: `{"error": {"code", "message", "details"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futbr_pipeline::serving::QueryError;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// An error answer: an HTTP status, a stable machine code, a sentence for people, and details.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `unknown_club`.
    pub code: String,
    /// One sentence for people.
    pub message: String,
    /// Structured details (e.g. `closest` names, the `field` at fault).
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A request naming a field that is missing or wrong.
    pub fn bad_field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_field", message)
            .with_details(json!({ "field": field }))
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// No champion is loaded yet.
    pub fn not_ready() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "no model is being served yet: the first pipeline run has not promoted a champion",
        )
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> ApiError {
        let message = e.to_string();
        match e {
            QueryError::UnknownClub(u) => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_club", message)
                    .with_details(json!({ "name": u.name, "closest": u.closest }))
            }
            QueryError::NewClubNotAllowed { name } => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_club", message)
                    .with_details(json!({ "name": name, "closest": [], "hint": "new_club=true" }))
            }
            QueryError::SameClub { club } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "same_club", message)
                    .with_details(json!({ "club": club }))
            }
            QueryError::EmptyClub => ApiError::bad_field("home", message),
            QueryError::DateNotAfterTraining {
                date,
                trained_through,
            } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "date_already_known",
                message,
            )
            .with_details(json!({ "date": date, "trained_through": trained_through })),
            QueryError::NotFinite { name, .. } => ApiError::bad_field(&name, message),
            QueryError::Model(_) => ApiError::internal(message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Not ready is the expected answer while the first champion trains (readiness probes
        // ask every few seconds): worth a line, not an error.
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::info!(code = self.code, message = %self.message, "request refused");
        } else if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let body = json!({
            "error": { "code": self.code, "message": self.message, "details": self.details }
        });
        (self.status, Json(body)).into_response()
    }
}
