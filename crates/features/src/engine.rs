//! The team-state engine: folds played matches, in date order, into per-club state, and answers
//! the pre-match features of any fixture from the state strictly before the fixture's date.

use std::sync::Arc;

use chrono::NaiveDate;
use futbr_domain::stats::{ClubStats, StatsTable};
use futbr_domain::{Match, Outcome};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::catalog::{Feature, COUNT};
use crate::ratings::{elo_expectation, elo_goal_multiplier, pi_expected_goal_diff, pi_update};
use crate::FeatureError;

/// Tunable constants of the engine. The defaults are the documented priors and dynamics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// Elo rating a club starts with (the league mean is 1500; newcomers are usually weaker).
    pub elo_newcomer: f64,
    /// Elo K factor.
    pub elo_k: f64,
    /// Elo home advantage, in rating points.
    pub elo_home_advantage: f64,
    /// Share of a club's distance to 1500 removed after a break of [`EngineConfig::break_days`].
    pub elo_break_regression: f64,
    /// Pi-rating learning rate λ.
    pub pi_learning_rate: f64,
    /// Pi-rating cross-venue rate γ.
    pub pi_cross_rate: f64,
    /// Pi-rating a club starts with, at home and away.
    pub pi_newcomer: f64,
    /// Half-life of the time-weighted goal rates, in days.
    pub goal_rate_half_life_days: f64,
    /// A gap of this many days or more between two matches of a club ends its campaign.
    pub break_days: i64,
    /// A club with no match in this many days (or ever) is a newcomer.
    pub newcomer_days: i64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            elo_newcomer: 1450.0,
            elo_k: 20.0,
            elo_home_advantage: 60.0,
            elo_break_regression: 0.2,
            pi_learning_rate: 0.035,
            pi_cross_rate: 0.7,
            pi_newcomer: -0.1,
            goal_rate_half_life_days: 180.0,
            break_days: 60,
            newcomer_days: 300,
        }
    }
}

/// Goals per club per match assumed before any match has been seen.
pub const PRIOR_GOALS: f64 = 1.3;
/// Points per club per match assumed before any match has been seen.
pub const PRIOR_POINTS: f64 = 1.35;
/// Formation lines (defenders, midfielders, attackers) assumed when none is known: 4-4-2.
pub const DEFAULT_FORMATION: [f64; 3] = [4.0, 4.0, 2.0];
/// Matches in the form windows.
pub const FORM_WINDOW: usize = 5;
const REST_CAP_DAYS: f64 = 30.0;
/// Pseudo-matches of league-mean evidence in the time-weighted goal rates.
const GOAL_RATE_PRIOR_WEIGHT: f64 = 2.0;
/// Pseudo-matches of league-mean evidence in the campaign points per match.
const CAMPAIGN_PRIOR_MATCHES: f64 = 3.0;
/// Prior evidence of the shot shares (shots at 50%), the on-target shares, and possession (matches at 50%).
const SHOT_PRIOR: f64 = 20.0;
const ON_TARGET_PRIOR: f64 = 8.0;
const POSSESSION_PRIOR: f64 = 3.0;

/// The pre-match part of a match: what is known before kick-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixture<'a> {
    pub date: NaiveDate,
    pub home: &'a str,
    pub away: &'a str,
    /// Federation states, when the caller knows them; otherwise each club's last known state.
    pub home_state: Option<&'a str>,
    pub away_state: Option<&'a str>,
}

impl<'a> Fixture<'a> {
    /// The fixture of a played match (its result, lineups and everything after kick-off left out).
    pub fn of(m: &'a Match) -> Fixture<'a> {
        let state = |s: &'a str| (!s.is_empty()).then_some(s);
        Fixture {
            date: m.date,
            home: &m.home,
            away: &m.away,
            home_state: state(&m.home_state),
            away_state: state(&m.away_state),
        }
    }
}

/// The values of every feature of one fixture, indexed by [`Feature`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FeatureRow(#[serde(with = "serde_arrays")] pub [f64; COUNT]);

mod serde_arrays {
    use serde::{Serialize, Serializer};

