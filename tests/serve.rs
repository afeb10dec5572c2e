//! End-to-end tests of `futbr serve`: the real binary on a temporary lake, called with a real
//! HTTP client over loopback.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futbr_testkit::shared_data;
use serde_json::{json, Value};

fn futbr(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_futbr"))
        .args(args)
        .env_remove("FUTBR_LAKE")
        .env_remove("FUTBR_BOOTSTRAP")
        .env_remove("FUTBR_ADMIN_TOKEN")
        .env_remove("PORT")
        .env("RUST_LOG", "warn")
        .output()
        .expect("futbr runs")
}

/// A lake with one champion trained on the full real data set (2003–2024).
fn lake_with_champion(dir: &Path) -> String {
    lake_trained_on(dir, "campeonato-brasileiro-full.csv")
}

/// A lake with one champion trained on one file of the real data set.
fn lake_trained_on(dir: &Path, file: &str) -> String {
    let lake = dir.join("lake").display().to_string();
    let data = shared_data(file);
    let o = futbr(&[
        "pipeline",
        "run",
        "--lake",
        &lake,
        "--bootstrap",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    lake
}

/// A running `futbr serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
    /// Kept open so the server's stdout stays a live pipe.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(lake: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_futbr"));
    cmd.args(["serve", "--lake", lake, "--addr", "127.0.0.1:0"])
        .args(extra)
        .env_remove("FUTBR_LAKE")
        .env_remove("FUTBR_BOOTSTRAP")
        .env_remove("FUTBR_ADMIN_TOKEN")
        .env_remove("PORT")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("futbr serve starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("serve prints its address");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Server {
        child,
        base,
        _stdout: stdout,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .unwrap()
}

async fn wait_ready(base: &str, within: Duration) -> Value {
    let started = Instant::now();
    loop {
        if let Ok(r) = client().get(format!("{base}/ready")).send().await {
            if r.status() == 200 {
                return r.json().await.unwrap();
            }
        }
        assert!(started.elapsed() < within, "not ready within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `/ready` names a version other than `old` (a new champion was swapped in).
async fn wait_new_version(base: &str, old: &str, within: Duration, what: &str) {
    let started = Instant::now();
    loop {
        let (_, r) = get(base, "/ready").await;
        if r["version"].as_str().is_some_and(|v| v != old) {
            return;
        }
        assert!(started.elapsed() < within, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    let r = client().get(format!("{base}{path}")).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["error"]["details"].is_object(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predictions_by_club_name_and_the_error_contract() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with_champion(dir.path());
    let server = serve(&lake, &["--no-watch"], &[]);
    let ready = wait_ready(&server.base, Duration::from_secs(20)).await;
    let version = ready["version"].as_str().unwrap().to_string();
    let base = &server.base;

    // The home page answering a question stays under its 50 KB budget.
    let page = client()
        .get(format!("{base}/?home=flamengo&away=palmeiras"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("id=\"answer\""), "answered");
    assert!(page.len() < 50 * 1024, "home page: {} bytes", page.len());
    // The features' descriptions in the page's language: Portuguese by default, English under
    // ?lang=en.
    let derby = futbr_features::Feature::SameState;
    assert!(page.contains(derby.meaning_pt()), "Portuguese description");
    assert!(!page.contains(derby.meaning()));
    let english = client()
        .get(format!("{base}/?home=flamengo&away=palmeiras&lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains(derby.meaning()) && !english.contains(derby.meaning_pt()));

    // The "why" is what the served model reads: market-elo's market ratings, as the API answers
    // them, and whether closing odds were in its training data; the engine's 44 features follow
    // as context, with the statistics this data set lacks shown as "sem dado", not as 50%.
    let (_, api) = get(base, "/v1/predict?home=flamengo&away=palmeiras").await;
    assert_eq!(api["model"]["candidate"], "market-elo");
    let odds = &api["model"]["closing_odds_in_training"];
    assert_eq!(odds["used"], false, "this data set has no odds: {odds}");
    assert_eq!(odds["matches"], 0);
    let home_rating = api["market"]["home_rating"].as_f64().unwrap();
    let expectation = api["market"]["home_expectation"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&expectation));
    let inputs = &page[page
        .find("id=\"model-inputs\"")
        .expect("the model's inputs")..];
    let inputs = &inputs[..inputs.find("</section>").unwrap()];
    assert!(inputs.contains("Rating de mercado do Flamengo"), "{inputs}");
    assert!(
        inputs.contains(&format!("{home_rating:.1}").replace('.', ",")),
        "the page shows the API's market rating {home_rating}: {inputs}"
    );
    assert!(
        inputs.contains("Odds de fechamento no treino: não"),
        "{inputs}"
    );
    assert!(page.contains("Contexto: o que o motor de features sabe de cada clube (44)"));
    assert!(page.contains("home_possession</code></td><td class=\"num\">sem dado"));

    // A question the page cannot answer: the form and the message, with the API's status.
    for (query, status, shows) in [
        ("home=flamengo&away=flamengp", 404, "Clube desconhecido"),
        ("home=Mirassol&away=palmeiras", 404, "id=\"new-club-offer\""),
        ("home=flamengo&away=FLAMENGO", 422, "mesmo clube"),
        (
            "home=flamengo&away=palmeiras&date=2003-01-01",
            422,
            "Data inválida",
        ),
        (
            "home=flamengo&away=palmeiras&date=ontem",
            400,
            "não é uma data",
        ),
        ("home=&away=palmeiras", 400, "Escolha o mandante"),
    ] {
        let r = client()
            .get(format!("{base}/?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{query}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("<form class=\"pick\""),
            "{query}: the form is kept"
        );
        assert!(body.contains(shows), "{query}: {shows}");
    }
    // A newly promoted club, through the form's checkbox (a plain GET: no JavaScript needed).
    let promoted = client()
        .get(format!(
            "{base}/?home=Mirassol&away=palmeiras&new_club=true"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.status(), 200);
    let promoted = promoted.text().await.unwrap();
    assert!(promoted.contains("id=\"answer\""));
    assert!(promoted.contains("Mirassol não tem jogos nos dados do modelo"));
    assert!(promoted.contains("name=\"new_club\" type=\"checkbox\" value=\"true\" checked"));

    // Accent- and case-insensitive names; the answer names its version and the features used.
    let (status, p) = get(
        base,
        "/v1/predict?home=flamengo&away=SAO%20PAULO&date=2025-03-01",
    )
    .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["home"]["name"], "Flamengo");
    assert_eq!(p["away"]["name"], "Sao Paulo");
    assert_eq!(p["away"]["display"], "São Paulo", "shown with its accent");
    let accents = client()
        .get(format!(
            "{base}/?home=gremio&away=SAO+PAULO&date=2025-03-01"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(accents.contains("Grêmio × São Paulo"), "the answer's title");
    assert!(
        accents.contains("<option value=\"Grêmio\">"),
        "the club list"
    );
    assert!(!accents.contains("Sao Paulo") && !accents.contains("Gremio"));
    assert_eq!(p["model"]["version"], version.as_str());
    let probs = [
        &p["probabilities"]["home"],
        &p["probabilities"]["draw"],
        &p["probabilities"]["away"],
    ]
    .map(|v| v.as_f64().unwrap());
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(["Vitória do Mandante", "Empate", "Vitória do Visitante"]
        .contains(&p["most_likely"]["pt"].as_str().unwrap()));
    assert_eq!(
        p["features"].as_object().unwrap().len(),
        futbr_features::ALL.len()
    );
    assert_eq!(p["newcomer_priors_used"], false);
    let (_, accented) = get(
        base,
        "/v1/predict?home=Flamengo&away=S%C3%A3o%20Paulo&date=2025-03-01",
    )
    .await;
    assert_eq!(accented["probabilities"], p["probabilities"]);
    // The CLI answers the same, from the same library.
    let o = futbr(&[
        "predict",
        "flamengo",
        "são paulo",
        "--date",
        "2025-03-01",
        "--json",
        "--lake",
        &lake,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cli: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(cli["probabilities"], p["probabilities"]);

    // An unknown name: 404 with the closest names (and the CLI exits non-zero with them).
    let (status, e) = get(base, "/v1/predict?home=Flamengp&away=Palmeiras").await;
    assert_eq!(status, 404);
    assert_error(&e, "unknown_club");
    assert_eq!(e["error"]["details"]["closest"][0], "Flamengo");
    let o = futbr(&["predict", "Flamengp", "Palmeiras", "--lake", &lake]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("Flamengo"));

    // A club without history only when asked for, and the answer says priors were used.
    let (status, e) = get(base, "/v1/predict?home=Zzyzx%20FC&away=Palmeiras").await;
    assert_eq!(status, 404);
    assert_error(&e, "unknown_club");
    let (status, p) = get(
        base,
        "/v1/predict?home=Zzyzx%20FC&away=Palmeiras&new_club=true",
    )
    .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["newcomer_priors_used"], true);
    assert_eq!(p["home"]["known"], false);

    // The same club twice: 422. A date the champion already knows: plain words.
    let (status, e) = get(base, "/v1/predict?home=palmeiras&away=PALMEIRAS").await;
    assert_eq!(status, 422);
    assert_error(&e, "same_club");
    let (status, e) = get(
        base,
        "/v1/predict?home=Flamengo&away=Palmeiras&date=2024-06-01",
    )
    .await;
    assert_eq!(status, 422);
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("the champion already knows results up to 2024-12-08; ask about a later date"));
    // Far past the training data: a staleness warning.
    let (_, p) = get(
        base,
        "/v1/predict?home=Flamengo&away=Palmeiras&date=2026-11-29",
    )
    .await;
    assert!(
        p["warnings"][0].as_str().unwrap().starts_with("stale"),
        "{p}"
    );
    // Missing club, bad date: 400 naming the field.
    let (status, e) = get(base, "/v1/predict?home=Flamengo").await;
    assert_eq!(
        (status, e["error"]["details"]["field"].as_str()),
        (400, Some("away"))
    );
    let (status, e) = get(base, "/v1/predict?home=Flamengo&away=Vasco&date=31/02/2025").await;
    assert_eq!(
        (status, e["error"]["details"]["field"].as_str()),
        (400, Some("date"))
    );

    // A batch, from one version.
    let r = client()
        .post(format!("{base}/v1/predict"))
        .json(&json!({"fixtures": [
            {"home": "gremio", "away": "internacional", "date": "2025-04-01"},
            {"home": "Vasco", "away": "Botafogo-RJ", "date": "2025-04-02"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-model-version"], version.as_str());
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["predictions"].as_array().unwrap().len(), 2);
    assert_eq!(b["predictions"][0]["home"]["name"], "Gremio");
    let r = client()
        .post(format!("{base}/v1/predict"))
        .json(&json!({"fixtures": [{"home": "Vasco", "away": "Vasco"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["details"]["index"], 0);
    let too_many: Vec<Value> = (0..1001)
        .map(|_| json!({"home": "Vasco", "away": "Santos"}))
        .collect();
    let r = client()
        .post(format!("{base}/v1/predict"))
        .json(&json!({ "fixtures": too_many }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = client()
        .post(format!("{base}/v1/predict"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_error(&r.json().await.unwrap(), "invalid_json");

    // Clubs, one club, models, runs.
    let (_, clubs) = get(base, "/v1/clubs").await;
    let clubs = clubs["clubs"].as_array().unwrap().clone();
    assert!(clubs.len() > 40);
    assert_eq!(clubs[0]["in_latest_season"], true);
    assert_eq!(
        clubs
            .iter()
            .filter(|c| c["in_latest_season"] == true)
            .count(),
        20
    );
    let (status, c) = get(base, "/v1/clubs/s%C3%A3o%20paulo").await;
    assert_eq!(status, 200);
    assert_eq!(c["name"], "Sao Paulo");
    assert_eq!(c["recent"].as_array().unwrap().len(), 5);
    assert_eq!(c["form"].as_str().unwrap().len(), 5);
    assert!(c["ratings"]["elo"].as_f64().is_some());
    // Both Elos are named: the one earned by the last match, and the one a prediction for the
    // next match day reads (after the off-season pull toward 1500), which /v1/predict uses.
    let next = &c["for_next_match"];
    let (_, p) = get(base, "/v1/predict?home=sao%20paulo&away=flamengo").await;
    assert_eq!(next["date"], p["date"], "{next}");
    assert_eq!(next["elo"], p["features"]["elo_home"], "{next}");
    assert_eq!(next["market"], p["market"]["home_rating"], "{next}");
    assert_ne!(
        next["elo"], c["ratings"]["elo"],
        "regressed after the break"
    );
    let (status, _) = get(base, "/v1/clubs/nowhere%20united").await;
    assert_eq!(status, 404);
    let (_, models) = get(base, "/v1/models").await;
    assert_eq!(models["versions"][0]["version"], version.as_str());
    assert_eq!(models["versions"][0]["champion"], true);
    let (status, m) = get(base, &format!("/v1/models/{version}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        m["manifest"]["candidate"],
        futbr_models::Candidate::SERVED_BY_DEFAULT.name()
    );
    let (status, _) = get(base, "/v1/models/..%2F..%2Fetc").await;
    assert!(status == 400 || status == 404, "{status}");
    let (_, runs) = get(base, "/v1/runs").await;
    let run_id = runs[0]["run_id"].as_str().unwrap().to_string();
    let (status, run) = get(base, &format!("/v1/runs/{run_id}")).await;
    assert_eq!((status, run["status"].as_str()), (200, Some("succeeded")));

    // Health, metrics, OpenAPI and its docs page; no admin routes without a token.
    assert_eq!(get(base, "/health").await.0, 200);
    let metrics = client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "futbr_http_requests_total{method=\"GET\",route=\"/v1/predict\",status=\"200\"}"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("futbr_http_request_duration_seconds_bucket"));
    assert!(metrics.contains(&format!(
        "futbr_model_info{{version=\"{version}\",candidate=\"{}\"}} 1",
        futbr_models::Candidate::SERVED_BY_DEFAULT.name()
    )));
    assert!(metrics.contains("futbr_last_run_step_seconds{step=\"train\"}"));
    let (status, openapi) = get(base, "/openapi.json").await;
    assert_eq!(status, 200);
    assert!(openapi["paths"]["/v1/predict"]["get"].is_object());
    assert!(openapi["paths"]["/predict"]["post"].is_object());
    // Validated by a real OpenAPI validator (CI installs it).
    let spec = dir.path().join("openapi.json");
    std::fs::write(&spec, serde_json::to_vec(&openapi).unwrap()).unwrap();
    match Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&spec)
        .output()
    {
        Ok(o) if o.status.success() => {}
        Ok(o)
            if String::from_utf8_lossy(&o.stderr).contains("No module named")
                && std::env::var_os("CI").is_none() =>
        {
            eprintln!("SKIPPED OpenAPI validation: python3 has no openapi-spec-validator (CI installs it)")
        }
        other => panic!("the OpenAPI document is not valid: {other:?}"),
    }
    let docs = client().get(format!("{base}/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let r = client()
        .post(format!("{base}/v1/admin/rollback"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (status, e) = get(base, "/no/such/route").await;
    assert_eq!(status, 404);
    assert_error(&e, "not_found");
}

/// The original system's contract, with exactly the 16 features its page sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_original_contract_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with_champion(dir.path());
    let server = serve(&lake, &["--no-watch"], &[]);
    wait_ready(&server.base, Duration::from_secs(20)).await;
    let body = json!({
        "form_gols_feitos_mandante": 2.0, "form_gols_sofridos_mandante": 0.8,
        "form_pontos_mandante": 2.2, "form_gols_feitos_visitante": 1.0,
        "form_gols_sofridos_visitante": 1.6, "form_pontos_visitante": 1.0,
        "eh_classico": 0, "mandante_def": 4, "mandante_mid": 4, "mandante_att": 2,
        "visitante_def": 4, "visitante_mid": 5, "visitante_att": 1,
        "diff_def": 0, "diff_mid": -1, "diff_att": 1
    });
    let r = client()
        .post(format!("{}/predict", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.unwrap();
    let n = a["prediction_numeric"].as_u64().unwrap() as usize;
    let texts = ["Vitória do Mandante", "Empate", "Vitória do Visitante"];
    assert_eq!(a["prediction_text"], texts[n]);
    let p = [
        &a["probabilities"]["home"],
        &a["probabilities"]["draw"],
        &a["probabilities"]["away"],
    ]
    .map(|v| v.as_f64().unwrap());
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(p[n] >= p[0] && p[n] >= p[1] && p[n] >= p[2]);
    // A strong home side is favoured.
    assert_eq!(n, 0, "{a}");

    // The original's own client: Python requests, when Python has it.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/original_client.py");
    match Command::new("python3")
        .arg(&script)
        .arg(&server.base)
        .output()
    {
        Ok(o) if o.status.success() => {
            assert!(String::from_utf8_lossy(&o.stdout).contains("ok"), "{o:?}")
        }
        Ok(o)
            if String::from_utf8_lossy(&o.stderr).contains("No module named 'requests'")
                && std::env::var_os("CI").is_none() =>
        {
            eprintln!(
                "SKIPPED the Python requests client: python3 has no 'requests' (CI installs it)"
            )
        }
        other => panic!("the original Python client failed: {other:?}"),
    }

    // Bad bodies: 400 naming the field.
    for (body, field) in [
        (
            json!({"form_gols_feitos_mandante": 1.0}),
            "form_gols_sofridos_mandante",
        ),
        (
            {
                let mut b = body.clone();
                b["eh_classico"] = json!("sim");
                b
            },
            "eh_classico",
        ),
        (
            {
                let mut b = body.clone();
                b["diff_att"] = Value::Null;
                b
            },
            "diff_att",
        ),
    ] {
        let r = client()
            .post(format!("{}/predict", server.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["details"]["field"], field, "{e}");
    }
    let r = client()
        .post(format!("{}/predict", server.base))
        .body("{\"form_gols_feitos_mandante\": 1e999}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_need_the_token_and_steer_the_loop() {
    let dir = tempfile::tempdir().unwrap();
    // Data up to October 2024, so the simulated new rounds are new.
    let lake = lake_trained_on(dir.path(), "dados_producao_inicial.csv");
    let token = "s3cret-token";
    let server = serve(&lake, &["--no-watch"], &[("FUTBR_ADMIN_TOKEN", token)]);
    let first = wait_ready(&server.base, Duration::from_secs(20)).await["version"]
        .as_str()
        .unwrap()
        .to_string();
    let base = &server.base;
    let admin = |path: &str| client().post(format!("{base}{path}"));

    for auth in [None, Some("Bearer wrong"), Some(token)] {
        let mut r = admin("/v1/admin/rollback");
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
    }
    let bearer = format!("Bearer {token}");

    // The pages' admin sign-in: a wrong token is refused; the right one opens a session whose
    // HttpOnly cookie holds an opaque id, never the token; logout ends it on the server, so a
    // copy of the cookie stops working too.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .unwrap();
    let login = |t: &'static str| {
        browser
            .post(format!("{base}/pipeline/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={t}"))
            .send()
    };
    let r = login("wrong").await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("set-cookie").is_none());
    let session = |r: &reqwest::Response| {
        let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            set.contains("; HttpOnly") && set.contains("; SameSite=Strict"),
            "{set}"
        );
        assert!(set.contains("; Max-Age=28800"), "expires: {set}");
        let id = set.split(';').next().unwrap();
        id.strip_prefix("futbr_admin=").unwrap().to_string()
    };
    let r = login(token).await.unwrap();
    assert_eq!(r.status(), 303);
    let id = session(&r);
    assert!(!id.contains(token), "the cookie holds the token: {id}");
    assert_eq!(id.len(), 64, "{id}");
    let other = session(&login(token).await.unwrap());
    assert_ne!(other, id, "each sign-in is a new session");
    let signed_in = |cookie: String| {
        let req = browser
            .get(format!("{base}/pipeline"))
            .header("cookie", cookie);
        async move {
            let page = req.send().await.unwrap().text().await.unwrap();
            page.contains("id=\"csv\"")
        }
    };
    assert!(signed_in(format!("futbr_admin={id}")).await);
    assert!(
        !signed_in(format!("futbr_admin={token}")).await,
        "the token itself is not a session"
    );
    assert!(!signed_in(String::new()).await);
    let r = browser
        .post(format!("{base}/pipeline/logout"))
        .header("cookie", format!("futbr_admin={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert!(!signed_in(format!("futbr_admin={id}")).await, "ended");
    let r = browser
        .post(format!("{base}/pipeline/run"))
        .header("cookie", format!("futbr_admin={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "an ended session starts no run");
    assert!(signed_in(format!("futbr_admin={other}")).await);

    // Upload new rounds: validated, then added to raw/.
    let rounds = std::fs::read(shared_data("novas_rodadas_simuladas.csv")).unwrap();
    let r = admin("/v1/admin/uploads?name=novas.csv")
        .header("authorization", &bearer)
        .body(rounds)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let added: Value = r.json().await.unwrap();
    assert_eq!(added["key"], "raw/novas.csv");
    let r = admin("/v1/admin/uploads?name=junk.csv")
        .header("authorization", &bearer)
        .body("not,a,match,file\n1,2,3,4\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Start a run and wait for it: a new version, served without a restart.
    let r = admin("/v1/admin/runs?wait=true")
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let run: Value = r.json().await.unwrap();
    let second = run["champion_after"].as_str().unwrap().to_string();
    assert_ne!(second, first, "{run}");
    let (_, ready) = get(base, "/ready").await;
    assert_eq!(ready["version"], second.as_str());

    // Roll back, then promote by hand: each served at once.
    let r = admin("/v1/admin/rollback")
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get(base, "/ready").await.1["version"], first.as_str());
    let r = admin(&format!("/v1/admin/models/{second}/promote"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get(base, "/ready").await.1["version"], second.as_str());
    let r = admin("/v1/admin/models/v-nope/promote")
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// Under continuous load, a champion promoted by another process is swapped in without a failed
/// request, and every answer comes from the old or the new version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_swap_under_load_fails_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with_champion(dir.path());
    let o = futbr(&["train", "--lake", &lake, "--candidate", "pi"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = futbr(&["models", "list", "--lake", &lake]);
    let listing = String::from_utf8_lossy(&o.stdout).to_string();
    let versions: Vec<String> = listing
        .lines()
        .map(|l| {
            l.trim_start_matches(['*', ' '])
                .split_whitespace()
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(versions.len(), 2, "{listing}");
    let (old, new) = (versions[0].clone(), versions[1].clone());

    let server = serve(&lake, &["--no-watch", "--reload-interval", "0.1"], &[]);
    assert_eq!(
        wait_ready(&server.base, Duration::from_secs(20)).await["version"],
        old.as_str()
    );
    let base = server.base.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..16 {
        let (base, stop) = (base.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let c = client();
            let mut seen = Vec::new();
            // Bounded: at most 20 s and 5,000 requests per worker.
            let started = Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed)
                && seen.len() < 5000
                && started.elapsed() < Duration::from_secs(20)
            {
                let url = if w % 2 == 0 {
                    format!("{base}/v1/predict?home=Flamengo&away=Palmeiras&date=2025-03-01")
                } else {
                    format!("{base}/v1/clubs/vasco")
                };
                let r = c.get(url).send().await.expect("no connection error");
                let status = r.status().as_u16();
                let header = r.headers()["x-model-version"].to_str().unwrap().to_string();
                let body: Value = r.json().await.unwrap();
                if let Some(v) = body["model"]["version"].as_str() {
                    assert_eq!(v, header, "one response, one version");
                }
                seen.push((status, header));
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let o = futbr(&["models", "promote", &new, "--lake", &lake]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let started = Instant::now();
    loop {
        if get(&base, "/ready").await.1["version"] == new.as_str() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the new champion was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    let (mut saw_old, mut saw_new) = (false, false);
    for w in workers {
        for (status, version) in w.await.unwrap() {
            total += 1;
            assert_eq!(status, 200);
            assert!(version == old || version == new, "{version}");
            saw_old |= version == old;
            saw_new |= version == new;
        }
    }
    assert!(saw_old && saw_new, "{total} requests");
    let metrics = client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains(&format!(
        "futbr_model_info{{version=\"{new}\",candidate=\"pi\"}} 1"
    )));
}

/// On an empty lake `serve` bootstraps, runs the pipeline, then reports ready; SIGTERM stops it
/// cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_bootstraps_an_empty_lake_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    let data = shared_data("dados_producao_inicial.csv");
    let mut server = serve(
        &lake,
        &[
            "--bootstrap",
            data.to_str().unwrap(),
            "--interval",
            "0.2",
            "--debounce",
            "0.1",
        ],
        &[],
    );
    assert_eq!(get(&server.base, "/ready").await.0, 503);
    let v1 = wait_ready(&server.base, Duration::from_secs(60)).await["version"]
        .as_str()
        .unwrap()
        .to_string();
    // New rounds dropped into raw/ are picked up by the in-process watcher and swapped in.
    std::fs::copy(
        shared_data("novas_rodadas_simuladas.csv"),
        Path::new(&lake).join("raw/novas_rodadas_simuladas.csv"),
    )
    .unwrap();
    wait_new_version(
        &server.base,
        &v1,
        Duration::from_secs(180),
        "no new champion",
    )
    .await;
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A one-file HTTP server on loopback answering `body` to at most `requests` requests.
fn feed_server(body: Vec<u8>, requests: usize) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/csv\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://127.0.0.1:{port}/BRA.csv")
}

/// `serve --feed URL` saves a changed feed into raw/, and its in-process watcher trains and
/// swaps in a new champion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_follows_a_feed_into_a_new_champion() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_trained_on(dir.path(), "dados_producao_inicial.csv");
    let url = feed_server(
        std::fs::read(shared_data("novas_rodadas_simuladas.csv")).unwrap(),
        300,
    );
    let server = serve(
        &lake,
        &[
            "--feed",
            &url,
            "--feed-interval",
            "1s",
            "--interval",
            "0.2",
            "--debounce",
            "0.1",
        ],
        &[],
    );
    let v1 = wait_ready(&server.base, Duration::from_secs(30)).await["version"]
        .as_str()
        .unwrap()
        .to_string();
    wait_new_version(
        &server.base,
        &v1,
        Duration::from_secs(180),
        "the feed never reached a champion",
    )
    .await;
    let feeds: Vec<_> = std::fs::read_dir(Path::new(&lake).join("raw/feeds"))
        .unwrap()
        .collect();
    assert_eq!(feeds.len(), 1, "one version of the feed saved");
}

/// A bootstrap that cannot be read stops `serve` with the hint, instead of leaving it unready.
#[test]
fn serve_with_an_unreadable_bootstrap_exits_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    let missing = dir.path().join("missing.csv").display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_futbr"))
        .args([
            "serve",
            "--lake",
            &lake,
            "--addr",
            "127.0.0.1:0",
            "--bootstrap",
            &missing,
        ])
        .env_remove("FUTBR_LAKE")
        .env_remove("PORT")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("serve kept running with an unreadable bootstrap");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("missing.csv") && stderr.contains("--bootstrap"),
        "{stderr}"
    );
}
