//! The processed tables as Parquet: typed columns readable by pandas, pyarrow and DuckDB.
//!
//! `processed/matches.parquet` has one row per match in chronological order with the columns
//! `id, season, round, date, time, home, away, home_formation, away_formation, home_coach,
//! away_coach, arena, home_goals, away_goals, home_state, away_state, outcome, source`, then the
//! closing 1X2 odds (nullable `Float64`) `pinnacle_home, pinnacle_draw, pinnacle_away,
//! average_home, average_draw, average_away` and `odds_source` (the raw object they came from).
//! `id` is null for a match only a source without IDs (football-data.co.uk) knows.

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, Date32Array, Float64Array, Int32Array, RecordBatch, StringArray, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use bytes::Bytes;
use chrono::{NaiveDate, NaiveTime};
use futbr_domain::{ClosingOdds, History, Match, Odds1x2, Price};
use futbr_features::{FeatureRow, ALL};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::LakeError;

const UNIX_EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

/// Days since 1970-01-01, as Arrow's `Date32`.
pub fn date32(date: NaiveDate) -> i32 {
    (date - UNIX_EPOCH).num_days() as i32
}

/// The date of an Arrow `Date32` value.
pub fn from_date32(days: i32) -> NaiveDate {
    UNIX_EPOCH + chrono::Duration::days(days as i64)
}

/// Encodes one record batch as a Parquet file (Snappy-compressed).
pub fn write_parquet(batch: &RecordBatch) -> Result<Vec<u8>, parquet::errors::ParquetError> {
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(out)
}

/// Reads every row group of a Parquet file into batches.
pub fn read_parquet(key: &str, bytes: Bytes) -> Result<Vec<RecordBatch>, LakeError> {
    let table_error = |e: &dyn std::fmt::Display| LakeError::Table {
        key: key.to_string(),
        reason: e.to_string(),
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(|e| table_error(&e))?
        .with_batch_size(64 * 1024)
        .build()
        .map_err(|e| table_error(&e))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| table_error(&e))
}

fn matches_schema() -> Schema {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let int = |name: &str| Field::new(name, DataType::Int32, false);
    Schema::new(vec![
        Field::new("id", DataType::UInt64, true),
        int("season"),
        int("round"),
        Field::new("date", DataType::Date32, false),
        text("time", true),
        text("home", false),
        text("away", false),
        text("home_formation", true),
        text("away_formation", true),
        text("home_coach", false),
        text("away_coach", false),
        text("arena", false),
        int("home_goals"),
        int("away_goals"),
        text("home_state", false),
        text("away_state", false),
        text("outcome", false),
        text("source", false),
        Field::new("pinnacle_home", DataType::Float64, true),
        Field::new("pinnacle_draw", DataType::Float64, true),
        Field::new("pinnacle_away", DataType::Float64, true),
        Field::new("average_home", DataType::Float64, true),
        Field::new("average_draw", DataType::Float64, true),
        Field::new("average_away", DataType::Float64, true),
        text("odds_source", true),
    ])
}

/// The columns of one bookmaker's prices, in the order home, draw, away.
fn price_columns(
    ms: &[Match],
    bookmaker: impl Fn(&ClosingOdds) -> Option<Odds1x2>,
) -> [ArrayRef; 3] {
    let column = |pick: fn(&Odds1x2) -> Price| -> ArrayRef {
        Arc::new(Float64Array::from_iter(ms.iter().map(|m| {
            m.odds
                .as_ref()
                .and_then(&bookmaker)
                .map(|o| pick(&o).decimal())
        })))
    };
    [column(|o| o.home), column(|o| o.draw), column(|o| o.away)]
}