    pub fn serialize<S: Serializer>(values: &[f64; crate::COUNT], s: S) -> Result<S::Ok, S::Error> {
        values.as_slice().serialize(s)
    }
}

impl FeatureRow {
    /// The value of one feature.
    pub fn get(&self, feature: Feature) -> f64 {
        self.0[feature as usize]
    }

    fn set(&mut self, feature: Feature, value: f64) {
        self.0[feature as usize] = value;
    }

    /// The values in column order.
    pub fn values(&self) -> &[f64] {
        &self.0
    }
}

/// The last few results of a club, newest last.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Recent {
    goals_for: [u16; FORM_WINDOW],
    goals_against: [u16; FORM_WINDOW],
    points: [u8; FORM_WINDOW],
    len: usize,
    next: usize,
}

impl Recent {
    fn push(&mut self, goals_for: u16, goals_against: u16, points: u8) {
        self.goals_for[self.next] = goals_for;
        self.goals_against[self.next] = goals_against;
        self.points[self.next] = points;
        self.next = (self.next + 1) % FORM_WINDOW;
        self.len = (self.len + 1).min(FORM_WINDOW);
    }

    /// Means of (goals for, goals against, points), or the priors with no match yet.
    fn means(&self, prior_goals: f64, prior_points: f64) -> (f64, f64, f64) {
        if self.len == 0 {
            return (prior_goals, prior_goals, prior_points);
        }
        // Summed in slot order, so the value depends only on the multiset of kept results.
        let n = self.len as f64;
        let sum = |xs: &[u16]| xs[..self.len].iter().map(|&x| f64::from(x)).sum::<f64>();
        let points: f64 = self.points[..self.len].iter().map(|&p| f64::from(p)).sum();
        (
            sum(&self.goals_for) / n,
            sum(&self.goals_against) / n,
            points / n,
        )
    }
}

/// A club's ratings in the engine's state (home advantage not included).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClubRatings {
    pub elo: f64,
    /// Pi-rating at home and away (Constantinou & Fenton 2013).
    pub pi_home: f64,
    pub pi_away: f64,
    /// Date of the club's latest match in the state.
    pub last_match: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TeamState {
    state: Option<Arc<str>>,
    formation: Option<[f64; 3]>,
    recent: Recent,
    recent_home: Recent,
    recent_away: Recent,
    elo: f64,
    pi_home: f64,
    pi_away: f64,
    /// Time-weighted sums (goals for, goals against, weight) as of `last_date`.
    weighted: [f64; 3],
    last_date: Option<NaiveDate>,
    campaign_points: u32,
    campaign_matches: u32,
    /// Time-weighted (for, against) shots, shots on target, and (sum, weight) of possession, as of
    /// `stats_date`.
    shots: [f64; 2],
    on_target: [f64; 2],
    possession: [f64; 2],
    stats_date: Option<NaiveDate>,
}

impl TeamState {
    fn new(config: &EngineConfig) -> TeamState {
        TeamState {
            state: None,
            formation: None,
            recent: Recent::default(),
            recent_home: Recent::default(),
            recent_away: Recent::default(),
            elo: config.elo_newcomer,
            pi_home: config.pi_newcomer,
            pi_away: config.pi_newcomer,
            weighted: [0.0; 3],
            last_date: None,
            campaign_points: 0,
            campaign_matches: 0,
            shots: [0.0; 2],
            on_target: [0.0; 2],
            possession: [0.0; 2],
            stats_date: None,
        }
    }

    fn stats_decay(&self, date: NaiveDate, config: &EngineConfig) -> f64 {
        match self.stats_date {
            Some(last) => {
                0.5f64.powf((date - last).num_days() as f64 / config.goal_rate_half_life_days)
            }
            None => 0.0,
        }
    }

    /// (shot share, on-target share, possession) as of `date`.
    fn stats_at(&self, date: NaiveDate, config: &EngineConfig) -> (f64, f64, f64) {
        let d = self.stats_decay(date, config);
        let share = |[f, a]: [f64; 2], prior: f64| (f * d + prior / 2.0) / ((f + a) * d + prior);
        let [sum, weight] = self.possession;
        (
            share(self.shots, SHOT_PRIOR),
            share(self.on_target, ON_TARGET_PRIOR),
            (sum * d + POSSESSION_PRIOR * 50.0) / (weight * d + POSSESSION_PRIOR),
        )
    }

