//! Row-level kinds stream: rows come from Postgres one at a time (`fetch`, never collected)
//! and go through a bounded channel to the sink on a blocking thread, so memory stays flat
//! at any size and the file is written while the query runs. Progress is rows written
//! against an estimate counted first.

use tokio::sync::mpsc;

use super::{Meta, Report, filters_in_words, write_summary};
use crate::render::{ChartSpec, RenderError, Row, Section, SectionSpec, Sink, write_section};

/// What the renderer is handed, in file order.
pub enum Step {
    /// A section whose rows follow.
    Begin(SectionSpec),
    Row(Row),
    /// Rows in file order, handed over together (see [`BATCH`]).
    Rows(Vec<Row>),
    /// A small section built whole.
    Whole(Section, Vec<ChartSpec>),
    /// Every row was read: the file may be finished. Without it the renderer stops with
    /// the file unfinished, and its upload is abandoned.
    End,
}

/// What [`Writer::send`] fails with once the renderer has stopped; the renderer's own
/// error, reported by [`Writer::finish`], says why.
#[derive(Debug, thiserror::Error)]
#[error("the renderer stopped")]
pub struct RendererStopped;

/// Batches in flight between the query and the file.
const BUFFER: usize = 4;
/// Rows handed to the renderer at once: one channel hand-over (and at most one thread
/// wake-up) per batch, not per row.
const BATCH: usize = 256;
/// How often progress is told, in rows.
const TELL_EVERY: u64 = 5_000;

/// The file being written: its summary is down, sections and rows follow.
pub struct Writer {
    tx: mpsc::Sender<Step>,
    /// Rows not yet handed over.
    batch: Vec<Row>,
    renderer: tokio::task::JoinHandle<Result<(), RenderError>>,
}

impl Writer {
    /// Writes the summary (with the filters in words) and starts the renderer. `estimate`
    /// is how many rows are expected, for progress.
    pub async fn start(
        pool: &sqlx::PgPool,
        meta: Meta,
        mut sink: Box<dyn Sink>,
        progress: Box<dyn Fn(f64) + Send + Sync>,
        report: &dyn Report,
        estimate: u64,
    ) -> anyhow::Result<Writer> {
        let locale = meta.account.locale;
        let mut filters =
            filters_in_words(pool, report.kind(), meta.account.id, locale, &meta.options).await?;
        if meta.feed.is_some() {
            // A feed run's count is exact: its rows were taken when it was made.
            let l = crate::render::labels::common(locale);
            filters.push((l.feed[1].to_owned(), estimate.to_string()));
        }
        let title = report.kind().title(locale);
        let (tx, mut rx) = mpsc::channel::<Step>(BUFFER);
        let renderer = tokio::task::spawn_blocking(move || {
            write_summary(&mut *sink, &meta, title, &filters)?;
            let mut rows = 0u64;
            loop {
                let Some(step) = rx.blocking_recv() else {
                    return Err(RenderError::Incomplete);
                };
                let batch = match step {
                    Step::End => {
                        // Every row is in the file; what follows is finishing it.
                        progress((rows as f64 / estimate.max(1) as f64).min(0.99));
                        break;
                    }
                    Step::Begin(spec) => {
                        sink.begin(spec)?;
                        continue;
                    }
                    Step::Whole(section, charts) => {
                        write_section(&mut *sink, &section, &charts)?;
                        continue;
                    }
                    Step::Row(row) => vec![row],
                    Step::Rows(batch) => batch,
                };
                for row in &batch {
                    sink.row(row)?;
                    rows += 1;
                    if rows.is_multiple_of(TELL_EVERY) {
                        progress((rows as f64 / estimate.max(1) as f64).min(0.99));
                    }
                }
            }
            sink.finish()?;
            progress(1.0);
            Ok(())
        });
        Ok(Writer {
            tx,
            batch: Vec::with_capacity(BATCH),
            renderer,
        })
    }

    /// Hands a step to the renderer, rows by batches of [`BATCH`]; fails when the renderer
    /// stopped (on an error, which [`Writer::finish`] reports).
    pub async fn send(&mut self, step: Step) -> anyhow::Result<()> {
        match step {
            Step::Row(row) => {
                self.batch.push(row);
                if self.batch.len() < BATCH {
                    return Ok(());
                }
                self.flush().await
            }
            step => {
                self.flush().await?;
                self.tx.send(step).await.map_err(|_| RendererStopped.into())
            }
        }
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.tx
            .send(Step::Rows(batch))
            .await
            .map_err(|_| RendererStopped.into())
    }

    /// Ends the file; `read` is how reading ended, and a reading error wins.
    pub async fn finish(mut self, read: anyhow::Result<()>) -> anyhow::Result<()> {
        if read.is_ok() {
            // Fails only when the renderer stopped, whose error is reported below.
            let _ = self.send(Step::End).await;
        }
        drop(self.tx);
        let rendered = self.renderer.await;
        let rendered = rendered
            .map_err(|e| anyhow::anyhow!("renderer panicked: {e}"))?
            .map_err(|e| anyhow::Error::new(e).context("rendering"));
        match (read, rendered) {
            (Err(e), _) if !e.is::<RendererStopped>() => Err(e.context("querying the report")),
            (_, Err(e)) => Err(e),
            (r, Ok(())) => r,
        }
    }
}

/// The pattern of a `LIKE` that finds `text` anywhere, with its wildcards escaped.
pub fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_in_a_filter_are_literal() {
        assert_eq!(super::contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
