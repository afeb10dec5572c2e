//! A generator of synthetic league histories in the match CSV schema, for benchmarks and tests.
//!
//! Teams have latent attack and defence strengths that drift between seasons; goals are Poisson
//! with a home advantage. Every round is a double round robin (circle method) per division, one
//! round every `days_between_rounds` days from the season's start. The same shape and seed give the
//! same bytes.

use std::io::{self, Write};

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};

use crate::validate::{OPTIONAL_COLUMNS, REQUIRED_COLUMNS};

/// The header of the match CSV schema, in the original column order.
pub const HEADER: &str = "ID,rodata,data,hora,mandante,visitante,formacao_mandante,formacao_visitante,tecnico_mandante,tecnico_visitante,vencedor,arena,mandante_Placar,visitante_Placar,mandante_Estado,visitante_Estado";

/// The shape of a synthetic league.
#[derive(Debug, Clone)]
pub struct LeagueShape {
    /// Independent divisions playing on the same days (a way to reach a million matches in a
    /// plausible span of years).
    pub divisions: usize,
    /// Teams per division (even).
    pub teams_per_division: usize,
    pub seasons: usize,
    pub first_season: i32,
    /// Month and day each season starts.
    pub season_start: (u32, u32),
    pub days_between_rounds: i64,
    /// Stop after this many matches (None: the whole shape).
    pub max_matches: Option<usize>,
    pub seed: u64,
}

impl LeagueShape {
    /// A Série A-like league: 20 teams, 38 rounds, April to December.
    pub fn serie_a(seasons: usize) -> LeagueShape {
        LeagueShape {
            divisions: 1,
            teams_per_division: 20,
            seasons,
            first_season: 2003,
            season_start: (4, 10),
            days_between_rounds: 7,
            max_matches: None,
            seed: 7,
        }
    }

    /// A European-style league: 18 teams, 34 rounds, seasons from August across the new year.
    pub fn european(seasons: usize) -> LeagueShape {
        LeagueShape {
            divisions: 1,
            teams_per_division: 18,
            seasons,
            first_season: 2005,
            season_start: (8, 5),
            days_between_rounds: 8,
            max_matches: None,
            seed: 11,
        }
    }

    /// About `matches` matches: 20-team divisions over 27 seasons from 1998.
    pub fn with_matches(matches: usize) -> LeagueShape {
        let per_division = 27 * 380;
        LeagueShape {
            divisions: matches.div_ceil(per_division).max(1),
            teams_per_division: 20,
            seasons: 27,
            first_season: 1998,
            season_start: (4, 1),
            days_between_rounds: 7,
            max_matches: Some(matches),
            seed: 42,
        }
    }

    /// Rounds per season (double round robin).
    pub fn rounds(&self) -> usize {
        2 * (self.teams_per_division - 1)
    }
}

