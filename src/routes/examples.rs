//! Request examples for the API document: one volunteer's day in Mueang Chiang Mai, told
//! in the order the phone app sends it. They refer to each other (the login is the account
//! created, the grievance names the visit), and `tests/api/openapi.rs` sends each one to
//! the server (times moved to today, the assignee made real), so an example that stops
//! being valid fails a test.

use serde_json::{json, Value};

/// The account `users_create` makes and `auth_login` logs in with.
const USERNAME: &str = "malee.s";
const PASSWORD: &str = "ดอกคูณบานริมปิง2569";
const VISIT_ID: &str = "3f2b8c1e-7a4d-4c2e-9b1f-6d5a0e8c7b42";

pub fn login() -> Value {
    json!({"username": USERNAME, "password": PASSWORD})
}

pub fn create_user() -> Value {
    json!({
        "username": USERNAME,
        "display_name": "มาลี ศรีสุข",
        "password": PASSWORD,
        "role": "volunteer",
        "area_code": "5001",
        "phone": "089-123-4567",
    })
}

/// A home visit in Chiang Mai's old town (subdistrict 500102, พระสิงห์).
pub fn visit() -> Value {
    json!({
        "id": VISIT_ID,
        "visited_at": "2026-12-03T10:30:00+07:00",
        "location": {"lat": 18.7883, "lon": 98.9853, "accuracy_m": 8.5},
        "area_code": "500102",
        "target_groups": ["elderly", "disabled"],
        "activity": "home_visit",
        "households_visited": 3,
        "people_reached": 7,
        "summary": "เยี่ยมบ้านผู้สูงอายุติดเตียง อายุ 82 ปี หลังผ่าตัดสะโพก มีลูกสาวเป็นผู้ดูแลหลัก \
                    ต้องการรถเข็นและแผ่นรองซับ",
        "needs": ["รถเข็นวีลแชร์", "แผ่นรองซับผู้ใหญ่", "ลงทะเบียนคนพิการ"],
        "follow_up_needed": true,
    })
}

/// Two visits synced at once after a day offline; the second leaves its subdistrict to
/// the server.
pub fn visit_batch() -> Value {
    json!({
        "visits": [
            visit(),
            {
                "id": "b8e1d5a2-4c6f-4e0b-8a3d-2f7c9e1b5d60",
                "visited_at": "2026-12-03T14:00:00+07:00",
                "location": {"lat": 18.7883, "lon": 98.9853, "accuracy_m": 15.0},
                "target_groups": ["families", "low_income"],
                "activity": "community_meeting",
                "households_visited": 12,
                "people_reached": 25,
                "summary": "ประชุมประชาคมชุมชน ชี้แจงการลงทะเบียนสวัสดิการแห่งรัฐและโครงการบ้านมั่นคง",
                "needs": [],
                "follow_up_needed": false,
            },
        ],
    })
}

/// Heard during the visit above, with the complainant's consent.
pub fn grievance() -> Value {
    json!({
        "id": "9c4e7f10-2b3a-4d5e-8f61-7a8b9c0d1e2f",
        "reported_at": "2026-12-03T10:45:00+07:00",
        "location": {"lat": 18.7883, "lon": 98.9853, "accuracy_m": 8.5},
        "area_code": "500102",
        "category": "elderly",
        "priority": "high",
        "title": "ผู้สูงอายุติดเตียงไม่มีผู้ดูแลในเวลากลางวัน",
        "description": "ผู้สูงอายุ 82 ปี ติดเตียง ลูกสาวออกไปรับจ้างตั้งแต่เช้าถึงเย็น ไม่มีผู้ดูแลระหว่างวัน \
                        ขอความช่วยเหลือจัดหาผู้ดูแลและตรวจสอบสิทธิ์เบี้ยยังชีพ",
        "target_groups": ["elderly", "disabled"],
        "visit_id": VISIT_ID,
        "complainant": {"name": "นางสมศรี ใจดี", "phone": "081-234-5678", "consent": true},
    })
}

pub fn household() -> Value {
    json!({
        "id": "5b0d6a7e-3c2f-4e81-9d4a-2f6e8c1b7a90",
        "location": {"lat": 18.7883, "lon": 98.9853, "accuracy_m": 8.5},
        "area_code": "500102",
        "address": "12 หมู่ 3 บ้านสันป่าสัก",
        "consent": true,
        "members": [
            {
                "id": "0e7c3b2a-6f1d-4a58-b9c4-8d2e1f0a7b63",
                "name": "นางบุญมา ใจดี",
                "birth_year": 2487,
                "sex": "female",
                "target_groups": ["elderly", "disabled"],
                "phone": "081-234-5678",
                "notes": "ติดเตียง ลูกสาวเป็นผู้ดูแลหลัก",
            },
            {"birth_year": 2555, "sex": "male", "target_groups": ["children"]},
        ],
    })
}

pub fn grievance_batch() -> Value {
    let mut second = grievance();
    second["id"] = json!("3f2e1d0c-9b8a-4765-8432-10fedcba9876");
    second["reported_at"] = json!("2026-12-01T16:20:00+07:00");
    second["category"] = json!("poverty");
    second["priority"] = json!("normal");
    second["title"] = json!("ครอบครัวรายได้น้อยขาดค่าเล่าเรียนบุตร");
    second["description"] = json!("บิดาตกงานตั้งแต่เดือนตุลาคม บุตรสองคนเสี่ยงหลุดจากระบบการศึกษา");
    second["target_groups"] = json!(["children", "low_income"]);
    if let Some(fields) = second.as_object_mut() {
        fields.remove("visit_id");
        fields.remove("complainant");
    }
    json!({"grievances": [grievance(), second]})
}

pub fn comment() -> Value {
    json!({
        "id": "e2a7c4d1-5b3f-4a6e-9c8d-0f1e2d3c4b5a",
        "body": "โทรคุยกับลูกสาวผู้ร้องแล้ว นัดลงพื้นที่ประเมินร่วมกับ อสม. วันพุธที่ 9 ธันวาคม",
        "internal": false,
    })
}

pub fn accept() -> Value {
    json!({"action": "accept"})
}

pub fn assign() -> Value {
    json!({
        "action": "assign",
        "assignee_id": "5d0c8a4e-1f2b-4c3d-9e8f-7a6b5c4d3e2f",
        "note": "มอบหมายนักพัฒนาสังคมประจำอำเภอเมืองเชียงใหม่",
    })
}

pub fn mark_duplicate() -> Value {
    json!({
        "action": "mark_duplicate",
        "duplicate_of": "3f2e1d0c-9b8a-4765-8432-10fedcba9876",
        "note": "ครอบครัวเดียวกัน แจ้งซ้ำผ่านอาสาสมัครอีกคน",
    })
}

pub fn refer() -> Value {
    json!({
        "action": "refer",
        "referred_to": "ผส.",
        "note": "ส่งต่อกรมกิจการผู้สูงอายุเพื่อจัดหาผู้ดูแลและตรวจสอบเบี้ยยังชีพ",
    })
}