    fn add_stats(
        &mut self,
        date: NaiveDate,
        own: &ClubStats,
        other: &ClubStats,
        config: &EngineConfig,
    ) {
        let d = self.stats_decay(date, config);
        for v in self
            .shots
            .iter_mut()
            .chain(&mut self.on_target)
            .chain(&mut self.possession)
        {
            *v *= d;
        }
        if let (Some(f), Some(a)) = (own.shots, other.shots) {
            self.shots[0] += f;
            self.shots[1] += a;
        }
        if let (Some(f), Some(a)) = (own.shots_on_target, other.shots_on_target) {
            self.on_target[0] += f;
            self.on_target[1] += a;
        }
        if let Some(p) = own.possession {
            self.possession[0] += p;
            self.possession[1] += 1.0;
        }
        self.stats_date = Some(date);
    }

    fn gap_days(&self, date: NaiveDate) -> Option<i64> {
        self.last_date.map(|last| (date - last).num_days())
    }

    fn after_break(&self, date: NaiveDate, config: &EngineConfig) -> bool {
        self.gap_days(date)
            .is_some_and(|gap| gap >= config.break_days)
    }

    /// Elo as of `date`: pulled toward 1500 after a break (the off-season).
    fn elo_at(&self, date: NaiveDate, config: &EngineConfig) -> f64 {
        if self.after_break(date, config) {
            1500.0 + (self.elo - 1500.0) * (1.0 - config.elo_break_regression)
        } else {
            self.elo
        }
    }

    /// (matches, points) of the campaign as of `date` (a break starts a new one).
    fn campaign_at(&self, date: NaiveDate, config: &EngineConfig) -> (u32, u32) {
        if self.after_break(date, config) {
            (0, 0)
        } else {
            (self.campaign_matches, self.campaign_points)
        }
    }

    fn goal_rates_at(
        &self,
        date: NaiveDate,
        prior_goals: f64,
        config: &EngineConfig,
    ) -> (f64, f64) {
        let decay = match self.gap_days(date) {
            Some(gap) => 0.5f64.powf(gap as f64 / config.goal_rate_half_life_days),
            None => 0.0,
        };
        let [gf, ga, w] = self.weighted.map(|x| x * decay);
        let k = GOAL_RATE_PRIOR_WEIGHT;
        (
            (gf + k * prior_goals) / (w + k),
            (ga + k * prior_goals) / (w + k),
        )
    }
}

/// Running league totals, the source of the cold-start priors.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct LeagueTotals {
    team_matches: u64,
    goals: u64,
    points: u64,
}

impl LeagueTotals {
    fn prior_goals(&self) -> f64 {
        if self.team_matches == 0 {
            PRIOR_GOALS
        } else {
            self.goals as f64 / self.team_matches as f64
        }
    }

    fn prior_points(&self) -> f64 {
        if self.team_matches == 0 {
            PRIOR_POINTS
        } else {
            self.points as f64 / self.team_matches as f64
        }
    }
}

/// Per-club state folded from played matches; see the module docs. Serialisable, so a model
/// artifact can carry the state it predicts from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "EngineSnapshot", from = "EngineSnapshot")]
pub struct FeatureEngine {
    config: EngineConfig,
    index: FxHashMap<Arc<str>, usize>,
    teams: Vec<TeamState>,
    /// Last meetings per pair of clubs (lower index first), points of the lower-index club.
    meetings: FxHashMap<(usize, usize), Recent>,
    league: LeagueTotals,
    last_date: Option<NaiveDate>,
    applied: usize,
}

/// The serialised form of a [`FeatureEngine`]: maps as lists, clubs by name.
#[derive(Serialize, Deserialize)]
struct EngineSnapshot {
    config: EngineConfig,
    teams: Vec<(Arc<str>, TeamState)>,
    meetings: Vec<(usize, usize, Recent)>,
    league: LeagueTotals,
    last_date: Option<NaiveDate>,
    applied: usize,
}

