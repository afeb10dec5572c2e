//! The OpenAPI document, generated from the handlers' annotations, and its docs page (Swagger UI,
//! assets compiled into the binary: nothing is fetched at build or run time).

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::api;
use crate::AppState;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's OpenAPI 3 description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Predictor Fut BR",
        description = "Probabilities for Brazilian Série A matches from a self-updating champion model. Every prediction names the model version that computed it (body and `x-model-version` header). Errors share one shape: `{\"error\": {\"code\", \"message\", \"details\"}}`. Admin routes exist only when the server has `FUTBR_ADMIN_TOKEN`."
    ),
    paths(
        api::health, api::ready, api::metrics,
        api::predict_one, api::predict_batch, api::predict_original,
        api::clubs, api::club, api::models, api::model, api::runs, api::run,
        api::admin::upload, api::admin::start_run, api::admin::promote, api::admin::rollback,
    ),
    components(schemas(
        crate::error::ErrorBody, crate::error::ErrorDetail,
        api::Health, api::Ready, api::FixtureRequest, api::BatchRequest, api::BatchResponse,
        api::OriginalRequest, api::ClubList, api::ModelEntry, api::ModelList,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "predictions", description = "Match probabilities"),
        (name = "clubs", description = "Clubs the champion knows"),
        (name = "models", description = "The model registry"),
        (name = "runs", description = "Pipeline runs"),
        (name = "admin", description = "Upload data, start runs, promote and roll back (bearer token)"),
        (name = "health", description = "Liveness, readiness and metrics"),
    )
)]
pub struct ApiDoc;

/// `/openapi.json` and the docs page at `/docs`.
pub fn routes() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
