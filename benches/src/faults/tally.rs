//! What happened to a scenario's exports, from every side: the database's statuses, the
//! objects in the S3 server, the emails in the SMTP sink's Maildir, and the deliveries the
//! webhook receiver accepted. Duplicates are extra objects, emails or deliveries of one
//! export.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
    time::{Duration, Instant},
};

use serde::Serialize;
use sqlx::PgPool;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Tally {
    pub requested: usize,
    /// Succeeded, with every notification sent and seen by its receiver.
    pub delivered: usize,
    pub failed: usize,
    /// Neither succeeded nor failed when the wait ended.
    pub lost: usize,
    pub objects: usize,
    /// Succeeded exports with exactly one object in the bucket.
    pub one_object_each: usize,
    pub emails: usize,
    pub webhooks: usize,
    pub duplicates: usize,
}

/// Waits until every export in `ids` is finished and none of their notifications is
/// pending, or `within` passes. Returns how long it took.
pub async fn settle(pool: &PgPool, ids: &[i64], within: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    loop {
        let open: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM exports WHERE id = ANY($1) AND status NOT IN ('succeeded', 'failed', 'cancelled'))
                  + (SELECT count(*) FROM notifications WHERE export_id = ANY($1) AND status = 'pending')",
        )
        .bind(ids)
        .fetch_one(pool)
        .await
        .unwrap_or(i64::MAX);
        if open == 0 || started.elapsed() > within {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Export ids named by the download links of the emails in `maildir` (each email counted
/// once per export it names).
pub fn emails_by_export(maildir: &Path) -> anyhow::Result<HashMap<i64, usize>> {
    let mut by = HashMap::new();
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Ok(by);
    };
    for entry in entries {
        let text = String::from_utf8_lossy(&std::fs::read(entry?.path())?)
            // Quoted-printable soft line breaks.
            .replace("=\r\n", "")
            .replace("=\n", "");
        let mut named = HashSet::new();
        for (at, _) in text.match_indices("/v1/exports/") {
            let digits: String = text[at + 12..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(id) = digits.parse::<i64>() {
                named.insert(id);
            }
        }
        for id in named {
            *by.entry(id).or_default() += 1;
        }
    }
    Ok(by)
}

/// Objects in the bucket per export (`exports/{account}/{export}/…`).
pub async fn objects_by_export(
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> anyhow::Result<HashMap<i64, usize>> {
    let mut by = HashMap::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix("exports/")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for o in page?.contents() {
            let id = o
                .key()
                .and_then(|k| k.split('/').nth(2))
                .and_then(|s| s.parse::<i64>().ok());
            if let Some(id) = id {
                *by.entry(id).or_default() += 1;
            }
        }
    }
    Ok(by)
}

/// What to count: the scenario's exports and what their receivers saw.
pub struct Evidence<'a> {
    pub ids: &'a [i64],
    pub objects: HashMap<i64, usize>,
    pub emails: HashMap<i64, usize>,
    pub webhooks: HashMap<i64, usize>,
}

pub async fn count(pool: &PgPool, ev: Evidence<'_>) -> anyhow::Result<Tally> {
    let rows: Vec<(i64, String, Vec<String>, Vec<String>)> = sqlx::query_as(
        "SELECT e.id, e.status,
                coalesce(array_agg(n.channel) FILTER (WHERE n.id IS NOT NULL), '{}'),
                coalesce(array_agg(n.status) FILTER (WHERE n.id IS NOT NULL), '{}')
           FROM exports e LEFT JOIN notifications n ON n.export_id = e.id
          WHERE e.id = ANY($1) GROUP BY e.id, e.status",
    )
    .bind(ev.ids)
    .fetch_all(pool)
    .await?;
    let mut t = Tally {
        requested: ev.ids.len(),
        ..Tally::default()
    };
    let seen = |m: &HashMap<i64, usize>, id| m.get(&id).copied().unwrap_or(0);
    for (id, status, channels, statuses) in &rows {
        match status.as_str() {
            "succeeded" => {
                let received = channels.iter().all(|c| match c.as_str() {
                    "email" => seen(&ev.emails, *id) >= 1,
                    "webhook" => seen(&ev.webhooks, *id) >= 1,
                    _ => true,
                });
                if received && statuses.iter().all(|s| s == "sent") {
                    t.delivered += 1;
                }
                if seen(&ev.objects, *id) == 1 {
                    t.one_object_each += 1;
                }
            }
            "failed" => t.failed += 1,
            _ => t.lost += 1,
        }
    }
    t.lost += ev.ids.len() - rows.len();
    let mine: HashSet<i64> = ev.ids.iter().copied().collect();
    let sum_and_extra = |m: &HashMap<i64, usize>| {
        m.iter()
            .filter(|(id, _)| mine.contains(id))
            .fold((0, 0), |(n, extra), (_, c)| {
                (n + c, extra + c.saturating_sub(1))
            })
    };
    let (objects, extra_o) = sum_and_extra(&ev.objects);
    let (emails, extra_e) = sum_and_extra(&ev.emails);
    let (webhooks, extra_w) = sum_and_extra(&ev.webhooks);
    t.objects = objects;
    t.emails = emails;
    t.webhooks = webhooks;
    t.duplicates = extra_o + extra_e + extra_w;
    Ok(t)
}

/// Jain's fairness index of `xs`: 1 when all are equal, 1/n when one has everything.
pub fn jain(xs: &[f64]) -> f64 {
    let (sum, sq) = xs.iter().fold((0.0, 0.0), |(s, q), x| (s + x, q + x * x));
    if sq == 0.0 {
        return 1.0;
    }
    sum * sum / (xs.len() as f64 * sq)
}

/// Exports finished per account right now.
pub async fn done_per_account(pool: &PgPool, accounts: &[i64]) -> anyhow::Result<Vec<f64>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT account_id, count(*) FROM exports
          WHERE account_id = ANY($1) AND status = 'succeeded' GROUP BY account_id",
    )
    .bind(accounts)
    .fetch_all(pool)
    .await?;
    let by: BTreeMap<i64, i64> = rows.into_iter().collect();
    Ok(accounts
        .iter()
        .map(|a| by.get(a).copied().unwrap_or(0) as f64)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_is_one_when_equal_and_one_over_n_when_one_has_all() {
        assert!((jain(&[3.0, 3.0, 3.0]) - 1.0).abs() < 1e-9);
        assert!((jain(&[9.0, 0.0, 0.0]) - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn an_email_names_its_export_once_even_across_soft_breaks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("new")).unwrap();
        std::fs::write(
            dir.path().join("new/1"),
            "text http://x/v1/exports/42/download?sig=a\r\nhtml <a href=3D\"http://x/v1/ex=\r\nports/42/download\">",
        )
        .unwrap();
        std::fs::write(dir.path().join("new/2"), "http://x/v1/exports/7/download").unwrap();
        let by = emails_by_export(dir.path()).unwrap();
        assert_eq!(by.get(&42), Some(&1));
        assert_eq!(by.get(&7), Some(&1));
    }
}