impl From<FeatureEngine> for EngineSnapshot {
    fn from(e: FeatureEngine) -> Self {
        let mut names: Vec<(Arc<str>, usize)> = e.index.into_iter().collect();
        names.sort_by_key(|(_, i)| *i);
        let mut meetings: Vec<(usize, usize, Recent)> = e
            .meetings
            .into_iter()
            .map(|((a, b), r)| (a, b, r))
            .collect();
        meetings.sort_by_key(|(a, b, _)| (*a, *b));
        EngineSnapshot {
            config: e.config,
            teams: names.into_iter().map(|(n, _)| n).zip(e.teams).collect(),
            meetings,
            league: e.league,
            last_date: e.last_date,
            applied: e.applied,
        }
    }
}

impl From<EngineSnapshot> for FeatureEngine {
    fn from(s: EngineSnapshot) -> Self {
        let index = s
            .teams
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        let n = s.teams.len();
        FeatureEngine {
            config: s.config,
            index,
            teams: s.teams.into_iter().map(|(_, t)| t).collect(),
            meetings: s
                .meetings
                .into_iter()
                .filter(|(a, b, _)| *a < n && *b < n)
                .map(|(a, b, r)| ((a, b), r))
                .collect(),
            league: s.league,
            last_date: s.last_date,
            applied: s.applied,
        }
    }
}

impl FeatureEngine {
    /// An engine that has seen no match.
    pub fn new(config: EngineConfig) -> FeatureEngine {
        FeatureEngine {
            config,
            index: FxHashMap::default(),
            teams: Vec::new(),
            meetings: FxHashMap::default(),
            league: LeagueTotals::default(),
            last_date: None,
            applied: 0,
        }
    }

    /// The engine as of the start of `date`: every match dated strictly before it applied.
    /// `matches` must be in chronological order.
    pub fn as_of(
        matches: &[Match],
        date: NaiveDate,
        config: EngineConfig,
    ) -> Result<FeatureEngine, FeatureError> {
        FeatureEngine::as_of_with_stats(matches, date, config, None)
    }

    /// [`FeatureEngine::as_of`], also folding each match's statistics from `stats`.
    pub fn as_of_with_stats(
        matches: &[Match],
        date: NaiveDate,
        config: EngineConfig,
        stats: Option<&StatsTable>,
    ) -> Result<FeatureEngine, FeatureError> {
        let mut engine = FeatureEngine::new(config);
        for m in matches.iter().take_while(|m| m.date < date) {
            engine.apply_with_stats(m, stats.and_then(|s| s.pair(m.id?, &m.home, &m.away)))?;
        }
        Ok(engine)
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Date of the latest match applied.
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.last_date
    }

    /// Number of matches applied.
    pub fn matches_applied(&self) -> usize {
        self.applied
    }

    /// Whether the engine has seen this club.
    pub fn knows(&self, team: &str) -> bool {
        self.index.contains_key(team)
    }

    /// The clubs seen, in order of first appearance.
    pub fn teams(&self) -> impl Iterator<Item = &str> {
        let mut named: Vec<(&Arc<str>, &usize)> = self.index.iter().collect();
        named.sort_by_key(|(_, &i)| i);
        named.into_iter().map(|(name, _)| &**name)
    }

    /// A club's current ratings, if the engine has seen it.
    pub fn ratings(&self, team: &str) -> Option<ClubRatings> {
        let t = &self.teams[*self.index.get(team)?];
        Some(ClubRatings {
            elo: t.elo,
            pi_home: t.pi_home,
            pi_away: t.pi_away,
            last_match: t.last_date,
        })
    }

    /// A club's Elo for a match on `date`, as the features read it (pulled toward 1500 after a
    /// break such as the off-season); `None` for a club the state has not seen.
    pub fn elo_as_of(&self, team: &str, date: NaiveDate) -> Option<f64> {
        let t = &self.teams[*self.index.get(team)?];
        Some(t.elo_at(date, &self.config))
    }

    fn team_index(&mut self, name: &Arc<str>) -> usize {
        if let Some(&i) = self.index.get(&**name) {
            return i;
        }
        let i = self.teams.len();
        self.teams.push(TeamState::new(&self.config));
        self.index.insert(name.clone(), i);
        i
    }

    /// Folds one played match into the state. Matches must come in date order.
    pub fn apply(&mut self, m: &Match) -> Result<(), FeatureError> {
        self.apply_with_stats(m, None)
    }

