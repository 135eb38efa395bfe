//! The global report's cells of the days no rollup covers, read from the source tables one
//! site at a time, in the report's order of sites.
//!
//! A 90-day range of a large account has 100,000 (site, agent) cells per table. Held until
//! their site's turn, they were the report's largest allocation; read in the report's order,
//! a site's cells are summed and written as they arrive. The run is one query over every
//! table, in a task of its own that hands its sites over a short channel: Postgres sums the
//! tables' cells, the report holds about a site's worth, and it holds one connection of
//! the pool however many tables there are.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, PgPool};
use tokio::sync::mpsc;

use super::super::cells::{self, Cell};

/// One site's cells of one run of days.
type Batch = (Option<i64>, Vec<Cell>);

/// What a run's task hands over: a site's cells, then `None` once the run is read.
type Message = Result<Option<Batch>, sqlx::Error>;

/// Sites a run reads ahead of the report.
const AHEAD: usize = 2;

/// The source's cells of a run of days, taken a site at a time.
pub(super) struct SourceCells {
    run: Option<Run>,
}

/// A run of days being read: its channel, and a site it read that was not asked for yet.
struct Run {
    rx: mpsc::Receiver<Message>,
    next: Option<Batch>,
    done: bool,
}

impl SourceCells {
    /// Starts reading account `account_id`'s cells over `run` (`[from, to)`, or none),
    /// in the order of the sites `order` (then any other site, the account's no longer).
    pub(super) fn start(
        pool: &PgPool,
        account_id: i64,
        run: Option<(DateTime<Utc>, DateTime<Utc>)>,
        order: &[i64],
    ) -> Self {
        let run = run.map(|(from, to)| {
            let (tx, rx) = mpsc::channel(AHEAD);
            let (pool, order) = (pool.clone(), order.to_vec());
            tokio::spawn(async move {
                if let Err(e) = read_run(&pool, account_id, (from, to), order, &tx).await {
                    let _ = tx.send(Err(e)).await;
                }
            });
            Run {
                rx,
                next: None,
                done: false,
            }
        });
        SourceCells { run }
    }

    /// Whether a run of days is read.
    pub(super) fn is_empty(&self) -> bool {
        self.run.is_none()
    }

    /// The cells of site `site`. Sites must be asked for in the order given to
    /// [`SourceCells::start`].
    pub(super) async fn take(&mut self, site: Option<i64>) -> Result<Vec<Cell>, sqlx::Error> {
        if let Some(run) = &mut self.run
            && let Some(batch) = run.peek().await?
            && batch.0 == site
        {
            return Ok(run.next.take().expect("just peeked").1);
        }
        Ok(Vec::new())
    }

    /// Every cell not taken yet: those of sites the account no longer has.
    pub(super) async fn rest(&mut self) -> Result<Vec<Cell>, sqlx::Error> {
        let mut out = Vec::new();
        if let Some(run) = &mut self.run {
            while run.peek().await?.is_some() {
                out.append(&mut run.next.take().expect("just peeked").1);
            }
        }
        Ok(out)
    }
}

impl Run {
    /// The next site's cells of this run, left in place; `None` once it is all read.
    async fn peek(&mut self) -> Result<Option<&Batch>, sqlx::Error> {
        if self.next.is_none() && !self.done {
            match self.rx.recv().await {
                Some(Ok(Some(batch))) => self.next = Some(batch),
                Some(Ok(None)) => self.done = true,
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(sqlx::Error::Protocol(
                        "the source read of the global report stopped before its end".into(),
                    ));
                }
            }
        }
        Ok(self.next.as_ref())
    }
}

/// Reads the cells of a run of days `[from, to)` and hands each site's over `tx` as the
/// site ends, then `None`. Stops early, without error, when the report no longer listens.
async fn read_run(
    pool: &PgPool,
    account_id: i64,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    order: Vec<i64>,
    tx: &mpsc::Sender<Message>,
) -> Result<(), sqlx::Error> {
    let mut t = crate::reports::roomy_transaction(pool).await?;
    {
        let mut rows = sqlx::query_as::<_, Cell>(AssertSqlSafe(cells::READ_SOURCE.as_str()))
            .bind(account_id)
            .bind(from)
            .bind(to)
            .bind(order)
            .fetch(&mut *t);
        let mut site: Option<Batch> = None;
        while let Some(cell) = rows.try_next().await? {
            match &mut site {
                Some((id, cells)) if *id == cell.site_id => cells.push(cell),
                _ => {
                    let ended = site.replace((cell.site_id, vec![cell]));
                    if let Some(batch) = ended
                        && tx.send(Ok(Some(batch))).await.is_err()
                    {
                        return Ok(());
                    }
                }
            }
        }
        if let Some(batch) = site
            && tx.send(Ok(Some(batch))).await.is_err()
        {
            return Ok(());
        }
    }
    t.commit().await?;
    let _ = tx.send(Ok(None)).await;
    Ok(())
}
