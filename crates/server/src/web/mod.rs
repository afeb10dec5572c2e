//! The web pages, rendered on the server with askama (templates under `crates/server/templates/`,
//! checked at compile time): Início (`/`), Modelo, Desempenho, Pipeline; Brazilian Portuguese by
//! default, English with `?lang=en` (remembered in a cookie). The main flow is a plain GET form,
//! so it works without JavaScript; the only script refreshes the pipeline's run list.
//!
//! Invariants:
//! - Every page takes the served model once per request ([`AppState::model`]) and renders from
//!   that one `Arc`, the same model the API answers from: a swap mid-render cannot mix versions.
//! - The admin token travels only in the sign-in form's POST body, never in a URL or a cookie; it
//!   is compared in constant time, like the API's bearer token. A good token opens a session
//!   ([`Sessions`]): an opaque random id in an `HttpOnly; SameSite=Strict` cookie, known to this
//!   process only (a restart signs admins out), expiring after [`SESSION_TTL`], ended by logout.
//! - Static assets are compiled into the binary (`include_str!`); nothing is fetched elsewhere.

pub mod i18n;
pub mod views;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Multipart, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_lake::keys;
use futbr_lake::registry::Registry;
use futbr_pipeline::track_record::VersionTrack;
use futbr_pipeline::train::Comparison;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use i18n::Lang;
use views::{Chrome, HomeForm, Message, Section};

/// The stylesheet, compiled in.
pub const CSS: &str = include_str!("../../static/site.css");
/// The one script (run-list refresh), compiled in.
pub const JS: &str = include_str!("../../static/site.js");
/// The favicon.
pub const ICON: &str = include_str!("../../static/icon.svg");

/// Cookie remembering the language.
pub const LANG_COOKIE: &str = "futbr_lang";
/// Cookie holding the admin session id (HttpOnly, SameSite=Strict).
pub const ADMIN_COOKIE: &str = "futbr_admin";
/// How long an admin session lasts after sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// Sessions held at once; signing in beyond that ends the one closest to expiring.
pub const MAX_SESSIONS: usize = 64;

/// The admin sessions of this process: the SHA-256 of each session id with its expiry. The ids
/// themselves are only in the admins' cookies; a lookup compares the digest with every session in
/// constant time, so neither the comparison nor the scan's length tells how close a guess was.
#[derive(Default)]
pub struct Sessions {
    open: Mutex<Vec<([u8; 32], Instant)>>,
}

impl Sessions {
    /// Opens a session at `now`: its id (64 hex digits from 32 random bytes of the thread's
    /// CSPRNG), for the cookie.
    pub fn open(&self, now: Instant) -> String {
        let mut id = [0u8; 32];
        rand::rng().fill_bytes(&mut id);
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let digest = Self::digest(&id);
        if let Ok(mut open) = self.open.lock() {
            open.retain(|(_, expires)| *expires > now);
            if open.len() >= MAX_SESSIONS {
                if let Some(k) = (0..open.len()).min_by_key(|&k| open[k].1) {
                    open.swap_remove(k);
                }
            }
            open.push((digest, now + SESSION_TTL));
        }
        id
    }

    /// Whether `id` names a session still open at `now`.
    pub fn valid(&self, id: &str, now: Instant) -> bool {
        if id.is_empty() {
            return false;
        }
        let digest = Self::digest(id);
        let Ok(open) = self.open.lock() else {
            return false;
        };
        open.iter().fold(false, |found, (d, expires)| {
            found | (bool::from(d.ct_eq(&digest)) & (*expires > now))
        })
    }

    /// Ends the session `id` (nothing if there is none).
    pub fn close(&self, id: &str) {
        let digest = Self::digest(id);
        if let Ok(mut open) = self.open.lock() {
            open.retain(|(d, _)| !bool::from(d.ct_eq(&digest)));
        }
    }

    fn digest(id: &str) -> [u8; 32] {
        Sha256::digest(id.as_bytes()).into()
    }
}

/// The track record, computed once per (champion pointer, processed matches) state.
type TrackCache = Arc<Mutex<Option<(String, Arc<Vec<VersionTrack>>)>>>;

#[derive(Clone)]
struct Web {
    app: AppState,
    tracks: TrackCache,
    sessions: Arc<Sessions>,
}

