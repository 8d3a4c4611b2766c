//! XLSX workbooks written in `rust_xlsxwriter`'s constant-memory mode.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use rust_xlsxwriter::{
    Chart, ChartType, ColNum, Format, FormatBorder, RowNum, Workbook, Worksheet, XlsxError,
};

use super::cell::{format_datetime, Cell, Cover, Sheet};

/// Rows in one Excel worksheet, the header row included.
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;
/// Columns in one Excel worksheet.
pub const EXCEL_MAX_COLUMNS: usize = 16_384;
/// Longest text an Excel cell holds, in UTF-16 code units.
const EXCEL_MAX_TEXT: usize = 32_767;
/// Longest worksheet name, in UTF-16 code units.
const EXCEL_MAX_SHEET_NAME: usize = 31;
/// Excel numbers are doubles: larger integers would silently lose digits.
const MAX_EXACT_INT: u64 = 1 << 53;
/// Column widths, in characters, so that neither a short header nor a long
/// note makes a column unusable.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 60;

/// Why an XLSX export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("an XLSX workbook needs at least one sheet")]
    NoSheets,
    #[error("sheet {sheet:?} has {columns} columns, more than Excel's {EXCEL_MAX_COLUMNS}")]
    TooManyColumns { sheet: &'static str, columns: usize },
    #[error("no sheet {index}: the workbook has {sheets}")]
    NoSuchSheet { index: usize, sheets: usize },
    /// Temporary files, disk space or the final save.
    #[error("writing the XLSX workbook failed")]
    Xlsx(#[from] XlsxError),
}

/// Settings for [`XlsxWriter::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct XlsxOptions {
    /// Excel dates have no time zone, so [`Cell::DateTime`] values are converted
    /// to local time here before being written. Defaults to Asia/Bangkok, the
    /// time officials read reports in.
    pub time_zone: Tz,
    /// Where the per-worksheet temporary files go; the system temporary
    /// directory if `None`. Point it at a disk-backed directory: on a tmpfs
    /// the "temporary files" are memory after all.
    pub temp_dir: Option<PathBuf>,
}

impl Default for XlsxOptions {
    fn default() -> Self {
        XlsxOptions {
            time_zone: chrono_tz::Asia::Bangkok,
            temp_dir: None,
        }
    }
}

/// Writes a workbook with one worksheet per [`Sheet`], keeping memory flat.
///
/// Every worksheet is in `rust_xlsxwriter`'s constant-memory mode: each row is
/// flushed to that worksheet's own temporary file as soon as the next row
/// starts, and [`finish`](Self::finish) copies those files into the `.xlsx`
/// zip. Memory therefore stays the same however many rows are written, at the
/// cost of one open temporary file per worksheet (deleted automatically, even
/// if the writer is dropped without finishing).
///
/// **Row order.** [`row`](Self::row) appends to the end of its sheet, so rows
/// appear in call order. Sheets are independent: rows of different sheets may
/// be interleaved freely.
///
/// **Layout.** Row 1 is the bold header, frozen so it stays visible while
/// scrolling. Column widths follow the longest value seen (between
/// 8 and 60 characters), and are applied when the workbook is finished.
///
/// **Values.**
/// - Text is stored as text, never as a formula, so formula injection is not
///   possible and text is written unchanged (no `'` prefix, unlike CSV). Text
///   longer than Excel's 32,767-character cell limit is cut to fit.
/// - Ints and floats are numbers. Ints beyond ±2^53 would lose digits as
///   Excel's doubles, so they are written as text instead. Non-finite floats
///   become the text `NAN`, `INF` or `-INF`, as Excel has no such numbers.
/// - Bools are Excel booleans.
/// - Date-times are Excel dates formatted `yyyy-mm-dd hh:mm`, converted to
///   [`XlsxOptions::time_zone`] (Asia/Bangkok by default). Dates are Excel
///   dates formatted `yyyy-mm-dd`. Values outside Excel's calendar (before
///   1900 or after 9999) are written as ISO 8601 text instead.
///
/// **Excel's row limit.** A worksheet holds 1,048,576 rows. When a sheet
/// overflows, its rows continue on a new worksheet named after it, such as
/// `Visits (2)`, with the same header, placed right after it; no row is
/// dropped.
///
/// **Sheet names** are made valid for Excel: the characters `[]:*?/\` become
/// `_`, leading and trailing apostrophes are removed, names are cut to 31
/// characters, and a repeated name gets a ` (2)` suffix.
///
/// Cells beyond a sheet's columns are ignored; missing cells are blank.
///
/// **Errors.** After any error the workbook is incomplete: drop the writer.
/// All methods do blocking file I/O, so call them from a blocking context
/// (`tokio::task::spawn_blocking`, `actix_web::web::block`). That also contains
/// the one failure `rust_xlsxwriter` does not return as an error: it panics if
/// writing a temporary file fails (a full disk), which a blocking task turns
/// into a `JoinError` instead of a lost worker.
pub struct XlsxWriter {
    workbook: Workbook,
    sheets: Vec<SheetState>,
    /// Lower-cased, as Excel compares worksheet names case-insensitively.
    used_names: HashSet<String>,
    formats: Formats,
    time_zone: Tz,
    /// [`EXCEL_MAX_ROWS`], lowered by tests to exercise overflow quickly.
    rows_per_worksheet: RowNum,
    /// The opening sheet, when [`cover`](Self::cover) wrote one.
    cover: Option<Worksheet>,
}

