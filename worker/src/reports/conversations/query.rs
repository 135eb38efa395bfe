//! The six templates' figures, each one aggregate over the same conversations: chats of the
//! account whose `started_at` is in the range, of the chosen sites, whose contact has one
//! of the chosen owners. All six run at once on the pool; every query is scoped by
//! `account_id`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::{AssertSqlSafe, PgPool, postgres::PgRow};

/// The conversations every template reads (`$1` account, `[$2, $3)` the range, `$4` sites
/// or NULL, `$5` owners or NULL).
const BASE: &str = "WITH c AS (
    SELECT ch.site_id, ch.contact_id, ch.started_at, ch.closed_at, ch.accepted_by,
           ch.msgs_in, ch.msgs_out, ch.first_client_msg_at AS fc, ch.first_agent_msg_at AS fa,
           ch.first_bot_msg_at AS fb, ct.owner_id
      FROM chats ch
      LEFT JOIN contacts ct ON ct.id = ch.contact_id AND ct.account_id = $1
     WHERE ch.account_id = $1 AND ch.started_at >= $2 AND ch.started_at < $3
       AND ($4::int8[] IS NULL OR ch.site_id = ANY($4))
       AND ($5::int8[] IS NULL OR ct.owner_id = ANY($5)))";

const OPEN_CLOSED: &str = "SELECT count(*), count(*) FILTER (WHERE closed_at IS NULL),
       count(*) FILTER (WHERE closed_at IS NOT NULL) FROM c";

const BY_SITE: &str =
    "SELECT c.site_id, coalesce(s.channel, ''), coalesce(s.name, '#' || c.site_id), count(*)
  FROM c LEFT JOIN sites s ON s.id = c.site_id AND s.account_id = $1
 GROUP BY c.site_id, s.channel, s.name";

/// Per owner, and (the NULL-grouped row flagged `true`) over all.
const RECURRENCE: &str =
    "SELECT owner_id, grouping(owner_id) = 1, count(DISTINCT contact_id), count(*)
  FROM c GROUP BY GROUPING SETS ((owner_id), ())";

/// `$6` the timezone.
const PER_HOUR: &str = "SELECT date_trunc('hour', started_at AT TIME ZONE $6), count(*)
  FROM c GROUP BY 1 ORDER BY 1";

const BY_USER: &str = "SELECT accepted_by, count(*) FILTER (WHERE closed_at IS NULL),
       count(*) FILTER (WHERE closed_at IS NOT NULL), avg(msgs_in)::float8, avg(msgs_out)::float8
  FROM c GROUP BY accepted_by";

/// Each average over the conversations with both instants and a difference ≥ 0; the
/// overall one takes the earlier of the two replies (`least` skips a missing one).
const RESPONSE: &str = "SELECT owner_id, grouping(owner_id) = 1, count(*),
       (avg(extract(epoch FROM fa - fc)) FILTER (WHERE fa >= fc))::float8,
       (avg(extract(epoch FROM fb - fc)) FILTER (WHERE fb >= fc))::float8,
       (avg(extract(epoch FROM least(fa, fb) - fc)) FILTER (WHERE least(fa, fb) >= fc))::float8
  FROM c GROUP BY GROUPING SETS ((owner_id), ())";

/// What the report reads.
#[derive(Debug, Default)]
pub struct Data {
    /// Received, open, closed.
    pub open_closed: (i64, i64, i64),
    /// Site id, channel, site name, conversations.
    pub by_site: Vec<(Option<i64>, String, String, i64)>,
    /// Owner, is-total, contacts, conversations.
    pub recurrence: Vec<(Option<i64>, bool, i64, i64)>,
    /// Local hour, conversations.
    pub per_hour: Vec<(NaiveDateTime, i64)>,
    /// User, open, closed, average messages in, out.
    pub by_user: Vec<(Option<i64>, i64, i64, Option<f64>, Option<f64>)>,
    /// Owner, is-total, conversations, manual, automatic, overall (seconds).
    pub response: Vec<(
        Option<i64>,
        bool,
        i64,
        Option<f64>,
        Option<f64>,
        Option<f64>,
    )>,
    /// Names of the account's users, by id.
    pub users: HashMap<i64, String>,
}

/// What a query reads: account, range, filters, timezone.
pub struct Scope<'a> {
    pub account_id: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub sites: Option<&'a [i64]>,
    pub owners: Option<&'a [i64]>,
    pub tz: &'a str,
}

/// Runs one template's aggregate; `with_tz` binds the timezone as `$6`.
async fn read<T>(
    pool: &PgPool,
    scope: &Scope<'_>,
    sql: &str,
    with_tz: bool,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    let q = sqlx::query_as::<_, T>(AssertSqlSafe(format!("{BASE} {sql}")))
        .bind(scope.account_id)
        .bind(scope.from)
        .bind(scope.to)
        .bind(scope.sites)
        .bind(scope.owners);
    if with_tz {
        q.bind(scope.tz).fetch_all(pool).await
    } else {
        q.fetch_all(pool).await
    }
}

/// Reads the six templates' figures at once.
pub async fn read_all(pool: &PgPool, scope: &Scope<'_>) -> Result<Data, sqlx::Error> {
    let names = super::super::user_names(pool, scope.account_id);
    let (open_closed, by_site, recurrence, per_hour, by_user, response, names) = tokio::try_join!(
        read::<(i64, i64, i64)>(pool, scope, OPEN_CLOSED, false),
        read(pool, scope, BY_SITE, false),
        read(pool, scope, RECURRENCE, false),
        read(pool, scope, PER_HOUR, true),
        read(pool, scope, BY_USER, false),
        read(pool, scope, RESPONSE, false),
        names,
    )?;
    Ok(Data {
        open_closed: open_closed.first().copied().unwrap_or_default(),
        by_site,
        recurrence,
        per_hour,
        by_user,
        response,
        users: names,
    })
}