/// The pages and their assets, to merge into the API router.
pub fn routes(state: &AppState) -> Router<AppState> {
    let web = Web {
        app: state.clone(),
        tracks: Arc::default(),
        sessions: Arc::default(),
    };
    Router::new()
        .route("/", get(home))
        .route("/modelo", get(model))
        .route("/desempenho", get(performance))
        .route("/pipeline", get(pipeline))
        .route("/pipeline/runs", get(runs_fragment))
        .route("/pipeline/login", post(login))
        .route("/pipeline/logout", post(logout))
        .route("/pipeline/upload", post(upload))
        .route("/pipeline/run", post(run_now))
        .route("/static/site.css", get(css))
        .route("/static/site.js", get(js))
        .route("/static/icon.svg", get(icon))
        .with_state(web)
}

// ---------------------------------------------------------------- request context

/// The value of a cookie in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The query's pairs, decoded.
fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// The page language and whether the request changes it.
struct Ctx {
    lang: Lang,
    /// `?lang=` was given: remember it.
    set_cookie: bool,
    pairs: Vec<(String, String)>,
}

impl Ctx {
    fn new(headers: &HeaderMap, query: Option<&str>) -> Ctx {
        let pairs = pairs(query);
        let asked = param(&pairs, "lang").and_then(|l| Lang::parse(&l));
        let lang = asked
            .or_else(|| cookie(headers, LANG_COOKIE).and_then(Lang::parse))
            .unwrap_or(Lang::Pt);
        Ctx {
            lang,
            set_cookie: asked.is_some(),
            pairs,
        }
    }

    /// This page in the other language (the rest of the query kept).
    fn switch_href(&self, path: &str) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs.iter().filter(|(k, _)| k != "lang") {
            s.append_pair(k, v);
        }
        s.append_pair("lang", self.lang.other().code());
        format!("{path}?{}", s.finish())
    }

    fn chrome(&self, section: Section, path: &str, version: Option<String>) -> Chrome {
        Chrome::new(self.lang, section, self.switch_href(path), version)
    }
}

/// An HTML answer: no caching (it depends on the model serving), the language cookie when the
/// request chose one, and a content policy that allows only this origin.
fn html(ctx: &Ctx, rendered: Result<String, askama::Error>) -> Response {
    let mut response = match rendered {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!("cannot render a page: {e}");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response();
        }
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if ctx.set_cookie {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            ctx.lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.append(header::SET_COOKIE, v);
        }
    }
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

async fn icon() -> Response {
    asset("image/svg+xml", ICON)
}

// ---------------------------------------------------------------- pages

async fn home(State(web): State<Web>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = Ctx::new(&headers, q.as_deref());
    // One model for the whole page, even if a new one is swapped in meanwhile.
    let model = web.app.model();
    let form = HomeForm {
        home: param(&ctx.pairs, "home").unwrap_or_default(),
        away: param(&ctx.pairs, "away").unwrap_or_default(),
        date: param(&ctx.pairs, "date").unwrap_or_default(),
        // A checkbox sends "true" (its value) when ticked, nothing otherwise.
        new_club: param(&ctx.pairs, "new_club")
            .is_some_and(|v| matches!(v.trim(), "true" | "on" | "1")),
    };
    let chrome = ctx.chrome(
        Section::Home,
        "/",
        model.as_ref().map(|m| m.version().to_string()),
    );
    let page = views::home_view(model.as_deref(), &form, ctx.lang, chrome);
    let mut response = html(&ctx, askama::Template::render(&page));
    // A question the model cannot answer: the page (form and message) with the API's status.
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
    }
    response
}

