//! GeoJSON (RFC 7946) FeatureCollection of points, one Feature per row.

use serde::Serialize;

use super::cell::{cell_at, format_date, format_datetime, Cell, Column};

/// Encodes rows as the Features of one FeatureCollection.
///
/// The output of `header`, every `row` and `footer`, concatenated in that
/// order, is one valid JSON document: `row` puts the separating comma before
/// every Feature but the first, so no byte has to be taken back.
///
/// Each Feature has a Point geometry `[lon, lat]` built from the two named
/// columns, and every other column as a property in schema order, with its
/// JSON type: `Empty` as `null`, numbers as numbers (non-finite floats as
/// `null`), date-times as RFC 3339 strings in Bangkok time and dates as `YYYY-MM-DD`.
/// A row whose latitude or longitude is missing, not a finite number or out of
/// range (±90, ±180) keeps its properties and gets `"geometry": null`, which
/// RFC 7946 allows for an unlocated Feature. If a coordinate column is not in
/// the schema, every Feature is unlocated.
#[derive(Debug, Clone)]
pub struct GeoJsonWriter {
    /// Property names, JSON-encoded once, paired with their column index.
    properties: Vec<(usize, Vec<u8>)>,
    lat: Option<usize>,
    lon: Option<usize>,
    features_written: u64,
}

impl GeoJsonWriter {
    pub fn new(columns: &[Column], lat_column: &str, lon_column: &str) -> Self {
        let lat = columns.iter().position(|c| c.key == lat_column);
        let lon = columns.iter().position(|c| c.key == lon_column);
        let properties = columns
            .iter()
            .enumerate()
            .filter(|(index, _)| Some(*index) != lat && Some(*index) != lon)
            .map(|(index, column)| {
                let mut key = Vec::new();
                push_json(&mut key, column.name);
                (index, key)
            })
            .collect();
        GeoJsonWriter {
            properties,
            lat,
            lon,
            features_written: 0,
        }
    }

    /// Opens the FeatureCollection.
    pub fn header(&mut self) -> Vec<u8> {
        self.features_written = 0;
        br#"{"type":"FeatureCollection","features":["#.to_vec()
    }

    /// One Feature, preceded by a comma unless it is the first.
    pub fn row(&mut self, cells: &[Cell]) -> Vec<u8> {
        let mut out = Vec::new();
        self.row_into(cells, &mut out);
        out
    }

    /// Appends one Feature to `out`, so a caller can batch a database chunk into
    /// a single buffer without an allocation per row.
    pub fn row_into(&mut self, cells: &[Cell], out: &mut Vec<u8>) {
        // One Feature per line keeps the file readable and diffable.
        out.extend_from_slice(if self.features_written == 0 {
            b"\n"
        } else {
            b",\n"
        });
        self.features_written += 1;

        out.extend_from_slice(br#"{"type":"Feature","geometry":"#);
        match self.point(cells) {
            Some((lon, lat)) => {
                out.extend_from_slice(br#"{"type":"Point","coordinates":["#);
                push_json(out, &lon);
                out.push(b',');
                push_json(out, &lat);
                out.extend_from_slice(b"]}");
            }
            None => out.extend_from_slice(b"null"),
        }

        out.extend_from_slice(br#","properties":{"#);
        for (n, (index, key)) in self.properties.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            out.push(b':');
            push_value(out, cell_at(cells, *index));
        }
        out.extend_from_slice(b"}}");
    }

    /// Closes the FeatureCollection.
    pub fn footer(&mut self) -> Vec<u8> {
        if self.features_written == 0 {
            b"]}".to_vec()
        } else {
            b"\n]}".to_vec()
        }
    }

    fn point(&self, cells: &[Cell]) -> Option<(f64, f64)> {
        let lat = coordinate(cell_at(cells, self.lat?))?;
        let lon = coordinate(cell_at(cells, self.lon?))?;
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lon, lat))
    }
}

fn coordinate(cell: &Cell) -> Option<f64> {
    let value = match cell {
        Cell::Float(value) => *value,
        // Coordinates are small, so the conversion is exact.
        Cell::Int(value) => *value as f64,
        _ => return None,
    };
    value.is_finite().then_some(value)
}

fn push_value(out: &mut Vec<u8>, cell: &Cell) {
    match cell {
        Cell::Empty => out.extend_from_slice(b"null"),
        Cell::Text(text) => push_json(out, text),
        Cell::Int(value) => push_json(out, value),
        // serde_json writes non-finite floats as null, which JSON requires.
        Cell::Float(value) => push_json(out, value),
        Cell::Bool(value) => push_json(out, value),
        Cell::DateTime(value) => push_json(out, &format_datetime(value)),
        Cell::Date(value) => push_json(out, &format_date(value)),
    }
}

