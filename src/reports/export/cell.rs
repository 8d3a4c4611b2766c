//! The values and schemas the format writers share.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// One value of an exported row.
///
/// Each writer maps the variants onto its format's own types (CSV text, JSON
/// types, Excel numbers and dates), so callers never pre-format values.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value: an empty CSV field, JSON `null`, a blank Excel cell.
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An instant. CSV and GeoJSON write it with Bangkok's offset; XLSX converts it to
    /// the writer's time zone because Excel dates carry no zone.
    DateTime(DateTime<Utc>),
    Date(NaiveDate),
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Cell::Text(value)
    }
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Cell::Text(value.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Cell::Int(value)
    }
}

impl From<i32> for Cell {
    fn from(value: i32) -> Self {
        Cell::Int(value.into())
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Cell::Float(value)
    }
}

impl From<bool> for Cell {
    fn from(value: bool) -> Self {
        Cell::Bool(value)
    }
}

impl From<DateTime<Utc>> for Cell {
    fn from(value: DateTime<Utc>) -> Self {
        Cell::DateTime(value)
    }
}

impl From<NaiveDate> for Cell {
    fn from(value: NaiveDate) -> Self {
        Cell::Date(value)
    }
}

/// Nullable database columns map straight onto [`Cell::Empty`].
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Empty, Into::into)
    }
}

/// One column of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The stable name code finds the column by (the GeoJSON writer's `lat` and `lon`).
    pub key: &'static str,
    /// Header text, written as the first line or row, in the reader's language.
    pub name: &'static str,
}

impl Column {
    /// A column whose header is its key.
    pub const fn new(name: &'static str) -> Self {
        Column { key: name, name }
    }

    /// A column with a header for people.
    pub const fn labelled(key: &'static str, name: &'static str) -> Self {
        Column { key, name }
    }
}

/// A dataset's schema: one XLSX worksheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// Worksheet name; the XLSX writer makes it valid and unique if needed.
    pub name: &'static str,
    pub columns: Vec<Column>,
}

impl Sheet {
    pub fn new(name: &'static str, columns: Vec<Column>) -> Self {
        Sheet { name, columns }
    }
}

/// A workbook's opening sheet for people: a title, a few lines saying what it is about,
/// and small tables of figures, each optionally drawn as a bar chart. Small by nature, so
/// it is written whole (not streamed) before the data sheets.
#[derive(Debug, Clone, PartialEq)]
pub struct Cover {
    pub sheet_name: &'static str,
    pub title: String,
    pub lines: Vec<String>,
    pub tables: Vec<CoverTable>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CoverTable {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// A bar chart of this column's values against the first column, beside the table.
    pub chart_of: Option<usize>,
}

/// RFC 3339 in Bangkok time (`+07:00`), to the second: the text form CSV and GeoJSON
/// share, the time people there read.
pub(super) fn format_datetime(value: &DateTime<Utc>) -> String {
    value
        .with_timezone(&chrono_tz::Asia::Bangkok)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// ISO 8601 calendar date, `YYYY-MM-DD`.
pub(super) fn format_date(value: &NaiveDate) -> String {
    value.format("%Y-%m-%d").to_string()
}

/// The cell at `index`, or [`Cell::Empty`] for a short row, so that rows shorter
/// than their schema are padded rather than rejected.
pub(super) fn cell_at(cells: &[Cell], index: usize) -> &Cell {
    cells.get(index).unwrap_or(&Cell::Empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn conversions_cover_nullable_columns() {
        assert_eq!(Cell::from(None::<i64>), Cell::Empty);
        assert_eq!(Cell::from(Some("ก")), Cell::Text("ก".into()));
        assert_eq!(Cell::from(7_i32), Cell::Int(7));
        assert_eq!(Cell::from(Some(1.5)), Cell::Float(1.5));
        assert_eq!(Cell::from(true), Cell::Bool(true));
    }

    #[test]
    fn text_forms_of_dates() {
        let instant = Utc.with_ymd_and_hms(2026, 11, 20, 3, 30, 0).unwrap();
        assert_eq!(format_datetime(&instant), "2026-11-20T10:30:00+07:00");
        let day = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        assert_eq!(format_date(&day), "2026-11-16");
    }

    #[test]
    fn short_rows_read_as_empty() {
        let cells = [Cell::Int(1)];
        assert_eq!(cell_at(&cells, 0), &Cell::Int(1));
        assert_eq!(cell_at(&cells, 5), &Cell::Empty);
    }
}
