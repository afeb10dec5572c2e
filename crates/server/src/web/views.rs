//! What each page shows, as plain data for its template; built from the served model, the
//! registry, the runs and the track record. Numbers are formatted here (in the page's language),
//! so templates only place text.

use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use futbr_domain::Match;
use futbr_features::Feature;
use futbr_lake::registry::{Champion, Manifest};
use futbr_models::charts::{self, CalibrationLabels, Series, TimeChart};
use futbr_models::metrics::CalibrationBin;
use futbr_pipeline::runs::RunRecord;
use futbr_pipeline::serving::{
    ClubMatch, FixtureQuery, ModelInfo, Prediction, QueryError, ServedModel,
};
use futbr_pipeline::track_record::{StretchScore, VersionTrack};
use futbr_pipeline::train::Comparison;
use serde_json::Value;

use super::i18n::{Lang, Texts};

/// Version of the static assets in their URLs (a new build is a new URL).
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A link of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// Which page is shown (for the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Model,
    Performance,
    Pipeline,
}

/// What every page's frame shows.
pub struct Chrome {
    pub lang_tag: &'static str,
    pub lang_code: &'static str,
    pub other_code: &'static str,
    pub t: &'static Texts,
    pub title: String,
    pub nav: Vec<NavItem>,
    /// The same page in the other language.
    pub switch_href: String,
    /// The model version serving, if any.
    pub version: Option<String>,
    pub asset_version: &'static str,
}

impl Chrome {
    pub fn new(
        lang: Lang,
        section: Section,
        switch_href: String,
        version: Option<String>,
    ) -> Chrome {
        let t = lang.texts();
        let title = match section {
            Section::Home => t.home_title,
            Section::Model => t.model_title,
            Section::Performance => t.perf_title,
            Section::Pipeline => t.pipeline_title,
        };
        let nav = [
            ("/", t.nav_home, Section::Home),
            ("/modelo", t.nav_model, Section::Model),
            ("/desempenho", t.nav_performance, Section::Performance),
            ("/pipeline", t.nav_pipeline, Section::Pipeline),
        ]
        .into_iter()
        .map(|(href, label, s)| NavItem {
            href,
            label,
            current: s == section,
        })
        .collect();
        Chrome {
            lang_tag: lang.tag(),
            lang_code: lang.code(),
            other_code: lang.other().code(),
            t,
            title: title.to_string(),
            nav,
            switch_href,
            version,
            asset_version: ASSET_VERSION,
        }
    }
}

// ---------------------------------------------------------------- Início

/// The question as typed into the form.
#[derive(Debug, Clone, Default)]
pub struct HomeForm {
    pub home: String,
    pub away: String,
    pub date: String,
    /// "clube recém-promovido": an unknown club is answered with a newcomer's priors.
    pub new_club: bool,
}

/// A suggested club (a link that asks the same question with it).
pub struct Suggestion {
    pub label: String,
    pub href: String,
}

/// A message in the page for a question that cannot be answered.
pub struct FormError {
    pub title: String,
    pub message: String,
    pub suggestions: Vec<Suggestion>,
    /// For an unknown club: the same question as a newly promoted club.
    pub new_club_href: Option<String>,
}

/// One outcome's probability.
pub struct ProbView {
    pub class: &'static str,
    pub label: &'static str,
    /// Full precision, exactly as the API answers it.
    pub raw: String,
    pub text: String,
    /// The bar segment's label: empty when too narrow to hold it.
    pub short: String,
    pub width: String,
}

/// A played match from one club's side.
pub struct MatchRow {
    pub date: String,
    pub opponent: String,
    pub venue: &'static str,
    pub score: String,
    pub letter: &'static str,
    pub class: &'static str,
    pub word: &'static str,
}

/// A club of the question.
pub struct ClubView {
    pub name: String,
    pub role: &'static str,
    pub rows: Vec<MatchRow>,
    pub form_words: String,
    pub ppm: String,
}

/// A meeting of the two clubs.
pub struct MeetingRow {
    pub date: String,
    pub home: String,
    pub away: String,
    pub score: String,
}

/// A feature with its catalog description.
pub struct FeatureView {
    pub name: &'static str,
    pub value: String,
    pub unit: &'static str,
    pub meaning: &'static str,
}

/// One input of the served model, in words.
pub struct InputView {
    pub label: String,
    pub value: String,
}

/// The answer to the question.
pub struct AnswerView {
    pub home: String,
    pub away: String,
    pub date: String,
    pub probs: Vec<ProbView>,
    pub most_likely: String,
    pub warnings: Vec<String>,
    pub clubs: Vec<ClubView>,
    pub h2h: Vec<MeetingRow>,
    /// What the served model itself reads (for market-elo: the market ratings).
    pub inputs: Vec<InputView>,
    /// "Odds de fechamento no treino: sim (4.180 jogos)".
    pub odds_line: String,
    /// The feature engine's view of the fixture: context, not the model's input (unless the
    /// candidate reads them, then `inputs` lists those).
    pub features: Vec<FeatureView>,
    /// Some features are placeholders without data (shown as "sem dado").
    pub no_data: bool,
    /// The served model reads none of the engine's features (market-elo, Dixon–Coles, base
    /// rates): say so above them.
    pub features_are_context_only: bool,
    pub version: String,
    pub candidate: String,
    pub trained_through: String,
    pub quality: Option<String>,
}

#[derive(Template)]
#[template(path = "inicio.html")]
pub struct HomePage {
    pub c: Chrome,
    pub not_ready: bool,
    pub form_home: String,
    pub form_away: String,
    pub form_date: String,
    pub form_new_club: bool,
    pub error_field: String,
    pub clubs_latest: Vec<String>,
    pub clubs_other: Vec<String>,
    pub latest_season: Option<i32>,
    pub error: Option<FormError>,
    pub answer: Option<AnswerView>,
    /// The HTTP status, as the API would answer the same question (404 unknown club, 422 same
    /// club or a date already known, 400 a malformed date or a missing club).
    pub status: u16,
}

/// Meetings shown in the head-to-head.
pub const MEETINGS: usize = 5;

fn query_href(home: &str, away: &str, date: &str, new_club: bool) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair("home", home).append_pair("away", away);
    if !date.is_empty() {
        s.append_pair("date", date);
    }
    if new_club {
        s.append_pair("new_club", "true");
    }
    format!("/?{}", s.finish())
}

