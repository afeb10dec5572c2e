//! The catalog of pre-match features: every name, meaning and unit in one place.
//! `docs/features.md` is this table for readers; a test keeps the two in step.

use serde::Serialize;

macro_rules! catalog {
    ($($variant:ident => $name:literal, $unit:literal, $meaning:literal;)*) => {
        /// One pre-match feature. The discriminant is its column in a [`FeatureRow`](crate::FeatureRow).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[repr(usize)]
        pub enum Feature { $($variant,)* }

        /// Every feature, in column order.
        pub const ALL: &[Feature] = &[$(Feature::$variant,)*];

        impl Feature {
            /// The column name (the original system's Portuguese names are kept for its 16).
            pub fn name(self) -> &'static str {
                match self { $(Feature::$variant => $name,)* }
            }
            /// The unit of the value.
            pub fn unit(self) -> &'static str {
                match self { $(Feature::$variant => $unit,)* }
            }
            /// What the value means.
            pub fn meaning(self) -> &'static str {
                match self { $(Feature::$variant => $meaning,)* }
            }
        }
    };
}

catalog! {
    FormGoalsForHome => "form_gols_feitos_mandante", "goals/match", "Home club's mean goals scored over its last 5 matches (any venue) before this one.";
    FormGoalsAgainstHome => "form_gols_sofridos_mandante", "goals/match", "Home club's mean goals conceded over its last 5 matches.";
    FormPointsHome => "form_pontos_mandante", "points/match", "Home club's mean points (3 win, 1 draw, 0 loss) over its last 5 matches.";
    FormGoalsForAway => "form_gols_feitos_visitante", "goals/match", "Away club's mean goals scored over its last 5 matches.";
    FormGoalsAgainstAway => "form_gols_sofridos_visitante", "goals/match", "Away club's mean goals conceded over its last 5 matches.";
    FormPointsAway => "form_pontos_visitante", "points/match", "Away club's mean points over its last 5 matches.";
    SameState => "eh_classico", "0/1", "1 when both clubs come from the same federation state (a local derby), else 0.";
    HomeDefenders => "mandante_def", "players", "Defenders in the home club's most recent known formation before this match.";
    HomeMidfielders => "mandante_mid", "players", "Midfielders in that formation (four-part formations: the middle two lines summed).";
    HomeAttackers => "mandante_att", "players", "Attackers in that formation.";
    AwayDefenders => "visitante_def", "players", "Defenders in the away club's most recent known formation.";
    AwayMidfielders => "visitante_mid", "players", "Midfielders in the away club's most recent known formation.";
    AwayAttackers => "visitante_att", "players", "Attackers in the away club's most recent known formation.";
    DiffDefenders => "diff_def", "players", "mandante_def − visitante_def.";
    DiffMidfielders => "diff_mid", "players", "mandante_mid − visitante_mid.";
    DiffAttackers => "diff_att", "players", "mandante_att − visitante_att.";
    EloHome => "elo_home", "Elo points", "Home club's Elo rating (home advantage not included).";
    EloAway => "elo_away", "Elo points", "Away club's Elo rating.";
    EloDiff => "elo_diff", "Elo points", "elo_home − elo_away + the home advantage: the input of the Elo win expectancy.";
    PiHome => "pi_home", "pi rating", "Home club's pi-rating at home (Constantinou & Fenton 2013).";
    PiAway => "pi_away", "pi rating", "Away club's pi-rating away.";
    PiGoalDiff => "pi_goal_diff", "goals", "Goal difference the pi-ratings expect (home minus away).";
    HomeFormAtHome => "home_points_at_home", "points/match", "Home club's mean points over its last 5 home matches.";
    AwayFormAway => "away_points_away", "points/match", "Away club's mean points over its last 5 away matches.";
    GoalRateForHome => "home_goals_for_rate", "goals/match", "Home club's goals scored, exponentially time-weighted (half-life 180 days), shrunk to the league mean.";
    GoalRateAgainstHome => "home_goals_against_rate", "goals/match", "Home club's goals conceded, time-weighted likewise.";
    GoalRateForAway => "away_goals_for_rate", "goals/match", "Away club's goals scored, time-weighted likewise.";
    GoalRateAgainstAway => "away_goals_against_rate", "goals/match", "Away club's goals conceded, time-weighted likewise.";
    RestDaysHome => "home_rest_days", "days", "Days since the home club's previous match, capped at 30.";
    RestDaysAway => "away_rest_days", "days", "Days since the away club's previous match, capped at 30.";
    H2hPointsHome => "h2h_home_points", "points/match", "Home club's mean points in the last 5 meetings of the two clubs (either venue).";
    H2hMeetings => "h2h_meetings", "matches", "How many earlier meetings (up to 5) that mean is over.";
    NewcomerHome => "home_newcomer", "0/1", "1 when the home club had no match in the previous 300 days (promoted, or new to the data).";
    NewcomerAway => "away_newcomer", "0/1", "1 when the away club had no match in the previous 300 days.";
    CampaignPointsHome => "home_campaign_ppg", "points/match", "Home club's points per match in its current campaign (matches since its last break of 60+ days), shrunk to the league mean.";
    CampaignPointsAway => "away_campaign_ppg", "points/match", "Away club's points per match in its current campaign, shrunk likewise.";
    CampaignMatchesHome => "home_campaign_matches", "matches", "Matches the home club has played in its current campaign (the stage of its season).";
    CampaignMatchesAway => "away_campaign_matches", "matches", "Matches the away club has played in its current campaign.";
    ShotShareHome => "home_shot_share", "share", "Home club's share of the shots in its matches, time-weighted (half-life 180 days), with 20 shots of 50% prior; 0.5 without statistics.";
    ShotShareAway => "away_shot_share", "share", "Away club's share of the shots in its matches, weighted likewise.";
    OnTargetShareHome => "home_on_target_share", "share", "Home club's share of the shots on target in its matches, with 8 shots of 50% prior.";
    OnTargetShareAway => "away_on_target_share", "share", "Away club's share of the shots on target in its matches, weighted likewise.";
    PossessionHome => "home_possession", "%", "Home club's mean possession, time-weighted, with 3 matches of 50% prior.";
    PossessionAway => "away_possession", "%", "Away club's mean possession, weighted likewise.";
}

