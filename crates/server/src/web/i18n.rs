//! The page's words in Brazilian Portuguese (the default) and English.

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Pt,
    En,
}

impl Lang {
    /// From `?lang=` or the cookie: `pt`, `pt-BR`, `en`, ... (anything else: none).
    pub fn parse(text: &str) -> Option<Lang> {
        let t = text.trim().to_ascii_lowercase();
        if t == "pt" || t.starts_with("pt-") || t.starts_with("pt_") {
            Some(Lang::Pt)
        } else if t == "en" || t.starts_with("en-") || t.starts_with("en_") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The `lang` attribute of the page.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Pt => "pt-BR",
            Lang::En => "en",
        }
    }

    /// The value of `?lang=` and of the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Pt => "pt",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Pt => Lang::En,
            Lang::En => Lang::Pt,
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Pt => &PT,
            Lang::En => &EN,
        }
    }

    /// How dates are written.
    pub fn date_format(self) -> &'static str {
        match self {
            Lang::Pt => "%d/%m/%Y",
            Lang::En => "%Y-%m-%d",
        }
    }

    /// A share as a percentage with one decimal, in the language's notation (`48,1%`).
    pub fn percent(self, share: f64) -> String {
        if !share.is_finite() {
            return "—".into();
        }
        let s = format!("{:.1}%", 100.0 * share);
        match self {
            Lang::Pt => s.replace('.', ","),
            Lang::En => s,
        }
    }

    /// A number with `decimals` decimals, in the language's notation.
    pub fn number(self, value: f64, decimals: usize) -> String {
        if !value.is_finite() {
            return "—".into();
        }
        let s = format!("{value:.decimals$}");
        match self {
            Lang::Pt => s.replace('.', ","),
            Lang::En => s,
        }
    }

    /// "1 jogo", "380 jogos" (singular and plural).
    pub fn matches_count(self, n: usize) -> String {
        match (self, n) {
            (Lang::Pt, 1) => "1 jogo".into(),
            (Lang::Pt, n) => format!("{n} jogos"),
            (Lang::En, 1) => "1 match".into(),
            (Lang::En, n) => format!("{n} matches"),
        }
    }

    /// A size in bytes, in the language's notation ("1,1 MB").
    pub fn size(self, bytes: u64) -> String {
        if bytes >= 1 << 20 {
            format!("{} MB", self.number(bytes as f64 / (1u64 << 20) as f64, 1))
        } else if bytes >= 1 << 10 {
            format!("{} KB", self.number(bytes as f64 / 1024.0, 1))
        } else {
            format!("{bytes} B")
        }
    }

    /// "acerta o resultado mais provável em 48% dos jogos", with the base line when known: the
    /// share of those matches the home club won (what "always the home club" gets right).
    pub fn accuracy_sentence(
        self,
        accuracy: f64,
        rps: f64,
        matches: usize,
        home_wins: Option<f64>,
    ) -> String {
        let pct = format!("{:.0}%", 100.0 * accuracy);
        let base = |v: f64| format!("{:.0}%", 100.0 * v);
        match self {
            Lang::Pt => format!(
                "No teste retroativo ({} que o modelo não tinha visto), acerta o resultado mais provável em {pct} dos jogos{}; RPS médio {} (quanto menor, melhor).",
                self.matches_count(matches),
                home_wins
                    .map(|h| format!(" (apostar sempre no mandante: {})", base(h)))
                    .unwrap_or_default(),
                self.number(rps, 4)
            ),
            Lang::En => format!(
                "In the walk-forward backtest ({} the model had not seen), its most likely outcome happened in {pct} of the matches{}; mean RPS {} (lower is better).",
                self.matches_count(matches),
                home_wins
                    .map(|h| format!(" (always picking the home club: {})", base(h)))
                    .unwrap_or_default(),
                self.number(rps, 4)
            ),
        }
    }

    /// The outcome in words, for the most likely one.
    pub fn most_likely(self, code: &str, home: &str, away: &str, p: f64) -> String {
        let pct = self.percent(p);
        match (self, code) {
            (Lang::Pt, "H") => format!("Mais provável: vitória do {home} (mandante), {pct}."),
            (Lang::Pt, "A") => format!("Mais provável: vitória do {away} (visitante), {pct}."),
            (Lang::Pt, _) => format!("Mais provável: empate, {pct}."),
            (Lang::En, "H") => format!("Most likely: {home} win at home, {pct}."),
            (Lang::En, "A") => format!("Most likely: {away} win away, {pct}."),
            (Lang::En, _) => format!("Most likely: a draw, {pct}."),
        }
    }
}

