//! `futbr doctor`: checks every object the loop relies on and, with `repair`, repairs what can be
//! repaired without hand-editing — under the run lease, so no run is working meanwhile.
//!
//! Checked: the run lease, the champion pointer (readable, naming a published version whose
//! artifact matches its checksum), every manifest and artifact, versions a crash left without a
//! manifest, `processed/` against its report, run records (readable, none left `running`), and
//! `raw/` entries that are skipped (links, names that cannot be keys).

use futbr_lake::registry::{ChampionPointer, Registry};
use futbr_lake::{keys, Busy, Lake, LakeError, LeaseState};
use serde::Serialize;

use crate::orchestrate::remove_orphan_versions;
use crate::runs::{mark_abandoned, stored_runs, RunStatus};
use crate::{process, sha256_hex, PipelineError, ProcessOptions};

/// One problem found, and what was (or would be) done about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The object concerned.
    pub object: String,
    pub problem: String,
    /// The repair `--repair` makes (or made), or why it cannot.
    pub repair: String,
    pub repaired: bool,
}

/// What `doctor` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DoctorReport {
    /// Objects checked and found sound.
    pub healthy: Vec<String>,
    pub findings: Vec<Finding>,
}

impl DoctorReport {
    /// Problems not (or not yet) repaired.
    pub fn unresolved(&self) -> usize {
        self.findings.iter().filter(|f| !f.repaired).count()
    }

    fn find(&mut self, object: &str, problem: String, repair: &str) -> usize {
        self.findings.push(Finding {
            object: object.to_string(),
            problem,
            repair: repair.to_string(),
            repaired: false,
        });
        self.findings.len() - 1
    }
}

/// Checks the lake; with `repair`, takes the run lease and repairs what it can.
pub async fn doctor(lake: &Lake, repair: bool) -> Result<DoctorReport, PipelineError> {
    let mut report = DoctorReport::default();
    let registry = Registry::new(lake);

    // The lease first: repairing needs it.
    let lease_state = lake.lease_state().await?;
    if let LeaseState::Garbled { reason, .. } = &lease_state {
        report.find(
            keys::LEASE,
            format!("unreadable ({reason})"),
            "taken over and released (the next run would take it over too)",
        );
    } else {
        report.healthy.push(keys::LEASE.to_string());
    }
    let lease = if repair {
        let run_id = format!("doctor-{}", crate::new_run_id());
        match lake
            .acquire_lease(&run_id, chrono::Duration::seconds(120))
            .await?
        {
            Ok(lease) => Some(lease),
            Err(Busy::HeldBy(holder)) => {
                return Err(PipelineError::Busy {
                    run_id: holder.run_id,
                    expires_at: holder.expires_at,
                })
            }
        }
    } else {
        None
    };
    if lease.is_some() {
        for f in &mut report.findings {
            if f.object == keys::LEASE {
                f.repaired = true;
            }
        }
    }
    let fenced = lease.as_ref().map(|l| lake.fenced(l));
    let result = examine(lake, fenced.as_ref(), &registry, &mut report).await;
    if let Some(lease) = &lease {
        lake.release_lease(lease).await?;
    }
    result?;
    Ok(report)
}