    /// [`FeatureEngine::apply`] with the match's statistics (home, away), when known.
    pub fn apply_with_stats(
        &mut self,
        m: &Match,
        stats: Option<(ClubStats, ClubStats)>,
    ) -> Result<(), FeatureError> {
        if let Some(last) = self.last_date {
            if m.date < last {
                return Err(FeatureError::OutOfOrder {
                    label: m.label(),
                    date: m.date,
                    last_applied: last,
                });
            }
        }
        let config = self.config;
        let h = self.team_index(&m.home);
        let a = self.team_index(&m.away);
        let (hg, ag) = (m.home_goals, m.away_goals);
        let outcome = m.outcome();
        let (home_points, away_points) = match outcome {
            Outcome::Home => (3u8, 0u8),
            Outcome::Draw => (1, 1),
            Outcome::Away => (0, 3),
        };

        // Ratings, from each club's state as of this date.
        let elo_h = self.teams[h].elo_at(m.date, &config);
        let elo_a = self.teams[a].elo_at(m.date, &config);
        let expected = elo_expectation(elo_h - elo_a + config.elo_home_advantage);
        let score = match outcome {
            Outcome::Home => 1.0,
            Outcome::Draw => 0.5,
            Outcome::Away => 0.0,
        };
        let delta =
            config.elo_k * elo_goal_multiplier(i32::from(hg) - i32::from(ag)) * (score - expected);
        let (pi_h, pi_a) = pi_update(
            (self.teams[h].pi_home, self.teams[h].pi_away),
            (self.teams[a].pi_home, self.teams[a].pi_away),
            f64::from(hg) - f64::from(ag),
            config.pi_learning_rate,
            config.pi_cross_rate,
        );

        for (i, elo, pi, state, formation, gf, ga, points, at_home) in [
            (
                h,
                elo_h + delta,
                pi_h,
                &m.home_state,
                &m.home_formation,
                hg,
                ag,
                home_points,
                true,
            ),
            (
                a,
                elo_a - delta,
                pi_a,
                &m.away_state,
                &m.away_formation,
                ag,
                hg,
                away_points,
                false,
            ),
        ] {
            let (campaign_matches, campaign_points) = self.teams[i].campaign_at(m.date, &config);
            let decay = match self.teams[i].gap_days(m.date) {
                Some(gap) => 0.5f64.powf(gap as f64 / config.goal_rate_half_life_days),
                None => 0.0,
            };
            let t = &mut self.teams[i];
            t.elo = elo;
            (t.pi_home, t.pi_away) = pi;
            if !state.is_empty() {
                t.state = Some(state.clone());
            }
            if let Some(f) = formation {
                t.formation = Some(formation_lines(f));
            }
            t.recent.push(gf, ga, points);
            if at_home {
                t.recent_home.push(gf, ga, points);
            } else {
                t.recent_away.push(gf, ga, points);
            }
            t.weighted = [
                t.weighted[0] * decay + f64::from(gf),
                t.weighted[1] * decay + f64::from(ga),
                t.weighted[2] * decay + 1.0,
            ];
            t.campaign_matches = campaign_matches + 1;
            t.campaign_points = campaign_points + u32::from(points);
            t.last_date = Some(m.date);
        }

        if let Some((home_stats, away_stats)) = stats {
            self.teams[h].add_stats(m.date, &home_stats, &away_stats, &config);
            self.teams[a].add_stats(m.date, &away_stats, &home_stats, &config);
        }

        let (first, home_first) = if h < a {
            ((h, a), true)
        } else {
            ((a, h), false)
        };
        let first_points = if home_first { home_points } else { away_points };
        self.meetings
            .entry(first)
            .or_default()
            .push(0, 0, first_points);

        self.league.team_matches += 2;
        self.league.goals += u64::from(hg) + u64::from(ag);
        self.league.points += u64::from(home_points) + u64::from(away_points);
        self.last_date = Some(m.date);
        self.applied += 1;
        Ok(())
    }

    /// The pre-match features of a fixture, from the state strictly before its date.
    /// A fixture dated on or before the latest applied match is refused: it could see its own
    /// result or a later one.
    pub fn features(&self, fixture: &Fixture) -> Result<FeatureRow, FeatureError> {
        if let Some(last) = self.last_date {
            if fixture.date <= last {
                return Err(FeatureError::WouldLeak {
                    date: fixture.date,
                    last_applied: last,
                });
            }
        }
        Ok(self.features_unchecked(fixture))
    }