fn match_row(m: &ClubMatch, model: &ServedModel, lang: Lang) -> MatchRow {
    let t = lang.texts();
    let (letter, class, word) = match m.result {
        "W" => (if lang == Lang::Pt { "V" } else { "W" }, "w", t.win),
        // Lower case like the other two words ("vitória", "derrota").
        "D" => (
            if lang == Lang::Pt { "E" } else { "D" },
            "d",
            if lang == Lang::Pt { "empate" } else { "draw" },
        ),
        _ => (if lang == Lang::Pt { "D" } else { "L" }, "l", t.loss),
    };
    MatchRow {
        date: m.date.format(lang.date_format()).to_string(),
        opponent: model.display(&m.opponent),
        venue: if m.at_home { t.at_home } else { t.away },
        score: format!("{}–{}", m.goals_for, m.goals_against),
        letter,
        class,
        word,
    }
}

/// The HTTP status of a question the model cannot answer: the API's for the same error.
fn query_status(e: &QueryError) -> u16 {
    match e {
        QueryError::UnknownClub(_) | QueryError::NewClubNotAllowed { .. } => 404,
        QueryError::SameClub { .. } | QueryError::DateNotAfterTraining { .. } => 422,
        QueryError::EmptyClub | QueryError::NotFinite { .. } => 400,
        QueryError::Model(_) => 500,
    }
}

fn query_error(
    e: QueryError,
    form: &HomeForm,
    model: &ServedModel,
    lang: Lang,
) -> (String, FormError) {
    let t = lang.texts();
    let pt = lang == Lang::Pt;
    let new_club_href = Some(query_href(&form.home, &form.away, &form.date, true));
    match e {
        QueryError::UnknownClub(u) => {
            let field = if u.name.trim() == form.home.trim() {
                "home"
            } else {
                "away"
            };
            let suggestions = u
                .closest
                .iter()
                .map(|c| {
                    let (h, a) = if field == "home" {
                        (c.to_string(), form.away.clone())
                    } else {
                        (form.home.clone(), c.to_string())
                    };
                    Suggestion {
                        label: model.display(c),
                        href: query_href(&h, &a, &form.date, form.new_club),
                    }
                })
                .collect();
            let message = if pt {
                format!("O modelo não conhece o clube “{}”.", u.name)
            } else {
                format!("“{}” is not a club the model knows.", u.name)
            };
            (
                field.into(),
                FormError {
                    title: t.unknown_club.into(),
                    message,
                    suggestions,
                    new_club_href,
                },
            )
        }
        QueryError::NewClubNotAllowed { name } => {
            let field = if name.trim() == form.home.trim() {
                "home"
            } else {
                "away"
            };
            let message = if pt {
                format!("O modelo não conhece o clube “{name}”.")
            } else {
                format!("“{name}” is not a club the model knows.")
            };
            (
                field.into(),
                FormError {
                    title: t.unknown_club.into(),
                    message,
                    suggestions: Vec::new(),
                    new_club_href,
                },
            )
        }
        QueryError::SameClub { club } => {
            let club = model.display(&club);
            (
                "away".into(),
                FormError {
                    title: t.same_club.into(),
                    message: if pt {
                        format!("Mandante e visitante são o mesmo clube ({club}).")
                    } else {
                        format!("The home and away clubs are the same club ({club}).")
                    },
                    suggestions: Vec::new(),
                    new_club_href: None,
                },
            )
        }
        QueryError::EmptyClub => (
            if form.home.trim().is_empty() {
                "home"
            } else {
                "away"
            }
            .into(),
            FormError {
                title: t.missing_club.into(),
                message: String::new(),
                suggestions: Vec::new(),
                new_club_href: None,
            },
        ),
        QueryError::DateNotAfterTraining {
            trained_through, ..
        } => (
            "date".into(),
            FormError {
                title: t.bad_date.into(),
                message: if pt {
                    format!(
                        "O modelo já conhece os resultados até {}; escolha uma data posterior.",
                        trained_through.format(lang.date_format())
                    )
                } else {
                    format!(
                        "The model already knows results up to {trained_through}; ask about a later date."
                    )
                },
                suggestions: Vec::new(),
                new_club_href: None,
            },
        ),
        other => (
            String::new(),
            FormError {
                title: t.warnings.into(),
                message: other.to_string(),
                suggestions: Vec::new(),
                new_club_href: None,
            },
        ),
    }
}

/// Parses the form's date: `YYYY-MM-DD` (what a date input sends) or `dd/mm/yyyy`.
pub fn parse_form_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()
}

/// A prediction's warning as a sentence in the page's language (the API's are terse English
/// for logs and clients): staleness and newcomers are rewritten from the prediction's fields.
fn warning_text(w: &str, lang: Lang, p: &Prediction) -> String {
    let pt = lang == Lang::Pt;
    if w.starts_with("stale") {
        let (through, date) = (
            p.model.trained_through.format(lang.date_format()),
            p.date.format(lang.date_format()),
        );
        let days = (p.date - p.model.trained_through).num_days();
        return if pt {
            format!("O modelo conhece resultados só até {through}, {days} dias antes de {date}; o que foi jogado desde então não está nesta previsão.")
        } else {
            format!("The model knows results only up to {through}, {days} days before {date}; nothing played since then is in this prediction.")
        };
    }
    for club in [&p.home, &p.away] {
        if !club.known && w.starts_with(club.name.as_str()) {
            return if pt {
                format!("{} não tem jogos nos dados do modelo: as variáveis dele são as de um estreante (clube recém-promovido).", club.name)
            } else {
                format!("{} has no match in the model's data: its features are a newcomer's (a newly promoted club).", club.name)
            };
        }
    }
    w.to_string()
}