async fn examine(
    lake: &Lake,
    fenced: Option<&Lake>,
    registry: &Registry<'_>,
    report: &mut DoctorReport,
) -> Result<(), PipelineError> {
    // Every version: manifest readable, artifact matching its checksum; orphans.
    let mut published = Vec::new();
    let mut folders = std::collections::BTreeSet::new();
    for o in lake.list(keys::MODELS).await? {
        if let Some((version, _)) = o.key[keys::MODELS.len()..].split_once('/') {
            folders.insert(version.to_string());
        }
    }
    let mut orphans = 0;
    for version in &folders {
        let manifest_key = futbr_lake::registry::version_key(version, "manifest.json");
        match registry.manifest(version).await {
            Ok(_) => match registry.artifact(version).await {
                Ok(_) => {
                    published.push(version.clone());
                    report.healthy.push(format!("{}{version}/", keys::MODELS));
                }
                Err(e) => {
                    report.find(
                        &futbr_lake::registry::version_key(version, "model.json"),
                        e.to_string(),
                        "none: the version cannot serve; it is never chosen as champion",
                    );
                }
            },
            Err(LakeError::NotFound { .. }) => {
                orphans += 1;
                report.find(
                    &format!("{}{version}/", keys::MODELS),
                    "no manifest: left by a crash while publishing".into(),
                    "deleted",
                );
            }
            Err(e) => {
                report.find(
                    &manifest_key,
                    e.to_string(),
                    "none: delete the version folder by hand if it is not needed",
                );
            }
        }
    }
    if orphans > 0 {
        if let Some(lake) = fenced {
            let removed = remove_orphan_versions(lake, std::time::Duration::ZERO).await?;
            for f in &mut report.findings {
                let folder = f
                    .object
                    .trim_start_matches(keys::MODELS)
                    .trim_end_matches('/');
                if f.repair == "deleted" && removed.iter().any(|v| v == folder) {
                    f.repaired = true;
                }
            }
        }
    }

    // The champion pointer.
    let pointer = registry.champion_pointer().await?;
    let problem = match &pointer {
        ChampionPointer::Absent => None,
        ChampionPointer::Corrupt { reason, .. } => Some(format!("unreadable ({reason})")),
        ChampionPointer::Valid { champion, .. } if published.contains(&champion.version) => None,
        ChampionPointer::Valid { champion, .. } => Some(format!(
            "names version {}, which is missing or damaged",
            champion.version
        )),
    };
    match problem {
        None => report.healthy.push(keys::CHAMPION.to_string()),
        Some(problem) => {
            // The previous champion if it is sound, else the newest sound version.
            let previous = match &pointer {
                ChampionPointer::Valid { champion, .. } => champion.previous.clone(),
                _ => None,
            }
            .filter(|p| published.contains(p));
            let choice = previous.or_else(|| published.last().cloned());
            let i = report.find(
                keys::CHAMPION,
                problem,
                &match &choice {
                    Some(v) => format!(
                        "points to {v}, the newest sound version (or the previous champion)"
                    ),
                    None => "none possible: no sound version; the next run trains one".into(),
                },
            );
            if let (Some(lake), Some(v)) = (fenced, choice) {
                Registry::new(lake)
                    .set_champion(&v, "repaired by futbr doctor")
                    .await?;
                report.findings[i].repaired = true;
            }
        }
    }

    // processed/: the tables match their report.
    if lake.head(keys::PROCESSING_REPORT).await?.is_some() {
        #[derive(serde::Deserialize)]
        struct Hashes {
            matches_sha256: String,
            features_sha256: String,
        }
        let mut problems = Vec::new();
        match serde_json::from_slice::<Hashes>(&lake.get(keys::PROCESSING_REPORT).await?) {
            Err(e) => problems.push(format!("{} is unreadable: {e}", keys::PROCESSING_REPORT)),
            Ok(h) => {
                for (key, expected) in [
                    (keys::MATCHES, h.matches_sha256),
                    (keys::FEATURES, h.features_sha256),
                ] {
                    match lake.get_opt(key).await? {
                        None => problems.push(format!("{key} is missing")),
                        Some(b) if sha256_hex(&b) != expected => {
                            problems.push(format!("{key} differs from its report"))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        if problems.is_empty() {
            report.healthy.push("processed/".into());
        } else {
            let i = report.find(
                "processed/",
                problems.join("; "),
                "rebuilt from raw/ (the next run would rebuild it too)",
            );
            if let Some(lake) = fenced {
                let options = ProcessOptions {
                    run_id: format!("doctor-{}", crate::new_run_id()),
                    validate: Default::default(),
                };
                match process(lake, &options).await {
                    Ok(_) => report.findings[i].repaired = true,
                    Err(e) => report.findings[i].repair = format!("rebuilding failed: {e}"),
                }
            }
        }
    }

    // Run records: readable, none left running by a dead process.
    let mut unreadable = 0;
    for o in lake.list(keys::RUNS).await? {
        if o.key == keys::LEASE || !o.key.ends_with(".json") {
            continue;
        }
        let bytes = lake.get(&o.key).await?;
        if serde_json::from_slice::<crate::runs::RunRecord>(&bytes).is_err() {
            unreadable += 1;
            report.find(
                &o.key,
                "unreadable run record".into(),
                "none needed: `runs list` skips it; delete it if it is not wanted",
            );
            // Nothing relies on it: counted as resolved.
            if let Some(f) = report.findings.last_mut() {
                f.repaired = true;
            }
        }
    }
    let live = match lake.lease_state().await? {
        LeaseState::Held { record, .. }
            if !record.released && record.expires_at > chrono::Utc::now() =>
        {
            Some(record.run_id)
        }
        _ => None,
    };
    let stuck: Vec<String> = stored_runs(lake)
        .await?
        .into_iter()
        .filter(|r| r.status == RunStatus::Running && Some(&r.run_id) != live.as_ref())
        .map(|r| r.run_id)
        .collect();
    if !stuck.is_empty() {
        let i = report.find(
            keys::RUNS,
            format!(
                "run(s) left running by a process that is gone: {}",
                stuck.join(", ")
            ),
            "marked abandoned",
        );
        if let Some(lake) = fenced {
            mark_abandoned(lake, "doctor").await?;
            report.findings[i].repaired = true;
        }
    } else if unreadable == 0 {
        report.healthy.push(keys::RUNS.to_string());
    }

    // raw/: entries the loop skips.
    let listing = lake.list_raw().await?;
    for s in listing.skipped {
        report.find(
            &s.name,
            s.reason,
            "none: raw/ is never modified by the system; remove or replace it by hand",
        );
    }
    report.healthy.push(format!(
        "{} ({} object(s))",
        keys::RAW,
        listing.objects.len()
    ));
    Ok(())
}