async fn model(State(web): State<Web>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = Ctx::new(&headers, q.as_deref());
    let served = web.app.model();
    let lake = &web.app.lake;
    let registry = Registry::new(lake);
    let versions = registry.versions().await.unwrap_or_else(|e| {
        tracing::warn!("cannot list model versions: {e}");
        Vec::new()
    });
    let champion = registry.champion().await.ok().flatten();
    let report = match &champion {
        Some(c) => registry
            .report(&c.version)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default(),
        None => serde_json::Value::Null,
    };
    let runs = futbr_pipeline::runs::list_runs(lake)
        .await
        .unwrap_or_default();
    let gate = runs.iter().rev().find_map(|r| r.gate.clone());
    let comparison_of = |version: String| {
        let registry = &registry;
        async move {
            match registry.comparison(&version).await {
                Ok(Some(bytes)) => serde_json::from_slice::<Comparison>(&bytes)
                    .map_err(|e| tracing::warn!("cannot read {version}'s candidates.json: {e}"))
                    .ok(),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!("cannot read {version}'s candidates.json: {e}");
                    None
                }
            }
        }
    };
    // The last training is the newest version, promoted or not.
    let newest = versions.last().map(|m| m.version.clone());
    let last_comparison = match &newest {
        Some(v) => comparison_of(v.clone()).await,
        None => None,
    };
    let champion_comparison = match &champion {
        Some(c) if Some(&c.version) == newest.as_ref() => last_comparison.clone(),
        Some(c) => comparison_of(c.version.clone()).await,
        None => None,
    };
    let tracks = match &champion {
        Some(_) => tracks(&web).await.unwrap_or_else(|e| {
            tracing::warn!("cannot compute the track record: {e}");
            Arc::default()
        }),
        None => Arc::default(),
    };
    let champion_track = champion
        .as_ref()
        .and_then(|c| tracks.iter().find(|t| t.version == c.version));
    let chrome = ctx.chrome(
        Section::Model,
        "/modelo",
        served.as_ref().map(|m| m.version().to_string()),
    );
    let data = views::ModelData {
        versions: &versions,
        champion: champion.as_ref(),
        champion_report: &report,
        last_gate: gate.as_ref(),
        last_comparison: newest.as_deref().zip(last_comparison.as_ref()),
        champion_comparison: champion_comparison.as_ref(),
        champion_track,
        champion_matches: served
            .as_deref()
            .filter(|m| champion.as_ref().is_some_and(|c| c.version == m.version()))
            .map(|m| m.matches()),
    };
    html(&ctx, views::model_page(&data, ctx.lang, chrome))
}

/// The track record for the lake's current state, computed at most once per state.
async fn tracks(web: &Web) -> Result<Arc<Vec<VersionTrack>>, String> {
    let lake = &web.app.lake;
    let head = |key: &'static str| async move {
        lake.head(key)
            .await
            .map(|o| {
                o.map(|o| format!("{}/{}", o.etag.unwrap_or_default(), o.last_modified))
                    .unwrap_or_default()
            })
            .map_err(|e| e.to_string())
    };
    let key = format!(
        "{}|{}",
        head(keys::CHAMPION).await?,
        head(keys::MATCHES).await?
    );
    if let Ok(cache) = web.tracks.lock() {
        if let Some((k, v)) = cache.as_ref() {
            if *k == key {
                return Ok(v.clone());
            }
        }
    }
    let computed = Arc::new(
        futbr_pipeline::track_record::track_record(lake)
            .await
            .map_err(|e| e.to_string())?,
    );
    if let Ok(mut cache) = web.tracks.lock() {
        *cache = Some((key, computed.clone()));
    }
    Ok(computed)
}

async fn performance(
    State(web): State<Web>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let ctx = Ctx::new(&headers, q.as_deref());
    let served = web.app.model();
    let tracks = tracks(&web).await;
    let chrome = ctx.chrome(
        Section::Performance,
        "/desempenho",
        served.as_ref().map(|m| m.version().to_string()),
    );
    html(
        &ctx,
        views::performance_page(
            tracks.as_ref().map(|t| t.as_slice()).map_err(Clone::clone),
            ctx.lang,
            chrome,
        ),
    )
}

/// Whether the request carries the cookie of an open admin session (and admin is enabled).
fn signed_in(web: &Web, headers: &HeaderMap) -> bool {
    web.app.settings.admin_token().is_some()
        && web.sessions.valid(
            cookie(headers, ADMIN_COOKIE).unwrap_or_default(),
            Instant::now(),
        )
}

async fn pipeline_page(
    web: &Web,
    ctx: &Ctx,
    headers: &HeaderMap,
    messages: Vec<Message>,
) -> Response {
    let runs = futbr_pipeline::runs::list_runs(&web.app.lake)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!("cannot list runs: {e}");
            Vec::new()
        });
    let runs_html = match views::runs_fragment(&runs, ctx.lang) {
        Ok(h) => h,
        Err(e) => return html(ctx, Err(e)),
    };
    let chrome = ctx.chrome(
        Section::Pipeline,
        "/pipeline",
        web.app.model().map(|m| m.version().to_string()),
    );
    html(
        ctx,
        askama::Template::render(&views::PipelinePage {
            c: chrome,
            messages,
            runs_html,
            admin_enabled: web.app.settings.admin_token().is_some(),
            signed_in: signed_in(web, headers),
        }),
    )
}

