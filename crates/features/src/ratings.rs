//! Rating arithmetic shared by the feature engine and the models: Elo and pi-ratings.

/// Elo win expectancy of a side `diff` rating points stronger (home advantage included).
pub fn elo_expectation(diff: f64) -> f64 {
    1.0 / (1.0 + 10f64.powf(-diff / 400.0))
}

/// The World Football Elo goal-difference multiplier: 1 for a one-goal margin (or a draw), 1.5
/// for two goals, (11 + n) / 8 for n ≥ 3.
pub fn elo_goal_multiplier(goal_diff: i32) -> f64 {
    match goal_diff.unsigned_abs() {
        0 | 1 => 1.0,
        2 => 1.5,
        n => (11.0 + f64::from(n)) / 8.0,
    }
}

/// Goals a pi-rating expects a side to score more than an average opponent (base 10, c = 3).
pub fn pi_expected_goals(rating: f64) -> f64 {
    rating.signum() * (10f64.powf(rating.abs() / 3.0) - 1.0)
}

/// Expected goal difference of a match from the home side's home rating and the away side's away
/// rating.
pub fn pi_expected_goal_diff(home_rating_at_home: f64, away_rating_away: f64) -> f64 {
    pi_expected_goals(home_rating_at_home) - pi_expected_goals(away_rating_away)
}

/// The pi-rating update (Constantinou & Fenton 2013) after a match with `observed_goal_diff`
/// (home minus away). Ratings are (at home, away) per club; returns the new ones.
pub fn pi_update(
    home: (f64, f64),
    away: (f64, f64),
    observed_goal_diff: f64,
    learning_rate: f64,
    cross_rate: f64,
) -> ((f64, f64), (f64, f64)) {
    let error = observed_goal_diff - pi_expected_goal_diff(home.0, away.1);
    let psi = 3.0 * (1.0 + error.abs()).log10() * error.signum();
    let home_at_home = home.0 + psi * learning_rate;
    let home_away = home.1 + (home_at_home - home.0) * cross_rate;
    let away_away = away.1 - psi * learning_rate;
    let away_at_home = away.0 + (away_away - away.1) * cross_rate;
    ((home_at_home, home_away), (away_at_home, away_away))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elo_expectation_is_a_half_when_even_and_symmetric() {
        assert_eq!(elo_expectation(0.0), 0.5);
        assert!((elo_expectation(400.0) - 10.0 / 11.0).abs() < 1e-12);
        assert!((elo_expectation(123.0) + elo_expectation(-123.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn goal_multiplier_follows_world_football_elo() {
        assert_eq!(elo_goal_multiplier(0), 1.0);
        assert_eq!(elo_goal_multiplier(-2), 1.5);
        assert_eq!(elo_goal_multiplier(3), 1.75);
    }

    #[test]
    fn pi_update_matches_the_papers_worked_example() {
        // Equal clubs at 0, home wins 2-0: error 2, psi = 3·log10(3) ≈ 1.4314.
        let ((hh, ha), (ah, aa)) = pi_update((0.0, 0.0), (0.0, 0.0), 2.0, 0.035, 0.7);
        let psi = 3.0 * 3f64.log10();
        assert!((hh - psi * 0.035).abs() < 1e-12);
        assert!((ha - psi * 0.035 * 0.7).abs() < 1e-12);
        assert!((aa + psi * 0.035).abs() < 1e-12);
        assert!((ah + psi * 0.035 * 0.7).abs() < 1e-12);
        assert!((pi_expected_goals(3.0) - 9.0).abs() < 1e-12);
    }
}
