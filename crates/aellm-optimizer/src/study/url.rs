//! A study by URL: a file path (or `sqlite://path`) is an embedded SQLite
//! study, `postgres://…` (or `postgresql://…`) a shared PostgreSQL one.

use super::{PostgresStudy, Queue, SqliteStudy};
use crate::OptimizerError;

/// Opens the study `url` names, creating it if it does not exist.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("study.sqlite");
/// let study = aellm_optimizer::study::open(path.to_str().unwrap()).unwrap();
/// assert_eq!(study.status().unwrap().done, 0);
/// assert!(aellm_optimizer::study::open("mysql://db/x").is_err());
/// ```
pub fn open(url: &str) -> Result<Box<dyn Queue>, OptimizerError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(PostgresStudy::connect(url)?));
    }
    let path = url.strip_prefix("sqlite://").unwrap_or(url);
    if let Some((scheme, _)) = path.split_once("://") {
        return Err(OptimizerError::StudyUrl {
            url: url.into(),
            reason: format!("no store for `{scheme}://`"),
        });
    }
    if path.is_empty() {
        return Err(OptimizerError::StudyUrl {
            url: url.into(),
            reason: "the path is empty".into(),
        });
    }
    Ok(Box::new(SqliteStudy::open(path)?))
}