async fn pipeline(State(web): State<Web>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = Ctx::new(&headers, q.as_deref());
    pipeline_page(&web, &ctx, &headers, Vec::new()).await
}

async fn runs_fragment(
    State(web): State<Web>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let ctx = Ctx::new(&headers, q.as_deref());
    let runs = futbr_pipeline::runs::list_runs(&web.app.lake)
        .await
        .unwrap_or_default();
    let mut response = html(&ctx, views::runs_fragment(&runs, ctx.lang));
    // The fragment never changes the remembered language.
    response.headers_mut().remove(header::SET_COOKIE);
    response
}

// ---------------------------------------------------------------- admin

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let ctx = Ctx::new(&headers, None);
    let Some(expected) = web.app.settings.admin_token() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = form.token.trim();
    if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        let message = Message {
            class: "error",
            lines: vec![ctx.lang.texts().wrong_token.to_string()],
        };
        let mut response = pipeline_page(&web, &ctx, &headers, vec![message]).await;
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return response;
    }
    let mut response = Redirect::to("/pipeline").into_response();
    let session = web.sessions.open(Instant::now());
    let cookie = format!(
        "{ADMIN_COOKIE}={session}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict",
        SESSION_TTL.as_secs()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// Ends the session server-side (a copied cookie stops working too) and clears the cookie.
async fn logout(State(web): State<Web>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, ADMIN_COOKIE) {
        web.sessions.close(id);
    }
    let mut response = Redirect::to("/pipeline").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("futbr_admin=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    response
}

/// Starts a run through the same handler as `POST /v1/admin/runs`; a line for the page.
async fn start_run(web: &Web, lang: Lang) -> Message {
    let t = lang.texts();
    let result = crate::api::admin::start_run(
        State(web.app.clone()),
        Ok(axum::extract::Query(crate::api::admin::RunParams {
            wait: Some(false),
        })),
    )
    .await;
    match result {
        Ok(_) => Message {
            class: "ok",
            lines: vec![t.run_started.to_string()],
        },
        Err(e) => Message {
            class: "error",
            lines: vec![format!("{}: {}", t.run_busy, e.message)],
        },
    }
}

fn forbidden(lang: Lang) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Html(format!(
            "<!doctype html><html lang=\"{}\"><meta charset=\"utf-8\"><title>401</title><p>{} <a href=\"/pipeline\">{}</a></p></html>",
            lang.tag(),
            lang.texts().wrong_token,
            lang.texts().pipeline_title
        )),
    )
        .into_response()
}

async fn run_now(State(web): State<Web>, headers: HeaderMap) -> Response {
    let ctx = Ctx::new(&headers, None);
    if !signed_in(&web, &headers) {
        return forbidden(ctx.lang);
    }
    let message = start_run(&web, ctx.lang).await;
    pipeline_page(&web, &ctx, &headers, vec![message]).await
}

/// A CSV uploaded through the form: validated and added to `raw/` with the same calls as
/// `POST /v1/admin/uploads`, then a run is started.
async fn upload(State(web): State<Web>, headers: HeaderMap, mut multipart: Multipart) -> Response {
    let ctx = Ctx::new(&headers, None);
    if !signed_in(&web, &headers) {
        return forbidden(ctx.lang);
    }
    let pt = ctx.lang == Lang::Pt;
    let mut file: Option<(String, Bytes)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().map(sanitize_name).unwrap_or_default();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes)),
                    Err(e) => return upload_error(&web, &ctx, &headers, e.body_text()).await,
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return upload_error(&web, &ctx, &headers, e.body_text()).await,
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let why = if pt {
            "nenhum arquivo enviado"
        } else {
            "no file was sent"
        };
        return upload_error(&web, &ctx, &headers, why.to_string()).await;
    };
    let name = if name.is_empty() {
        format!(
            "upload-{}.csv",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ")
        )
    } else {
        name
    };
    let checked = validate_csv(&name, &bytes, &ValidateOptions::default());
    let report = checked.report;
    if let Some(why) = &report.rejected {
        let line = if pt {
            format!("{name} foi rejeitado: {why}")
        } else {
            format!("{name} was rejected: {why}")
        };
        return upload_error(&web, &ctx, &headers, line).await;
    }
    let added = match web.app.lake.add_raw(&name, bytes).await {
        Ok(a) => a,
        Err(e) => return upload_error(&web, &ctx, &headers, e.to_string()).await,
    };
    let mut lines = vec![if pt {
        format!(
            "{} {}: {} de {} linhas aceitas, {} problema(s).",
            if added.created {
                "Guardado em"
            } else {
                "Já estava em"
            },
            added.key,
            report.rows_accepted,
            report.rows_total,
            report.problems.len()
        )
    } else {
        format!(
            "{} {}: {} of {} rows accepted, {} problem(s).",
            if added.created {
                "Stored as"
            } else {
                "Already stored as"
            },
            added.key,
            report.rows_accepted,
            report.rows_total,
            report.problems.len()
        )
    }];
    for p in report.problems.iter().take(10) {
        lines.push(format!(
            "{name}:{} {} {:?}: {}",
            p.line,
            p.column.as_deref().unwrap_or("-"),
            p.value,
            p.message
        ));
    }
    let mut messages = vec![Message { class: "ok", lines }];
    messages.push(start_run(&web, ctx.lang).await);
    pipeline_page(&web, &ctx, &headers, messages).await
}

