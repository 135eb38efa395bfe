//! Reading the session analysis from rollup blocks for closed days where valid ones exist
//! (see [`crate::rollup`]), from the source tables elsewhere. Sessions per hour add up
//! across blocks. Distinct contacts do not, so each day keeps its contacts with its counts,
//! and the read takes their union; traffic rows are per local day, so they are kept per
//! day as the report computes them. Without a valid block the report is read with the
//! source queries of [`super`] alone.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use exportd_core::domain::DateRange;
use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, PgPool};

use super::{BASE, BY_BOT, ByBot, PER_HOUR, TRAFFIC, Traffic};
use crate::{
    reports::{
        Reads,
        sets::{IdSet, union_len},
    },
    rollup::{self, Cover, DaysStatement, Rollups, day_of, sum_block},
};

/// The chats of a span (`$1` account, `[$2, $3)`), every site, each with its local day
/// ([`day_of`]).
static BASE_DAYS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH c AS (
    SELECT {day} AS day, site_id, contact_id, started_at, panel_at, accepted_at, last_msg_at,
           missed, msgs_in, msgs_out
      FROM chats
     WHERE account_id = $1 AND started_at >= $2 AND started_at < $3 AND site_id IS NOT NULL)",
        day = day_of("started_at")
    )
});

/// Per site: sessions, with panel, abandoned (over `c`).
const COUNTS: &str = "SELECT site_id, count(*), count(*) FILTER (WHERE panel_at IS NOT NULL),
       count(*) FILTER (WHERE panel_at IS NOT NULL AND missed)
  FROM c GROUP BY site_id";

/// A span's sessions per day and site, with the contacts (binds as [`DaysStatement`]).
static BUILD_DAYS_SESSIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} SELECT $4, 0, day, site_id, count(*), count(*) FILTER (WHERE panel_at IS NOT NULL),
                count(*) FILTER (WHERE panel_at IS NOT NULL AND missed),
                coalesce(array_agg(DISTINCT contact_id) FILTER (WHERE contact_id IS NOT NULL), '{{}}')
           FROM c GROUP BY day, site_id",
        *BASE_DAYS
    )
});

/// A span's sessions per day, site and local hour.
static BUILD_DAYS_HOURS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} SELECT $4, 0, day, site_id, {}, count(*)
           FROM c GROUP BY day, site_id, 5",
        *BASE_DAYS,
        super::hour!()
    )
});

/// A span's traffic rows, per day as the report computes them.
static BUILD_DAYS_TRAFFIC: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} SELECT $4, 0, t.day - DATE '1970-01-01', t.* FROM ({TRAFFIC}) t",
        *BASE_DAYS
    )
});

/// A block's hours from the blocks under it (binds as [`Rollups::block`]); sessions and
/// traffic stay per day.
static BUILD_BLOCK_HOURS: LazyLock<String> = LazyLock::new(|| {
    sum_block(
        "rollup_session_hours",
        &["site_id", "hour"],
        &["sessions"],
        &[],
    )
});

/// What the sheets are made of: per bot (and the flagged total), traffic per bot and day,
/// sessions per bot and hour; sorted, so that two reads compare equal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub by_bot: Vec<ByBot>,
    pub traffic: Vec<Traffic>,
    pub per_hour: Vec<(i64, i32, i64)>,
}

impl Figures {
    fn sorted(mut self) -> Self {
        self.by_bot.sort_by_key(|r| (r.1, r.0));
        self.traffic.sort_by_key(|t| (t.day, t.site_id));
        self.per_hour.sort_unstable();
        self
    }
}

/// Reads the figures of account `account_id` in `range` (chats of `sites`, or all), from
/// rollups where `rollups` and valid blocks exist. Returns them and how they were read.
pub async fn read(
    db: &Reads,
    rollups: bool,
    account_id: i64,
    range: &DateRange,
    sites: Option<&[i64]>,
) -> Result<(Figures, Cover), sqlx::Error> {
    let (series, cover) = rollup::plan_range(&db.primary, rollups, account_id, range).await?;
    let figures = match series {
        Some(series) if !cover.blocks.is_empty() => {
            read_rolled(db, account_id, range, sites, series, &cover).await?
        }
        _ => read_source(&db.source, account_id, range, sites, range.utc_bounds()).await?,
    };
    Ok((figures.sorted(), cover))
}

