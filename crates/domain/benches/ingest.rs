//! Parse-and-validate throughput, and merge (dedupe, order, seasons), on a synthetic league history.
//!
//! `FUTBR_BENCH_MATCHES` sets the size (default 1,000,000 matches).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futbr_domain::synthetic::{csv_bytes, LeagueShape};
use futbr_domain::validate::{validate_csv, ValidateOptions};
use futbr_domain::History;

fn size() -> usize {
    std::env::var("FUTBR_BENCH_MATCHES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

fn ingest(c: &mut Criterion) {
    let n = size();
    let bytes = csv_bytes(&LeagueShape::with_matches(n));
    let options = ValidateOptions::default();
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(format!("validate_{n}_rows"), |b| {
        b.iter(|| {
            validate_csv("synthetic.csv", &bytes, &options)
                .matches
                .len()
        })
    });
    let matches = validate_csv("synthetic.csv", &bytes, &options).matches;
    let files = vec![("synthetic.csv".to_string(), matches)];
    group.bench_function(format!("merge_{n}_matches"), |b| {
        b.iter_batched(
            || files.clone(),
            |f| History::merge(f).0.len(),
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
