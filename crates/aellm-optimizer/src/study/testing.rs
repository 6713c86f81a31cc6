//! Support for tests of the PostgreSQL store, here and in other crates'
//! tests (not part of the API).

/// A fresh, empty database on the server `AELLM_TEST_POSTGRES` names (a URL
/// whose user may create databases), as a study URL; `None`, said on
/// stderr, when the variable is unset. In CI (`CI=true`) an unset variable
/// panics instead: `.ci/run` starts a cluster and sets it, and a PostgreSQL
/// test that silently skips there proves nothing.
///
/// # Panics
/// When the server cannot be reached or refuses to create the database:
/// the test cannot run, and should fail saying so.
pub fn postgres_url() -> Option<String> {
    let Ok(base) = std::env::var("AELLM_TEST_POSTGRES") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "AELLM_TEST_POSTGRES is unset in CI: .ci/run starts a PostgreSQL cluster and sets it"
        );
        eprintln!("AELLM_TEST_POSTGRES is unset: skipping the PostgreSQL store's tests");
        return None;
    };
    let name = format!("aellm_t_{}", super::queue::token().get(..12).unwrap_or("x"));
    let mut admin = ::postgres::Client::connect(&base, ::postgres::NoTls)
        .expect("AELLM_TEST_POSTGRES connects");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    let (head, query) = base.split_once('?').unwrap_or((&base, ""));
    let root = head.rsplit_once('/').map_or(head, |(r, _)| r);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    Some(format!("{root}/{name}{query}"))
}
