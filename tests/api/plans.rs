//! Plans from above: a supervisor sets the plans of its area's people, and an area's
//! plan rolls up from them, by person and by sub-area.

use chrono::Utc;
use fieldweek::domain::{FiscalYear, Role};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};
use crate::visits::{file_ok, visit};

fn plan(days: i32, visits: i32) -> Value {
    json!({"weekly_field_days": days, "visits_target": visits, "households_target": 100, "grievances_resolved_target": 5})
}

#[tokio::test]
async fn a_supervisor_sets_its_peoples_plans_and_reads_the_area_rolled_up() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    let peer = app.user("sup.cm2", Role::Supervisor, "50").await;
    let far = app.user("sup.cr", Role::Supervisor, "57").await;
    let near = app
        .user_named("vol.near", "กานดา ใกล้", Role::Volunteer, "500101")
        .await;
    let other = app
        .user_named("vol.other", "ขวัญ อื่น", Role::Volunteer, "5002")
        .await;
    let official = app
        .user_named("off.cm", "คมสัน จังหวัด", Role::Official, "50")
        .await;
    let year = FiscalYear::containing_instant(Utc::now()).unwrap();
    let for_user = |id: &str| format!("/api/v1/plans/{}/users/{id}", year.be());

    let response = app
        .send_as(&supervisor, Method::PUT, &for_user(&near.id), &plan(3, 120))
        .await;
    assert_eq!(response.status(), 200);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["user_id"], near.id.as_str());
    assert_eq!(stored["targets"]["weekly_field_days"], 3);
    let response = app
        .send_as(&supervisor, Method::PUT, &for_user(&other.id), &plan(1, 60))
        .await;
    assert_eq!(response.status(), 200);
    let set = app.audit_entries("plan.set");
    assert_eq!(set.len(), 2);
    assert_eq!(set[0].0.as_deref(), Some(supervisor.id.as_str()));
    assert_eq!(set[0].2["user_id"], near.id.as_str());

    // Not a peer's plan, not outside the area, not by a volunteer, not a bad plan.
    let problem = assert_problem(
        app.send_as(&supervisor, Method::PUT, &for_user(&peer.id), &plan(1, 1))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("volunteers"));
    assert_problem(
        app.send_as(&far, Method::PUT, &for_user(&near.id), &plan(1, 1))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.send_as(&other, Method::PUT, &for_user(&near.id), &plan(1, 1))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.send_as(&supervisor, Method::PUT, &for_user(&near.id), &plan(8, 1))
            .await,
        422,
        "validation_failed",
    )
    .await;
    // The person reads the plan set for them as their own.
    let (status, own) = app
        .get_as(&near, &format!("/api/v1/plans/{}/progress", year.be()))
        .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["plan"]["targets"]["visits_target"], 120);

    file_ok(&app, &near, &visit(&uuid::Uuid::new_v4().to_string())).await;
    file_ok(&app, &near, &visit(&uuid::Uuid::new_v4().to_string())).await;

    let progress_path = format!("/api/v1/plans/{}/progress?area=50", year.be());
    let (status, area) = app.get_as(&supervisor, &progress_path).await;
    assert_eq!(status, 200, "{area}");
    assert_eq!(area["area_code"], "50");
    assert_eq!(area["fiscal_year"], year.be());
    let totals = &area["totals"];
    assert_eq!(
        totals["people"], 3,
        "two volunteers and the official: {area}"
    );
    assert_eq!(totals["people_with_plan"], 2);
    assert_eq!(totals["targets"]["visits_target"], 180);
    assert_eq!(totals["targets"]["weekly_field_days"], 4);
    assert_eq!(totals["done"]["visits"], 2.0);
    let fraction = area["elapsed_fraction"].as_f64().unwrap();
    let expected = totals["expected_by_today"]["visits"].as_f64().unwrap();
    assert!(
        (expected - 180.0 * fraction).abs() < 0.05,
        "{expected} {fraction}"
    );

    let people = area["people"].as_array().unwrap();
    let names: Vec<&str> = people
        .iter()
        .map(|p| p["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["คมสัน จังหวัด", "กานดา ใกล้", "ขวัญ อื่น"],
        "by area, then name"
    );
    assert_eq!(area["people_total"], 3);
    let person = |id: &str| people.iter().find(|p| p["user_id"] == id).unwrap();
    assert_eq!(person(&near.id)["done"]["visits"], 2.0);
    assert_eq!(person(&near.id)["done"]["field_days"], 1.0);
    assert_eq!(person(&near.id)["targets"]["visits_target"], 120);
    assert!(person(&near.id)["on_pace"]["visits"].is_boolean());
    assert_eq!(person(&official.id)["targets"], Value::Null, "no plan");
    assert_eq!(person(&official.id)["on_pace"], Value::Null);

    let by_area: Vec<(&str, i64)> = area["by_area"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["area_code"].as_str().unwrap(),
                a["people"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_area, [("50", 1), ("5001", 1), ("5002", 1)]);
    assert_eq!(area["by_area"][1]["name_th"], "เมืองเชียงใหม่");
    assert_eq!(area["by_area"][1]["targets"]["visits_target"], 120);
    assert_eq!(area["by_area"][1]["done"]["visits"], 2.0);

    // The district's own view has its subdistricts; a volunteer has no area view; another
    // province is refused; user and area together are one too many.
    let (status, district) = app
        .get_as(
            &official,
            &format!("/api/v1/plans/{}/progress?area=5001", year.be()),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(district["totals"]["people"], 1);
    assert_eq!(district["by_area"][0]["area_code"], "500101");
    assert_eq!(
        app.get_as(&near, &progress_path).await.0,
        403,
        "volunteers read only their own"
    );
    assert_eq!(
        app.get_as(
            &supervisor,
            &format!("/api/v1/plans/{}/progress?area=57", year.be())
        )
        .await
        .0,
        403
    );
    let (status, problem) = app
        .get_as(
            &supervisor,
            &format!(
                "/api/v1/plans/{}/progress?area=50&user={}",
                year.be(),
                near.id
            ),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("validation_failed"))
    );
}

/// The weekly report counts a field worker compliant when the week's field days reach
/// their plan's `weekly_field_days`, one day without a plan.
#[tokio::test]
async fn weekly_compliance_is_measured_against_each_plan() {
    let app = spawn_app().await;
    let supervisor = app.user("sup.cm", Role::Supervisor, "50").await;
    let planned = app
        .user_named("vol.two", "สองวัน แผน", Role::Volunteer, "500101")
        .await;
    let idle = app
        .user_named("vol.idle", "ไม่ได้ ออก", Role::Volunteer, "5002")
        .await;
    let official = app
        .user_named("off.cm", "หนึ่งวัน พอ", Role::Official, "50")
        .await;
    let at = Utc::now() - chrono::Duration::hours(1);
    let week = fieldweek::domain::IsoWeek::containing(at, chrono::Weekday::Mon);
    let year = FiscalYear::containing(week.first_day(chrono::Weekday::Mon)).unwrap();
    let response = app
        .send_as(
            &supervisor,
            Method::PUT,
            &format!("/api/v1/plans/{}/users/{}", year.be(), planned.id),
            &plan(2, 100),
        )
        .await;
    assert_eq!(response.status(), 200);
    for author in [&planned, &planned, &official] {
        let mut body = visit(&uuid::Uuid::new_v4().to_string());
        body["visited_at"] = json!(at.to_rfc3339());
        file_ok(&app, author, &body).await;
    }

    let (status, report) = app
        .get_as(
            &supervisor,
            &format!("/api/v1/reports/weekly?week={week}&area=50"),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    let workers = &report["field_workers"];
    assert_eq!(workers["registered"], 3);
    assert_eq!(workers["active"], 2, "went out at all");
    assert_eq!(
        workers["compliant"], 1,
        "only the official met its (default) plan"
    );
    assert_eq!(workers["compliance_rate"], 0.333);
    assert_eq!(workers["below_plan_total"], 2);
    assert_eq!(
        workers["below_plan"],
        json!([
            {"user_id": planned.id, "display_name": "สองวัน แผน", "area_code": "500101", "field_days": 1, "planned_days": 2},
            {"user_id": idle.id, "display_name": "ไม่ได้ ออก", "area_code": "5002", "field_days": 0, "planned_days": 1},
        ])
    );
    assert_eq!(
        workers["by_area"],
        json!([
            {"area_code": "50", "name_th": "เชียงใหม่", "registered": 1, "compliant": 1, "compliance_rate": 1.0},
            {"area_code": "5001", "name_th": "เมืองเชียงใหม่", "registered": 1, "compliant": 0, "compliance_rate": 0.0},
            {"area_code": "5002", "name_th": "จอมทอง", "registered": 1, "compliant": 0, "compliance_rate": 0.0},
        ])
    );
}
