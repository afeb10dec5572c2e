//! The benchmark's yardstick: a bare axum handler that parses the original 16-feature JSON,
//! computes three probabilities and answers — no model registry, no metrics, no middleware.
//! `scripts/bench-serve.sh` measures it side by side with `futbr serve`, so the ratio is
//! reproducible on any machine.
//!
//! Usage: `cargo run --release -p futbr-server --example bare -- 127.0.0.1:18090`

use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[allow(dead_code)]
struct Features {
    form_gols_feitos_mandante: f64,
    form_gols_sofridos_mandante: f64,
    form_pontos_mandante: f64,
    form_gols_feitos_visitante: f64,
    form_gols_sofridos_visitante: f64,
    form_pontos_visitante: f64,
    eh_classico: f64,
    mandante_def: f64,
    mandante_mid: f64,
    mandante_att: f64,
    visitante_def: f64,
    visitante_mid: f64,
    visitante_att: f64,
    diff_def: f64,
    diff_mid: f64,
    diff_att: f64,
}

#[derive(Serialize)]
struct Answer {
    prediction_numeric: usize,
    prediction_text: &'static str,
    p_home: f64,
    p_draw: f64,
    p_away: f64,
}

async fn predict(Json(f): Json<Features>) -> Json<Answer> {
    // A fixed linear softmax: the cost of arithmetic, not of a model.
    let strength = 0.4 * (f.form_pontos_mandante - f.form_pontos_visitante)
        + 0.2 * (f.form_gols_feitos_mandante - f.form_gols_feitos_visitante)
        + 0.05 * (f.diff_att - f.diff_def);
    let logits = [0.25 + strength, 0.0, -0.1 - strength];
    let max = logits.iter().cloned().fold(f64::MIN, f64::max);
    let e = logits.map(|l| (l - max).exp());
    let s: f64 = e.iter().sum();
    let p = e.map(|v| v / s);
    let best = (0..3).fold(0, |b, i| if p[i] > p[b] { i } else { b });
    Json(Answer {
        prediction_numeric: best,
        prediction_text: ["Vitória do Mandante", "Empate", "Vitória do Visitante"][best],
        p_home: p[0],
        p_draw: p[1],
        p_away: p[2],
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18090".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, Router::new().route("/predict", post(predict))).await
}
