//! Weekly reports and their exports (officials, supervisors and admins, within their area).

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::{Utc, Weekday};
use futures_util::stream;
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::db::audit::{self, AuditEntry};
use crate::db::Db;
use crate::domain::AreaScope;
use crate::domain::{AreaCode, IsoWeek, Language};
use crate::error::{ApiError, FieldCode, FieldError, Problem};
use crate::geo::Geography;
use crate::policy::{self, Permission};
use crate::reports::cover::weekly_cover;
use crate::reports::datasets::{self, Dataset, ExportScope, Source};
use crate::reports::export::{CsvWriter, GeoJsonWriter, Sheet, XlsxOptions, XlsxWriter};
use crate::reports::slots::{ExportSlot, ExportSlots};
use crate::reports::weekly::{self, WeeklyReport};
use crate::routes::query::{parse_area, parse_name};

/// When to come back after a 429 because every export slot is taken: a large export
/// takes tens of seconds.
const EXPORT_RETRY_SECS: u64 = 30;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeeklyQuery {
    /// An ISO week in Bangkok time (`2026-W47`); the current week when absent.
    pub week: Option<String>,
    /// An area inside one's own (one's own included); one's own area when absent. A
    /// wider or another area is refused with 403.
    pub area: Option<String>,
}

/// The week and area a report is about, checked against the caller's own area.
pub fn report_target(
    user: &AuthUser,
    week: Option<&str>,
    area: Option<&str>,
    week_start: Weekday,
    mut errors: Vec<FieldError>,
) -> Result<(IsoWeek, AreaCode), ApiError> {
    policy::require(user, Permission::ReadReports)?;
    let week = match week {
        None => Some(IsoWeek::containing(Utc::now(), week_start)),
        Some(raw) => IsoWeek::parse(raw)
            .map_err(|e| errors.push(FieldError::parse("week", e)))
            .ok(),
    };
    let area = match area {
        None => Some(user.area.clone()),
        Some(raw) => parse_area(&mut errors, Some(raw)),
    };
    let (Some(week), Some(area), true) = (week, area, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    Ok((week, policy::requested_area(user, &area)?))
}

/// Every figure of the week for an area: visits, field-worker compliance, coverage,
/// grievances and hotspots.
#[utoipa::path(
    tag = "reports",
    operation_id = "weekly",
    params(WeeklyQuery),
    responses(
        (status = 200, body = WeeklyReport),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/weekly")]
pub async fn weekly_report(
    user: AuthUser,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    week_start: web::Data<Weekday>,
    query: web::Query<WeeklyQuery>,
) -> Result<web::Json<WeeklyReport>, ApiError> {
    let week_start = **week_start;
    let (week, area) = report_target(
        &user,
        query.week.as_deref(),
        query.area.as_deref(),
        week_start,
        Vec::new(),
    )?;
    let geography = geography.into_inner();
    let report = db
        .read_report(move |conn| weekly::compute(conn, &geography, &area, week, week_start))
        .await?;
    Ok(web::Json(report))
}

string_enum! {
    /// The language of an export's headers, labels and place names.
    ExportLanguage {
        Th => "th",
        En => "en",
    }
}

impl From<ExportLanguage> for Language {
    fn from(language: ExportLanguage) -> Self {
        match language {
            ExportLanguage::Th => Language::Thai,
            ExportLanguage::En => Language::English,
        }
    }
}

string_enum! {
    /// The file format of an export.
    ExportFormat {
        Csv => "csv",
        Xlsx => "xlsx",
        Geojson => "geojson",
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    pub week: Option<String>,
    /// As for the weekly report: inside one's own area, else 403.
    pub area: Option<String>,
    /// csv (the default), xlsx (every dataset, one sheet each) or geojson (points).
    #[param(value_type = Option<ExportFormat>, inline)]
    pub format: Option<String>,
    /// The dataset for csv and geojson; visits by default.
    #[param(value_type = Option<Dataset>, inline)]
    pub dataset: Option<String>,
    /// Headers, labels and place names in Thai (the default) or English. Times are in
    /// Bangkok (`+07:00`) with a Buddhist-Era date column either way.
    #[param(value_type = Option<ExportLanguage>, inline)]
    pub lang: Option<String>,
}

/// The week's data as a file. CSV and GeoJSON stream from the database a chunk at a time
/// (memory stays flat at any size, and the work stops if the client goes away); XLSX is
/// written in constant memory to a temporary file, then streamed.
#[utoipa::path(
    tag = "reports",
    params(ExportQuery),
    responses(
        (status = 200, description = "the file, as an attachment", content(
            (String = "text/csv"),
            (serde_json::Value = "application/geo+json"),
            (inline(super::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/weekly/export")]
pub async fn export(
    user: AuthUser,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    week_start: web::Data<Weekday>,
    slots: web::Data<ExportSlots>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let week_start = **week_start;
    let mut errors = Vec::new();
    let format = parse_name(&mut errors, "format", query.format.as_deref());
    let dataset = parse_name(&mut errors, "dataset", query.dataset.as_deref());
    let language: Language = parse_name(&mut errors, "lang", query.lang.as_deref())
        .unwrap_or(ExportLanguage::Th)
        .into();
    let (week, area) = report_target(
        &user,
        query.week.as_deref(),
        query.area.as_deref(),
        week_start,
        errors,
    )?;
    let format = format.unwrap_or(ExportFormat::Csv);
    let dataset = dataset.unwrap_or(Dataset::Visits);
    // A GeoJSON export is a point layer: only records with a place are one.
    if format == ExportFormat::Geojson
        && matches!(dataset, Dataset::FieldWorkers | Dataset::Summary)
    {
        return Err(ApiError::field(
            "dataset",
            FieldCode::NotAllowedValue,
            format!(
                "{} has no locations: export it as csv or xlsx",
                dataset.as_str()
            ),
            "ข้อมูลชุดนี้ไม่มีพิกัด กรุณาส่งออกเป็น csv หรือ xlsx",
        ));
    }
    let scope = ExportScope {
        scope: AreaScope::of(&area),
        span: weekly::span_of(week, week_start),
        language,
        fiscal_year: weekly::plan_year(week, week_start),
    };
    let geography = geography.into_inner();
    // Held until the export has read its last row (see `ExportSlots`).
    let slot = slots.try_take().ok_or(ApiError::TooManyRequests {
        retry_after_secs: EXPORT_RETRY_SECS,
    })?;

    let details = serde_json::json!({
        "week": week.to_string(), "area": area.as_str(), "format": format, "dataset": dataset,
        "lang": query.lang.as_deref().unwrap_or("th"),
    });
    db.write(move |conn| {
        Ok(audit::record(
            conn,
            &user.client,
            AuditEntry {
                actor_id: Some(user.id.as_str()),
                action: "report.exported",
                record_type: "report",
                record_id: None,
                details,
            },
        )?)
    })
    .await?;
    // The summary (and the XLSX summary sheet) needs the week's figures first. They are
    // read outside the audit's write transaction: on SQLite that would hold up every
    // other write for as long as the figures take.
    let needs_report = format == ExportFormat::Xlsx || dataset == Dataset::Summary;
    let report = if needs_report {
        let (geography, area) = (geography.clone(), area.clone());
        Some(
            db.read_report(move |conn| weekly::compute(conn, &geography, &area, week, week_start))
                .await?,
        )
    } else {
        None
    };

    let name = format!("fieldweek-{week}-{area}");
    match format {
        ExportFormat::Csv | ExportFormat::Geojson => {
            let source = Source::new(dataset, scope, report.as_ref());
            let filename = format!("{name}-{}.{}", dataset.as_str(), format.as_str());
            let content_type = if format == ExportFormat::Csv {
                "text/csv; charset=utf-8"
            } else {
                "application/geo+json"
            };
            let body = stream_rows(
                db.get_ref().clone(),
                geography,
                source,
                dataset.sheet(language),
                format,
                slot,
            );
            Ok(attachment(content_type, &filename).streaming(body))
        }
        ExportFormat::Xlsx => {
            let file = write_xlsx(db.get_ref().clone(), geography, scope, report, slot).await?;
            let filename = format!("{name}.xlsx");
            Ok(attachment(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &filename,
            )
            .streaming(stream_file(file)))
        }
    }
}

fn attachment(content_type: &str, filename: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type.to_owned())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ));
    response
}

type Chunk = Result<web::Bytes, actix_web::Error>;

/// Streams CSV or GeoJSON with two blocking threads: a reader takes a chunk of rows at a
/// time from one connection, an encoder turns the previous chunk into bytes meanwhile
/// (on two cores the database's work and the encoding overlap), and the bytes go out
/// over a small channel. When the client goes away the channel closes, the encoder stops
/// at its next send and the reader at its next chunk.
fn stream_rows(
    db: Db,
    geography: std::sync::Arc<Geography>,
    source: Source,
    sheet: Sheet,
    format: ExportFormat,
    slot: ExportSlot,
) -> impl futures_util::Stream<Item = Chunk> {
    // What the encoder sends: bytes, or that the export failed (the body then ends in an
    // error).
    let (tx, rx) = mpsc::channel::<Result<web::Bytes, ()>>(4);
    let (rows_tx, rows_rx) = std::sync::mpsc::sync_channel::<ReadChunk>(2);
    let reader_geography = geography.clone();
    // The reader keeps one thread and one connection for the whole export: a thread per
    // chunk left a malloc arena per thread holding a chunk's worth of memory, and the
    // export grew the server by tens of megabytes.
    actix_web::rt::task::spawn_blocking(move || {
        let streamed = db.with_report_stream(|conn, interrupter| {
            source.for_each_chunk(conn, interrupter, &reader_geography, &mut |chunk| {
                Ok(rows_tx.send(ReadChunk::Rows(chunk)).is_ok())
            })
        });
        match streamed {
            Ok(true) => {
                let _ = rows_tx.send(ReadChunk::End);
            }
            Ok(false) => tracing::info!("export abandoned: the client went away"),
            Err(error) => tracing::error!(error = %error, "export stopped by a database error"),
        }
    });
    actix_web::rt::task::spawn_blocking(move || {
        let mut csv = CsvWriter::new(&sheet.columns);
        let mut geojson = GeoJsonWriter::new(&sheet.columns, "lat", "lon");
        let head = match format {
            ExportFormat::Csv => csv.header(),
            _ => geojson.header(),
        };
        if tx.blocking_send(Ok(head.into())).is_err() {
            return;
        }
        loop {
            let rows = match rows_rx.recv() {
                Ok(ReadChunk::Rows(chunk)) => chunk.into_cells(&geography),
                Ok(ReadChunk::End) => break,
                // The reader failed (or panicked) before the last row: the body must not
                // end as if it were complete.
                Err(_) => {
                    let _ = tx.blocking_send(Err(()));
                    return;
                }
            };
            let mut bytes = Vec::with_capacity(rows.len() * 256);
            for row in &rows {
                match format {
                    ExportFormat::Csv => csv.row_into(row, &mut bytes),
                    _ => geojson.row_into(row, &mut bytes),
                }
            }
            if tx.blocking_send(Ok(bytes.into())).is_err() {
                return;
            }
        }
        if format == ExportFormat::Geojson {
            let _ = tx.blocking_send(Ok(geojson.footer().into()));
        }
    });
    // The stream keeps the slot: it is given back when the producer has sent its last
    // chunk (before the end of the body goes out) or when the client leaves.
    stream::unfold((rx, slot), |(mut rx, slot)| async move {
        let chunk = rx
            .recv()
            .await?
            .map_err(|()| actix_web::error::ErrorInternalServerError("export failed"));
        Some((chunk, (rx, slot)))
    })
}

/// What the export's reader hands its encoder. Without `End` the export did not finish.
enum ReadChunk {
    Rows(datasets::Chunk),
    End,
}

/// Writes every dataset to one workbook (constant memory) and returns the open file,
/// already unlinked so it disappears once streamed.
async fn write_xlsx(
    db: Db,
    geography: std::sync::Arc<Geography>,
    scope: ExportScope,
    report: Option<WeeklyReport>,
    slot: ExportSlot,
) -> Result<tokio::fs::File, ApiError> {
    let path = std::env::temp_dir().join(format!("fieldweek-export-{}.xlsx", uuid::Uuid::new_v4()));
    let written = path.clone();
    web::block(move || -> Result<(), ApiError> {
        // The summary opens the workbook as its cover; the data sheets follow.
        let datasets = [Dataset::Visits, Dataset::Grievances, Dataset::FieldWorkers];
        let sheets: Vec<_> = datasets.iter().map(|d| d.sheet(scope.language)).collect();
        let mut workbook =
            XlsxWriter::new(&sheets, XlsxOptions::default()).map_err(ApiError::internal)?;
        if let Some(report) = &report {
            let area_name = geography.name_of(&report.area_code, scope.language);
            let cover = weekly_cover(report, area_name, Utc::now(), scope.language);
            workbook.cover(&cover).map_err(ApiError::internal)?;
        }
        db.with_report_stream(|conn, interrupter| {
            for (index, dataset) in datasets.into_iter().enumerate() {
                let source = Source::new(dataset, scope.clone(), report.as_ref());
                source.for_each_chunk(conn, interrupter, &geography, &mut |chunk| {
                    for row in &chunk.into_cells(&geography) {
                        workbook.row(index, row).map_err(ApiError::internal)?;
                    }
                    Ok(true)
                })?;
            }
            Ok(())
        })?;
        let finished = workbook.finish(&written).map_err(ApiError::internal);
        // The database is done with: the file streams without holding a slot.
        drop(slot);
        finished
    })
    .await??;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(ApiError::internal)?;
    let _ = tokio::fs::remove_file(&path).await;
    Ok(file)
}

fn stream_file(file: tokio::fs::File) -> impl futures_util::Stream<Item = Chunk> {
    stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buffer = vec![0u8; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(web::Bytes::from(buffer)), Some(file)))
            }
            Err(error) => Some((Err(actix_web::error::ErrorInternalServerError(error)), None)),
        }
    })
}
