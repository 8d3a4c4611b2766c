//! RFC 4180 CSV, written by hand so every row is encoded on its own.

use std::io::Write;

use super::cell::{cell_at, format_date, format_datetime, Cell, Column};

/// Excel only detects UTF-8 (and so shows Thai) when the file starts with a BOM.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Characters that make a spreadsheet treat a text field as a formula
/// (OWASP "CSV Injection"); tab and CR are included because Excel strips them
/// before looking at the next character.
const FORMULA_TRIGGERS: [u8; 6] = [b'=', b'+', b'-', b'@', b'\t', b'\r'];

/// Encodes rows as CSV: UTF-8 with a BOM, comma separated, CRLF line ends.
///
/// Every row has exactly as many fields as the schema: missing cells are
/// written empty and extra cells are ignored, so the columns never shift.
///
/// Values:
/// - text is quoted only when it contains a comma, a quote, CR or LF, with
///   quotes doubled (RFC 4180);
/// - **formula injection guard:** text beginning with `=`, `+`, `-`, `@`,
///   tab or CR gets a leading `'`, as OWASP recommends, so a spreadsheet shows
///   it instead of evaluating it. This applies to text cells only, so a phone
///   number stored as text such as `+66 81 234 5678` is exported as
///   `'+66 81 234 5678`, while numbers (`Cell::Int(-5)`) are never prefixed;
/// - date-times are RFC 3339 in Bangkok time (`+07:00`), to the second; dates `YYYY-MM-DD`;
/// - floats use Rust's shortest round-trip form (never an exponent; `NaN`,
///   `inf` and `-inf` for non-finite values); bools `true`/`false`.
#[derive(Debug, Clone)]
pub struct CsvWriter {
    columns: Vec<Column>,
}

impl CsvWriter {
    pub fn new(columns: &[Column]) -> Self {
        CsvWriter {
            columns: columns.to_vec(),
        }
    }

    /// The byte-order mark followed by the header line.
    pub fn header(&mut self) -> Vec<u8> {
        let mut out = BOM.to_vec();
        let names: Vec<Cell> = self
            .columns
            .iter()
            .map(|column| Cell::Text(column.name.to_owned()))
            .collect();
        self.row_into(&names, &mut out);
        out
    }

    /// One encoded line, CRLF included.
    pub fn row(&mut self, cells: &[Cell]) -> Vec<u8> {
        let mut out = Vec::new();
        self.row_into(cells, &mut out);
        out
    }

    /// Appends one encoded line to `out`, so a caller can batch a database chunk
    /// into a single buffer without an allocation per row.
    pub fn row_into(&mut self, cells: &[Cell], out: &mut Vec<u8>) {
        let start = out.len();
        for index in 0..self.columns.len() {
            if index > 0 {
                out.push(b',');
            }
            push_field(out, cell_at(cells, index));
        }
        // A lone empty field would be a blank line, which readers skip as no
        // record at all; a quoted empty field keeps the row.
        if self.columns.len() == 1 && out.len() == start {
            out.extend_from_slice(b"\"\"");
        }
        out.extend_from_slice(b"\r\n");
    }
}

fn push_field(out: &mut Vec<u8>, cell: &Cell) {
    match cell {
        Cell::Empty => {}
        Cell::Text(text) => push_text(out, text),
        // Written straight into the row: a String per number was a tenth of an export's
        // allocations.
        Cell::Int(value) => write!(out, "{value}").expect("a Vec takes every write"),
        Cell::Float(value) => write!(out, "{value}").expect("a Vec takes every write"),
        Cell::Bool(value) => out.extend_from_slice(if *value { b"true" } else { b"false" }),
        Cell::DateTime(value) => out.extend_from_slice(format_datetime(value).as_bytes()),
        Cell::Date(value) => out.extend_from_slice(format_date(value).as_bytes()),
    }
}