    fn features_unchecked(&self, fixture: &Fixture) -> FeatureRow {
        let config = &self.config;
        let prior_goals = self.league.prior_goals();
        let prior_points = self.league.prior_points();
        let fresh_home;
        let fresh_away;
        let home = match self.index.get(fixture.home) {
            Some(&i) => &self.teams[i],
            None => {
                fresh_home = TeamState::new(config);
                &fresh_home
            }
        };
        let away = match self.index.get(fixture.away) {
            Some(&i) => &self.teams[i],
            None => {
                fresh_away = TeamState::new(config);
                &fresh_away
            }
        };
        let date = fixture.date;
        let mut row = FeatureRow([0.0; COUNT]);
        use Feature::*;

        let (gf, ga, pts) = home.recent.means(prior_goals, prior_points);
        row.set(FormGoalsForHome, gf);
        row.set(FormGoalsAgainstHome, ga);
        row.set(FormPointsHome, pts);
        let (gf, ga, pts) = away.recent.means(prior_goals, prior_points);
        row.set(FormGoalsForAway, gf);
        row.set(FormGoalsAgainstAway, ga);
        row.set(FormPointsAway, pts);

        let home_state = fixture.home_state.or(home.state.as_deref());
        let away_state = fixture.away_state.or(away.state.as_deref());
        let same = matches!((home_state, away_state), (Some(x), Some(y)) if x == y);
        row.set(SameState, if same { 1.0 } else { 0.0 });

        let hf = home.formation.unwrap_or(DEFAULT_FORMATION);
        let af = away.formation.unwrap_or(DEFAULT_FORMATION);
        for (k, (hf_feature, af_feature, diff_feature)) in [
            (HomeDefenders, AwayDefenders, DiffDefenders),
            (HomeMidfielders, AwayMidfielders, DiffMidfielders),
            (HomeAttackers, AwayAttackers, DiffAttackers),
        ]
        .into_iter()
        .enumerate()
        {
            row.set(hf_feature, hf[k]);
            row.set(af_feature, af[k]);
            row.set(diff_feature, hf[k] - af[k]);
        }

        let elo_h = home.elo_at(date, config);
        let elo_a = away.elo_at(date, config);
        row.set(EloHome, elo_h);
        row.set(EloAway, elo_a);
        row.set(EloDiff, elo_h - elo_a + config.elo_home_advantage);
        row.set(PiHome, home.pi_home);
        row.set(PiAway, away.pi_away);
        row.set(
            PiGoalDiff,
            pi_expected_goal_diff(home.pi_home, away.pi_away),
        );

        row.set(
            HomeFormAtHome,
            home.recent_home.means(prior_goals, prior_points).2,
        );
        row.set(
            AwayFormAway,
            away.recent_away.means(prior_goals, prior_points).2,
        );

        let (hgf, hga) = home.goal_rates_at(date, prior_goals, config);
        let (agf, aga) = away.goal_rates_at(date, prior_goals, config);
        row.set(GoalRateForHome, hgf);
        row.set(GoalRateAgainstHome, hga);
        row.set(GoalRateForAway, agf);
        row.set(GoalRateAgainstAway, aga);

        let rest = |t: &TeamState| {
            t.gap_days(date)
                .map_or(REST_CAP_DAYS, |g| (g as f64).min(REST_CAP_DAYS))
        };
        row.set(RestDaysHome, rest(home));
        row.set(RestDaysAway, rest(away));

        let (h2h_points, meetings) =
            match (self.index.get(fixture.home), self.index.get(fixture.away)) {
                (Some(&h), Some(&a)) => {
                    let key = if h < a { (h, a) } else { (a, h) };
                    match self.meetings.get(&key) {
                        Some(r) if r.len > 0 => {
                            let first_points = r.means(0.0, 0.0).2;
                            // Points of the two sides in one meeting add up to 3, or 2 for a draw;
                            // stored are the lower-index club's, so the home club's mean is derived.
                            let home_points = if h < a {
                                first_points
                            } else {
                                h2h_other_points(r)
                            };
                            (home_points, r.len as f64)
                        }
                        _ => (prior_points, 0.0),
                    }
                }
                _ => (prior_points, 0.0),
            };
        row.set(H2hPointsHome, h2h_points);
        row.set(H2hMeetings, meetings);

        let newcomer = |t: &TeamState| match t.gap_days(date) {
            Some(gap) if gap <= config.newcomer_days => 0.0,
            _ => 1.0,
        };
        row.set(NewcomerHome, newcomer(home));
        row.set(NewcomerAway, newcomer(away));

        let campaign = |t: &TeamState| {
            let (matches, points) = t.campaign_at(date, config);
            let k = CAMPAIGN_PRIOR_MATCHES;
            (
                (f64::from(points) + k * prior_points) / (f64::from(matches) + k),
                f64::from(matches),
            )
        };
        let (hp, hm) = campaign(home);
        let (ap, am) = campaign(away);
        row.set(CampaignPointsHome, hp);
        row.set(CampaignPointsAway, ap);
        row.set(CampaignMatchesHome, hm);
        row.set(CampaignMatchesAway, am);

        let (hs, ht, hp) = home.stats_at(date, config);
        let (as_, at, ap) = away.stats_at(date, config);
        row.set(ShotShareHome, hs);
        row.set(ShotShareAway, as_);
        row.set(OnTargetShareHome, ht);
        row.set(OnTargetShareAway, at);
        row.set(PossessionHome, hp);
        row.set(PossessionAway, ap);
        row
    }
}