/// Encodes a history as `processed/matches.parquet`; `sources` names the file of each source index.
pub fn matches_to_parquet(history: &History, sources: &[String]) -> Result<Vec<u8>, LakeError> {
    let ms = history.matches();
    let strings = |f: &dyn Fn(&Match) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(ms.iter().map(f)))
    };
    let optional = |f: &dyn Fn(&Match) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from_iter(ms.iter().map(f)))
    };
    let ints = |f: &dyn Fn(&Match) -> i32| -> ArrayRef {
        Arc::new(Int32Array::from_iter_values(ms.iter().map(f)))
    };
    let source_names: Vec<&str> = history
        .sources()
        .iter()
        .map(|&i| sources.get(i).map_or("", String::as_str))
        .collect();
    let times: Vec<Option<String>> = ms
        .iter()
        .map(|m| m.time.map(|t| t.format("%H:%M").to_string()))
        .collect();
    let odds_source_names: Vec<Option<&str>> = history
        .odds_sources()
        .iter()
        .map(|i| i.and_then(|i| sources.get(i)).map(String::as_str))
        .collect();
    let [pinnacle_home, pinnacle_draw, pinnacle_away] = price_columns(ms, |o| o.pinnacle);
    let [average_home, average_draw, average_away] = price_columns(ms, |o| o.average);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter(ms.iter().map(|m| m.id))),
        ints(&|m| m.season),
        ints(&|m| i32::from(m.round)),
        Arc::new(Date32Array::from_iter_values(
            ms.iter().map(|m| date32(m.date)),
        )),
        Arc::new(StringArray::from_iter(times.iter().map(Option::as_deref))),
        strings(&|m| &m.home),
        strings(&|m| &m.away),
        optional(&|m| m.home_formation.as_deref()),
        optional(&|m| m.away_formation.as_deref()),
        strings(&|m| &m.home_coach),
        strings(&|m| &m.away_coach),
        strings(&|m| &m.arena),
        ints(&|m| i32::from(m.home_goals)),
        ints(&|m| i32::from(m.away_goals)),
        strings(&|m| &m.home_state),
        strings(&|m| &m.away_state),
        strings(&|m| m.outcome().code()),
        Arc::new(StringArray::from_iter_values(source_names)),
        pinnacle_home,
        pinnacle_draw,
        pinnacle_away,
        average_home,
        average_draw,
        average_away,
        Arc::new(StringArray::from_iter(odds_source_names)),
    ];
    let batch = RecordBatch::try_new(Arc::new(matches_schema()), columns).map_err(|e| {
        LakeError::Table {
            key: crate::keys::MATCHES.into(),
            reason: e.to_string(),
        }
    })?;
    write_parquet(&batch).map_err(|e| LakeError::Table {
        key: crate::keys::MATCHES.into(),
        reason: e.to_string(),
    })
}