/// Every fixed word of the pages.
pub struct Texts {
    pub site: &'static str,
    pub skip: &'static str,
    pub nav_label: &'static str,
    pub nav_home: &'static str,
    pub nav_model: &'static str,
    pub nav_performance: &'static str,
    pub nav_pipeline: &'static str,
    pub switch_label: &'static str,
    pub switch_name: &'static str,
    pub footer: &'static str,
    pub not_ready: &'static str,
    // Início
    pub home_title: &'static str,
    pub home_intro: &'static str,
    pub home_club: &'static str,
    pub away_club: &'static str,
    pub club_hint: &'static str,
    pub date: &'static str,
    pub date_hint: &'static str,
    pub submit: &'static str,
    pub latest_season: &'static str,
    pub other_clubs: &'static str,
    pub chances: &'static str,
    pub home_win: &'static str,
    pub draw: &'static str,
    pub away_win: &'static str,
    pub last_five: &'static str,
    pub form: &'static str,
    pub points_per_match: &'static str,
    pub opponent: &'static str,
    pub venue: &'static str,
    pub score: &'static str,
    pub result: &'static str,
    pub at_home: &'static str,
    pub away: &'static str,
    pub win: &'static str,
    pub loss: &'static str,
    pub head_to_head: &'static str,
    pub no_meetings: &'static str,
    pub feature: &'static str,
    pub value: &'static str,
    pub unit: &'static str,
    pub meaning: &'static str,
    pub model_used: &'static str,
    pub version: &'static str,
    pub trained_through: &'static str,
    pub did_you_mean: &'static str,
    pub unknown_club: &'static str,
    pub same_club: &'static str,
    pub bad_date: &'static str,
    pub missing_club: &'static str,
    pub warnings: &'static str,
    pub newcomer: &'static str,
    // Modelo
    pub model_title: &'static str,
    pub model_intro: &'static str,
    pub champion: &'static str,
    pub versions: &'static str,
    pub candidate: &'static str,
    pub created: &'static str,
    pub matches: &'static str,
    pub accuracy: &'static str,
    pub log_loss: &'static str,
    pub calibration: &'static str,
    pub calibration_x: &'static str,
    pub calibration_y: &'static str,
    pub calibration_observed: &'static str,
    pub calibration_perfect: &'static str,
    pub rps_over_time: &'static str,
    pub rps_over_time_note: &'static str,
    /// The champion's walk-forward rounds in its evaluation window (a chart series).
    pub walk_forward_series: &'static str,
    /// The champion's rounds after its training data (a chart series).
    pub after_training_series: &'static str,
    pub candidates_title: &'static str,
    pub candidates_intro: &'static str,
    pub col_rps: &'static str,
    pub col_log_loss: &'static str,
    pub col_ece: &'static str,
    pub trained_mark: &'static str,
    pub best_mark: &'static str,
    pub no_comparison: &'static str,
    pub lineage: &'static str,
    pub data_files: &'static str,
    pub size: &'static str,
    pub code_version: &'static str,
    pub data_hash: &'static str,
    pub run: &'static str,
    pub last_training: &'static str,
    pub challenger: &'static str,
    pub gate_window: &'static str,
    pub promoted: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub no_versions: &'static str,
    pub serving_now: &'static str,
    // Desempenho
    pub perf_title: &'static str,
    pub perf_intro: &'static str,
    pub perf_chart: &'static str,
    pub perf_table: &'static str,
    pub base_rate: &'static str,
    pub round: &'static str,
    pub season: &'static str,
    pub days: &'static str,
    pub perf_empty: &'static str,
    pub model_rps: &'static str,
    pub base_rps: &'static str,
    pub model_accuracy: &'static str,
    pub base_accuracy: &'static str,
    pub better: &'static str,
    pub worse: &'static str,
    pub total: &'static str,
    // Pipeline
    pub pipeline_title: &'static str,
    pub pipeline_intro: &'static str,
    pub runs: &'static str,
    pub status: &'static str,
    pub trigger: &'static str,
    pub started: &'static str,
    pub steps: &'static str,
    pub errors: &'static str,
    pub quarantined: &'static str,
    pub message: &'static str,
    pub no_runs: &'static str,
    pub admin: &'static str,
    pub admin_off: &'static str,
    pub token: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub signed_in: &'static str,
    pub wrong_token: &'static str,
    pub upload: &'static str,
    pub upload_hint: &'static str,
    pub csv_file: &'static str,
    pub send_and_run: &'static str,
    pub start_run: &'static str,
    pub run_started: &'static str,
    pub run_busy: &'static str,
    pub refreshing: &'static str,
    pub date_column: &'static str,
    pub model_reads: &'static str,
    pub context_features: &'static str,
    pub context_note: &'static str,
    pub no_data: &'static str,
    pub no_data_note: &'static str,
    pub new_club_label: &'static str,
    pub new_club_offer: &'static str,
    pub new_club_link: &'static str,
    pub newest_first: &'static str,
    pub form_legend: &'static str,
    pub small_sample: &'static str,
}