fn push_text(out: &mut Vec<u8>, text: &str) {
    // Every character looked for is ASCII, so the bytes of UTF-8 text can be scanned
    // as they are, without decoding the (mostly Thai) characters.
    let bytes = text.as_bytes();
    let guard = bytes.first().is_some_and(|b| FORMULA_TRIGGERS.contains(b));
    let quote = memchr::memchr3(b',', b'"', b'\n', bytes).is_some()
        || memchr::memchr(b'\r', bytes).is_some();
    if quote {
        out.push(b'"');
    }
    if guard {
        out.push(b'\'');
    }
    if quote {
        for piece in text.split_inclusive('"') {
            out.extend_from_slice(piece.as_bytes());
            if piece.ends_with('"') {
                out.push(b'"');
            }
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn columns() -> Vec<Column> {
        ["id", "ชื่อ", "note", "score", "done", "at", "on", "gap"]
            .into_iter()
            .map(Column::new)
            .collect()
    }

    /// Parses the whole output the way a strict RFC 4180 reader would.
    fn parse(bytes: &[u8]) -> Vec<Vec<String>> {
        let text = std::str::from_utf8(bytes).expect("CSV is UTF-8");
        let body = text
            .strip_prefix('\u{feff}')
            .expect("CSV starts with a BOM");
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(body.as_bytes());
        reader
            .records()
            .map(|record| {
                record
                    .expect("valid CSV record")
                    .iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn header_starts_with_bom_and_ends_with_crlf() {
        let mut writer = CsvWriter::new(&[Column::new("a"), Column::new("b,c")]);
        assert_eq!(writer.header(), b"\xEF\xBB\xBFa,\"b,c\"\r\n");
    }

    #[test]
    fn round_trips_through_a_csv_reader() {
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 3, 30, 0).unwrap();
        let on = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let rows = vec![
            vec![
                Cell::Int(1),
                Cell::from("สมชาย ใจดี"),
                Cell::from("he said \"hi\", then\r\nleft\n"),
                Cell::Float(0.1),
                Cell::Bool(true),
                Cell::DateTime(at),
                Cell::Date(on),
                Cell::Empty,
            ],
            vec![
                Cell::Int(-2),
                Cell::from("=HYPERLINK(\"http://x\")"),
                Cell::from("@SUM(A1)"),
                Cell::Float(-1e21),
                Cell::Bool(false),
                Cell::Empty,
                Cell::Empty,
                Cell::from("\tTAB"),
            ],
            // A short row is padded, a long one cut, to the schema.
            vec![Cell::Int(3)],
        ];

        let mut writer = CsvWriter::new(&columns());
        let mut out = writer.header();
        for row in &rows {
            writer.row_into(row, &mut out);
        }
        let parsed = parse(&out);

        let expected: Vec<Vec<&str>> = vec![
            vec!["id", "ชื่อ", "note", "score", "done", "at", "on", "gap"],
            vec![
                "1",
                "สมชาย ใจดี",
                "he said \"hi\", then\r\nleft\n",
                "0.1",
                "true",
                "2026-11-20T10:30:00+07:00",
                "2026-11-16",
                "",
            ],
            vec![
                "-2",
                "'=HYPERLINK(\"http://x\")",
                "'@SUM(A1)",
                "-1000000000000000000000",
                "false",
                "",
                "",
                "'\tTAB",
            ],
            vec!["3", "", "", "", "", "", "", ""],
        ];
        assert_eq!(parsed, expected);
    }

    #[test]
    fn formula_guard_covers_every_trigger_but_not_numbers() {
        let mut writer = CsvWriter::new(&[Column::new("v")]);
        for trigger in ["=1+1", "+1", "-1", "@x", "\tx", "\rx"] {
            let line = writer.row(&[Cell::from(trigger)]);
            let parsed = parse(&[BOM, &line].concat());
            assert_eq!(parsed, vec![vec![format!("'{trigger}")]], "{trigger:?}");
        }
        assert_eq!(writer.row(&[Cell::Int(-1)]), b"-1\r\n");
        assert_eq!(writer.row(&[Cell::Float(-0.5)]), b"-0.5\r\n");
        assert_eq!(writer.row(&[Cell::from("a=b")]), b"a=b\r\n");
    }

    #[test]
    fn quotes_are_doubled_and_only_needed_fields_quoted() {
        let mut writer = CsvWriter::new(&[Column::new("a"), Column::new("b")]);
        assert_eq!(
            writer.row(&[Cell::from("x\"y"), Cell::from("plain")]),
            b"\"x\"\"y\",plain\r\n"
        );
        assert_eq!(
            writer.row(&[Cell::from("-\"")]),
            b"\"'-\"\"\",\r\n",
            "guard goes inside the quotes"
        );
    }

    #[test]
    fn a_lone_empty_field_is_not_a_blank_line() {
        let mut writer = CsvWriter::new(&[Column::new("only")]);
        let mut out = writer.header();
        writer.row_into(&[Cell::Empty], &mut out);
        writer.row_into(&[Cell::from("x")], &mut out);
        assert_eq!(parse(&out), vec![vec!["only"], vec![""], vec!["x"]]);
    }

    #[test]
    fn floats_have_no_exponent() {
        let mut writer = CsvWriter::new(&[Column::new("f")]);
        assert_eq!(writer.row(&[Cell::Float(1e-7)]), b"0.0000001\r\n");
        assert_eq!(writer.row(&[Cell::Float(13.7563)]), b"13.7563\r\n");
        assert_eq!(writer.row(&[Cell::Float(f64::NAN)]), b"NaN\r\n");
    }

    #[test]
    fn date_times_are_rfc3339_in_bangkok_time() {
        let mut writer = CsvWriter::new(&[Column::new("at")]);
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 23, 59, 59).unwrap();
        assert_eq!(
            writer.row(&[Cell::DateTime(at)]),
            b"2026-01-03T06:59:59+07:00\r\n"
        );
    }
}
