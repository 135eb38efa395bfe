//! A sink that counts the data rows passing through it (totals left out), for the
//! export's `rows`.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use super::{ChartSpec, RenderError, Row, SectionSpec, Sink};

/// Forwards everything to its inner sink and counts the data rows of every section.
pub struct Counted {
    inner: Box<dyn Sink>,
    rows: Arc<AtomicU64>,
}

impl Counted {
    /// The counting sink, and the count it keeps (read it once the report is written).
    pub fn new(inner: Box<dyn Sink>) -> (Counted, Arc<AtomicU64>) {
        let rows = Arc::new(AtomicU64::new(0));
        (
            Counted {
                inner,
                rows: rows.clone(),
            },
            rows,
        )
    }
}

impl Sink for Counted {
    fn summary(&mut self, title: &str, pairs: &[(String, String)]) -> Result<(), RenderError> {
        self.inner.summary(title, pairs)
    }

    fn begin(&mut self, spec: SectionSpec) -> Result<(), RenderError> {
        self.inner.begin(spec)
    }

    fn row(&mut self, row: &Row) -> Result<(), RenderError> {
        self.inner.row(row)?;
        if !row.total {
            self.rows.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), RenderError> {
        self.inner.finish()
    }

    fn order(&mut self, keys: &[&'static str]) {
        self.inner.order(keys)
    }

    fn chart(&mut self, spec: &ChartSpec) -> Result<(), RenderError> {
        self.inner.chart(spec)
    }
}