pub static PT: Texts = Texts {
    site: "Predictor Fut BR",
    skip: "Pular para o conteúdo",
    nav_label: "Seções",
    nav_home: "Início",
    nav_model: "Modelo",
    nav_performance: "Desempenho",
    nav_pipeline: "Pipeline",
    switch_label: "Change language to English",
    switch_name: "English",
    footer: "Probabilidades do Brasileirão Série A calculadas pelo modelo campeão; página e API usam o mesmo modelo.",
    not_ready: "Ainda não há modelo em serviço: a primeira execução do pipeline não promoveu um campeão. Veja a página Pipeline.",
    home_title: "Quais são as chances?",
    home_intro: "Escolha o mandante e o visitante e veja as probabilidades de cada resultado, por quê, e quão bom o modelo é.",
    home_club: "Mandante",
    away_club: "Visitante",
    club_hint: "Digite o nome do clube (acentos e maiúsculas não importam).",
    date: "Data do jogo (opcional)",
    date_hint: "Sem data: hoje, ou o dia seguinte ao último jogo conhecido.",
    submit: "Ver as chances",
    latest_season: "Clubes da última temporada",
    other_clubs: "Outros clubes",
    chances: "Chances",
    home_win: "Vitória do mandante",
    draw: "Empate",
    away_win: "Vitória do visitante",
    last_five: "Últimos cinco jogos",
    form: "Forma",
    points_per_match: "pontos por jogo",
    opponent: "Adversário",
    venue: "Local",
    score: "Placar",
    result: "Resultado",
    at_home: "em casa",
    away: "fora",
    win: "vitória",
    loss: "derrota",
    head_to_head: "Confronto direto",
    no_meetings: "Os dois clubes não se enfrentaram nos dados do modelo.",
    feature: "Variável",
    value: "Valor",
    unit: "Unidade",
    meaning: "Significado",
    model_used: "Modelo",
    version: "Versão",
    trained_through: "Dados até",
    did_you_mean: "Você quis dizer:",
    unknown_club: "Clube desconhecido",
    same_club: "Escolha dois clubes diferentes",
    bad_date: "Data inválida",
    missing_club: "Escolha o mandante e o visitante.",
    warnings: "Atenção",
    newcomer: "clube sem histórico: foram usados valores de estreante",
    model_title: "O modelo",
    model_intro: "O campeão em serviço e as versões anteriores, com suas métricas do teste retroativo (cada jogo previsto só com dados anteriores a ele).",
    champion: "Campeão",
    versions: "Versões",
    candidate: "Modelo",
    created: "Criada em",
    matches: "Jogos",
    accuracy: "Acerto",
    log_loss: "Log-loss",
    calibration: "Calibração do campeão",
    calibration_x: "probabilidade prevista do resultado mais provável",
    calibration_y: "com que frequência aconteceu",
    calibration_observed: "observado, com intervalo de 95% (área ∝ jogos)",
    calibration_perfect: "calibração perfeita",
    rps_over_time: "RPS do campeão ao longo do tempo",
    rps_over_time_note: "Cada ponto é a média de cerca de uma rodada de jogos (10 jogos seguidos). Primeiro, o teste retroativo na janela de avaliação (cada jogo previsto por um modelo ajustado só com jogos anteriores a ele); depois, os jogos que chegaram depois do treino, previstos pelo modelo em serviço. A linha tracejada é a taxa-base; as linhas verticais marcam o início de cada temporada. Menor é melhor.",
    walk_forward_series: "campeão: teste retroativo",
    after_training_series: "campeão: jogos depois do treino",
    candidates_title: "Candidatos comparados no último treino",
    candidates_intro: "Todos os modelos candidatos foram testados nos mesmos jogos, cada jogo previsto só com dados anteriores a ele. Só no acerto maior é melhor; nas outras colunas, menor é melhor. O melhor de cada coluna está em negrito.",
    col_rps: "RPS (erro das probabilidades)",
    col_log_loss: "Log-loss (surpresa média)",
    col_ece: "Erro de calibração (ECE)",
    trained_mark: "treinado",
    best_mark: "melhor",
    no_comparison: "O último treino não registrou uma comparação de candidatos.",
    lineage: "Linhagem do campeão",
    data_files: "Arquivos de dados",
    size: "Tamanho",
    code_version: "Versão do código",
    data_hash: "SHA-256 dos jogos processados",
    run: "Execução",
    last_training: "Comparação no último treino",
    challenger: "Desafiante",
    gate_window: "Janela de comparação",
    promoted: "Promovido",
    yes: "sim",
    no: "não",
    no_versions: "Nenhuma versão publicada ainda.",
    serving_now: "em serviço",
    perf_title: "Desempenho real",
    perf_intro: "Como os modelos que estiveram em serviço se saíram nos jogos disputados depois dos dados com que foram treinados: cada previsão que o campeão teria feito, pontuada por rodada (RPS e acerto), contra a taxa-base (a frequência de vitórias do mandante, empates e vitórias do visitante que o modelo conhecia).",
    perf_chart: "RPS a cada ~10 jogos que o modelo não tinha visto (menor é melhor)",
    perf_table: "Por rodada",
    base_rate: "taxa-base",
    round: "Rodada",
    season: "Temporada",
    days: "Dias",
    perf_empty: "Ainda não há jogos posteriores aos dados de nenhum campeão. Quando novas rodadas chegarem em raw/, elas aparecem aqui.",
    model_rps: "RPS do modelo",
    base_rps: "RPS da taxa-base",
    model_accuracy: "Acerto do modelo",
    base_accuracy: "Acerto da taxa-base",
    better: "melhor que a taxa-base",
    worse: "pior que a taxa-base",
    total: "Total",
    pipeline_title: "Pipeline",
    pipeline_intro: "Execuções recentes: validar → processar → treinar → comparar → promover. A lista se atualiza sozinha.",
    runs: "Execuções recentes",
    status: "Situação",
    trigger: "Gatilho",
    started: "Início",
    steps: "Etapas (duração)",
    errors: "Erros",
    quarantined: "Linhas em quarentena",
    message: "Mensagem",
    no_runs: "Nenhuma execução ainda.",
    admin: "Administração",
    admin_off: "A administração está desligada: defina FUTBR_ADMIN_TOKEN ao iniciar o servidor.",
    token: "Token de administração",
    sign_in: "Entrar",
    sign_out: "Sair",
    signed_in: "Você está autenticado como administrador.",
    wrong_token: "Token incorreto.",
    upload: "Enviar novas rodadas",
    upload_hint: "Um CSV no formato do conjunto de dados (ID, rodata, data, ...). Ele é validado, guardado em raw/ e uma execução começa.",
    csv_file: "Arquivo CSV",
    send_and_run: "Enviar e executar",
    start_run: "Executar o pipeline agora",
    run_started: "Execução iniciada.",
    run_busy: "Já há uma execução em andamento",
    refreshing: "Atualizando automaticamente",
    date_column: "Data",
    model_reads: "O que o modelo usa",
    context_features: "Contexto: o que o motor de features sabe de cada clube",
    context_note: "O modelo em serviço não lê estas variáveis diretamente; elas mostram o que os dados dizem de cada clube.",
    no_data: "sem dado",
    no_data_note: "Chutes e posse de bola: não há estatísticas de jogo nos dados do modelo, então essas variáveis valem só a prévia de 50% e aparecem como “sem dado”.",
    new_club_label: "Clube recém-promovido (sem histórico)",
    new_club_offer: "É um clube recém-promovido, sem jogos nos dados?",
    new_club_link: "Prever com valores de estreante",
    newest_first: "mais recente primeiro",
    form_legend: "V = vitória, E = empate, D = derrota",
    small_sample: "amostra pequena demais para julgar (menos de 30 jogos)",
};

