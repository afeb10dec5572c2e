//! The club table a lake uses: the one shipped with the project, extended by the lake's
//! `config/clubs.csv` when there is one.

use std::sync::Arc;

use futbr_domain::ClubTable;
use futbr_lake::{keys, Lake};

use crate::PipelineError;

/// [`load`], or the shipped table alone (with a warning) when the lake's file is unreadable
/// or bad: for answering questions, where a bad extension must not stop the service.
pub async fn load_or_shipped(lake: &Lake) -> Arc<ClubTable> {
    match load(lake).await {
        Ok(table) => table,
        Err(e) => {
            tracing::warn!("{e}; using the shipped club table");
            Arc::new(ClubTable::shipped())
        }
    }
}

/// The shipped club table extended by the lake's `config/clubs.csv`; a bad file is an error
/// naming its line (a club table that silently lost rows would split clubs in two).
pub async fn load(lake: &Lake) -> Result<Arc<ClubTable>, PipelineError> {
    let mut table = ClubTable::shipped();
    if let Some(bytes) = lake.get_opt(keys::CLUB_TABLE).await? {
        table
            .extend_csv(keys::CLUB_TABLE, &bytes)
            .map_err(|e| PipelineError::ClubTable(e.to_string()))?;
    }
    Ok(Arc::new(table))
}