fn answer_view(model: &ServedModel, p: &Prediction, lang: Lang) -> AnswerView {
    let t = lang.texts();
    let probs = [
        ("home", t.home_win, p.probabilities.home),
        ("draw", t.draw, p.probabilities.draw),
        ("away", t.away_win, p.probabilities.away),
    ]
    .into_iter()
    .map(|(class, label, v)| ProbView {
        class,
        label,
        raw: format!("{v}"),
        text: lang.percent(v),
        short: if v >= 0.12 {
            format!("{:.0}%", 100.0 * v)
        } else {
            String::new()
        },
        width: format!("{:.2}", 100.0 * v),
    })
    .collect();
    let winner_p = [
        p.probabilities.home,
        p.probabilities.draw,
        p.probabilities.away,
    ][p.most_likely.index];
    let club = |name: &str, known: bool, role: &'static str| {
        let summary = if known { model.club(name).ok() } else { None };
        let rows: Vec<MatchRow> = summary
            .as_ref()
            .map(|s| s.recent.iter().map(|m| match_row(m, model, lang)).collect())
            .unwrap_or_default();
        // Newest first, like the table beside it.
        let form_words = rows.iter().map(|r| r.word).collect::<Vec<_>>().join(", ");
        ClubView {
            name: model.display(name),
            role,
            form_words: format!("{}: {form_words}", t.form),
            ppm: summary
                .and_then(|s| s.points_per_match)
                .map(|v| lang.number(v, 1))
                .unwrap_or_else(|| "—".into()),
            rows,
        }
    };
    let h2h = if p.home.known && p.away.known {
        model
            .head_to_head(&p.home.name, &p.away.name, MEETINGS)
            .iter()
            .map(|m| {
                // From the home club's side: put the match back on its real venue.
                let (home, away, hg, ag) = if m.at_home {
                    (&p.home.name, &m.opponent, m.goals_for, m.goals_against)
                } else {
                    (&m.opponent, &p.home.name, m.goals_against, m.goals_for)
                };
                MeetingRow {
                    date: m.date.format(lang.date_format()).to_string(),
                    home: model.display(home),
                    away: model.display(away),
                    score: format!("{hg}–{ag}"),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut no_data = false;
    let features = p
        .features
        .iter()
        .map(|(f, v)| FeatureView {
            name: f.name(),
            value: if is_placeholder(f, v) {
                no_data = true;
                t.no_data.to_string()
            } else {
                lang.number(v, 3)
            },
            unit: match lang {
                Lang::Pt => f.unit_pt(),
                Lang::En => f.unit(),
            },
            meaning: match lang {
                Lang::Pt => f.meaning_pt(),
                Lang::En => f.meaning(),
            },
        })
        .collect();
    AnswerView {
        home: p.home.display.clone(),
        away: p.away.display.clone(),
        date: p.date.format(lang.date_format()).to_string(),
        probs,
        most_likely: lang.most_likely(
            p.most_likely.code,
            &p.home.display,
            &p.away.display,
            winner_p,
        ),
        warnings: p
            .warnings
            .iter()
            .map(|w| warning_text(w, lang, p))
            .collect(),
        clubs: vec![
            club(&p.home.name, p.home.known, t.at_home),
            club(&p.away.name, p.away.known, t.away),
        ],
        h2h,
        inputs: model_inputs(p, lang),
        odds_line: odds_line(&p.model, lang),
        features,
        no_data,
        features_are_context_only: p.model.candidate.columns().is_empty()
            && p.model.candidate != futbr_models::Candidate::Stack,
        version: p.model.version.clone(),
        candidate: p.model.candidate.name().to_string(),
        trained_through: p
            .model
            .trained_through
            .format(lang.date_format())
            .to_string(),
        quality: quality_sentence(&model.manifest, Some(model.matches()), lang),
    }
}

/// A match-statistics feature at its no-data prior (shares 0.5, possession 50%): the lake has
/// no statistics for the club, so the value is not a fact about it.
fn is_placeholder(f: Feature, v: f64) -> bool {
    use Feature::*;
    matches!(
        f,
        ShotShareHome
            | ShotShareAway
            | OnTargetShareHome
            | OnTargetShareAway
            | PossessionHome
            | PossessionAway
    ) && (v == 0.5 || v == 50.0)
}

/// What the served model itself reads for this fixture: the market ratings for the market
/// candidate, else the feature columns of a feature-based one (none for the others).
fn model_inputs(p: &Prediction, lang: Lang) -> Vec<InputView> {
    let pt = lang == Lang::Pt;
    if let Some(m) = &p.market {
        let rating = |club: &str| {
            if pt {
                format!("Rating de mercado do {club}")
            } else {
                format!("{club}'s market rating")
            }
        };
        return vec![
            InputView {
                label: rating(&p.home.display),
                value: lang.number(m.home_rating, 1),
            },
            InputView {
                label: rating(&p.away.display),
                value: lang.number(m.away_rating, 1),
            },
            InputView {
                label: if pt {
                    "Vantagem do mando (pontos)"
                } else {
                    "Home advantage (points)"
                }
                .into(),
                value: lang.number(m.home_advantage, 1),
            },
            InputView {
                label: if pt {
                    "Diferença: a entrada do modelo"
                } else {
                    "Difference: the model's input"
                }
                .into(),
                value: lang.number(m.difference, 1),
            },
            InputView {
                label: if pt {
                    "Expectativa do mandante (vitória + meio empate)"
                } else {
                    "Home expectation (win + half a draw)"
                }
                .into(),
                value: lang.percent(m.home_expectation),
            },
        ];
    }
    p.model
        .candidate
        .columns()
        .into_iter()
        .map(|f| InputView {
            label: match lang {
                Lang::Pt => f.meaning_pt().to_string(),
                Lang::En => f.meaning().to_string(),
            },
            value: if is_placeholder(f, p.features.0.get(f)) {
                lang.texts().no_data.to_string()
            } else {
                lang.number(p.features.0.get(f), 3)
            },
        })
        .collect()
}

/// "Odds de fechamento no treino: sim (4.180 jogos)".
fn odds_line(m: &ModelInfo, lang: Lang) -> String {
    let odds = m.closing_odds_in_training;
    match (lang, odds.used) {
        (Lang::Pt, true) => format!(
            "Odds de fechamento no treino: sim ({} de {} jogos tinham odds).",
            odds.matches, m.matches
        ),
        (Lang::Pt, false) if m.candidate.uses_market() => format!(
            "Odds de fechamento no treino: não (nenhum dos {} jogos tinha odds: os ratings vêm só dos resultados).",
            m.matches
        ),
        (Lang::Pt, false) => format!(
            "Odds de fechamento no treino: não (este modelo não lê odds; {} de {} jogos as tinham).",
            odds.matches, m.matches
        ),
        (Lang::En, true) => format!(
            "Closing odds in training: yes ({} of {} matches had odds).",
            odds.matches, m.matches
        ),
        (Lang::En, false) if m.candidate.uses_market() => format!(
            "Closing odds in training: no (none of the {} matches had odds: the ratings come from results only).",
            m.matches
        ),
        (Lang::En, false) => format!(
            "Closing odds in training: no (this model does not read odds; {} of {} matches had them).",
            odds.matches, m.matches
        ),
    }
}

/// "acerta o resultado mais provável em 48% dos jogos" from a version's evaluation; with
/// `matches` (those the version saw), also the share of its evaluation window won at home.
pub fn quality_sentence(
    manifest: &Manifest,
    matches: Option<&[Match]>,
    lang: Lang,
) -> Option<String> {
    manifest.evaluation.as_ref().map(|e| {
        let home_wins = matches.and_then(|all| {
            let window: Vec<&Match> = all
                .iter()
                .filter(|m| m.date >= e.from && m.date <= e.to)
                .collect();
            (!window.is_empty()).then(|| {
                window
                    .iter()
                    .filter(|m| m.outcome() == futbr_domain::Outcome::Home)
                    .count() as f64
                    / window.len() as f64
            })
        });
        lang.accuracy_sentence(e.scores.accuracy, e.scores.rps, e.matches, home_wins)
    })
}

/// Renders Início: the form, and the answer (or a message) when a question was asked.
pub fn home_page(
    model: Option<&ServedModel>,
    form: &HomeForm,
    lang: Lang,
    chrome: Chrome,
) -> Result<String, askama::Error> {
    home_view(model, form, lang, chrome).render()
}

/// Início as data: the form, and the answer (or a message, with its HTTP status).
pub fn home_view(
    model: Option<&ServedModel>,
    form: &HomeForm,
    lang: Lang,
    chrome: Chrome,
) -> HomePage {
    let t = lang.texts();
    let mut page = HomePage {
        c: chrome,
        not_ready: model.is_none(),
        form_home: form.home.clone(),
        form_away: form.away.clone(),
        form_date: form.date.clone(),
        form_new_club: form.new_club,
        error_field: String::new(),
        clubs_latest: Vec::new(),
        clubs_other: Vec::new(),
        latest_season: None,
        error: None,
        answer: None,
        status: 200,
    };
    let Some(model) = model else {
        return page;
    };
    for club in model.clubs() {
        if club.in_latest_season {
            page.clubs_latest.push(club.display);
        } else {
            page.clubs_other.push(club.display);
        }
    }
    page.latest_season = model.latest_season();
    let asked = !form.home.trim().is_empty() || !form.away.trim().is_empty();
    if !asked {
        return page;
    }
    let date = if form.date.trim().is_empty() {
        None
    } else {
        match parse_form_date(&form.date) {
            Some(d) => Some(d),
            None => {
                page.error_field = "date".into();
                page.status = 400;
                page.error = Some(FormError {
                    title: t.bad_date.into(),
                    message: if lang == Lang::Pt {
                        format!("“{}” não é uma data (dd/mm/aaaa).", form.date.trim())
                    } else {
                        format!("“{}” is not a date (YYYY-MM-DD).", form.date.trim())
                    },
                    suggestions: Vec::new(),
                    new_club_href: None,
                });
                return page;
            }
        }
    };
    let query = FixtureQuery {
        home: form.home.clone(),
        away: form.away.clone(),
        date,
        new_club: form.new_club,
    };
    match model.predict(&query) {
        Ok(p) => page.answer = Some(answer_view(model, &p, lang)),
        Err(e) => {
            page.status = query_status(&e);
            let (field, error) = query_error(e, form, model, lang);
            page.error_field = field;
            page.error = Some(error);
        }
    }
    page
}

// ---------------------------------------------------------------- Modelo

/// A row of the versions table.
pub struct VersionRow {
    pub version: String,
    pub champion: bool,
    pub candidate: String,
    pub trained_through: String,
    pub matches: usize,
    pub rps: String,
    pub accuracy: String,
    pub log_loss: String,
    pub created: String,
}

/// The champion's lineage.
pub struct LineageView {
    pub code_version: String,
    pub run_id: String,
    pub data_sha256: String,
    /// (key, size, sha256)
    pub inputs: Vec<(String, String, String)>,
}

/// The last gate decision.
pub struct GateView {
    pub challenger: String,
    pub champion: String,
    pub challenger_rps: String,
    pub champion_rps: String,
    pub window: String,
    pub promoted: &'static str,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "modelo.html")]
pub struct ModelPage {
    pub c: Chrome,
    pub champion_version: String,
    pub champion_quality: Option<String>,
    pub versions: Vec<VersionRow>,
    pub calibration_svg: String,
    pub rps_svg: String,
    pub comparison: Option<ComparisonView>,
    pub lineage: Option<LineageView>,
    pub gate: Option<GateView>,
}

/// The calibration bins of a stored backtest report (`backtest.json`: its first candidate).
pub fn report_calibration(report: &Value) -> Vec<CalibrationBin> {
    let served = report.get("served").and_then(Value::as_str);
    let candidates = report
        .get("candidates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let chosen = candidates
        .iter()
        .find(|c| served.is_some() && c.get("name").and_then(Value::as_str) == served)
        .or(candidates.first());
    let Some(bins) = chosen
        .and_then(|c| c.get("calibration"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    bins.iter()
        .filter_map(|b| {
            let f = |k: &str| b.get(k).and_then(Value::as_f64);
            Some(CalibrationBin {
                lower: f("lower")?,
                upper: f("upper")?,
                count: b.get("count").and_then(Value::as_u64)? as usize,
                mean_predicted: f("mean_predicted")?,
                observed_frequency: f("observed_frequency")?,
            })
        })
        .collect()
}

fn format_time(t: &DateTime<Utc>, lang: Lang) -> String {
    match lang {
        Lang::Pt => t.format("%d/%m/%Y %H:%M UTC").to_string(),
        Lang::En => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// What Modelo is rendered from.
pub struct ModelData<'a> {
    /// Every version, oldest first.
    pub versions: &'a [Manifest],
    pub champion: Option<&'a Champion>,
    /// The champion's stored backtest report.
    pub champion_report: &'a Value,
    /// The latest run that reached the gate.
    pub last_gate: Option<&'a futbr_pipeline::runs::GateDecision>,
    /// The newest version and the candidates compared when it was trained.
    pub last_comparison: Option<(&'a str, &'a Comparison)>,
    /// The champion's own comparison (its walk-forward stretches).
    pub champion_comparison: Option<&'a Comparison>,
    /// The champion's track record after its training data.
    pub champion_track: Option<&'a VersionTrack>,
    /// The matches the champion saw, when it is the model serving (for the base line).
    pub champion_matches: Option<&'a [Match]>,
}

/// A row of the candidates table.
pub struct CandidateRow {
    pub name: String,
    pub trained: bool,
    /// (text, best of its column)
    pub rps: (String, bool),
    pub accuracy: (String, bool),
    pub log_loss: (String, bool),
    pub ece: (String, bool),
}

impl CandidateRow {
    /// The score cells, in column order.
    pub fn cells(&self) -> [&(String, bool); 4] {
        [&self.rps, &self.accuracy, &self.log_loss, &self.ece]
    }
}

/// The candidates compared at the last training.
pub struct ComparisonView {
    pub version: String,
    pub window: String,
    pub rows: Vec<CandidateRow>,
}

fn comparison_view(version: &str, c: &Comparison, lang: Lang) -> ComparisonView {
    let best = |f: &dyn Fn(&futbr_models::metrics::Scores) -> f64, higher: bool| {
        c.candidates
            .iter()
            .map(|x| f(&x.scores))
            .filter(|v| v.is_finite())
            .fold(None, |acc: Option<f64>, v| {
                Some(match acc {
                    None => v,
                    Some(a) if higher => a.max(v),
                    Some(a) => a.min(v),
                })
            })
    };
    let (rps, acc, ll, ece) = (
        best(&|s| s.rps, false),
        best(&|s| s.accuracy, true),
        best(&|s| s.log_loss, false),
        best(&|s| s.ece, false),
    );
    // Best as shown: equal at the shown precision counts as a tie.
    let cell = |v: f64, best: Option<f64>, text: String| {
        let is_best = best.is_some_and(|b| (v - b).abs() < 5e-5);
        (text, is_best)
    };
    ComparisonView {
        version: version.to_string(),
        window: format!(
            "{} – {} ({})",
            c.from.format(lang.date_format()),
            c.to.format(lang.date_format()),
            lang.matches_count(c.matches)
        ),
        rows: c
            .candidates
            .iter()
            .map(|x| CandidateRow {
                name: x.candidate.name().to_string(),
                trained: x.candidate == c.trained,
                rps: cell(x.scores.rps, rps, lang.number(x.scores.rps, 4)),
                accuracy: cell(x.scores.accuracy, acc, lang.percent(x.scores.accuracy)),
                log_loss: cell(x.scores.log_loss, ll, lang.number(x.scores.log_loss, 4)),
                ece: cell(x.scores.ece, ece, lang.number(x.scores.ece, 4)),
            })
            .collect(),
    }
}

/// The "RPS over time" chart: the champion's walk-forward RPS per stretch of about a round's
/// matches over its evaluation window, then on the matches after its training data, with the
/// base rate and season boundaries; dates only move forward.
pub fn rps_over_time(
    comparison: Option<&Comparison>,
    track: Option<&VersionTrack>,
    lang: Lang,
) -> TimeChart {
    let t = lang.texts();
    let window = comparison
        .map(|c| c.stretches.as_slice())
        .unwrap_or_default();
    let after = track.map(|v| v.stretches.as_slice()).unwrap_or_default();
    let mut series = Vec::new();
    if !window.is_empty() {
        series.push(Series {
            name: t.walk_forward_series.to_string(),
            points: window.iter().map(|r| (r.to, r.rps)).collect(),
            emphasis: true,
            reference: false,
        });
    }
    if !after.is_empty() {
        series.push(Series {
            name: t.after_training_series.to_string(),
            points: after.iter().map(|r| (r.to, r.rps)).collect(),
            emphasis: false,
            reference: false,
        });
    }
    let all: Vec<&StretchScore> = window.iter().chain(after.iter()).collect();
    if !all.is_empty() {
        series.push(Series {
            name: t.base_rate.to_string(),
            points: all.iter().map(|r| (r.to, r.base_rps)).collect(),
            emphasis: false,
            reference: true,
        });
    }
    TimeChart {
        title: t.rps_over_time.to_string(),
        y_label: "RPS".into(),
        series,
        seasons: charts::season_starts(all.iter().map(|r| (r.from, r.season))),
        date_format: lang.date_format().into(),
    }
}

/// The gate's decision in the page's language, from its fields (the record's `reason` is English,
/// for logs).
pub fn gate_sentence(g: &futbr_pipeline::runs::GateDecision, lang: Lang) -> String {
    let pt = lang == Lang::Pt;
    let n = lang.matches_count(g.window_matches);
    let (rps, tol) = (
        lang.number(g.challenger_rps, 4),
        lang.number(g.tolerance, 4),
    );
    match (&g.champion, g.champion_rps, g.promoted) {
        (Some(champion), Some(theirs), true) => {
            let theirs = lang.number(theirs, 4);
            if pt {
                format!("{} foi promovido: RPS {rps}, no máximo {tol} acima dos {theirs} do campeão {champion}, nos mesmos {n}.", g.challenger)
            } else {
                format!("{} was promoted: RPS {rps}, within {tol} of the champion {champion}'s {theirs}, on the same {n}.", g.challenger)
            }
        }
        (Some(champion), Some(theirs), false) => {
            let theirs = lang.number(theirs, 4);
            if pt {
                format!("{} não foi promovido: RPS {rps}, pior que os {theirs} do campeão {champion} por mais de {tol}, nos mesmos {n}; o campeão continua.", g.challenger)
            } else {
                format!("{} was not promoted: RPS {rps}, worse than the champion {champion}'s {theirs} by more than {tol}, on the same {n}; the champion stays.", g.challenger)
            }
        }
        (None, _, true) => {
            if pt {
                format!(
                    "Ainda não havia campeão: a primeira versão, {}, foi promovida.",
                    g.challenger
                )
            } else {
                format!(
                    "There was no champion yet: the first version, {}, was promoted.",
                    g.challenger
                )
            }
        }
        (Some(champion), None, true) => {
            if pt {
                format!(
                    "O campeão {champion} não existe mais (sua versão sumiu): {} o substitui.",
                    g.challenger
                )
            } else {
                format!("The champion {champion} is gone (its version has no manifest): {} replaces it.", g.challenger)
            }
        }
        (_, _, false) => {
            if pt {
                format!(
                    "{} não tem janela de avaliação (poucos dados): o campeão continua.",
                    g.challenger
                )
            } else {
                format!(
                    "{} has no evaluation window (too little data): the champion stays.",
                    g.challenger
                )
            }
        }
    }
}

/// Renders Modelo.
pub fn model_page(data: &ModelData, lang: Lang, chrome: Chrome) -> Result<String, askama::Error> {
    let t = lang.texts();
    let versions = data.versions;
    let champion_version = data.champion.map(|c| c.version.clone()).unwrap_or_default();
    let champion_manifest = versions.iter().find(|m| m.version == champion_version);
    let rows = versions
        .iter()
        .rev()
        .map(|m| {
            let s = m.evaluation.as_ref().map(|e| &e.scores);
            VersionRow {
                version: m.version.clone(),
                champion: m.version == champion_version,
                candidate: m.candidate.name().to_string(),
                trained_through: m.trained_through.format(lang.date_format()).to_string(),
                matches: m.matches,
                rps: s.map(|s| lang.number(s.rps, 4)).unwrap_or("—".into()),
                accuracy: s.map(|s| lang.percent(s.accuracy)).unwrap_or("—".into()),
                log_loss: s.map(|s| lang.number(s.log_loss, 4)).unwrap_or("—".into()),
                created: format_time(&m.created_at, lang),
            }
        })
        .collect();
    let calibration_svg = charts::calibration_chart(
        &report_calibration(data.champion_report),
        &CalibrationLabels {
            title: format!("{} · {champion_version}", t.calibration),
            x_label: t.calibration_x.into(),
            y_label: t.calibration_y.into(),
            observed: t.calibration_observed.into(),
            perfect: t.calibration_perfect.into(),
            count_prefix: "n=".into(),
        },
    );
    let rps_svg = charts::time_chart(&rps_over_time(
        data.champion_comparison,
        data.champion_track,
        lang,
    ));
    let comparison = data
        .last_comparison
        .map(|(version, c)| comparison_view(version, c, lang));
    let last_gate = data.last_gate;
    let lineage = champion_manifest.map(|m| LineageView {
        code_version: m.code_version.clone(),
        run_id: m.run_id.clone(),
        data_sha256: m.data_sha256.clone(),
        inputs: m
            .inputs
            .iter()
            .map(|i| (i.key.clone(), lang.size(i.size), i.sha256.clone()))
            .collect(),
    });
    let gate = last_gate.map(|g| GateView {
        challenger: g.challenger.clone(),
        champion: g.champion.clone().unwrap_or_else(|| "—".into()),
        challenger_rps: lang.number(g.challenger_rps, 4),
        champion_rps: g
            .champion_rps
            .map(|v| lang.number(v, 4))
            .unwrap_or_else(|| "—".into()),
        window: format!(
            "{} – {} ({})",
            g.window_from.format(lang.date_format()),
            g.window_to.format(lang.date_format()),
            lang.matches_count(g.window_matches)
        ),
        promoted: if g.promoted { t.yes } else { t.no },
        reason: gate_sentence(g, lang),
    });
    ModelPage {
        c: chrome,
        champion_quality: champion_manifest
            .and_then(|m| quality_sentence(m, data.champion_matches, lang)),
        champion_version,
        versions: rows,
        calibration_svg,
        rps_svg,
        comparison,
        lineage,
        gate,
    }
    .render()
}

// ---------------------------------------------------------------- Desempenho

/// A row of the per-round table.
pub struct RoundRow {
    pub version: String,
    pub serving: bool,
    pub season: i32,
    pub round: u16,
    pub days: String,
    pub matches: usize,
    pub rps: String,
    pub base_rps: String,
    pub accuracy: String,
    pub base_accuracy: String,
    /// `better` or `worse` than the base rate.
    pub verdict: &'static str,
}

/// One line per version.
pub struct TrackSummary {
    pub version: String,
    pub serving: bool,
    pub text: String,
}

#[derive(Template)]
#[template(path = "desempenho.html")]
pub struct PerformancePage {
    pub c: Chrome,
    pub error: Option<String>,
    pub summaries: Vec<TrackSummary>,
    pub chart_svg: String,
    pub rows: Vec<RoundRow>,
}

/// Matches below which a version's track record is too small a sample to call it better or worse
/// than the base rate (one round is 10; the RPS of 30 matches still moves by ~0.02 on luck).
pub const MIN_MATCHES_TO_JUDGE: usize = 30;

/// One version's track record in a sentence, with its number of matches; a verdict against the
/// base rate only from [`MIN_MATCHES_TO_JUDGE`] matches on.
pub fn track_sentence(v: &VersionTrack, lang: Lang) -> String {
    let t = lang.texts();
    let verdict = if v.matches < MIN_MATCHES_TO_JUDGE {
        t.small_sample
    } else if v.rps < v.base_rps {
        t.better
    } else {
        t.worse
    };
    let (n, through) = (
        lang.matches_count(v.matches),
        v.trained_through.format(lang.date_format()),
    );
    let (rps, base_rps) = (lang.number(v.rps, 4), lang.number(v.base_rps, 4));
    let (acc, base_acc) = (lang.percent(v.accuracy), lang.percent(v.base_accuracy));
    match lang {
        Lang::Pt => format!(
            "{n} depois de {through}: RPS {rps} contra {base_rps} da taxa-base; acerto {acc} contra {base_acc} — {verdict}."
        ),
        Lang::En => format!(
            "{n} after {through}: RPS {rps} against the base rate's {base_rps}; accuracy {acc} against {base_acc} — {verdict}."
        ),
    }
}

/// Renders Desempenho from the track record (or the error that prevented computing it).
pub fn performance_page(
    tracks: Result<&[VersionTrack], String>,
    lang: Lang,
    chrome: Chrome,
) -> Result<String, askama::Error> {
    let t = lang.texts();
    let (tracks, error) = match tracks {
        Ok(t) => (t, None),
        Err(e) => (&[][..], Some(e)),
    };
    let scored: Vec<&VersionTrack> = tracks.iter().filter(|v| v.matches > 0).collect();
    let summaries = scored
        .iter()
        .map(|v| TrackSummary {
            version: v.version.clone(),
            serving: v.serving,
            text: track_sentence(v, lang),
        })
        .collect();
    let mut series: Vec<Series> = scored
        .iter()
        .map(|v| Series {
            name: if v.serving {
                format!("{} ({})", v.version, t.serving_now)
            } else {
                v.version.clone()
            },
            points: v.stretches.iter().map(|r| (r.to, r.rps)).collect(),
            emphasis: v.serving,
            reference: false,
        })
        .collect();
    // The base rate of the version serving now (else the newest scored one).
    if let Some(v) = scored.iter().find(|v| v.serving).or(scored.last()) {
        series.push(Series {
            name: format!("{} ({})", t.base_rate, v.version),
            points: v.stretches.iter().map(|r| (r.to, r.base_rps)).collect(),
            emphasis: false,
            reference: true,
        });
    }
    let seasons = charts::season_starts(
        scored
            .iter()
            .flat_map(|v| v.stretches.iter().map(|r| (r.from, r.season)))
            .collect::<std::collections::BTreeSet<_>>(),
    );
    let chart_svg = charts::time_chart(&TimeChart {
        title: t.perf_chart.to_string(),
        y_label: "RPS".into(),
        series,
        seasons,
        date_format: lang.date_format().into(),
    });
    let rows = scored
        .iter()
        .rev()
        .flat_map(|v| {
            v.rounds.iter().rev().map(move |r| RoundRow {
                version: v.version.clone(),
                serving: v.serving,
                season: r.season,
                round: r.round,
                days: if r.from == r.to {
                    r.from.format(lang.date_format()).to_string()
                } else {
                    format!(
                        "{} – {}",
                        r.from.format(lang.date_format()),
                        r.to.format(lang.date_format())
                    )
                },
                matches: r.matches,
                rps: lang.number(r.rps, 4),
                base_rps: lang.number(r.base_rps, 4),
                accuracy: lang.percent(r.accuracy),
                base_accuracy: lang.percent(r.base_accuracy),
                verdict: if r.rps < r.base_rps {
                    "better"
                } else {
                    "worse"
                },
            })
        })
        .collect();
    PerformancePage {
        c: chrome,
        error,
        summaries,
        chart_svg,
        rows,
    }
    .render()
}

// ---------------------------------------------------------------- Pipeline

/// A step of a run.
pub struct StepView {
    pub name: String,
    pub outcome: String,
    pub duration: Option<String>,
    pub error: Option<String>,
}

/// A run in the list.
pub struct RunView {
    pub id: String,
    /// The status code (`succeeded`, `up-to-date`, ...): the row's CSS class.
    pub status: String,
    /// The status in the page's language.
    pub status_text: &'static str,
    pub trigger: String,
    pub started: String,
    pub steps: Vec<StepView>,
    pub quarantined: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "runs.html")]
pub struct RunsFragment {
    pub t: &'static Texts,
    pub runs: Vec<RunView>,
}

/// A message box on the pipeline page.
pub struct Message {
    /// `ok` or `error`.
    pub class: &'static str,
    pub lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "pipeline.html")]
pub struct PipelinePage {
    pub c: Chrome,
    pub messages: Vec<Message>,
    pub runs_html: String,
    pub admin_enabled: bool,
    pub signed_in: bool,
}

/// Runs shown on the pipeline page.
pub const RUNS_SHOWN: usize = 20;

fn status_text(code: &str, lang: Lang) -> &'static str {
    let pt = lang == Lang::Pt;
    match code {
        "running" => {
            if pt {
                "em andamento"
            } else {
                "running"
            }
        }
        "succeeded" => {
            if pt {
                "concluída"
            } else {
                "succeeded"
            }
        }
        "up-to-date" => {
            if pt {
                "já em dia"
            } else {
                "up to date"
            }
        }
        "failed" => {
            if pt {
                "falhou"
            } else {
                "failed"
            }
        }
        "abandoned" => {
            if pt {
                "abandonada"
            } else {
                "abandoned"
            }
        }
        _ => "?",
    }
}

/// Renders the run list (newest first) as the fragment the page polls.
pub fn runs_fragment(runs: &[RunRecord], lang: Lang) -> Result<String, askama::Error> {
    let runs = runs
        .iter()
        .rev()
        .take(RUNS_SHOWN)
        .map(|r| {
            let status = serde_json::to_value(r.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let quarantined = r
                .steps
                .iter()
                .find(|s| s.name == "process")
                .and_then(|s| s.detail.get("rows_quarantined"))
                .and_then(Value::as_u64)
                .map(|n| n.to_string())
                .unwrap_or_else(|| "—".into());
            RunView {
                id: r.run_id.clone(),
                status_text: status_text(&status, lang),
                status,
                trigger: r.trigger.clone(),
                started: format_time(&r.started_at, lang),
                steps: r
                    .steps
                    .iter()
                    .map(|s| StepView {
                        name: s.name.clone(),
                        outcome: s.outcome.clone(),
                        duration: s.finished_at.map(|f| {
                            let ms = (f - s.started_at).num_milliseconds().max(0);
                            format!("{} s", lang.number(ms as f64 / 1000.0, 2))
                        }),
                        error: s.error.clone(),
                    })
                    .collect(),
                quarantined,
                // A run that reached the gate: its decision in the page's language.
                message: r
                    .gate
                    .as_ref()
                    .map(|g| gate_sentence(g, lang))
                    .unwrap_or_else(|| r.message.clone()),
            }
        })
        .collect();
    RunsFragment {
        t: lang.texts(),
        runs,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futbr_models::metrics::Scores;
    use futbr_models::Candidate;
    use futbr_pipeline::track_record::StretchScore;
    use futbr_pipeline::train::ComparedCandidate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn stretch(season: i32, day: &str, rps: f64) -> StretchScore {
        StretchScore {
            season,
            from: d(day),
            to: d(day),
            matches: 10,
            rps,
            accuracy: 0.5,
            base_rps: 0.23,
            base_accuracy: 0.45,
        }
    }

    fn scores(rps: f64, accuracy: f64, log_loss: f64, ece: f64) -> Scores {
        Scores {
            matches: 380,
            rps,
            log_loss,
            brier: 0.6,
            accuracy,
            ece,
            ece_classwise: 0.03,
        }
    }

    fn comparison() -> Comparison {
        Comparison {
            from: d("2023-11-01"),
            to: d("2024-05-05"),
            matches: 30,
            trained: Candidate::MarketElo,
            candidates: vec![
                ComparedCandidate {
                    candidate: Candidate::BaseRates,
                    scores: scores(0.2300, 0.45, 1.06, 0.02),
                },
                ComparedCandidate {
                    candidate: Candidate::Elo,
                    scores: scores(0.2050, 0.52, 0.99, 0.04),
                },
                ComparedCandidate {
                    candidate: Candidate::MarketElo,
                    scores: scores(0.2021, 0.50, 0.98, 0.03),
                },
            ],
            // The end of one season and the start of the next.
            stretches: vec![
                stretch(2023, "2023-11-26", 0.21),
                stretch(2023, "2023-12-06", 0.19),
                stretch(2024, "2024-04-14", 0.22),
            ],
        }
    }

    #[test]
    fn rps_over_time_has_a_point_per_stretch_then_the_track_record_and_season_boundaries() {
        let c = comparison();
        let track = VersionTrack {
            version: "v1".into(),
            candidate: Candidate::MarketElo,
            trained_through: d("2024-04-14"),
            serving: true,
            base_rate: [0.5, 0.25, 0.25],
            matches: 20,
            rps: 0.2,
            accuracy: 0.5,
            base_rps: 0.23,
            base_accuracy: 0.45,
            rounds: Vec::new(),
            stretches: vec![
                stretch(2024, "2024-04-21", 0.18),
                stretch(2024, "2024-04-28", 0.24),
            ],
        };
        let chart = rps_over_time(Some(&c), Some(&track), Lang::Pt);
        let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "campeão: teste retroativo",
                "campeão: jogos depois do treino",
                "taxa-base"
            ]
        );
        // One point per stretch, at its last day, with its RPS.
        assert_eq!(
            chart.series[0].points,
            vec![
                (d("2023-11-26"), 0.21),
                (d("2023-12-06"), 0.19),
                (d("2024-04-14"), 0.22)
            ]
        );
        assert!(chart.series[0].emphasis && !chart.series[1].emphasis);
        // After training: only later dates.
        assert!(chart.series[1]
            .points
            .iter()
            .all(|(day, _)| *day > track.trained_through));
        assert_eq!(chart.series[1].points.len(), 2);
        // The base rate spans both, as a reference line.
        assert!(chart.series[2].reference);
        assert_eq!(chart.series[2].points.len(), 5);
        // Season boundaries: where 2023 and 2024 start in the data.
        assert_eq!(
            chart.seasons,
            vec![
                (d("2023-11-26"), "2023".to_string()),
                (d("2024-04-14"), "2024".to_string())
            ]
        );
        let svg = charts::time_chart(&chart);
        assert!(
            svg.contains("06/12/2023") || svg.contains("/2024"),
            "pt dates"
        );
        assert!(svg.contains(">2024</text>"));
        // No data: an empty, valid chart.
        let empty = rps_over_time(None, None, Lang::En);
        assert!(empty.series.is_empty());
    }

    fn track(matches: usize, rps: f64) -> VersionTrack {
        VersionTrack {
            version: "v1".into(),
            candidate: Candidate::MarketElo,
            trained_through: d("2024-04-14"),
            serving: true,
            base_rate: [0.5, 0.25, 0.25],
            matches,
            rps,
            accuracy: 0.0,
            base_accuracy: 1.0,
            base_rps: 0.23,
            rounds: Vec::new(),
            stretches: Vec::new(),
        }
    }

    #[test]
    fn a_small_track_record_is_not_judged_against_the_base_rate() {
        // One match, worse than the base rate: no verdict, the sample is named.
        let one = track_sentence(&track(1, 0.40), Lang::Pt);
        assert!(one.starts_with("1 jogo depois de 14/04/2024"), "{one}");
        assert!(one.contains("amostra pequena demais"), "{one}");
        assert!(!one.contains("pior que a taxa-base"), "{one}");
        let few = track_sentence(&track(MIN_MATCHES_TO_JUDGE - 1, 0.40), Lang::En);
        assert!(few.contains("too small a sample"), "{few}");
        // Enough matches: the verdict.
        let many = track_sentence(&track(MIN_MATCHES_TO_JUDGE, 0.40), Lang::Pt);
        assert!(
            many.contains("30 jogos") && many.contains("pior que a taxa-base"),
            "{many}"
        );
        let good = track_sentence(&track(120, 0.20), Lang::Pt);
        assert!(good.contains("melhor que a taxa-base"), "{good}");
    }

    #[test]
    fn the_gate_decision_is_a_sentence_in_the_page_language() {
        let mut g = futbr_pipeline::runs::GateDecision {
            challenger: "v2".into(),
            champion: None,
            challenger_rps: 0.2034,
            champion_rps: None,
            tolerance: 0.002,
            window_from: d("2024-01-01"),
            window_to: d("2024-12-01"),
            window_matches: 1,
            promoted: true,
            reason: "no champion yet: the first version is promoted".into(),
        };
        let first = gate_sentence(&g, Lang::Pt);
        assert_eq!(
            first,
            "Ainda não havia campeão: a primeira versão, v2, foi promovida."
        );
        g.champion = Some("v1".into());
        g.champion_rps = Some(0.2001);
        g.promoted = false;
        let kept = gate_sentence(&g, Lang::Pt);
        assert!(kept.contains("0,2034") && kept.contains("0,2001"), "{kept}");
        assert!(
            kept.contains("mesmos 1 jogo") && kept.contains("o campeão continua"),
            "{kept}"
        );
        assert!(!kept.contains("challenger"), "{kept}");
        assert!(gate_sentence(&g, Lang::En).contains("the champion stays"));
    }

    #[test]
    fn the_comparison_marks_the_trained_candidate_and_the_best_of_each_column() {
        let view = comparison_view("v1", &comparison(), Lang::Pt);
        assert_eq!(view.rows.len(), 3);
        let row = |name: &str| view.rows.iter().find(|r| r.name == name).unwrap();
        assert!(row("market-elo").trained && !row("elo").trained);
        // Lowest RPS, log-loss and ECE; highest accuracy.
        assert_eq!(row("market-elo").rps, ("0,2021".to_string(), true));
        assert!(!row("elo").rps.1 && !row("base-rates").rps.1);
        assert!(row("elo").accuracy.1 && !row("market-elo").accuracy.1);
        assert!(row("market-elo").log_loss.1);
        assert!(row("base-rates").ece.1 && !row("elo").ece.1);
        assert!(view.window.contains("30 jogos"), "{}", view.window);
    }
}