/// Mean points of the other club in the stored meetings.
fn h2h_other_points(r: &Recent) -> f64 {
    let n = r.len as f64;
    r.points[..r.len]
        .iter()
        .map(|&p| match p {
            3 => 0.0,
            1 => 1.0,
            _ => 3.0,
        })
        .sum::<f64>()
        / n
}

/// Defenders, midfielders and attackers of a formation such as `4-2-3-1`: three parts as they
/// are, four parts with the middle two summed, anything else the default 4-4-2.
pub fn formation_lines(formation: &str) -> [f64; 3] {
    let parts: Vec<f64> = formation
        .split('-')
        .map(|p| p.trim().parse::<u8>().map(f64::from))
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    match parts[..] {
        [d, m, a] => [d, m, a],
        [d, m1, m2, a] => [d, m1 + m2, a],
        _ => DEFAULT_FORMATION,
    }
}

/// Features of every match of a chronological history, each from the state strictly before its
/// date (matches on the same date do not see each other); also returns the engine after them all.
pub fn batch_features(
    matches: &[Match],
    config: EngineConfig,
) -> Result<(Vec<FeatureRow>, FeatureEngine), FeatureError> {
    batch_features_with_stats(matches, config, None)
}

/// [`batch_features`], also folding each match's statistics from `stats` after its day.
pub fn batch_features_with_stats(
    matches: &[Match],
    config: EngineConfig,
    stats: Option<&StatsTable>,
) -> Result<(Vec<FeatureRow>, FeatureEngine), FeatureError> {
    let mut engine = FeatureEngine::new(config);
    let mut rows = Vec::with_capacity(matches.len());
    for day in futbr_domain::match_days(matches) {
        for m in &matches[day.clone()] {
            rows.push(engine.features(&Fixture::of(m))?);
        }
        for m in &matches[day] {
            engine.apply_with_stats(m, stats.and_then(|s| s.pair(m.id?, &m.home, &m.away)))?;
        }
    }
    Ok((rows, engine))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formations_map_to_lines() {
        assert_eq!(formation_lines("4-3-3"), [4.0, 3.0, 3.0]);
        assert_eq!(formation_lines("4-2-3-1"), [4.0, 5.0, 1.0]);
        assert_eq!(formation_lines("4-1-2-1-2"), DEFAULT_FORMATION);
        assert_eq!(formation_lines(""), DEFAULT_FORMATION);
    }

    #[test]
    fn recent_keeps_the_last_five() {
        let mut r = Recent::default();
        for g in 0..7u16 {
            r.push(g, 0, 3);
        }
        assert_eq!(
            r.means(9.0, 9.0),
            ((2.0 + 3.0 + 4.0 + 5.0 + 6.0) / 5.0, 0.0, 3.0)
        );
        assert_eq!(Recent::default().means(1.5, 1.2), (1.5, 1.5, 1.2));
    }
}