pub static EN: Texts = Texts {
    site: "Predictor Fut BR",
    skip: "Skip to content",
    nav_label: "Sections",
    nav_home: "Home",
    nav_model: "Model",
    nav_performance: "Performance",
    nav_pipeline: "Pipeline",
    switch_label: "Mudar o idioma para português",
    switch_name: "Português",
    footer: "Brasileirão Série A probabilities from the champion model; the page and the API use the same model.",
    not_ready: "No model is being served yet: the first pipeline run has not promoted a champion. See the Pipeline page.",
    home_title: "What are the chances?",
    home_intro: "Pick the home and away clubs to see the probability of each outcome, why, and how good the model is.",
    home_club: "Home club",
    away_club: "Away club",
    club_hint: "Type the club's name (accents and capitals do not matter).",
    date: "Match date (optional)",
    date_hint: "No date: today, or the day after the latest known match.",
    submit: "Show the chances",
    latest_season: "Latest season's clubs",
    other_clubs: "Other clubs",
    chances: "Chances",
    home_win: "Home win",
    draw: "Draw",
    away_win: "Away win",
    last_five: "Last five matches",
    form: "Form",
    points_per_match: "points per match",
    opponent: "Opponent",
    venue: "Venue",
    score: "Score",
    result: "Result",
    at_home: "home",
    away: "away",
    win: "win",
    loss: "loss",
    head_to_head: "Head to head",
    no_meetings: "The two clubs have not met in the model's data.",
    feature: "Feature",
    value: "Value",
    unit: "Unit",
    meaning: "Meaning",
    model_used: "Model",
    version: "Version",
    trained_through: "Data through",
    did_you_mean: "Did you mean:",
    unknown_club: "Unknown club",
    same_club: "Pick two different clubs",
    bad_date: "Invalid date",
    missing_club: "Pick the home and the away club.",
    warnings: "Note",
    newcomer: "club without history: newcomer values were used",
    model_title: "The model",
    model_intro: "The champion serving now and the earlier versions, with their walk-forward backtest scores (each match predicted only from data before it).",
    champion: "Champion",
    versions: "Versions",
    candidate: "Model",
    created: "Created",
    matches: "Matches",
    accuracy: "Accuracy",
    log_loss: "Log-loss",
    calibration: "Calibration of the champion",
    calibration_x: "predicted probability of the most likely outcome",
    calibration_y: "how often it happened",
    calibration_observed: "observed, with 95% interval (dot area ∝ matches)",
    calibration_perfect: "perfect calibration",
    rps_over_time: "The champion's RPS over time",
    rps_over_time_note: "Each point is the mean over about a round of matches (10 consecutive matches). First the walk-forward backtest over the evaluation window (each match predicted by a model fitted only on matches before it); then the matches that arrived after training, predicted by the model serving. The dashed line is the base rate; vertical lines mark each season's start. Lower is better.",
    walk_forward_series: "champion: walk-forward backtest",
    after_training_series: "champion: matches after training",
    candidates_title: "Candidates compared at the last training",
    candidates_intro: "Every candidate model was tested on the same matches, each match predicted only from data before it. Only for accuracy is higher better; in the other columns lower is better. The best of each column is in bold.",
    col_rps: "RPS (error of the probabilities)",
    col_log_loss: "Log-loss (mean surprise)",
    col_ece: "Calibration error (ECE)",
    trained_mark: "trained",
    best_mark: "best",
    no_comparison: "The last training recorded no comparison of candidates.",
    lineage: "Lineage of the champion",
    data_files: "Data files",
    size: "Size",
    code_version: "Code version",
    data_hash: "SHA-256 of the processed matches",
    run: "Run",
    last_training: "Compared at the last training",
    challenger: "Challenger",
    gate_window: "Comparison window",
    promoted: "Promoted",
    yes: "yes",
    no: "no",
    no_versions: "No version published yet.",
    serving_now: "serving",
    perf_title: "Real-world performance",
    perf_intro: "How the models that served did on matches played after the data they were trained on: every prediction the champion would have made, scored per round (RPS and accuracy), against the base rate (the home win, draw and away win frequencies the model knew).",
    perf_chart: "RPS per ~10 matches the model had not seen (lower is better)",
    perf_table: "Per round",
    base_rate: "base rate",
    round: "Round",
    season: "Season",
    days: "Days",
    perf_empty: "No match after any champion's data yet. When new rounds land in raw/, they show up here.",
    model_rps: "Model RPS",
    base_rps: "Base-rate RPS",
    model_accuracy: "Model accuracy",
    base_accuracy: "Base-rate accuracy",
    better: "better than the base rate",
    worse: "worse than the base rate",
    total: "Total",
    pipeline_title: "Pipeline",
    pipeline_intro: "Recent runs: validate → process → train → compare → promote. The list refreshes itself.",
    runs: "Recent runs",
    status: "Status",
    trigger: "Trigger",
    started: "Started",
    steps: "Steps (duration)",
    errors: "Errors",
    quarantined: "Quarantined rows",
    message: "Message",
    no_runs: "No run yet.",
    admin: "Administration",
    admin_off: "Administration is off: set FUTBR_ADMIN_TOKEN when starting the server.",
    token: "Admin token",
    sign_in: "Sign in",
    sign_out: "Sign out",
    signed_in: "You are signed in as administrator.",
    wrong_token: "Wrong token.",
    upload: "Upload new rounds",
    upload_hint: "A CSV in the data set's format (ID, rodata, data, ...). It is validated, stored in raw/ and a run starts.",
    csv_file: "CSV file",
    send_and_run: "Upload and run",
    start_run: "Run the pipeline now",
    run_started: "Run started.",
    run_busy: "A run is already in progress",
    refreshing: "Refreshing automatically",
    date_column: "Date",
    model_reads: "What the model reads",
    context_features: "Context: what the feature engine knows about each club",
    context_note: "The served model does not read these directly; they show what the data says about each club.",
    no_data: "no data",
    no_data_note: "Shots and possession: the model's data has no match statistics, so these features are only their 50% prior and are shown as “no data”.",
    new_club_label: "Newly promoted club (no history)",
    new_club_offer: "Is it a newly promoted club with no match in the data?",
    new_club_link: "Predict with a newcomer's priors",
    newest_first: "newest first",
    form_legend: "W = win, D = draw, L = loss",
    small_sample: "too small a sample to judge (fewer than 30 matches)",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_and_format_numbers_their_way() {
        assert_eq!(Lang::parse("pt-BR"), Some(Lang::Pt));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::Pt.percent(0.4812), "48,1%");
        assert_eq!(Lang::En.percent(0.4812), "48.1%");
        let sentence = Lang::Pt.accuracy_sentence(0.48, 0.2, 380, Some(0.4612));
        assert!(sentence.contains("acerta o resultado mais provável em 48% dos jogos"));
        assert!(
            sentence.contains("apostar sempre no mandante: 46%"),
            "{sentence}"
        );
        assert!(!Lang::En
            .accuracy_sentence(0.48, 0.2, 380, None)
            .contains("home club:"));
        assert_eq!(Lang::Pt.matches_count(1), "1 jogo");
        assert_eq!(Lang::Pt.matches_count(2), "2 jogos");
        assert_eq!(Lang::En.matches_count(1), "1 match");
        assert_eq!(Lang::Pt.size(1_153_434), "1,1 MB");
        assert_eq!(Lang::En.size(1_153_434), "1.1 MB");
        assert_eq!(Lang::Pt.size(512), "512 B");
    }
}