type Span = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

/// Reads `[from, to)` with the source queries, each over the chats of `BASE`.
async fn read_source(
    pool: &PgPool,
    account_id: i64,
    range: &DateRange,
    sites: Option<&[i64]>,
    (from, to): Span,
) -> Result<Figures, sqlx::Error> {
    let tz = range.tz.name();
    macro_rules! read {
        ($sql:expr, $tz:expr) => {{
            let q = sqlx::query_as(AssertSqlSafe(format!("{BASE} {}", $sql)))
                .bind(account_id)
                .bind(from)
                .bind(to)
                .bind(sites);
            if $tz {
                q.bind(tz).fetch_all(pool)
            } else {
                q.fetch_all(pool)
            }
        }};
    }
    let (by_bot, traffic, per_hour) = tokio::try_join!(
        read!(BY_BOT, false),
        read!(TRAFFIC, true),
        read!(PER_HOUR, true),
    )?;
    Ok(Figures {
        by_bot,
        traffic,
        per_hour,
    })
}

/// Site, sessions, with panel, abandoned.
type Counts = (i64, i64, i64, i64);
/// Site, local hour, sessions.
type Hour = (i64, i32, i64);

/// What the days no valid block covers give: counts, (contacts, added as they come),
/// traffic, hours.
type SourceDays = (Vec<Counts>, (), Vec<Traffic>, Vec<Hour>);

/// One bot's sums and contacts.
#[derive(Default)]
struct Bot {
    counts: [i64; 3],
    contacts: IdSet,
}

impl Bot {
    fn add(&mut self, counts: [i64; 3]) {
        for (c, v) in self.counts.iter_mut().zip(counts) {
            *c += v;
        }
    }
}

