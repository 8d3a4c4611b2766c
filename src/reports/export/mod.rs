//! File formats for the weekly dataset exports: CSV, XLSX and GeoJSON.
//!
//! # Streaming model
//!
//! An export can hold a million visits, so no writer ever holds more than one
//! row. The server reads rows from the database in chunks, turns each row into
//! a slice of [`Cell`]s in its dataset's column order (a [`Sheet`] or a slice
//! of [`Column`]s), and hands them over one by one:
//!
//! - [`CsvWriter`] and [`GeoJsonWriter`] are pure encoders: `header`, then
//!   `row` (or `row_into`, to append a whole chunk into one buffer) per row,
//!   then for GeoJSON `footer`, each return bytes to send at once as part of
//!   a streamed response body. Concatenated in that order they form the file.
//!   They keep no rows and cannot fail.
//! - XLSX is a zip archive whose parts must be complete before it is written,
//!   so it cannot leave as it is produced. [`XlsxWriter`] instead spools every
//!   row to per-worksheet temporary files (`rust_xlsxwriter`'s constant-memory
//!   mode), and [`XlsxWriter::finish`] assembles the `.xlsx` at a path. The
//!   server then streams that file to the client and deletes it. Its methods
//!   block on file I/O and belong in `spawn_blocking` / `web::block`.
//!
//! Memory stays flat either way: the cost of a row is released before the
//! next one is written.
//!
//! ```ignore
//! let columns = [Column::new("visit_id"), Column::new("lat"), Column::new("lon")];
//! let mut csv = CsvWriter::new(&columns);
//! let mut body = csv.header();
//! for row in chunk {
//!     csv.row_into(&row, &mut body);
//! }
//! // send `body`, clear it, fetch the next chunk...
//! ```
//!
//! The text forms of values (dates, numbers, the CSV formula-injection guard)
//! are documented on each writer.

mod cell;
mod csv;
mod geojson;
mod xlsx;

pub use cell::{Cell, Column, Cover, CoverTable, Sheet};
pub use csv::CsvWriter;
pub use geojson::GeoJsonWriter;
pub use xlsx::{ExportError, XlsxOptions, XlsxWriter, EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS};