struct Formats {
    header: Format,
    datetime: Format,
    date: Format,
}

/// One [`Sheet`]: the worksheet being written and any it overflowed.
struct SheetState {
    /// The cleaned, unique name of the first worksheet.
    name: String,
    columns: Vec<&'static str>,
    /// Widest value seen per column, in characters.
    widths: Vec<usize>,
    full: Vec<Worksheet>,
    current: Worksheet,
    /// Worksheets used so far, `current` included.
    parts: u32,
    /// Next row index in `current`; row 0 is the header.
    next_row: RowNum,
}

impl XlsxWriter {
    /// Creates the worksheets, one per sheet in order, each with its header row.
    pub fn new(sheets: &[Sheet], options: XlsxOptions) -> Result<Self, ExportError> {
        if sheets.is_empty() {
            return Err(ExportError::NoSheets);
        }
        if let Some(sheet) = sheets
            .iter()
            .find(|sheet| sheet.columns.len() > EXCEL_MAX_COLUMNS)
        {
            return Err(ExportError::TooManyColumns {
                sheet: sheet.name,
                columns: sheet.columns.len(),
            });
        }

        let mut workbook = Workbook::new();
        if let Some(dir) = &options.temp_dir {
            workbook.set_tempdir(dir)?;
        }
        let formats = Formats {
            header: Format::new().set_bold(),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        };

        let mut used_names = HashSet::new();
        let mut states = Vec::with_capacity(sheets.len());
        for sheet in sheets {
            let name = unique_name(&mut used_names, &clean_sheet_name(sheet.name), 1);
            let columns: Vec<&'static str> = sheet.columns.iter().map(|c| c.name).collect();
            let current = start_worksheet(&mut workbook, &name, &columns, &formats.header)?;
            states.push(SheetState {
                name,
                widths: columns.iter().map(|name| display_width(name)).collect(),
                columns,
                full: Vec::new(),
                current,
                parts: 1,
                next_row: 1,
            });
        }

        Ok(XlsxWriter {
            workbook,
            sheets: states,
            used_names,
            formats,
            time_zone: options.time_zone,
            rows_per_worksheet: EXCEL_MAX_ROWS,
            cover: None,
        })
    }

