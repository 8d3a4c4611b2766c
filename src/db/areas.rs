//! The `areas` table: a copy of the compiled-in geography that SQL can join against.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::{app_meta, areas};
use super::DbConnection;
use crate::domain::AreaLevel;
use crate::geo::Geography;

#[derive(Insertable)]
#[diesel(table_name = areas)]
struct NewArea<'a> {
    code: &'a str,
    level: &'static str,
    name_th: &'a str,
    name_en: &'a str,
    parent_code: Option<&'a str>,
    lat: Option<f64>,
    lon: Option<f64>,
}

const FINGERPRINT_KEY: &str = "areas_fingerprint";

/// Makes the table match the geography this binary carries. A fingerprint in `app_meta`
/// lets every later start skip the work; a new release with new codes reloads the table.
/// Returns whether the table was (re)loaded.
pub fn sync(conn: &mut DbConnection, geography: &Geography) -> QueryResult<bool> {
    let rows: Vec<NewArea> = geography
        .areas()
        .filter(|area| area.level != AreaLevel::Country)
        .map(|area| {
            let centroid = geography.representative_point(&area.code);
            NewArea {
                code: &area.code,
                level: area.level.as_str(),
                name_th: &area.name_th,
                name_en: &area.name_en,
                parent_code: area.parent_code.as_deref(),
                lat: centroid.map(|c| c.lat),
                lon: centroid.map(|c| c.lon),
            }
        })
        .collect();
    let fingerprint = fingerprint(&rows);

    let stored: Option<String> = app_meta::table
        .find(FINGERPRINT_KEY)
        .select(app_meta::value)
        .first(conn)
        .optional()?;
    if stored.as_deref() == Some(fingerprint.as_str()) {
        return Ok(false);
    }

    diesel::delete(areas::table).execute(conn)?;
    // Chunks keep each statement under SQLite's bound-parameter limit. Multi-row inserts
    // need the concrete connection: the multi-backend cannot render them.
    for chunk in rows.chunks(500) {
        let insert = diesel::insert_into(areas::table).values(chunk);
        match conn {
            DbConnection::Sqlite(conn) => insert.execute(conn)?,
            DbConnection::Postgres(conn) => insert.execute(conn)?,
        };
    }
    diesel::delete(app_meta::table.find(FINGERPRINT_KEY)).execute(conn)?;
    diesel::insert_into(app_meta::table)
        .values((
            app_meta::key.eq(FINGERPRINT_KEY),
            app_meta::value.eq(&fingerprint),
        ))
        .execute(conn)?;
    Ok(true)
}

fn fingerprint(rows: &[NewArea]) -> String {
    let mut hasher = Sha256::new();
    for row in rows {
        for part in [
            row.code,
            row.name_th,
            row.name_en,
            row.parent_code.unwrap_or(""),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher.update(format!("{:?},{:?}\n", row.lat, row.lon));
    }
    hex::encode(hasher.finalize())
}
