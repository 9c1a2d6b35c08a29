//! Clock skew between nodes (issue 20 item 4): each node compares its clock with
//! PostgreSQL's, the clock all nodes share; SQLite has no second clock to compare with.

use tessera::config::TenantRouting;
use tessera::db::Db;

use crate::both_engines;
use crate::helpers::{Engine, TestApp};

async fn the_clock_is_compared_with_the_database(engine: Engine) {
    let app = TestApp::spawn(engine, TenantRouting::Path).await;
    let db = Db::connect(&app.db.url, crate::helpers::pool_options()).unwrap();
    let mut conn = db.conn().unwrap();
    let measured = tessera::clock::measure(&mut conn).unwrap();
    match engine {
        // Same machine, same clock: well inside the warning threshold.
        Engine::Postgres => {
            let skew = measured.expect("PostgreSQL has a clock to compare with");
            assert!(skew.abs() < tessera::clock::WARN_SECS, "{skew}");
            assert_eq!(tessera::clock::classify(skew), tessera::clock::Skew::Fine);
        }
        Engine::Sqlite => assert_eq!(measured, None),
    }
}

both_engines!(the_clock_is_compared_with_the_database);