    /// Writes `cover` as the workbook's first sheet: the title large, its lines, then
    /// each table under its bold title with a bordered header, and its chart to the right.
    /// Printed on A4, one page wide.
    pub fn cover(&mut self, cover: &Cover) -> Result<(), ExportError> {
        let mut worksheet = Worksheet::new();
        let name = unique_name(&mut self.used_names, &clean_sheet_name(cover.sheet_name), 1);
        worksheet.set_name(&name)?;
        worksheet.set_paper_size(A4);
        worksheet.set_print_fit_to_pages(1, 0);
        let title = Format::new().set_bold().set_font_size(16);
        let bold = Format::new().set_bold();
        let header = Format::new()
            .set_bold()
            .set_background_color("#DDE7F0")
            .set_border(FormatBorder::Thin);
        let mut widths: Vec<usize> = Vec::new();
        let mut widen = |col: usize, width: usize| {
            if widths.len() <= col {
                widths.resize(col + 1, 0);
            }
            widths[col] = widths[col].max(width);
        };
        worksheet.write_string_with_format(
            0,
            0,
            clip_utf16(&cover.title, EXCEL_MAX_TEXT),
            &title,
        )?;
        let mut row: RowNum = 1;
        for line in &cover.lines {
            write_text(&mut worksheet, row, 0, line)?;
            row += 1;
        }
        for table in &cover.tables {
            row += 1;
            worksheet.write_string_with_format(
                row,
                0,
                clip_utf16(&table.title, EXCEL_MAX_TEXT),
                &bold,
            )?;
            row += 1;
            let header_row = row;
            for (col, name) in (0..=ColNum::MAX).zip(&table.columns) {
                worksheet.write_string_with_format(
                    row,
                    col,
                    clip_utf16(name, EXCEL_MAX_TEXT),
                    &header,
                )?;
                widen(col as usize, display_width(name));
            }
            for cells in &table.rows {
                row += 1;
                for (col, cell) in (0..=ColNum::MAX).zip(cells) {
                    let width = write_cell(
                        &mut worksheet,
                        row,
                        col,
                        cell,
                        &self.formats,
                        self.time_zone,
                    )?;
                    widen(col as usize, width);
                }
            }
            if let (Some(values), false) = (table.chart_of, table.rows.is_empty()) {
                let mut chart = Chart::new(ChartType::Bar);
                chart.title().set_name(&table.title);
                chart.legend().set_hidden();
                chart
                    .add_series()
                    .set_categories((name.as_str(), header_row + 1, 0, row, 0))
                    .set_values((
                        name.as_str(),
                        header_row + 1,
                        values as ColNum,
                        row,
                        values as ColNum,
                    ));
                let bars = u32::try_from(table.rows.len().min(40)).unwrap_or(40);
                let height = 120 + 22 * bars;
                chart.set_width(480).set_height(height);
                let beside = table.columns.len() as ColNum + 1;
                worksheet.insert_chart(header_row - 1, beside, &chart)?;
                // The next table starts below the chart (rows are 20 pixels high).
                row = row.max(header_row - 1 + height / 20 + 1);
            }
            row += 1;
        }
        for (col, width) in (0..=ColNum::MAX).zip(&widths) {
            worksheet.set_column_width(col, column_width(*width))?;
        }
        self.cover = Some(worksheet);
        Ok(())
    }

    /// Appends one row to the sheet at `sheet_index` (its position in the
    /// slice given to [`new`](Self::new)).
    pub fn row(&mut self, sheet_index: usize, cells: &[Cell]) -> Result<(), ExportError> {
        let sheets = self.sheets.len();
        let sheet = self
            .sheets
            .get_mut(sheet_index)
            .ok_or(ExportError::NoSuchSheet {
                index: sheet_index,
                sheets,
            })?;

        if sheet.next_row >= self.rows_per_worksheet {
            sheet.parts = sheet.parts.saturating_add(1);
            let name = unique_name(&mut self.used_names, &sheet.name, sheet.parts);
            let next = start_worksheet(
                &mut self.workbook,
                &name,
                &sheet.columns,
                &self.formats.header,
            )?;
            sheet.full.push(std::mem::replace(&mut sheet.current, next));
            sheet.next_row = 1;
        }

        let row = sheet.next_row;
        // `widths` has one entry per column, so the zip ignores surplus cells;
        // `new` capped columns at Excel's limit, so every index fits a ColNum.
        for ((col, cell), width) in (0..=ColNum::MAX).zip(cells).zip(&mut sheet.widths) {
            let written = write_cell(
                &mut sheet.current,
                row,
                col,
                cell,
                &self.formats,
                self.time_zone,
            )?;
            *width = (*width).max(written);
        }
        sheet.next_row += 1;
        Ok(())
    }

