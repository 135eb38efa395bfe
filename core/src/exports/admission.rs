//! Admission of the exports asked for through the API: the account cap, the idempotency
//! key and the authority of a cached token, checked for each in the one statement that
//! inserts a batch of them (see `api/src/exports/commit.rs`).

use chrono_tz::Tz;
use sqlx::{PgExecutor, types::Json};

use super::{COLUMNS, Export, NewExport};
use crate::domain::Plan;

/// What a request was authorised and validated with, checked again by the insert that
/// acts on it: the bearer token (its sha256) is not revoked, its user is still an admin of
/// the account, and the account still has the plan and timezone the request was checked
/// against. A caller answered from a cache is thereby as good as one read for this insert.
#[derive(Debug, Clone)]
pub struct Authority {
    pub token_sha256: Vec<u8>,
    pub plan: Plan,
    pub timezone: Tz,
}

/// One export asked for through the API, for [`insert_if_room`]: what to insert, and the
/// authority it was checked with (`None` for a caller read afresh for this request).
#[derive(Debug, Clone)]
pub struct Ask {
    pub new: NewExport,
    pub authority: Option<Authority>,
}

/// Inserts the exports asked for, with one statement and one commit for all. Each is
/// inserted as by [`insert`](super::insert), and only while its account has fewer than
/// `cap` exports queued or running, counting those asked for before it in `asks`; and with
/// an authority, only while that still holds (its user is `new.requested_by`). An answer for
/// each ask, in order: `None` when its key was used already (before, or by an earlier ask
/// of the same account), the account is at the cap, or the authority no longer holds (the
/// caller tells which). Counts no further than the cap. Scheduled runs do not come here.
///
/// The cap is exact under concurrency: each account's room is counted by
/// `exports_active_for_admission` (migration 0017), which first takes the account's
/// admission lock, held until the commit, then counts what is committed. Batches of one
/// account are thereby admitted one after another; the accounts of a batch are locked in id
/// order, so that two batches cannot deadlock.
pub async fn insert_if_room(
    db: impl PgExecutor<'_>,
    asks: &[Ask],
    cap: i64,
) -> Result<Vec<Option<Export>>, sqlx::Error> {
    // The asks come in as one array a column. Each gets its id before the insert, so that
    // the rows inserted can be told apart; an ask refused leaves a gap in the sequence. Of
    // the authorised asks of one account with one key, the first goes on. The statement
    // does not see its own rows, so each account's room under the cap is counted once, and
    // its asks that go on take it in turn (`nth`). `room` is materialized so that the
    // locks are taken in its order.
    let sql = format!(
        "WITH ask AS MATERIALIZED (
             SELECT nextval(pg_get_serial_sequence('exports', 'id')) AS id, a.*
               FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::date[], $6::date[],
                           $7::text[], $8::jsonb[], $9::jsonb[], $10::text[], $11::text[],
                           $12::bytea[], $13::text[], $14::text[], $16::jsonb[])
                    WITH ORDINALITY AS a(account_id, requested_by, kind, format, range_from, range_to,
                                         timezone, options, notify, idempotency_key, request_hash,
                                         token_sha256, plan, account_timezone, deliver, ord)
         ),
         authorised AS (
             SELECT a.* FROM ask a
              WHERE (a.token_sha256 IS NULL OR EXISTS (
                        SELECT 1 FROM api_tokens t JOIN users u ON u.id = t.user_id
                                 JOIN accounts c ON c.id = u.account_id
                         WHERE t.token_sha256 = a.token_sha256 AND t.revoked_at IS NULL
                           AND u.id = a.requested_by AND u.account_id = a.account_id
                           AND u.role = 'admin' AND c.plan = a.plan AND c.timezone = a.account_timezone))
                AND (a.idempotency_key IS NULL OR NOT EXISTS (
                        SELECT 1 FROM exports e
                         WHERE e.account_id = a.account_id AND e.idempotency_key = a.idempotency_key))
         ),
         passing AS (
             SELECT a.*, row_number() OVER (PARTITION BY a.account_id ORDER BY a.ord) AS nth
               FROM authorised a
              WHERE a.idempotency_key IS NULL OR NOT EXISTS (
                        SELECT 1 FROM authorised b
                         WHERE b.account_id = a.account_id AND b.idempotency_key = a.idempotency_key
                           AND b.ord < a.ord)
         ),
         room AS MATERIALIZED (
             SELECT d.account_id, $15 - exports_active_for_admission(d.account_id, $15) AS left_over
               FROM (SELECT DISTINCT account_id FROM passing ORDER BY account_id) d
         ),
         inserted AS (
             INSERT INTO exports (id, account_id, requested_by, kind, format, range_from, range_to, timezone,
                                  options, notify, idempotency_key, request_hash, deliver)
             SELECT id, account_id, requested_by, kind, format, range_from, range_to, timezone,
                    options, notify, idempotency_key, request_hash,
                    ARRAY(SELECT d::int8 FROM jsonb_array_elements_text(deliver) AS d)
               FROM passing p JOIN room r USING (account_id)
              WHERE p.nth <= r.left_over
              ORDER BY p.ord
             ON CONFLICT (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
             RETURNING {COLUMNS}
         )
         SELECT ask.ord, inserted.* FROM inserted JOIN ask USING (id)"
    );
    fn column<T>(asks: &[Ask], f: impl Fn(&Ask) -> T) -> Vec<T> {
        asks.iter().map(f).collect()
    }
    let rows: Vec<(i64, Export)> = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(column(asks, |a| a.new.account_id))
        .bind(column(asks, |a| a.new.requested_by))
        .bind(column(asks, |a| a.new.kind.as_str()))
        .bind(column(asks, |a| a.new.format.as_str()))
        .bind(column(asks, |a| a.new.range_from))
        .bind(column(asks, |a| a.new.range_to))
        .bind(column(asks, |a| a.new.timezone.name()))
        .bind(column(asks, |a| Json(a.new.options.clone())))
        .bind(column(asks, |a| Json(a.new.notify.clone())))
        .bind(column(asks, |a| a.new.idempotency_key.clone()))
        .bind(column(asks, |a| a.new.request_hash.clone()))
        .bind(column(asks, |a| {
            a.authority.as_ref().map(|t| t.token_sha256.clone())
        }))
        .bind(column(asks, |a| {
            a.authority.as_ref().map(|t| t.plan.as_str())
        }))
        .bind(column(asks, |a| {
            a.authority.as_ref().map(|t| t.timezone.name())
        }))
        .bind(cap)
        .bind(column(asks, |a| Json(a.new.deliver.clone())))
        .try_map(|row: sqlx::postgres::PgRow| {
            use sqlx::{FromRow, Row};
            Ok((row.try_get::<i64, _>("ord")?, Export::from_row(&row)?))
        })
        .fetch_all(db)
        .await?;
    let mut answers = vec![None; asks.len()];
    for (ord, export) in rows {
        // WITH ORDINALITY counts from 1.
        answers[ord as usize - 1] = Some(export);
    }
    Ok(answers)
}
