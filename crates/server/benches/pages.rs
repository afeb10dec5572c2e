//! Server-side rendering of the home page (Início) answering a question about two real clubs,
//! from a champion trained by the real pipeline on the original system's production data
//! (`dados_producao_inicial.csv`, in an in-memory lake). Also checks the page stays under 50 KB.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use futbr_lake::Lake;
use futbr_pipeline::orchestrate::{run_pipeline, PipelineOptions};
use futbr_pipeline::serving::ServedModel;
use futbr_server::web::i18n::Lang;
use futbr_server::web::views::{home_page, Chrome, HomeForm, Section};

/// The home page's budget (issue: under 50 KB).
const MAX_BYTES: usize = 50 * 1024;

fn served_model() -> ServedModel {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let lake = Lake::open("memory://").expect("an in-memory lake");
        lake.add_raw(
            "dados_producao_inicial.csv",
            Bytes::from(futbr_testkit::read_shared("dados_producao_inicial.csv")),
        )
        .await
        .expect("raw file added");
        let options = PipelineOptions {
            // Rendering does not depend on the comparison; skip its cost here.
            compare: Vec::new(),
            ..PipelineOptions::default()
        };
        run_pipeline(&lake, &options).await.expect("a pipeline run");
        ServedModel::load(&lake)
            .await
            .expect("the champion loads")
            .expect("a champion")
    })
}

fn render(model: &ServedModel, form: &HomeForm, lang: Lang) -> String {
    let chrome = Chrome::new(
        lang,
        Section::Home,
        "/?lang=en".into(),
        Some(model.version().to_string()),
    );
    home_page(Some(model), form, lang, chrome).expect("the page renders")
}

fn pages(c: &mut Criterion) {
    let model = served_model();
    let answer = HomeForm {
        home: "flamengo".into(),
        away: "PALMEIRAS".into(),
        date: String::new(),
        new_club: false,
    };
    let page = render(&model, &answer, Lang::Pt);
    assert!(page.contains("id=\"answer\""), "the answer is on the page");
    assert!(
        page.len() < MAX_BYTES,
        "the answered home page is {} bytes (budget {MAX_BYTES})",
        page.len()
    );
    eprintln!(
        "home page answering flamengo × PALMEIRAS: {} bytes",
        page.len()
    );
    let mut group = c.benchmark_group("pages");
    group.bench_function("home_answer_pt", |b| {
        b.iter(|| render(&model, &answer, Lang::Pt))
    });
    group.bench_function("home_empty_pt", |b| {
        b.iter(|| render(&model, &HomeForm::default(), Lang::Pt))
    });
    group.finish();
}

criterion_group!(benches, pages);
criterion_main!(benches);