    /// Sets the column widths and writes the workbook to `path`, replacing any
    /// file there. The temporary files are deleted whether or not this succeeds.
    pub fn finish(self, path: &Path) -> Result<(), ExportError> {
        let XlsxWriter {
            mut workbook,
            sheets,
            cover,
            rows_per_worksheet,
            ..
        } = self;
        if let Some(cover) = cover {
            workbook.push_worksheet(cover);
        }
        for sheet in sheets {
            let last_col = sheet.columns.len().saturating_sub(1) as ColNum;
            let filled = sheet.full.into_iter().map(|w| (w, rows_per_worksheet));
            for (mut worksheet, rows) in filled.chain([(sheet.current, sheet.next_row)]) {
                for (col, width) in (0..=ColNum::MAX).zip(&sheet.widths) {
                    worksheet.set_column_width(col, column_width(*width))?;
                }
                // Filters on every column, over the header and every row written.
                worksheet.autofilter(0, 0, rows.saturating_sub(1).max(1), last_col)?;
                workbook.push_worksheet(worksheet);
            }
        }
        workbook.save(path)?;
        Ok(())
    }

    #[cfg(test)]
    fn with_rows_per_worksheet(mut self, rows: RowNum) -> Self {
        // At least the header and one data row, or overflow would never end.
        self.rows_per_worksheet = rows.max(2);
        self
    }
}

/// Excel's paper size number for A4.
const A4: u8 = 9;

/// A constant-memory worksheet with its bold, frozen header row.
fn start_worksheet(
    workbook: &mut Workbook,
    name: &str,
    columns: &[&str],
    header: &Format,
) -> Result<Worksheet, XlsxError> {
    // Standalone worksheets, pushed into the workbook by `finish`, let an
    // overflow worksheet sit next to its sheet rather than at the end.
    let mut worksheet = workbook.new_worksheet_with_constant_memory()?;
    worksheet.set_name(name)?;
    for (col, name) in (0..=ColNum::MAX).zip(columns) {
        worksheet.write_string_with_format(0, col, clip_utf16(name, EXCEL_MAX_TEXT), header)?;
    }
    worksheet.set_freeze_panes(1, 0)?;
    // Printed landscape on A4, one page wide, the header on every page.
    worksheet.set_landscape();
    worksheet.set_paper_size(A4);
    worksheet.set_print_fit_to_pages(1, 0);
    worksheet.set_repeat_rows(0, 0)?;
    Ok(worksheet)
}

/// Writes one cell and returns its approximate display width in characters.
fn write_cell(
    worksheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    cell: &Cell,
    formats: &Formats,
    time_zone: Tz,
) -> Result<usize, XlsxError> {
    match cell {
        Cell::Empty => Ok(0),
        Cell::Text(text) => write_text(worksheet, row, col, text),
        Cell::Int(value) if value.unsigned_abs() <= MAX_EXACT_INT => {
            worksheet.write_number(row, col, *value as f64)?;
            Ok(int_width(*value))
        }
        Cell::Int(value) => write_text(worksheet, row, col, &value.to_string()),
        Cell::Float(value) => {
            worksheet.write_number(row, col, *value)?;
            // Excel's General format shows at most about 11 characters.
            Ok(value.to_string().len().min(11))
        }
        Cell::Bool(value) => {
            worksheet.write_boolean(row, col, *value)?;
            Ok(5)
        }
        Cell::DateTime(value) => {
            let local = value.with_timezone(&time_zone).naive_local();
            if in_excel_calendar(local.date()) {
                worksheet.write_datetime_with_format(row, col, local, &formats.datetime)?;
                Ok("yyyy-mm-dd hh:mm".len())
            } else {
                write_text(worksheet, row, col, &format_datetime(value))
            }
        }
        Cell::Date(value) => {
            if in_excel_calendar(*value) {
                worksheet.write_datetime_with_format(row, col, value, &formats.date)?;
                Ok("yyyy-mm-dd".len())
            } else {
                write_text(worksheet, row, col, &value.format("%Y-%m-%d").to_string())
            }
        }
    }
}

fn write_text(
    worksheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    text: &str,
) -> Result<usize, XlsxError> {
    let text = clip_utf16(text, EXCEL_MAX_TEXT);
    worksheet.write_string(row, col, text)?;
    Ok(display_width(text))
}

/// Digits plus sign, without formatting the number.
fn int_width(value: i64) -> usize {
    let digits = value
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |log| log as usize + 1);
    digits + usize::from(value < 0)
}

/// Excel's 1900 date system starts on 1900-01-01 and ends with year 9999.
fn in_excel_calendar(date: NaiveDate) -> bool {
    (1900..=9999).contains(&date.year())
}

