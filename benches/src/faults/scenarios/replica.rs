//! Scenario 9: the hot standby that reports read stops for 30 s under load. Exports read
//! the primary meanwhile, then the standby again, and every export is delivered once.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::json;

use super::settle::{SETTLE, clean};
use crate::faults::{Outcome, Stage};

pub(super) async fn replica_outage(stage: Stage, outage: Duration) -> anyhow::Result<Outcome> {
    let stage = Arc::new(stage);
    let standby = stage.standby.as_ref().expect("a stage with a replica");
    let load = stage.load(Duration::from_millis(200));
    tokio::time::sleep(Duration::from_secs(5)).await;
    standby.down()?;
    let down = Instant::now();
    tokio::time::sleep(outage).await;
    standby.up()?;
    let up = down.elapsed();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let seen = load.end().await?;
    let refused = seen.iter().filter(|p| p.status != 202).count();
    let ids: Vec<i64> = seen.iter().filter_map(|p| p.id).collect();
    let (t, settled) = stage.tally(&ids, SETTLE, None).await?;
    let stage = Arc::into_inner(stage).expect("the clients are done");
    let (replica, primary) = reads(&stage)?;
    stage.stop().await?;
    Ok(Outcome {
        name: "replica stopped",
        load: format!(
            "4 clients requesting exports every 200 ms ({} requests), 2 workers reading a hot standby",
            seen.len()
        ),
        fault: format!(
            "the standby stopped (fast) for {:.0} s, then started",
            up.as_secs_f64()
        ),
        pass: clean(&t)
            && refused == 0
            && t.one_object_each == t.requested
            && primary > 0
            && replica > 0,
        extra: vec![
            ("requests refused", json!(refused)),
            ("exports that read the replica", json!(replica)),
            ("exports that read the primary", json!(primary)),
            (
                "settled after",
                json!(format!("{:.1} s", settled.as_secs_f64())),
            ),
        ],
        tally: t,
    })
}

/// Reports that read the replica and the primary, by the workers' logs.
fn reads(stage: &Stage) -> anyhow::Result<(usize, usize)> {
    let (mut replica, mut primary) = (0, 0);
    for entry in std::fs::read_dir(&stage.svc.dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.starts_with("worker-") && name.ends_with(".log")) {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            if !line.contains("report") {
                continue;
            }
            if line.contains("reading the replica") {
                replica += 1;
            } else if line.contains("reading the primary") {
                primary += 1;
            }
        }
    }
    Ok((replica, primary))
}