/// Decodes `processed/matches.parquet` back into matches (in the stored, chronological order).
pub fn matches_from_parquet(key: &str, bytes: Bytes) -> Result<Vec<Match>, LakeError> {
    let bad = |reason: String| LakeError::Table {
        key: key.to_string(),
        reason,
    };
    let mut out = Vec::new();
    let mut interner: std::collections::HashMap<String, Arc<str>> = Default::default();
    let mut intern = |s: &str| -> Arc<str> {
        if let Some(found) = interner.get(s) {
            return found.clone();
        }
        let new: Arc<str> = Arc::from(s);
        interner.insert(s.to_string(), new.clone());
        new
    };
    for batch in read_parquet(key, bytes)? {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| bad(format!("missing column {name}")))
        };
        macro_rules! typed {
            ($name:expr, $ty:ty) => {
                column($name)?
                    .as_any()
                    .downcast_ref::<$ty>()
                    .ok_or_else(|| bad(format!("column {} has the wrong type", $name)))?
            };
        }
        let id = typed!("id", UInt64Array);
        let season = typed!("season", Int32Array);
        let round = typed!("round", Int32Array);
        let date = typed!("date", Date32Array);
        let time = typed!("time", StringArray);
        let home = typed!("home", StringArray);
        let away = typed!("away", StringArray);
        let home_formation = typed!("home_formation", StringArray);
        let away_formation = typed!("away_formation", StringArray);
        let home_coach = typed!("home_coach", StringArray);
        let away_coach = typed!("away_coach", StringArray);
        let arena = typed!("arena", StringArray);
        let home_goals = typed!("home_goals", Int32Array);
        let away_goals = typed!("away_goals", Int32Array);
        let home_state = typed!("home_state", StringArray);
        let away_state = typed!("away_state", StringArray);
        // Tables written before odds were kept have no odds columns: no odds.
        let price_column = |name: &str| -> Result<Option<&Float64Array>, LakeError> {
            match batch.column_by_name(name) {
                None => Ok(None),
                Some(c) => c
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .map(Some)
                    .ok_or_else(|| bad(format!("column {name} has the wrong type"))),
            }
        };
        let book = |prefix: &str| -> Result<[Option<&Float64Array>; 3], LakeError> {
            Ok([
                price_column(&format!("{prefix}_home"))?,
                price_column(&format!("{prefix}_draw"))?,
                price_column(&format!("{prefix}_away"))?,
            ])
        };
        let (pinnacle, average) = (book("pinnacle")?, book("average")?);
        for i in 0..batch.num_rows() {
            let small = |v: i32, what: &str| {
                u16::try_from(v).map_err(|_| bad(format!("row {i}: {what} {v} out of range")))
            };
            let odds_of =
                |columns: &[Option<&Float64Array>; 3]| -> Result<Option<Odds1x2>, LakeError> {
                    let mut prices = [None; 3];
                    for (k, column) in columns.iter().enumerate() {
                        let Some(column) = column.filter(|c| !c.is_null(i)) else {
                            return Ok(None);
                        };
                        let value = column.value(i);
                        prices[k] = Some(
                            Price::from_thousandths((value * 1000.0).round() as u32).ok_or_else(
                                || bad(format!("row {i}: price {value} out of range")),
                            )?,
                        );
                    }
                    let [Some(home), Some(draw), Some(away)] = prices else {
                        return Ok(None);
                    };
                    Ok(Some(Odds1x2 { home, draw, away }))
                };
            let odds = ClosingOdds {
                pinnacle: odds_of(&pinnacle)?,
                average: odds_of(&average)?,
            };
            out.push(Match {
                id: (!id.is_null(i)).then(|| id.value(i)),
                season: season.value(i),
                round: small(round.value(i), "round")?,
                date: from_date32(date.value(i)),
                time: opt(time, i).and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok()),
                home: intern(home.value(i)),
                away: intern(away.value(i)),
                home_formation: opt(home_formation, i).map(&mut intern),
                away_formation: opt(away_formation, i).map(&mut intern),
                home_coach: intern(home_coach.value(i)),
                away_coach: intern(away_coach.value(i)),
                arena: intern(arena.value(i)),
                home_goals: small(home_goals.value(i), "home_goals")?,
                away_goals: small(away_goals.value(i), "away_goals")?,
                home_state: intern(home_state.value(i)),
                away_state: intern(away_state.value(i)),
                odds: (!odds.is_empty()).then_some(odds),
            });
        }
    }
    Ok(out)
}

/// Encodes `processed/features.parquet`: one row per match (`id, date, season, home, away,
/// home_goals, away_goals, outcome`), then one `Float64` column per feature of the catalog.
pub fn features_to_parquet(matches: &[Match], rows: &[FeatureRow]) -> Result<Vec<u8>, LakeError> {
    let bad = |e: &dyn std::fmt::Display| LakeError::Table {
        key: crate::keys::FEATURES.into(),
        reason: e.to_string(),
    };
    if matches.len() != rows.len() {
        return Err(bad(&format!(
            "{} matches but {} feature rows",
            matches.len(),
            rows.len()
        )));
    }
    let mut fields = vec![
        Field::new("id", DataType::UInt64, true),
        Field::new("date", DataType::Date32, false),
        Field::new("season", DataType::Int32, false),
        Field::new("home", DataType::Utf8, false),
        Field::new("away", DataType::Utf8, false),
        Field::new("home_goals", DataType::Int32, false),
        Field::new("away_goals", DataType::Int32, false),
        Field::new("outcome", DataType::Utf8, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter(matches.iter().map(|m| m.id))),
        Arc::new(Date32Array::from_iter_values(
            matches.iter().map(|m| date32(m.date)),
        )),
        Arc::new(Int32Array::from_iter_values(
            matches.iter().map(|m| m.season),
        )),
        Arc::new(StringArray::from_iter_values(
            matches.iter().map(|m| &*m.home),
        )),
        Arc::new(StringArray::from_iter_values(
            matches.iter().map(|m| &*m.away),
        )),
        Arc::new(Int32Array::from_iter_values(
            matches.iter().map(|m| i32::from(m.home_goals)),
        )),
        Arc::new(Int32Array::from_iter_values(
            matches.iter().map(|m| i32::from(m.away_goals)),
        )),
        Arc::new(StringArray::from_iter_values(
            matches.iter().map(|m| m.outcome().code()),
        )),
    ];
    for &feature in ALL {
        fields.push(Field::new(feature.name(), DataType::Float64, false));
        columns.push(Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|r| r.get(feature)),
        )));
    }
    let batch =
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| bad(&e))?;
    write_parquet(&batch).map_err(|e| bad(&e))
}

