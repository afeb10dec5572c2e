//! One Dixon–Coles fit (cold start, no warm start) on ten seasons of the real data (2014–2023).

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_domain::History;
use futbr_models::dixon_coles::{DixonColes, DixonColesConfig};

fn fit(c: &mut Criterion) {
    let v = validate_csv(
        "full.csv",
        &futbr_testkit::read_shared("campeonato-brasileiro-full.csv"),
        &ValidateOptions::default(),
    );
    let history = History::from_matches(v.matches);
    let as_of = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let config = DixonColesConfig {
        window_days: 10 * 365,
        ..DixonColesConfig::default()
    };
    let warm = DixonColes::fit(
        history.matches(),
        as_of - chrono::Duration::days(7),
        config,
        None,
    );
    let mut group = c.benchmark_group("dixon_coles");
    group.sample_size(20);
    group.bench_function("fit_ten_seasons_cold", |b| {
        b.iter(|| DixonColes::fit(history.matches(), as_of, config, None))
    });
    group.bench_function("fit_ten_seasons_warm", |b| {
        b.iter(|| DixonColes::fit(history.matches(), as_of, config, Some(&warm)))
    });
    group.finish();
}

criterion_group!(benches, fit);
criterion_main!(benches);