fn push_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Strings, numbers and bools always serialise and a Vec never fails to
    // grow, so this error branch is unreachable; `null` keeps the JSON valid
    // rather than panicking if serde_json ever changed that.
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use serde_json::{json, Value};

    fn columns() -> Vec<Column> {
        [
            "id",
            "lat",
            "lon",
            "หมายเหตุ",
            "score",
            "done",
            "at",
            "on",
            "gap",
        ]
        .into_iter()
        .map(Column::new)
        .collect()
    }

    fn document(writer: &mut GeoJsonWriter, rows: &[Vec<Cell>]) -> Value {
        let mut out = writer.header();
        for row in rows {
            out.extend(writer.row(row));
        }
        out.extend(writer.footer());
        serde_json::from_slice(&out).expect("output is valid JSON")
    }

    #[test]
    fn round_trips_through_serde_json() {
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 3, 30, 0).unwrap();
        let on = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let rows = vec![
            vec![
                Cell::Int(1),
                Cell::Float(13.7563),
                Cell::Float(100.5018),
                Cell::from("บ้าน \"เลขที่\" 5,\nหมู่ 2 \\ =1+1"),
                Cell::Float(0.25),
                Cell::Bool(true),
                Cell::DateTime(at),
                Cell::Date(on),
                Cell::Empty,
            ],
            vec![
                Cell::Int(2),
                Cell::Int(14),
                Cell::Int(101),
                Cell::Empty,
                Cell::Float(f64::INFINITY),
                Cell::Bool(false),
                Cell::Empty,
                Cell::Empty,
                Cell::from("x"),
            ],
        ];
        let doc = document(&mut GeoJsonWriter::new(&columns(), "lat", "lon"), &rows);

        assert_eq!(
            doc,
            json!({
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [100.5018, 13.7563]},
                        "properties": {
                            "id": 1,
                            "หมายเหตุ": "บ้าน \"เลขที่\" 5,\nหมู่ 2 \\ =1+1",
                            "score": 0.25,
                            "done": true,
                            "at": "2026-11-20T10:30:00+07:00",
                            "on": "2026-11-16",
                            "gap": null
                        }
                    },
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [101.0, 14.0]},
                        "properties": {
                            "id": 2,
                            "หมายเหตุ": null,
                            "score": null,
                            "done": false,
                            "at": null,
                            "on": null,
                            "gap": "x"
                        }
                    }
                ]
            })
        );
    }

    #[test]
    fn unlocated_rows_get_null_geometry() {
        let rows: Vec<Vec<Cell>> = [
            (Cell::Empty, Cell::Float(100.0)),
            (Cell::Float(f64::NAN), Cell::Float(100.0)),
            (Cell::Float(13.0), Cell::Float(f64::NEG_INFINITY)),
            (Cell::from("13.7"), Cell::Float(100.0)),
            (Cell::Float(95.0), Cell::Float(100.0)),
            (Cell::Float(13.0), Cell::Float(-181.0)),
        ]
        .into_iter()
        .map(|(lat, lon)| vec![Cell::Int(1), lat, lon])
        .collect();
        let doc = document(&mut GeoJsonWriter::new(&columns(), "lat", "lon"), &rows);

        let features = doc["features"].as_array().unwrap();
        assert_eq!(features.len(), rows.len());
        for feature in features {
            assert_eq!(feature["geometry"], Value::Null);
            assert_eq!(feature["properties"]["id"], json!(1));
        }
    }

    #[test]
    fn empty_collection_is_valid() {
        let doc = document(&mut GeoJsonWriter::new(&columns(), "lat", "lon"), &[]);
        assert_eq!(doc, json!({"type": "FeatureCollection", "features": []}));
    }

    #[test]
    fn header_and_footer_are_the_documented_bytes() {
        let mut writer = GeoJsonWriter::new(&columns(), "lat", "lon");
        assert_eq!(
            writer.header(),
            br#"{"type":"FeatureCollection","features":["#
        );
        assert_eq!(writer.footer(), b"]}");
    }

    #[test]
    fn unknown_coordinate_columns_keep_every_column_as_property() {
        let doc = document(
            &mut GeoJsonWriter::new(&columns(), "latitude", "lon"),
            &[vec![Cell::Int(1), Cell::Float(13.0), Cell::Float(100.0)]],
        );
        let feature = &doc["features"][0];
        assert_eq!(feature["geometry"], Value::Null);
        assert_eq!(feature["properties"]["lat"], json!(13.0));
        assert!(feature["properties"].get("lon").is_none());
    }

    #[test]
    fn header_restarts_a_document() {
        let mut writer = GeoJsonWriter::new(&columns(), "lat", "lon");
        let row = vec![Cell::Int(1)];
        let _ = document(&mut writer, std::slice::from_ref(&row));
        let doc = document(&mut writer, &[row]);
        assert_eq!(doc["features"].as_array().unwrap().len(), 1);
    }
}
