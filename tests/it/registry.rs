//! The registry of kinds is the only list of kinds: every list derived from it (the rollup
//! tables the schema has, `GET /v1/kinds`, the web page's titles, the benchmarks' reads)
//! agrees with it, and no second hand-kept list exists beside it.

use std::collections::{BTreeSet, HashMap};

use exportd_core::kinds::ReportKind;
use exportd_worker::{reports, rollup::spec};

use crate::harness::TestApp;

/// The schema's rollup tables (`rollup_…`) that meet `condition`, on `pg_class`.
async fn rollup_tables(pool: &sqlx::PgPool, condition: &str) -> BTreeSet<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT relname::text FROM pg_class
          WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace
            AND relname::text LIKE 'rollup\\_%' AND {condition}"
    )))
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rollup_table_in_the_schema_is_declared_by_exactly_one_kind_or_the_engine() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let in_schema = rollup_tables(&app.pool, "true").await;
    let mut owner: HashMap<&str, ReportKind> = HashMap::new();
    for (kind, rollups) in spec::registered() {
        assert!(!rollups.tables.is_empty(), "{kind}: rollups without tables");
        assert!(
            !rollups.days.is_empty() && !rollups.block.is_empty(),
            "{kind}: rollups that nothing builds"
        );
        for t in rollups.tables {
            if let Some(other) = owner.insert(t, kind) {
                panic!("{t} is declared by both {other} and {kind}");
            }
        }
    }
    let declared: BTreeSet<String> = owner
        .keys()
        .map(|t| t.to_string())
        .chain(spec::ENGINE_TABLES.iter().map(|t| t.to_string()))
        .collect();
    assert_eq!(
        in_schema, declared,
        "the migrations' rollup tables and the registry's differ"
    );
    // Rollup rows and blocks are a cache, kept out of the WAL; the marks are not.
    let unlogged = rollup_tables(&app.pool, "relpersistence = 'u'").await;
    let cache: BTreeSet<String> = owner
        .keys()
        .map(|t| t.to_string())
        .chain(["rollup_blocks".to_owned()])
        .collect();
    assert_eq!(unlogged, cache, "the unlogged rollup tables");
    // Autovacuum keeps their statistics fresh (the builder analyzes after large passes
    // only), and samples no set.
    let analyzed_soon = rollup_tables(
        &app.pool,
        "'autovacuum_analyze_scale_factor=0.02' = ANY(reloptions)",
    )
    .await;
    assert_eq!(analyzed_soon, cache, "the rollup tables analyzed at 2 %");
    let sampled_sets: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname || '.' || a.attname FROM pg_class c
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           JOIN pg_type t ON t.oid = a.atttypid
          WHERE c.relkind = 'r' AND c.relname::text LIKE 'rollup\\_%' AND t.typcategory = 'A'
            AND a.attstattarget IS DISTINCT FROM 0",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        sampled_sets.is_empty(),
        "sets with statistics: {sampled_sets:?}"
    );
    // Each kind's statements name only its own tables.
    for (kind, rollups) in spec::registered() {
        let statements = rollups
            .days
            .iter()
            .map(|d| format!("INSERT INTO {}", (d.target)()))
            .chain(rollups.block.iter().map(|b| b().to_owned()));
        for sql in statements {
            let target = sql
                .split("INSERT INTO")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_else(|| panic!("{kind}: a statement that inserts nothing: {sql}"));
            assert_eq!(owner.get(target), Some(&kind), "{kind} writes {target}");
        }
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_kinds_is_the_registry_with_its_titles_and_every_kind_has_an_implementation() {
    let app = TestApp::spawn_with(&[("WORKER", "none")]).await;
    let acct = app.account("Kinds", "UTC", "pro", "es").await;
    let (status, body) = app.get_json(&acct.token, "/v1/kinds").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), ReportKind::ALL.len());
    for (item, kind) in items.iter().zip(ReportKind::ALL) {
        assert_eq!(item["kind"], kind.as_str());
        for (l, locale) in [
            ("es", exportd_core::domain::Locale::Es),
            ("en", exportd_core::domain::Locale::En),
            ("pt", exportd_core::domain::Locale::Pt),
        ] {
            assert_eq!(item["title"][l], kind.title(locale), "{kind} {l}");
            assert!(!item["about"][l].as_str().unwrap().is_empty(), "{kind} {l}");
        }
        let options: Vec<&str> = item["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        let accepted: Vec<&str> = kind.accepted().map(|o| o.as_str()).collect();
        assert_eq!(options, accepted, "{kind}");
        assert_eq!(reports::report(kind).kind(), kind, "the worker's registry");
    }
    app.shutdown().await;
}

#[test]
fn the_web_page_keeps_no_list_of_kinds_of_its_own() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/web");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for kind in ReportKind::ALL {
            let info = kind.info();
            for title in [info.title.es, info.title.en, info.title.pt] {
                assert!(
                    !text.contains(title),
                    "{} names {kind} ({title:?}): titles come from GET /v1/kinds",
                    path.display()
                );
            }
            assert!(
                !text.contains(&format!("kind_{}", kind.as_str())),
                "{} keeps a word for {kind}",
                path.display()
            );
        }
    }
}
