//! Checking a new file against what the lake already knows, before it lands in `raw/`: the
//! same merge as `process` (every raw object in upload order, then the new file last), so
//! `futbr validate --lake` and `futbr ingest` warn about exactly the rows `process` would
//! quarantine as conflicting results.

use futbr_domain::history::{MergeConflict, SourceFile};
use futbr_domain::validate::{validate_csv, ValidateOptions, ValidatedFile};
use futbr_domain::History;
use futbr_lake::{keys, Lake};

use crate::PipelineError;

/// Every valid match of `raw/` in upload order, as `process` reads them.
pub async fn raw_sources(
    lake: &Lake,
    options: &ValidateOptions,
) -> Result<Vec<SourceFile>, PipelineError> {
    // As `process` lists and reads raw/: links never followed, odd names reported there.
    let mut objects = lake.list_raw().await?.objects;
    objects.sort_by(|a, b| (a.last_modified, &a.key).cmp(&(b.last_modified, &b.key)));
    let mut files = Vec::with_capacity(objects.len());
    for object in objects {
        let bytes = lake.get_raw(&object.key).await?;
        let validated = validate_csv(&object.key, &bytes, options);
        files.push(SourceFile {
            corrects: object.key.starts_with(keys::CORRECTIONS),
            name: object.key,
            matches: validated.matches,
            lines: validated.lines,
        });
    }
    Ok(files)
}

/// The rows of `file` (validated with the same options) whose score conflicts with a result
/// the lake's `raw/` already holds. With `corrects`, the same list is what the file would
/// correct.
pub fn conflicts_with(
    known: &[SourceFile],
    name: &str,
    file: &ValidatedFile,
    corrects: bool,
) -> Vec<MergeConflict> {
    let mut files = known.to_vec();
    let new_index = files.len();
    files.push(SourceFile {
        name: name.to_string(),
        matches: file.matches.clone(),
        lines: file.lines.clone(),
        corrects,
    });
    let (_, summary) = History::merge_sources(files);
    let mut found = if corrects {
        summary.corrections
    } else {
        summary.conflicts
    };
    found.retain(|c| c.other_file_index == new_index);
    found
}