async fn upload_error(web: &Web, ctx: &Ctx, headers: &HeaderMap, line: String) -> Response {
    let mut response = pipeline_page(
        web,
        ctx,
        headers,
        vec![Message {
            class: "error",
            lines: vec![line],
        }],
    )
    .await;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

/// A file name safe for `raw/`: its last path component, letters, digits, `.`, `-`, `_`.
fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_start_matches('.').to_string();
    if clean.is_empty() {
        String::new()
    } else if clean.to_ascii_lowercase().ends_with(".csv") {
        clean
    } else {
        format!("{clean}.csv")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_language_are_read_from_the_request() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; futbr_lang=en; futbr_admin=s3cret"),
        );
        assert_eq!(cookie(&h, "futbr_admin"), Some("s3cret"));
        assert_eq!(Ctx::new(&h, None).lang, Lang::En);
        let ctx = Ctx::new(&h, Some("home=S%C3%A3o+Paulo&lang=pt"));
        assert_eq!(ctx.lang, Lang::Pt);
        assert!(ctx.set_cookie);
        assert_eq!(ctx.switch_href("/"), "/?home=S%C3%A3o+Paulo&lang=en");
        assert_eq!(Ctx::new(&HeaderMap::new(), None).lang, Lang::Pt);
    }

    #[test]
    fn admin_sessions_are_random_expire_and_end_at_logout() {
        let sessions = Sessions::default();
        let t0 = Instant::now();
        let a = sessions.open(t0);
        let b = sessions.open(t0);
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b, "ids are random");
        assert!(sessions.valid(&a, t0) && sessions.valid(&b, t0));
        assert!(!sessions.valid("", t0));
        assert!(!sessions.valid(&a[..63], t0), "a prefix is not the id");
        let mut wrong = a.clone().into_bytes();
        wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
        assert!(!sessions.valid(std::str::from_utf8(&wrong).unwrap(), t0));
        // Expiry.
        let late = t0 + SESSION_TTL;
        assert!(sessions.valid(&a, late - Duration::from_secs(1)));
        assert!(!sessions.valid(&a, late));
        // Logout ends one session, not the other.
        sessions.close(&a);
        assert!(!sessions.valid(&a, t0) && sessions.valid(&b, t0));
        // Bounded: the oldest goes first; expired ones are dropped at the next sign-in.
        let first = sessions.open(t0 + Duration::from_secs(1));
        for k in 0..MAX_SESSIONS {
            sessions.open(t0 + Duration::from_secs(2 + k as u64));
        }
        assert_eq!(sessions.open.lock().unwrap().len(), MAX_SESSIONS);
        assert!(!sessions.valid(&b, t0) && !sessions.valid(&first, t0));
        sessions.open(late + SESSION_TTL);
        assert_eq!(sessions.open.lock().unwrap().len(), 1);
    }

    #[test]
    fn uploaded_names_cannot_escape_raw() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd.csv");
        assert_eq!(sanitize_name("C:\\x\\rodadas 2025.csv"), "rodadas_2025.csv");
        assert_eq!(sanitize_name(".."), "");
        assert_eq!(sanitize_name("novas.CSV"), "novas.CSV");
    }
}