/// Writes the league as a match CSV; returns the number of matches written.
pub fn write_csv<W: Write>(shape: &LeagueShape, out: W) -> io::Result<usize> {
    debug_assert!(REQUIRED_COLUMNS
        .iter()
        .chain(OPTIONAL_COLUMNS.iter())
        .all(|c| HEADER.contains(c)));
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    writeln!(out, "{HEADER}")?;
    let mut rng = ChaCha8Rng::seed_from_u64(shape.seed);
    let n = shape.teams_per_division.max(2) & !1;
    let teams = shape.divisions * n;
    let names: Vec<String> = (0..teams).map(|t| format!("Clube {t:05}")).collect();
    let states: Vec<String> = (0..teams).map(|t| format!("E{}", t % 7)).collect();
    let formations = ["4-4-2", "4-3-3", "4-2-3-1", "3-5-2", "4-1-2-1-2"];
    let strength = Normal::new(0.0, 0.25).expect("valid normal");
    let drift = Normal::new(0.0, 0.08).expect("valid normal");
    let mut attack: Vec<f64> = (0..teams).map(|_| strength.sample(&mut rng)).collect();
    let mut defence: Vec<f64> = (0..teams).map(|_| strength.sample(&mut rng)).collect();
    let rounds = 2 * (n - 1);
    let mut id = 0usize;
    let limit = shape.max_matches.unwrap_or(usize::MAX);
    for season in 0..shape.seasons {
        let start = NaiveDate::from_ymd_opt(
            shape.first_season + season as i32,
            shape.season_start.0,
            shape.season_start.1,
        )
        .unwrap_or_default();
        for t in 0..teams {
            attack[t] = 0.8 * attack[t] + drift.sample(&mut rng);
            defence[t] = 0.8 * defence[t] + drift.sample(&mut rng);
        }
        for round in 0..rounds {
            let date = start + Duration::days(shape.days_between_rounds * round as i64);
            let date = date.format("%d/%m/%Y").to_string();
            for division in 0..shape.divisions {
                for (a, b) in round_robin_pairs(n, round % (n - 1)) {
                    if id >= limit {
                        out.flush()?;
                        return Ok(id);
                    }
                    let (h, v) = if (round < n - 1) ^ (a % 2 == 0) {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    let (h, v) = (division * n + h, division * n + v);
                    let home_rate = (0.25 + 0.3 + attack[h] - defence[v]).exp();
                    let away_rate = (0.1 + attack[v] - defence[h]).exp();
                    let hg = Poisson::new(home_rate)
                        .map_or(1.0, |p| p.sample(&mut rng))
                        .min(15.0) as u32;
                    let ag = Poisson::new(away_rate)
                        .map_or(1.0, |p| p.sample(&mut rng))
                        .min(15.0) as u32;
                    let winner = match hg.cmp(&ag) {
                        std::cmp::Ordering::Greater => names[h].as_str(),
                        std::cmp::Ordering::Equal => "-",
                        std::cmp::Ordering::Less => names[v].as_str(),
                    };
                    id += 1;
                    let hour = 16 + rng.random_range(0..5u32);
                    writeln!(
                        out,
                        "{id},{},{date},{hour}:00,{},{},{},{},Tecnico {h},Tecnico {v},{winner},Estadio {h},{hg},{ag},{},{}",
                        round + 1,
                        names[h],
                        names[v],
                        formations[h % formations.len()],
                        formations[v % formations.len()],
                        states[h],
                        states[v],
                    )?;
                }
            }
        }
    }
    out.flush()?;
    Ok(id)
}

/// The pairs of round `r` of a single round robin among `n` teams (circle method).
fn round_robin_pairs(n: usize, r: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n / 2).map(move |i| {
        let slot = |k: usize| if k == 0 { 0 } else { 1 + (k - 1 + r) % (n - 1) };
        (slot(i), slot(n - 1 - i))
    })
}

/// The league as CSV bytes.
pub fn csv_bytes(shape: &LeagueShape) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_csv(shape, &mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::History;
    use crate::validate::{validate_csv, ValidateOptions};

    #[test]
    fn every_team_meets_every_other_twice_a_season() {
        let shape = LeagueShape::european(1);
        let v = validate_csv("s.csv", &csv_bytes(&shape), &ValidateOptions::default());
        assert!(
            v.report.problems.is_empty(),
            "{:?}",
            &v.report.problems[..3.min(v.report.problems.len())]
        );
        assert_eq!(v.matches.len(), 18 * 17);
        let mut pairs: Vec<(String, String)> = v
            .matches
            .iter()
            .map(|m| (m.home.to_string(), m.away.to_string()))
            .collect();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len(), 18 * 17);
    }

    #[test]
    fn seasons_crossing_the_new_year_are_derived() {
        let shape = LeagueShape::european(3);
        let v = validate_csv("s.csv", &csv_bytes(&shape), &ValidateOptions::default());
        let h = History::from_matches(v.matches);
        let mut seasons: Vec<i32> = h.matches().iter().map(|m| m.season).collect();
        seasons.dedup();
        assert_eq!(seasons, [2005, 2006, 2007]);
    }

    #[test]
    fn generation_is_deterministic_and_bounded() {
        let shape = LeagueShape::with_matches(1000);
        let a = csv_bytes(&shape);
        assert_eq!(a, csv_bytes(&shape));
        assert_eq!(a.iter().filter(|&&b| b == b'\n').count(), 1001);
    }
}