/// The longest prefix of `text` within `max` UTF-16 code units, the unit
/// Excel counts in, cut at a character boundary.
fn clip_utf16(text: &str, max: usize) -> &str {
    let mut units = 0;
    for (index, ch) in text.char_indices() {
        units += ch.len_utf16();
        if units > max {
            return &text[..index];
        }
    }
    text
}

/// Characters of the longest line, not counting combining marks: Thai vowel
/// and tone marks sit above or below their consonant and take no width.
fn display_width(text: &str) -> usize {
    text.lines()
        .map(|line| line.chars().filter(|&ch| !is_combining(ch)).count())
        .max()
        .unwrap_or(0)
}

fn is_combining(ch: char) -> bool {
    matches!(
        ch,
        '\u{0300}'..='\u{036F}' | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}'
    )
}

fn column_width(widest: usize) -> f64 {
    // Two characters of padding, as the header is bold and so a little wider.
    (widest + 2).clamp(MIN_WIDTH, MAX_WIDTH) as f64
}

/// A name Excel accepts: no `[]:*?/\`, no apostrophe at either end, at most
/// 31 UTF-16 code units, not empty.
fn clean_sheet_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|ch| match ch {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            other => other,
        })
        .collect();
    let trimmed =
        clip_utf16(replaced.trim_start_matches('\''), EXCEL_MAX_SHEET_NAME).trim_end_matches('\'');
    if trimmed.is_empty() {
        "Sheet".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// `base` itself when `number` is 1, otherwise `base (number)` cut to fit;
/// the next number up if that name is already in the workbook.
fn unique_name(used: &mut HashSet<String>, base: &str, number: u32) -> String {
    for n in number..=u32::MAX {
        let candidate = if n <= 1 {
            base.to_owned()
        } else {
            let suffix = format!(" ({n})");
            let stem = clip_utf16(base, EXCEL_MAX_SHEET_NAME - suffix.len()).trim_end_matches('\'');
            format!("{stem}{suffix}")
        };
        if used.insert(candidate.to_lowercase()) {
            return candidate;
        }
    }
    // Unreachable short of four billion worksheets; saving would then report
    // the duplicate name as an error.
    base.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::export::Column;
    use calamine::{open_workbook, Data, DataType, Reader, Xlsx};
    use chrono::{NaiveDateTime, TimeZone, Utc};
    use std::time::Instant;

    type Book = Xlsx<std::io::BufReader<std::fs::File>>;

    fn sheet(name: &'static str, columns: &[&'static str]) -> Sheet {
        Sheet::new(name, columns.iter().copied().map(Column::new).collect())
    }

    fn open(path: &Path) -> Book {
        open_workbook(path).expect("calamine opens the workbook")
    }

    /// Every row of a worksheet, padded to the used width, from row 1.
    fn rows(book: &mut Book, name: &str) -> Vec<Vec<Data>> {
        let range = book.worksheet_range(name).expect("worksheet exists");
        assert_eq!(range.start(), Some((0, 0)), "data starts at A1");
        range.rows().map(<[Data]>::to_vec).collect()
    }

    fn text(value: &str) -> Data {
        Data::String(value.to_owned())
    }

    fn number(data: &Data) -> f64 {
        match data {
            Data::Float(value) => *value,
            Data::Int(value) => *value as f64,
            other => panic!("expected a number, got {other:?}"),
        }
    }

    fn datetime(data: &Data) -> NaiveDateTime {
        assert!(
            matches!(data, Data::DateTime(_)),
            "expected a date, got {data:?}"
        );
        data.as_datetime().expect("a valid date")
    }

    fn bangkok(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    #[test]
    fn round_trips_through_calamine() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("week.xlsx");
        let sheets = [
            sheet(
                "Visits",
                &["id", "ชื่อ", "note", "score", "done", "at", "on", "gap"],
            ),
            sheet("Grievances", &["id", "หมวด"]),
        ];
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 3, 30, 0).unwrap();
        let late = Utc.with_ymd_and_hms(2026, 11, 22, 20, 15, 0).unwrap();
        let on = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();

        let mut writer = XlsxWriter::new(&sheets, XlsxOptions::default()).unwrap();
        writer
            .row(
                0,
                &[
                    Cell::Int(1),
                    Cell::from("สมชาย ใจดี ผู้สูงอายุ"),
                    Cell::from("he said \"hi\", then\nleft & <b>"),
                    Cell::Float(13.7563),
                    Cell::Bool(true),
                    Cell::DateTime(at),
                    Cell::Date(on),
                    Cell::Empty,
                ],
            )
            .unwrap();
        writer
            .row(
                0,
                &[
                    Cell::Int(-2),
                    Cell::from("=HYPERLINK(\"http://evil\",\"x\")"),
                    Cell::from("@SUM(A1)"),
                    Cell::Float(-0.5),
                    Cell::Bool(false),
                    Cell::DateTime(late),
                    Cell::Empty,
                    Cell::from("+66 81 234 5678"),
                ],
            )
            .unwrap();
        // Short rows leave blanks; surplus cells are ignored.
        writer.row(0, &[Cell::Int(3)]).unwrap();
        writer.finish(&path).unwrap();

        let mut book = open(&path);
        assert_eq!(book.sheet_names(), ["Visits", "Grievances"]);

        let visits = rows(&mut book, "Visits");
        assert_eq!(visits.len(), 4);
        assert_eq!(
            visits[0],
            ["id", "ชื่อ", "note", "score", "done", "at", "on", "gap"].map(text)
        );

        let first = &visits[1];
        assert_eq!(number(&first[0]), 1.0);
        assert_eq!(first[1], text("สมชาย ใจดี ผู้สูงอายุ"));
        assert_eq!(first[2], text("he said \"hi\", then\nleft & <b>"));
        assert_eq!(number(&first[3]), 13.7563);
        assert_eq!(first[4], Data::Bool(true));
        // 03:30 UTC is 10:30 in Bangkok (UTC+7).
        assert_eq!(datetime(&first[5]), bangkok(2026, 11, 20, 10, 30));
        assert_eq!(datetime(&first[6]), bangkok(2026, 11, 16, 0, 0));
        assert_eq!(first[7], Data::Empty);

        let second = &visits[2];
        assert_eq!(number(&second[0]), -2.0);
        assert_eq!(second[1], text("=HYPERLINK(\"http://evil\",\"x\")"));
        assert_eq!(second[2], text("@SUM(A1)"));
        assert_eq!(number(&second[3]), -0.5);
        assert_eq!(second[4], Data::Bool(false));
        // 20:15 UTC on the 22nd is already the 23rd in Bangkok.
        assert_eq!(datetime(&second[5]), bangkok(2026, 11, 23, 3, 15));
        assert_eq!(second[6], Data::Empty);
        assert_eq!(second[7], text("+66 81 234 5678"));

        assert_eq!(number(&visits[3][0]), 3.0);
        assert!(visits[3][1..].iter().all(|cell| *cell == Data::Empty));

        // Text that looks like a formula was stored as text, not as a formula.
        let formulas = book.worksheet_formula("Visits").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));

        // A sheet without rows still has its header.
        assert_eq!(
            rows(&mut book, "Grievances"),
            vec![vec![text("id"), text("หมวด")]]
        );
    }

    #[test]
    fn time_zone_is_configurable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("utc.xlsx");
        let options = XlsxOptions {
            time_zone: chrono_tz::UTC,
            temp_dir: Some(dir.path().to_owned()),
        };
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 3, 30, 0).unwrap();
        let mut writer = XlsxWriter::new(&[sheet("S", &["at"])], options).unwrap();
        writer.row(0, &[Cell::DateTime(at)]).unwrap();
        writer.finish(&path).unwrap();

        let visits = rows(&mut open(&path), "S");
        assert_eq!(datetime(&visits[1][0]), bangkok(2026, 11, 20, 3, 30));
    }

    #[test]
    fn values_excel_cannot_hold_become_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.xlsx");
        let long = "ก".repeat(EXCEL_MAX_TEXT + 10);
        let ancient = Utc.with_ymd_and_hms(1850, 1, 1, 0, 0, 0).unwrap();
        let mut writer = XlsxWriter::new(&[sheet("S", &["v"; 7])], XlsxOptions::default()).unwrap();
        writer
            .row(
                0,
                &[
                    Cell::Text(long),
                    Cell::Int(i64::MAX),
                    Cell::Int(1 << 53),
                    Cell::DateTime(ancient),
                    Cell::Date(NaiveDate::from_ymd_opt(1899, 12, 31).unwrap()),
                    Cell::Float(f64::NAN),
                    Cell::from("control \u{1} chars\r\n"),
                ],
            )
            .unwrap();
        writer.finish(&path).unwrap();

        let data = rows(&mut open(&path), "S");
        let row = &data[1];
        assert_eq!(row[0], Data::String("ก".repeat(EXCEL_MAX_TEXT)));
        assert_eq!(row[1], text("9223372036854775807"));
        assert_eq!(number(&row[2]), 9_007_199_254_740_992.0);
        // Bangkok's offset before 1920 was its local mean time.
        assert_eq!(row[3], text("1850-01-01T06:42:04+06:42"));
        assert_eq!(row[4], text("1899-12-31"));
        assert_eq!(row[5], text("NAN"));
        assert_eq!(row[6], text("control \u{1} chars\r\n"));
    }

    #[test]
    fn rows_of_different_sheets_may_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.xlsx");
        let sheets = [sheet("A", &["n"]), sheet("B", &["n"])];
        let mut writer = XlsxWriter::new(&sheets, XlsxOptions::default()).unwrap();
        for n in 0..10 {
            writer.row(n % 2, &[Cell::Int(n as i64)]).unwrap();
        }
        writer.finish(&path).unwrap();

        let mut book = open(&path);
        for (index, name) in ["A", "B"].into_iter().enumerate() {
            let values: Vec<f64> = rows(&mut book, name)[1..]
                .iter()
                .map(|row| number(&row[0]))
                .collect();
            let expected: Vec<f64> = (0..10)
                .filter(|n| n % 2 == index)
                .map(|n| n as f64)
                .collect();
            assert_eq!(values, expected, "sheet {name}");
        }
    }

    #[test]
    fn overflowing_rows_continue_on_a_new_worksheet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("overflow.xlsx");
        let sheets = [sheet("Visits", &["n", "ชื่อ"]), sheet("Visits (2)", &["x"])];
        let mut writer = XlsxWriter::new(&sheets, XlsxOptions::default())
            .unwrap()
            .with_rows_per_worksheet(4);
        for n in 0..8 {
            writer.row(0, &[Cell::Int(n), Cell::from("ที่")]).unwrap();
        }
        writer.row(1, &[Cell::Int(99)]).unwrap();
        writer.finish(&path).unwrap();

        let mut book = open(&path);
        // "Visits (2)" is taken by the second sheet, so the overflow skips it.
        assert_eq!(
            book.sheet_names(),
            ["Visits", "Visits (3)", "Visits (4)", "Visits (2)"]
        );
        let mut seen = Vec::new();
        for name in ["Visits", "Visits (3)", "Visits (4)"] {
            let data = rows(&mut book, name);
            assert_eq!(data[0], [text("n"), text("ชื่อ")], "{name} has the header");
            assert!(data.len() <= 4, "{name} respects the row limit");
            seen.extend(data[1..].iter().map(|row| number(&row[0])));
        }
        assert_eq!(seen, (0..8).map(f64::from).collect::<Vec<_>>());
        assert_eq!(number(&rows(&mut book, "Visits (2)")[1][0]), 99.0);
    }

    #[test]
    fn sheet_names_are_made_valid_and_unique() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("names.xlsx");
        let sheets = [
            sheet("Visits 2026/11 [draft]?", &["a"]),
            sheet("VISITS 2026_11 _DRAFT__", &["a"]),
            sheet("", &["a"]),
            sheet("'quoted'", &["a"]),
            sheet("รายงานการเยี่ยมบ้านประจำสัปดาห์ที่สี่สิบเจ็ด", &["a"]),
        ];
        let writer = XlsxWriter::new(&sheets, XlsxOptions::default()).unwrap();
        writer.finish(&path).unwrap();

        let names = open(&path).sheet_names();
        assert_eq!(
            names[..4],
            [
                "Visits 2026_11 _draft__",
                "VISITS 2026_11 _DRAFT__ (2)",
                "Sheet",
                "quoted"
            ]
        );
        assert_eq!(names[4].chars().count(), EXCEL_MAX_SHEET_NAME);
    }

    #[test]
    fn misuse_is_an_error_not_a_panic() {
        assert!(matches!(
            XlsxWriter::new(&[], XlsxOptions::default()),
            Err(ExportError::NoSheets)
        ));
        let wide = Sheet::new("W", vec![Column::new("c"); EXCEL_MAX_COLUMNS + 1]);
        assert!(matches!(
            XlsxWriter::new(&[wide], XlsxOptions::default()),
            Err(ExportError::TooManyColumns {
                columns: 16_385,
                ..
            })
        ));
        let mut writer = XlsxWriter::new(&[sheet("S", &["a"])], XlsxOptions::default()).unwrap();
        let error = writer.row(1, &[Cell::Int(1)]).unwrap_err();
        assert!(matches!(
            error,
            ExportError::NoSuchSheet {
                index: 1,
                sheets: 1
            }
        ));
        let error: anyhow::Error = error.into();
        assert_eq!(error.to_string(), "no sheet 1: the workbook has 1");

        let options = XlsxOptions {
            temp_dir: Some("/nonexistent/fieldweek".into()),
            ..XlsxOptions::default()
        };
        assert!(matches!(
            XlsxWriter::new(&[sheet("S", &["a"])], options),
            Err(ExportError::Xlsx(_))
        ));
    }

    #[test]
    fn int_widths_count_digits_and_sign() {
        for value in [0, 7, -7, 10, 99, -100, i64::MAX, i64::MIN] {
            assert_eq!(int_width(value), value.to_string().len(), "{value}");
        }
    }

    #[test]
    fn writer_can_move_to_a_blocking_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<XlsxWriter>();
    }

    /// Resident and peak resident memory of this process, in bytes.
    #[cfg(target_os = "linux")]
    fn memory() -> (u64, u64) {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let field = |name: &str| -> u64 {
            let line = status.lines().find(|l| l.starts_with(name)).unwrap();
            let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            kb * 1024
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn memory_stays_flat_for_many_rows() {
        const ROWS: i64 = 200_000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.xlsx");
        let sheets = [sheet(
            "Visits",
            &[
                "id",
                "worker",
                "lat",
                "lon",
                "at",
                "on",
                "household",
                "note",
            ],
        )];
        let start_at = Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();

        // Reset the peak to the current size (Linux 4.0+), so that memory other
        // tests used before this one does not count; ignored where refused.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let (before, _) = memory();
        let started = Instant::now();

        let options = XlsxOptions {
            temp_dir: Some(dir.path().to_owned()),
            ..XlsxOptions::default()
        };
        let mut writer = XlsxWriter::new(&sheets, options).unwrap();
        for id in 0..ROWS {
            writer
                .row(
                    0,
                    &[
                        Cell::Int(id),
                        Cell::Text(format!("อาสาสมัคร {}", id % 997)),
                        Cell::Float(13.0 + (id % 1000) as f64 / 1000.0),
                        Cell::Float(100.0 + (id % 777) as f64 / 777.0),
                        Cell::DateTime(start_at + chrono::Duration::seconds(id * 3)),
                        Cell::Date(day),
                        Cell::Int(id % 50_000),
                        Cell::Text(format!("visit {id}: เยี่ยมบ้าน, \"ok\"")),
                    ],
                )
                .unwrap();
        }
        writer.finish(&path).unwrap();

        let elapsed = started.elapsed();
        let (_, peak) = memory();
        let growth = peak.saturating_sub(before);
        let size = std::fs::metadata(&path).unwrap().len();
        println!(
            "{ROWS} rows: peak memory growth {:.1} MiB, {:.1} s, file {:.1} MiB",
            growth as f64 / 1048576.0,
            elapsed.as_secs_f64(),
            size as f64 / 1048576.0
        );
        assert!(
            growth < 50 * 1024 * 1024,
            "memory grew by {growth} bytes for {ROWS} rows"
        );

        // Stream the file back cell by cell to check every row arrived.
        let mut book = open(&path);
        let mut reader = book.worksheet_cells_reader("Visits").unwrap();
        let (mut cells, mut last) = (0_u64, None);
        while let Some(cell) = reader.next_cell().unwrap() {
            cells += 1;
            if cell.get_position().1 == 0 {
                last = Some(cell.get_value().clone());
            }
        }
        assert_eq!(cells, (ROWS as u64 + 1) * 8);
        assert_eq!(
            last.and_then(|value| value.as_f64()),
            Some((ROWS - 1) as f64)
        );
    }
}
