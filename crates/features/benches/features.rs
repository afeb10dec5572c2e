//! Batch features for a synthetic history (default 1,000,000 matches; `FUTBR_BENCH_MATCHES`), and
//! one online feature query against the state after all of them.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use futbr_domain::synthetic::{csv_bytes, LeagueShape};
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_domain::History;
use futbr_features::{batch_features, EngineConfig, Fixture};

fn size() -> usize {
    std::env::var("FUTBR_BENCH_MATCHES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

fn features(c: &mut Criterion) {
    let n = size();
    let matches = validate_csv(
        "s.csv",
        &csv_bytes(&LeagueShape::with_matches(n)),
        &ValidateOptions::default(),
    )
    .matches;
    let history = History::from_matches(matches);
    let mut group = c.benchmark_group("features");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(format!("batch_{n}_matches"), |b| {
        b.iter(|| {
            batch_features(history.matches(), EngineConfig::default())
                .unwrap()
                .0
                .len()
        })
    });
    group.finish();

    let (_, engine) = batch_features(history.matches(), EngineConfig::default()).unwrap();
    let last = history.matches().last().unwrap();
    let date = last.date + chrono::Duration::days(7);
    let mut group = c.benchmark_group("features");
    group.bench_function("online_query", |b| {
        b.iter_batched(
            || Fixture {
                date,
                home: &last.home,
                away: &last.away,
                home_state: None,
                away_state: None,
            },
            |fixture| engine.features(&fixture).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, features);
criterion_main!(benches);
