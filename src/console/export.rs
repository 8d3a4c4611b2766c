//! The queue's export buttons: exactly the grievances of the current filter, as CSV or
//! Excel, with headers in the reader's language, Bangkok times with Buddhist-Era dates,
//! names instead of ids, and the complainant's data masked (as every list is).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::queue::{all_matching, area_name, QueueQuery, MAX_EXPORT_ROWS};
use super::session::{Refusal, Signed};
use super::words::{label, when};
use crate::db::Db;
use crate::domain::Language;
use crate::error::ApiError;
use crate::geo::Geography;
use crate::grievances::service::GrievanceServices;
use crate::grievances::view::GrievanceView;
use crate::policy::{self, Permission};
use crate::reports::export::{Cell, Column, CsvWriter, Sheet, XlsxOptions, XlsxWriter};

const THAI_COLUMNS: [Column; 13] = [
    Column::new("รหัสเรื่อง"),
    Column::new("หัวเรื่อง"),
    Column::new("สถานะ"),
    Column::new("ความเร่งด่วน"),
    Column::new("ประเภท"),
    Column::new("พื้นที่"),
    Column::new("รหัสพื้นที่"),
    Column::new("ผู้รับผิดชอบ"),
    Column::new("ผู้รับแจ้ง"),
    Column::new("รับแจ้งเมื่อ (เวลากรุงเทพฯ)"),
    Column::new("ครบกำหนด (เวลากรุงเทพฯ)"),
    Column::new("เลยกำหนด"),
    Column::new("ส่งต่อไปยัง"),
];

const ENGLISH_COLUMNS: [Column; 13] = [
    Column::new("Grievance id"),
    Column::new("Title"),
    Column::new("Status"),
    Column::new("Priority"),
    Column::new("Category"),
    Column::new("Area"),
    Column::new("Area code"),
    Column::new("Assignee"),
    Column::new("Reported by"),
    Column::new("Reported at (Bangkok)"),
    Column::new("Due (Bangkok)"),
    Column::new("Overdue"),
    Column::new("Referred to"),
];

fn cells(view: &GrievanceView, geography: &Geography, language: Language) -> Vec<Cell> {
    let yes_no = |value: bool| match (value, language) {
        (true, Language::Thai) => "ใช่",
        (false, Language::Thai) => "ไม่",
        (true, Language::English) => "yes",
        (false, Language::English) => "no",
    };
    vec![
        view.id.clone().into(),
        view.title.clone().into(),
        label(view.status, language).into(),
        label(view.priority, language).into(),
        label(view.category, language).into(),
        area_name(geography, &view.area_code, language).into(),
        view.area_code.clone().into(),
        view.assignee
            .as_ref()
            .map(|a| a.display_name.clone())
            .into(),
        view.reporter.display_name.clone().into(),
        when(view.reported_at, language).into(),
        when(view.due_at, language).into(),
        yes_no(view.overdue).into(),
        view.referred_to.clone().into(),
    ]
}

/// `GET /console/grievances/export.{csv|xlsx}` with the queue's own query string.
pub async fn export(
    req: HttpRequest,
    signed: Signed,
    db: web::Data<Db>,
    geography: web::Data<Geography>,
    services: web::Data<GrievanceServices>,
    format: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let language = signed.language;
    let refuse = |e: ApiError| Refusal::from_api(e, language);
    policy::require(&signed.user, Permission::ReadReports).map_err(refuse)?;
    let format = format.into_inner();
    if format != "csv" && format != "xlsx" {
        return Err(Refusal::not_found(language));
    }
    let query = QueueQuery::from_request(&req, language)?;
    let user = signed.user.clone();
    let services = services.into_inner();
    let views = {
        let user = user.clone();
        db.read_report(move |conn| all_matching(conn, &user, &query, MAX_EXPORT_ROWS, &services))
            .await
            .map_err(refuse)?
    };
    let columns: &[Column] = match language {
        Language::Thai => &THAI_COLUMNS,
        Language::English => &ENGLISH_COLUMNS,
    };
    let rows: Vec<Vec<Cell>> = views
        .iter()
        .map(|view| cells(view, &geography, language))
        .collect();
    // Who took which list out of the system, for the audit trail.
    let count = rows.len();
    db.write(move |conn| {
        user.audit(
            conn,
            "console.grievances_exported",
            "grievance",
            None,
            serde_json::json!({ "format": format, "rows": count }),
        )?;
        Ok(())
    })
    .await
    .map_err(refuse)?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M");
    if req.path().ends_with(".csv") {
        let mut writer = CsvWriter::new(columns);
        let mut body = writer.header();
        for row in &rows {
            writer.row_into(row, &mut body);
        }
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"grievances-{stamp}.csv\""),
            ))
            .body(body));
    }
    let sheet_name = match language {
        Language::Thai => "เรื่องร้องทุกข์",
        Language::English => "Grievances",
    };
    let sheet = Sheet::new(sheet_name, columns.to_vec());
    let bytes = web::block(move || -> Result<Vec<u8>, ApiError> {
        let internal =
            |e: crate::reports::export::ExportError| ApiError::internal(anyhow::Error::from(e));
        let mut writer = XlsxWriter::new(&[sheet], XlsxOptions::default()).map_err(internal)?;
        for row in &rows {
            writer.row(0, row).map_err(internal)?;
        }
        let file = tempfile_path();
        writer.finish(&file).map_err(internal)?;
        let bytes = std::fs::read(&file).map_err(|e| ApiError::internal(anyhow::Error::from(e)));
        let _ = std::fs::remove_file(&file);
        bytes
    })
    .await
    .map_err(|e| refuse(ApiError::internal(anyhow::anyhow!("{e}"))))?
    .map_err(refuse)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"grievances-{stamp}.xlsx\""),
        ))
        .body(bytes))
}

fn tempfile_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("fieldweek-console-{}.xlsx", uuid::Uuid::new_v4()))
}
