//! The opening sheet of the weekly workbook, for a provincial meeting: what the file is
//! (week, area, when it was made), the week's key figures, and tables by sub-area, target
//! group, activity and category, each with its chart.

use chrono::{DateTime, Utc};

use super::export::{Cell, Cover, CoverTable};
use super::weekly::WeeklyReport;
use crate::domain::{
    buddhist_era_date, buddhist_era_time, label_named, Activity, Category, Language, Message,
    TargetGroup,
};

fn say(en: &'static str, th: &'static str, language: Language) -> String {
    Message::new(en, th).in_language(language).to_owned()
}

/// The cover of the weekly workbook for `report` about the area named `area_name`.
pub fn weekly_cover(
    report: &WeeklyReport,
    area_name: &str,
    generated_at: DateTime<Utc>,
    language: Language,
) -> Cover {
    let say = |en, th| say(en, th, language);
    let dates = format!(
        "{} – {}",
        buddhist_era_date(report.starts_on, language),
        buddhist_era_date(report.ends_on, language)
    );
    let lines = vec![
        format!("{}: {dates} ({})", say("Week", "สัปดาห์"), report.week),
        format!("{}: {} {area_name}", say("Area", "พื้นที่"), report.area_code),
        format!(
            "{}: {}",
            say("Generated", "จัดทำเมื่อ"),
            buddhist_era_time(generated_at, language)
        ),
    ];

    let v = &report.visits;
    let f = &report.field_workers;
    let g = &report.grievances;
    let figure = |en, th, value: Cell| vec![Cell::from(say(en, th)), value];
    let key_figures = CoverTable {
        title: say("The week in figures", "ตัวเลขสำคัญของสัปดาห์"),
        columns: vec![say("Item", "รายการ"), say("Value", "จำนวน")],
        rows: vec![
            figure("Visits", "การลงพื้นที่ (ครั้ง)", Cell::Int(v.total)),
            figure(
                "Households visited",
                "ครัวเรือนที่เยี่ยม",
                Cell::Int(v.households_visited),
            ),
            figure(
                "People reached",
                "ผู้ได้รับบริการ (คน)",
                Cell::Int(v.people_reached),
            ),
            figure(
                "Field workers registered",
                "ผู้ปฏิบัติงานทั้งหมด",
                Cell::Int(f.registered),
            ),
            figure("Went out", "ลงพื้นที่แล้ว", Cell::Int(f.active)),
            figure("Met their plan", "เป็นไปตามแผน", Cell::Int(f.compliant)),
            figure(
                "Compliance rate",
                "อัตราการปฏิบัติตามแผน",
                Cell::Float(f.compliance_rate),
            ),
            figure("Grievances filed", "เรื่องร้องทุกข์ใหม่", Cell::Int(g.new)),
            figure("Grievances resolved", "แก้ไขแล้ว", Cell::Int(g.resolved)),
            figure(
                "Open at the week's end",
                "ค้างเมื่อสิ้นสัปดาห์",
                Cell::Int(g.open_at_end),
            ),
            figure("Overdue", "เลยกำหนด", Cell::Int(g.overdue)),
            figure(
                "Median hours to resolve",
                "มัธยฐานชั่วโมงจนแก้ไขเสร็จ",
                Cell::from(g.median_hours_to_resolve),
            ),
            figure(
                "Subdistricts visited",
                "ตำบลที่ลงพื้นที่",
                Cell::Int(report.coverage.subdistricts_visited),
            ),
            figure(
                "Subdistricts in the area",
                "ตำบลทั้งหมดในพื้นที่",
                Cell::Int(report.coverage.subdistricts_total),
            ),
        ],
        chart_of: None,
    };

    // Visits and compliance side by side per sub-area, in code order.
    let mut codes: Vec<&str> = v
        .by_area
        .iter()
        .map(|a| a.area_code.as_str())
        .chain(f.by_area.iter().map(|a| a.area_code.as_str()))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let by_area = CoverTable {
        title: say("By sub-area", "แยกตามพื้นที่ย่อย"),
        columns: vec![
            say("Area", "พื้นที่"),
            say("Visits", "การลงพื้นที่ (ครั้ง)"),
            say("Field workers", "ผู้ปฏิบัติงาน"),
            say("Met their plan", "เป็นไปตามแผน"),
            say("Compliance rate", "อัตราการปฏิบัติตามแผน"),
        ],
        rows: codes
            .into_iter()
            .map(|code| {
                let visits = v.by_area.iter().find(|a| a.area_code == code);
                let workers = f.by_area.iter().find(|a| a.area_code == code);
                let name = visits
                    .map(|a| a.name_th.as_str())
                    .or(workers.map(|a| a.name_th.as_str()))
                    .unwrap_or_default();
                vec![
                    Cell::from(format!("{code} {name}")),
                    Cell::Int(visits.map_or(0, |a| a.count)),
                    Cell::Int(workers.map_or(0, |a| a.registered)),
                    Cell::Int(workers.map_or(0, |a| a.compliant)),
                    Cell::Float(workers.map_or(0.0, |a| a.compliance_rate)),
                ]
            })
            .collect(),
        chart_of: Some(1),
    };

    let counted = |title: String, counts: Vec<(String, i64)>| CoverTable {
        title,
        columns: vec![say("Item", "รายการ"), say("Count", "จำนวน")],
        rows: counts
            .into_iter()
            .map(|(name, n)| vec![Cell::from(name), Cell::Int(n)])
            .collect(),
        chart_of: Some(1),
    };
    let by_group = counted(
        say("Visits by target group", "การลงพื้นที่แยกตามกลุ่มเป้าหมาย"),
        v.by_target_group
            .iter()
            .map(|(name, n)| {
                (
                    label_named::<TargetGroup>(name, language).unwrap_or_else(|| name.clone()),
                    *n,
                )
            })
            .collect(),
    );
    let by_activity = counted(
        say("Visits by activity", "การลงพื้นที่แยกตามกิจกรรม"),
        v.by_activity
            .iter()
            .map(|(name, n)| {
                (
                    label_named::<Activity>(name, language).unwrap_or_else(|| name.clone()),
                    *n,
                )
            })
            .collect(),
    );
    let by_category = counted(
        say("New grievances by category", "เรื่องร้องทุกข์ใหม่แยกตามประเภท"),
        g.by_category
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(name, n)| {
                (
                    label_named::<Category>(name, language).unwrap_or_else(|| name.clone()),
                    *n,
                )
            })
            .collect(),
    );

    Cover {
        sheet_name: match language {
            Language::Thai => "สรุป",
            Language::English => "Summary",
        },
        title: say("Weekly field report", "รายงานผลการลงพื้นที่ประจำสัปดาห์"),
        lines,
        tables: vec![key_figures, by_area, by_group, by_activity, by_category],
    }
}
