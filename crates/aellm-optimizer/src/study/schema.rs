//! What a study store holds and which stores this program may open: the
//! schema version, the program that wrote a store, and the decision to
//! create, migrate, open or refuse one. Every store (SQLite, PostgreSQL)
//! asks this module, so the rules are written once.

use crate::OptimizerError;

/// The version of the study schema this program writes.
///
/// 1: `evaluations` and `leases` only, no version table (before 0.1's queue).
/// 2: `aellm_meta`, `studies`, `trials` (the work queue), `workers`, and the
///    measuring host on each evaluation.
pub const SCHEMA_VERSION: i64 = 2;

/// The program name stamped in every store this program creates.
pub const PROGRAM: &str = "aellm";

/// The program and version that writes, e.g. `aellm-optimizer 0.1.0`.
pub fn written_by() -> String {
    format!("aellm-optimizer {}", env!("CARGO_PKG_VERSION"))
}

/// The SQL dialects of the stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Version 2's tables, in one store's types.
pub(crate) fn tables(d: Dialect) -> String {
    let (id, real) = match d {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY", "REAL"),
        Dialect::Postgres => ("BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION"),
    };
    TABLES_SQL.replace("{ID}", id).replace("{REAL}", real)
}

const TABLES_SQL: &str = "
CREATE TABLE IF NOT EXISTS aellm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evaluations (
    id            {ID},
    scenario      TEXT NOT NULL,
    evaluator     TEXT NOT NULL,
    config_key    TEXT NOT NULL,
    configuration TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    ok            INTEGER NOT NULL,
    accuracy      {REAL},
    latency_ms    {REAL},
    memory_gb     {REAL},
    energy_j      {REAL},
    phase         TEXT NOT NULL,
    stored_at     {REAL} NOT NULL,
    host          TEXT,
    UNIQUE (scenario, evaluator, config_key)
);
CREATE TABLE IF NOT EXISTS studies (
    scenario  TEXT NOT NULL,
    evaluator TEXT NOT NULL,
    spec      TEXT NOT NULL,
    PRIMARY KEY (scenario, evaluator)
);
CREATE TABLE IF NOT EXISTS trials (
    id            {ID},
    scenario      TEXT NOT NULL,
    evaluator     TEXT NOT NULL,
    config_key    TEXT NOT NULL,
    configuration TEXT NOT NULL,
    phase         TEXT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    token         TEXT,
    lease_until   {REAL},
    worker        TEXT,
    errors        TEXT NOT NULL DEFAULT '[]',
    UNIQUE (scenario, evaluator, config_key)
);
CREATE INDEX IF NOT EXISTS trials_by_state ON trials (state, id);
CREATE TABLE IF NOT EXISTS workers (
    worker    TEXT PRIMARY KEY,
    host      TEXT NOT NULL,
    last_seen {REAL} NOT NULL
);
";

/// What every store writes in `aellm_meta` when opened: key, value, and
/// whether an existing value is overwritten (the creator is kept, the last
/// writer and the version are updated).
pub(crate) fn stamp() -> [(&'static str, String, bool); 4] {
    [
        ("program", PROGRAM.to_string(), false),
        ("schema_version", SCHEMA_VERSION.to_string(), true),
        ("created_by", written_by(), false),
        ("written_by", written_by(), true),
    ]
}

/// What opening a store must do, from what is in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opening {
    /// Nothing there yet: create every table and stamp the store.
    Create,
    /// A version-1 study (evaluations without a version table): add what
    /// version 2 has, keeping every evaluation.
    MigrateFrom1,
    /// Our program at our version.
    Current,
}

/// What a store says about itself before it is opened.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    /// `aellm_meta.program`, if the table exists.
    pub program: Option<String>,
    /// `aellm_meta.schema_version`, if the table exists.
    pub version: Option<String>,
    /// Whether a version-1 `evaluations` table is there.
    pub has_evaluations: bool,
    /// Other tables in the store (anything but ours).
    pub foreign_tables: Vec<String>,
}

/// Our tables: anything else in a store without our stamp makes it foreign.
pub(crate) const TABLES: &[&str] = &[
    "aellm_meta",
    "evaluations",
    "leases",
    "studies",
    "trials",
    "workers",
];

/// Decides what to do with a store, or refuses it with what to do instead.
pub(crate) fn decide(location: &str, f: &Found) -> Result<Opening, OptimizerError> {
    match (&f.program, &f.version) {
        (Some(p), _) if p != PROGRAM => Err(OptimizerError::ForeignStudy {
            location: location.into(),
            found: format!("a store written by `{p}`"),
        }),
        (Some(_), Some(v)) => match v.parse::<i64>() {
            Ok(n) if n == SCHEMA_VERSION => Ok(Opening::Current),
            Ok(n) if n > SCHEMA_VERSION => Err(OptimizerError::NewerStudy {
                location: location.into(),
                version: n,
                supported: SCHEMA_VERSION,
            }),
            Ok(1) => Ok(Opening::MigrateFrom1),
            _ => Err(OptimizerError::ForeignStudy {
                location: location.into(),
                found: format!("schema version `{v}`, which no aellm wrote"),
            }),
        },
        (Some(_), None) | (None, Some(_)) => Err(OptimizerError::ForeignStudy {
            location: location.into(),
            found: "a damaged aellm_meta table".into(),
        }),
        (None, None) if !f.foreign_tables.is_empty() => Err(OptimizerError::ForeignStudy {
            location: location.into(),
            found: format!("tables {}", f.foreign_tables.join(", ")),
        }),
        (None, None) if f.has_evaluations => Ok(Opening::MigrateFrom1),
        (None, None) => Ok(Opening::Create),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(program: Option<&str>, version: Option<&str>) -> Found {
        Found {
            program: program.map(Into::into),
            version: version.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn creates_migrates_opens_or_refuses() {
        assert_eq!(decide("x", &Found::default()).unwrap(), Opening::Create);
        let v1 = Found {
            has_evaluations: true,
            ..Default::default()
        };
        assert_eq!(decide("x", &v1).unwrap(), Opening::MigrateFrom1);
        let ours = found(Some(PROGRAM), Some(&SCHEMA_VERSION.to_string()));
        assert_eq!(decide("x", &ours).unwrap(), Opening::Current);
        let newer = decide("s.sqlite", &found(Some(PROGRAM), Some("99"))).unwrap_err();
        assert!(newer.to_string().contains("version 99"), "{newer}");
        let other = decide("s.sqlite", &found(Some("optuna"), Some("2"))).unwrap_err();
        assert!(other.to_string().contains("optuna"), "{other}");
        let tables = Found {
            foreign_tables: vec!["trial_params".into()],
            ..Default::default()
        };
        assert!(
            decide("s.sqlite", &tables)
                .unwrap_err()
                .to_string()
                .contains("trial_params")
        );
    }
}
