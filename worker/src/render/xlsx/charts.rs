//! Native charts of the xlsx sink. A chart sits below its table, after a page break, so it
//! prints whole on a page of its own. A chart reads the sheet's own data rows, or holds
//! figures of its own (`figures.rs`): the sheets are the report's contract, so no chart
//! adds cells or sheets of its own.

use rust_xlsxwriter::{Chart, ChartAxisDateUnitType, ChartLegendPosition, ChartType};

use super::XlsxSink;
use crate::render::{ChartKind, ChartSpec, RenderError};

/// A chart's height; 440 px is 22 default rows, and two more keep charts apart.
const CHART_HEIGHT: u32 = 440;
const CHART_ROWS: u32 = 24;

impl XlsxSink {
    /// A native chart over the data rows of the sheet being written, placed below the table
    /// with a page break before it, so it prints whole; a sheet's charts stack one per
    /// printed page.
    pub(super) fn draw_chart(&mut self, spec: &ChartSpec) -> Result<(), RenderError> {
        let Some(i) = self.sheet else {
            return Ok(());
        };
        let (name, first) = (self.sheet_name.clone(), 0u16);
        let last = match &spec.figures {
            Some(f) => f.categories.len() as u32,
            None => spec.rows.map_or(self.data_rows, |n| n.min(self.data_rows)),
        };
        if last == 0 {
            return Ok(());
        }
        let name = name.as_str();
        let mut chart = Chart::new(match spec.kind {
            ChartKind::Column => ChartType::Column,
            ChartKind::Line => ChartType::Line,
            ChartKind::Pie => ChartType::Pie,
        });
        chart.title().set_name(&spec.title);
        let series = match &spec.figures {
            // Placeholders, replaced by the figures once the workbook is saved.
            Some(f) => {
                for _ in &f.series {
                    chart
                        .add_series()
                        .set_name((name, 0, 0))
                        .set_categories((name, 0, 0, 0, 0))
                        .set_values((name, 0, 0, 0, 0));
                }
                self.figures.push((spec.title.clone(), f.clone()));
                f.series.len()
            }
            None => {
                let (c0, c1) = (first + spec.categories.0, first + spec.categories.1);
                for &col in &spec.values {
                    chart
                        .add_series()
                        .set_name((name, 0, first + col))
                        .set_categories((name, 1, c0, last, c1))
                        .set_values((name, 1, first + col, last, first + col));
                }
                spec.values.len()
            }
        };
        if spec.dates {
            let axis = chart.x_axis();
            axis.set_date_axis(true).set_num_format("yyyy-mm-dd");
            // Past a month, a label a week keeps the dates apart.
            if last > 31 {
                axis.set_major_unit(7)
                    .set_major_unit_date_type(ChartAxisDateUnitType::Days);
            }
        }
        if series == 1 && spec.kind != ChartKind::Pie {
            chart.legend().set_hidden();
        } else {
            chart.legend().set_position(ChartLegendPosition::Bottom);
        }
        // As wide as its categories need, and at least as wide as the table above it,
        // which sets the printed page's width anyway.
        let table_px = self
            .spec
            .as_ref()
            .map_or(0.0, |s| s.widths.iter().sum::<f64>() * 7.0);
        let width = match spec.kind {
            ChartKind::Pie => chart_width(spec.kind, last),
            _ => chart_width(spec.kind, last).max((table_px as u32).min(1400)),
        };
        chart.set_width(width).set_height(CHART_HEIGHT);
        // Below the table and its totals, one blank row apart, each on a page of its own.
        let at = if self.charts == 0 {
            self.rows + 2
        } else {
            self.chart_row
        };
        self.chart_row = at + CHART_ROWS;
        self.charts += 1;
        self.breaks.push(at);
        let ws = self.wb.worksheet_from_index(i)?;
        // A few pixels down, so the chart's frame does not touch the page break above it.
        ws.insert_chart_with_offset(at, 0, &chart, 0, 4)?;
        ws.set_page_breaks(&self.breaks)?;
        Ok(())
    }
}

/// A chart as wide as its categories need, within a landscape page: about 22 px per
/// category (a pie is as wide as it is tall).
fn chart_width(kind: ChartKind, categories: u32) -> u32 {
    match kind {
        ChartKind::Pie => 480,
        _ => (160 + categories * 22).clamp(480, 960),
    }
}