/// Number of features.
pub const COUNT: usize = ALL.len();

/// The original system's 16 features, in its order (its API contract).
pub const ORIGINAL: &[Feature] = ALL.split_at(16).0;

impl Feature {
    /// What the value means, in Brazilian Portuguese (the pages' default language). An exhaustive
    /// match: a feature added to the catalog without its Portuguese text does not compile.
    pub fn meaning_pt(self) -> &'static str {
        use Feature::*;
        match self {
            FormGoalsForHome => "Média de gols marcados pelo mandante nos seus 5 últimos jogos (em qualquer campo) antes deste.",
            FormGoalsAgainstHome => "Média de gols sofridos pelo mandante nos seus 5 últimos jogos.",
            FormPointsHome => "Média de pontos do mandante (3 na vitória, 1 no empate, 0 na derrota) nos seus 5 últimos jogos.",
            FormGoalsForAway => "Média de gols marcados pelo visitante nos seus 5 últimos jogos.",
            FormGoalsAgainstAway => "Média de gols sofridos pelo visitante nos seus 5 últimos jogos.",
            FormPointsAway => "Média de pontos do visitante nos seus 5 últimos jogos.",
            SameState => "1 quando os dois clubes são do mesmo estado (um clássico local); senão 0.",
            HomeDefenders => "Defensores na formação mais recente conhecida do mandante antes deste jogo.",
            HomeMidfielders => "Meio-campistas nessa formação (em formações de quatro linhas, as duas do meio somadas).",
            HomeAttackers => "Atacantes nessa formação.",
            AwayDefenders => "Defensores na formação mais recente conhecida do visitante.",
            AwayMidfielders => "Meio-campistas na formação mais recente conhecida do visitante.",
            AwayAttackers => "Atacantes na formação mais recente conhecida do visitante.",
            DiffDefenders => "mandante_def − visitante_def.",
            DiffMidfielders => "mandante_mid − visitante_mid.",
            DiffAttackers => "mandante_att − visitante_att.",
            EloHome => "Rating Elo do mandante (sem a vantagem de jogar em casa).",
            EloAway => "Rating Elo do visitante.",
            EloDiff => "elo_home − elo_away + a vantagem de jogar em casa: a entrada da expectativa de vitória do Elo.",
            PiHome => "Pi-rating do mandante jogando em casa (Constantinou & Fenton 2013).",
            PiAway => "Pi-rating do visitante jogando fora.",
            PiGoalDiff => "Saldo de gols que os pi-ratings esperam (mandante menos visitante).",
            HomeFormAtHome => "Média de pontos do mandante nos seus 5 últimos jogos em casa.",
            AwayFormAway => "Média de pontos do visitante nos seus 5 últimos jogos fora.",
            GoalRateForHome => "Gols marcados pelo mandante, ponderados pelo tempo (meia-vida de 180 dias) e puxados para a média da liga.",
            GoalRateAgainstHome => "Gols sofridos pelo mandante, ponderados pelo tempo da mesma forma.",
            GoalRateForAway => "Gols marcados pelo visitante, ponderados pelo tempo da mesma forma.",
            GoalRateAgainstAway => "Gols sofridos pelo visitante, ponderados pelo tempo da mesma forma.",
            RestDaysHome => "Dias desde o jogo anterior do mandante, no máximo 30.",
            RestDaysAway => "Dias desde o jogo anterior do visitante, no máximo 30.",
            H2hPointsHome => "Média de pontos do mandante nos 5 últimos confrontos entre os dois clubes (em qualquer campo).",
            H2hMeetings => "Em quantos confrontos anteriores (até 5) essa média foi calculada.",
            NewcomerHome => "1 quando o mandante não jogou nos 300 dias anteriores (promovido, ou novo nos dados).",
            NewcomerAway => "1 quando o visitante não jogou nos 300 dias anteriores.",
            CampaignPointsHome => "Pontos por jogo do mandante na campanha atual (jogos desde sua última pausa de 60 dias ou mais), puxados para a média da liga.",
            CampaignPointsAway => "Pontos por jogo do visitante na campanha atual, puxados da mesma forma.",
            CampaignMatchesHome => "Jogos do mandante na campanha atual (em que ponto da temporada ele está).",
            CampaignMatchesAway => "Jogos do visitante na campanha atual.",
            ShotShareHome => "Fração dos chutes dos jogos do mandante que foram dele, ponderada pelo tempo (meia-vida de 180 dias), com uma prévia de 20 chutes a 50%; 0,5 sem estatísticas.",
            ShotShareAway => "Fração dos chutes dos jogos do visitante que foram dele, ponderada da mesma forma.",
            OnTargetShareHome => "Fração dos chutes no gol dos jogos do mandante que foram dele, com uma prévia de 8 chutes a 50%.",
            OnTargetShareAway => "Fração dos chutes no gol dos jogos do visitante que foram dele, ponderada da mesma forma.",
            PossessionHome => "Posse de bola média do mandante, ponderada pelo tempo, com uma prévia de 3 jogos a 50%.",
            PossessionAway => "Posse de bola média do visitante, ponderada da mesma forma.",
        }
    }

    /// The unit of the value, in Brazilian Portuguese.
    pub fn unit_pt(self) -> &'static str {
        match self.unit() {
            "goals/match" => "gols/jogo",
            "points/match" => "pontos/jogo",
            "players" => "jogadores",
            "Elo points" => "pontos Elo",
            "pi rating" => "pi-rating",
            "goals" => "gols",
            "days" => "dias",
            "matches" => "jogos",
            "share" => "fração",
            // Language-neutral units.
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Units that read the same in both languages.
    const NEUTRAL_UNITS: &[&str] = &["0/1", "%"];

    #[test]
    fn every_feature_has_a_portuguese_meaning_and_unit() {
        for f in ALL {
            let (en, pt) = (f.meaning(), f.meaning_pt());
            assert!(!pt.trim().is_empty(), "{}: no Portuguese meaning", f.name());
            // Formulas of other columns read the same in both languages; prose must not.
            let formula = en.contains(" − ") && en.len() < 40;
            assert!(
                formula || pt != en,
                "{}: the Portuguese meaning is the English one",
                f.name()
            );
            assert!(
                NEUTRAL_UNITS.contains(&f.unit()) || f.unit_pt() != f.unit(),
                "{}: unit {:?} has no Portuguese word",
                f.name(),
                f.unit()
            );
        }
    }
}