fn opt(array: &StringArray, i: usize) -> Option<&str> {
    (!array.is_null(i)).then(|| array.value(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futbr_domain::synthetic::{csv_bytes, LeagueShape};
    use futbr_domain::validate::{validate_csv, ValidateOptions};

    #[test]
    fn matches_survive_a_parquet_round_trip() {
        let v = validate_csv(
            "s.csv",
            &csv_bytes(&LeagueShape::european(2)),
            &ValidateOptions::default(),
        );
        let history = History::from_matches(v.matches);
        let bytes = matches_to_parquet(&history, &["raw/s.csv".to_string()]).unwrap();
        let back = matches_from_parquet("m.parquet", Bytes::from(bytes)).unwrap();
        assert_eq!(back, history.matches());
    }

    #[test]
    fn closing_odds_and_their_source_survive_a_round_trip_as_nullable_columns() {
        let br = "ID,rodata,data,mandante,visitante,mandante_Placar,visitante_Placar\n1,1,04/05/2024,Flamengo,Vasco,2,1\n2,1,04/05/2024,Santos,Bahia,0,0\n";
        let fd = "Country,League,Season,Date,Time,Home,Away,HG,AG,Res,PSCH,PSCD,PSCA,AvgCH,AvgCD,AvgCA\nBrazil,Serie A,2024,05/05/2024,00:30,Flamengo RJ,Vasco,2,1,H,1.655,3.9,5.5,1.6,3.8,5.2\n";
        let options = ValidateOptions::with_shipped_clubs();
        let files = [("raw/br.csv", br), ("raw/fd.csv", fd)].map(|(name, text)| {
            let v = validate_csv(name, text.as_bytes(), &options);
            assert_eq!(v.report.exit_code(), 0, "{:?}", v.report);
            futbr_domain::history::SourceFile {
                name: name.into(),
                matches: v.matches,
                lines: v.lines,
                corrects: false,
            }
        });
        let (history, summary) = History::merge_sources(files.to_vec());
        assert_eq!((history.len(), summary.combined), (2, 1));
        let names = ["raw/br.csv".to_string(), "raw/fd.csv".to_string()];
        let bytes = matches_to_parquet(&history, &names).unwrap();
        let back = matches_from_parquet("m.parquet", Bytes::from(bytes.clone())).unwrap();
        assert_eq!(back, history.matches());
        let flamengo = back.iter().find(|m| &*m.home == "Flamengo").unwrap();
        let pinnacle = flamengo.odds.unwrap().pinnacle.unwrap();
        assert_eq!(pinnacle.home.thousandths(), 1655);
        assert!(back
            .iter()
            .find(|m| &*m.home == "Santos")
            .unwrap()
            .odds
            .is_none());
        let batch = &read_parquet("m.parquet", Bytes::from(bytes)).unwrap()[0];
        for name in ["id", "pinnacle_home", "average_away", "odds_source"] {
            assert!(
                batch.schema().field_with_name(name).unwrap().is_nullable(),
                "{name}"
            );
        }
        let source = batch
            .column_by_name("odds_source")
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let flamengo_row = back.iter().position(|m| &*m.home == "Flamengo").unwrap();
        assert_eq!(source.value(flamengo_row), "raw/fd.csv");
        assert!(source.is_null(1 - flamengo_row));
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err =
            matches_from_parquet("m.parquet", Bytes::from_static(b"not parquet")).unwrap_err();
        assert!(err.to_string().contains("m.parquet"), "{err}");
    }

    #[test]
    fn date32_counts_days_from_1970() {
        let d = NaiveDate::from_ymd_opt(2024, 4, 13).unwrap();
        assert_eq!(from_date32(date32(d)), d);
        assert_eq!(date32(UNIX_EPOCH), 0);
    }
}