async fn read_rolled(
    db: &Reads,
    account_id: i64,
    range: &DateRange,
    sites: Option<&[i64]>,
    series: i32,
    cover: &Cover,
) -> Result<Figures, sqlx::Error> {
    let tz = range.tz.name();
    let mut bots: BTreeMap<i64, Bot> = BTreeMap::new();
    let mut hours: BTreeMap<(i64, i32), i64> = BTreeMap::new();
    let mut traffic: Vec<Traffic> = Vec::new();
    // Days no valid block covers, from the source: their counts, contacts, traffic, hours.
    for &(a, b) in &cover.raw {
        let (from, to) = rollup::days_bounds(a, b, range.tz);
        macro_rules! read {
            ($sql:expr) => {
                sqlx::query_as(AssertSqlSafe(format!("{BASE} {}", $sql)))
                    .bind(account_id)
                    .bind(from)
                    .bind(to)
                    .bind(sites)
            };
        }
        // Each session's contact joins its bot's set as it arrives.
        let contacts = async {
            let mut rows = read!("SELECT site_id, contact_id FROM c WHERE contact_id IS NOT NULL")
                .fetch(&db.source);
            while let Some((site, contact)) = rows.try_next().await? {
                bots.entry(site).or_default().contacts.extend([contact]);
            }
            Ok::<_, sqlx::Error>(())
        };
        let (counts, (), t, h): SourceDays = tokio::try_join!(
            read!(COUNTS).fetch_all(&db.source),
            contacts,
            read!(TRAFFIC).bind(tz).fetch_all(&db.source),
            read!(PER_HOUR).bind(tz).fetch_all(&db.source),
        )?;
        for (site, n, panel, abandoned) in counts {
            bots.entry(site).or_default().add([n, panel, abandoned]);
        }
        traffic.extend(t);
        for (site, hour, n) in h {
            *hours.entry((site, hour)).or_default() += n;
        }
    }
    // The blocks: hours; and the sums with contacts and the traffic of each day they cover.
    let (levels, blocks) = cover.block_keys();
    let (day_levels, days) = cover.day_keys();
    const IN_BLOCKS: &str =
        "JOIN unnest($2::int2[], $3::int4[]) AS b (level, block) ON t.level = b.level AND t.block = b.block
         WHERE t.series_id = $1 AND ($4::int8[] IS NULL OR t.site_id = ANY($4))";
    // Each day's contacts join their bot's as they arrive: the days' rows, millions of
    // contacts on a large account, are never held together.
    let counts = async {
        let sql = format!(
            "SELECT t.site_id, t.sessions, t.panel, t.abandoned, t.contacts FROM rollup_sessions t {IN_BLOCKS}"
        );
        let mut rows = sqlx::query_as::<_, (i64, i64, i64, i64, Vec<i64>)>(AssertSqlSafe(sql))
            .bind(series)
            .bind(&day_levels)
            .bind(&days)
            .bind(sites)
            .fetch(&db.primary);
        while let Some((site, n, panel, abandoned, contacts)) = rows.try_next().await? {
            let bot = bots.entry(site).or_default();
            bot.add([n, panel, abandoned]);
            bot.contacts.extend(contacts);
        }
        Ok::<_, sqlx::Error>(())
    };
    let h = sqlx::query_as::<_, (i64, i32, i64)>(AssertSqlSafe(format!(
        "SELECT t.site_id, t.hour::int4, sum(t.sessions)::int8 FROM rollup_session_hours t {IN_BLOCKS}
         GROUP BY 1, 2"
    )))
    .bind(series)
    .bind(&levels)
    .bind(&blocks)
    .bind(sites)
    .fetch_all(&db.primary);
    let t = sqlx::query_as::<_, Traffic>(AssertSqlSafe(format!(
        "SELECT t.site_id, t.day, t.sessions, t.contacts, t.msgs_in, t.msgs_out, t.length_ms,
                t.wait_ms, t.abandoned
           FROM rollup_session_days t {IN_BLOCKS}"
    )))
    .bind(series)
    .bind(&day_levels)
    .bind(&days)
    .bind(sites)
    .fetch_all(&db.primary);
    let ((), h, t) = tokio::try_join!(counts, h, t)?;
    traffic.extend(t);
    for (site, hour, n) in h {
        *hours.entry((site, hour)).or_default() += n;
    }

    // Per bot, then the total: unique contacts over all bots, not a sum.
    let mut by_bot = Vec::with_capacity(bots.len() + 1);
    let mut total = [0i64; 3];
    for (site, bot) in bots.iter_mut() {
        for (t, c) in total.iter_mut().zip(bot.counts) {
            *t += c;
        }
        let [n, panel, abandoned] = bot.counts;
        by_bot.push((Some(*site), false, n, panel, abandoned, bot.contacts.len()));
    }
    let everyone = union_len(bots.values().map(|b| &b.contacts));
    let [n, panel, abandoned] = total;
    by_bot.push((None, true, n, panel, abandoned, everyone));
    Ok(Figures {
        by_bot,
        traffic,
        per_hour: hours.into_iter().map(|((s, h), n)| (s, h, n)).collect(),
    })
}

/// The sessions report's rollups: per bot, per local hour, and traffic per local date.
pub static ROLLUPS: Rollups = Rollups {
    tables: &[
        "rollup_sessions",
        "rollup_session_hours",
        "rollup_session_days",
    ],
    days: &[
        DaysStatement {
            target: || "rollup_sessions (series_id, level, block, site_id, sessions, panel, abandoned, contacts)",
            query: || BUILD_DAYS_SESSIONS.as_str(),
        },
        DaysStatement {
            target: || "rollup_session_hours (series_id, level, block, site_id, hour, sessions)",
            query: || BUILD_DAYS_HOURS.as_str(),
        },
        DaysStatement {
            target: || {
                "rollup_session_days (series_id, level, block, site_id, day, sessions, contacts,
                                      msgs_in, msgs_out, length_ms, wait_ms, abandoned)"
            },
            query: || BUILD_DAYS_TRAFFIC.as_str(),
        },
    ],
    block: &[|| BUILD_BLOCK_HOURS.as_str()],
    // A bot's contacts of one day hardly recur on the next; traffic rows are per day.
    days_only: &["rollup_sessions", "rollup_session_days"],
};
