//! What the console says, in Thai and in English, and how it writes a time: Buddhist-Era
//! year, Bangkok clock. Labels of enumerated values (statuses, categories, ...) are not
//! here: they come from `domain::labels`, the table `GET /meta/labels` serves.

use chrono::{DateTime, Utc};

use crate::domain::{
    bangkok_date, buddhist_era_date, buddhist_era_time, Labelled, Language, Status,
};

/// Every sentence and heading of the console's pages, in one language.
pub struct Words {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub other_lang_name: &'static str,
    pub app_name: &'static str,
    pub skip_to_content: &'static str,
    pub nav_queue: &'static str,
    pub nav_deadlines: &'static str,
    pub nav_workload: &'static str,
    pub nav_map: &'static str,
    pub nav_visits: &'static str,
    pub sign_out: &'static str,
    pub sign_in: &'static str,
    pub sign_in_title: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub wrong_password: &'static str,
    pub account_disabled: &'static str,
    pub locked_out: &'static str,
    pub signed_out: &'static str,
    pub session_ended: &'static str,
    pub volunteers_use_the_app: &'static str,
    pub password_title: &'static str,
    pub password_must_change: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub repeat_password: &'static str,
    pub passwords_differ: &'static str,
    pub change_password: &'static str,
    pub password_changed: &'static str,
    pub queue_title: &'static str,
    pub tab_open: &'static str,
    pub tab_overdue: &'static str,
    pub tab_due_soon: &'static str,
    pub tab_unassigned: &'static str,
    pub tab_mine: &'static str,
    pub tab_all: &'static str,
    pub filters: &'static str,
    pub any: &'static str,
    pub status: &'static str,
    pub category: &'static str,
    pub priority: &'static str,
    pub area: &'static str,
    pub whole_area: &'static str,
    pub assignee: &'static str,
    pub unassigned: &'static str,
    pub assigned_to_me: &'static str,
    pub deadline: &'static str,
    pub filed_from: &'static str,
    pub filed_to: &'static str,
    pub date_hint: &'static str,
    pub search_text: &'static str,
    pub sort: &'static str,
    pub sort_due: &'static str,
    pub sort_priority: &'static str,
    pub sort_newest: &'static str,
    pub sort_oldest: &'static str,
    pub apply_filters: &'static str,
    pub clear_filters: &'static str,
    pub results: &'static str,
    pub no_results: &'static str,
    pub title: &'static str,
    pub filed_at: &'static str,
    pub due_at: &'static str,
    pub reporter: &'static str,
    pub select: &'static str,
    pub select_all_on_page: &'static str,
    pub all_matching: &'static str,
    pub selected_rows: &'static str,
    pub bulk_actions: &'static str,
    pub apply_to_selection: &'static str,
    pub bulk_outcome: &'static str,
    pub succeeded: &'static str,
    pub failed: &'static str,
    pub back_to_queue: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    pub export_csv: &'static str,
    pub export_xlsx: &'static str,
    pub show_on_map: &'static str,
    pub overdue_by: &'static str,
    pub due_in: &'static str,
    pub hours_short: &'static str,
    pub days_short: &'static str,
    pub case_title: &'static str,
    pub details: &'static str,
    pub description: &'static str,
    pub target_groups: &'static str,
    pub complainant: &'static str,
    pub complainant_name: &'static str,
    pub phone: &'static str,
    pub national_id: &'static str,
    pub reveal: &'static str,
    pub reveal_note: &'static str,
    pub none: &'static str,
    pub location: &'static str,
    pub referred_to: &'static str,
    pub version: &'static str,
    pub flags: &'static str,
    pub possible_duplicates: &'static str,
    pub mark_as_duplicate_of_this: &'static str,
    pub duplicate_of: &'static str,
    pub duplicates: &'static str,
    pub photos: &'static str,
    pub photos_waiting: &'static str,
    pub timeline: &'static str,
    pub filed_event: &'static str,
    pub comment: &'static str,
    pub internal_comment: &'static str,
    pub add_comment: &'static str,
    pub actions: &'static str,
    pub no_actions: &'static str,
    pub note: &'static str,
    pub referral_agency: &'static str,
    pub choose_assignee: &'static str,
    pub new_priority: &'static str,
    pub changed_meanwhile: &'static str,
    pub done: &'static str,
    pub deadlines_title: &'static str,
    pub overdue: &'static str,
    pub due_soon: &'static str,
    pub open_cases: &'static str,
    pub resolved_late_this_month: &'static str,
    pub resolved_at: &'static str,
    pub late_by: &'static str,
    pub workload_title: &'static str,
    pub person: &'static str,
    pub role: &'static str,
    pub open_count: &'static str,
    pub overdue_count: &'static str,
    pub oldest_open: &'static str,
    pub resolved_this_week: &'static str,
    pub reassign: &'static str,
    pub view_cases: &'static str,
    pub map_title: &'static str,
    pub map_note: &'static str,
    pub map_capped: &'static str,
    pub visits_title: &'static str,
    pub visits_note: &'static str,
    pub activity: &'static str,
    pub households: &'static str,
    pub people: &'static str,
    pub verify: &'static str,
    pub flag: &'static str,
    pub no_pending_visits: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub forbidden_title: &'static str,
    pub refused_title: &'static str,
    pub csrf_refused: &'static str,
    pub signed_in_as: &'static str,
}

pub static THAI: Words = Words {
    lang: "th",
    other_lang: "en",
    other_lang_name: "English",
    app_name: "fieldweek ระบบติดตามงานภาคสนาม",
    skip_to_content: "ข้ามไปยังเนื้อหา",
    nav_queue: "เรื่องร้องทุกข์",
    nav_deadlines: "กำหนดเวลา",
    nav_workload: "ภาระงาน",
    nav_map: "แผนที่",
    nav_visits: "ตรวจการลงพื้นที่",
    sign_out: "ออกจากระบบ",
    sign_in: "เข้าสู่ระบบ",
    sign_in_title: "เข้าสู่ระบบสำหรับหัวหน้างานและเจ้าหน้าที่",
    username: "ชื่อผู้ใช้",
    password: "รหัสผ่าน",
    wrong_password: "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง",
    account_disabled: "บัญชีนี้ถูกระงับการใช้งาน กรุณาติดต่อผู้ดูแลระบบ",
    locked_out: "พยายามเข้าสู่ระบบหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่",
    signed_out: "ออกจากระบบแล้ว",
    session_ended: "การเข้าใช้งานสิ้นสุดแล้ว กรุณาเข้าสู่ระบบใหม่",
    volunteers_use_the_app: "อาสาสมัคร (อพม.) ใช้งานผ่านแอปบนโทรศัพท์ ส่วนนี้สำหรับหัวหน้างานและเจ้าหน้าที่เท่านั้น",
    password_title: "เปลี่ยนรหัสผ่าน",
    password_must_change: "รหัสผ่านของท่านถูกตั้งโดยผู้อื่น กรุณาตั้งรหัสผ่านใหม่ของท่านเองก่อนใช้งาน",
    current_password: "รหัสผ่านปัจจุบัน",
    new_password: "รหัสผ่านใหม่ (อย่างน้อย 10 ตัวอักษร)",
    repeat_password: "ยืนยันรหัสผ่านใหม่",
    passwords_differ: "รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน",
    change_password: "เปลี่ยนรหัสผ่าน",
    password_changed: "เปลี่ยนรหัสผ่านแล้ว กรุณาเข้าสู่ระบบด้วยรหัสผ่านใหม่",
    queue_title: "คิวเรื่องร้องทุกข์",
    tab_open: "ยังไม่เสร็จ",
    tab_overdue: "เลยกำหนด",
    tab_due_soon: "ครบกำหนดใน 24 ชม.",
    tab_unassigned: "ยังไม่มอบหมาย",
    tab_mine: "ของฉัน",
    tab_all: "ทั้งหมด",
    filters: "ตัวกรอง",
    any: "ทั้งหมด",
    status: "สถานะ",
    category: "ประเภท",
    priority: "ความเร่งด่วน",
    area: "พื้นที่",
    whole_area: "ทั้งพื้นที่รับผิดชอบ",
    assignee: "ผู้รับผิดชอบ",
    unassigned: "ยังไม่มอบหมาย",
    assigned_to_me: "มอบหมายให้ฉัน",
    deadline: "กำหนดเวลา",
    filed_from: "รับเรื่องตั้งแต่วันที่",
    filed_to: "ถึงวันที่",
    date_hint: "วว/ดด/ปปปป (พ.ศ.)",
    search_text: "ค้นหาในหัวเรื่องและรายละเอียด",
    sort: "เรียงตาม",
    sort_due: "ใกล้ครบกำหนดก่อน",
    sort_priority: "เร่งด่วนก่อน",
    sort_newest: "รับเรื่องล่าสุดก่อน",
    sort_oldest: "รับเรื่องเก่าสุดก่อน",
    apply_filters: "กรอง",
    clear_filters: "ล้างตัวกรอง",
    results: "รายการ",
    no_results: "ไม่พบเรื่องตามตัวกรองนี้",
    title: "หัวเรื่อง",
    filed_at: "รับเรื่องเมื่อ",
    due_at: "ครบกำหนด",
    reporter: "ผู้รับแจ้ง",
    select: "เลือก",
    select_all_on_page: "เลือกทั้งหน้านี้",
    all_matching: "ทุกเรื่องที่ตรงตัวกรอง",
    selected_rows: "เฉพาะที่เลือก",
    bulk_actions: "ดำเนินการหลายเรื่องพร้อมกัน",
    apply_to_selection: "ดำเนินการ",
    bulk_outcome: "ผลการดำเนินการหลายเรื่อง",
    succeeded: "สำเร็จ",
    failed: "ไม่สำเร็จ",
    back_to_queue: "กลับไปที่คิว",
    next_page: "หน้าถัดไป",
    first_page: "หน้าแรก",
    export_csv: "ส่งออก CSV",
    export_xlsx: "ส่งออก Excel",
    show_on_map: "ดูบนแผนที่",
    overdue_by: "เลยกำหนด",
    due_in: "เหลือเวลา",
    hours_short: "ชม.",
    days_short: "วัน",
    case_title: "เรื่องร้องทุกข์",
    details: "รายละเอียด",
    description: "รายละเอียดเรื่อง",
    target_groups: "กลุ่มเป้าหมาย",
    complainant: "ผู้ร้อง",
    complainant_name: "ชื่อผู้ร้อง",
    phone: "โทรศัพท์",
    national_id: "เลขประจำตัวประชาชน",
    reveal: "แสดงข้อมูลส่วนบุคคล",
    reveal_note: "การเปิดดูข้อมูลส่วนบุคคลจะถูกบันทึกในประวัติการใช้งาน",
    none: "-",
    location: "ตำแหน่ง",
    referred_to: "ส่งต่อไปยัง",
    version: "ฉบับที่",
    flags: "ข้อสังเกตจากระบบ",
    possible_duplicates: "อาจเป็นเรื่องซ้ำกับ",
    mark_as_duplicate_of_this: "ระบุว่าเรื่องนี้ซ้ำกับเรื่องนั้น",
    duplicate_of: "ซ้ำกับเรื่อง",
    duplicates: "เรื่องที่ซ้ำกับเรื่องนี้",
    photos: "ภาพถ่าย",
    photos_waiting: "รอภาพถ่ายจากโทรศัพท์",
    timeline: "ลำดับเหตุการณ์",
    filed_event: "รับแจ้งเรื่อง",
    comment: "ความเห็น",
    internal_comment: "ความเห็นภายใน (อาสาสมัครไม่เห็น)",
    add_comment: "เพิ่มความเห็น",
    actions: "ขั้นตอนที่ทำได้",
    no_actions: "ไม่มีขั้นตอนที่ท่านทำได้ในสถานะนี้",
    note: "บันทึก",
    referral_agency: "หน่วยงานที่ส่งต่อ",
    choose_assignee: "เลือกผู้รับผิดชอบ",
    new_priority: "ความเร่งด่วนใหม่",
    changed_meanwhile:
        "เรื่องนี้ถูกแก้ไขโดยผู้อื่นระหว่างที่ท่านเปิดดู ด้านล่างคือสถานะล่าสุด กรุณาตรวจสอบแล้วดำเนินการอีกครั้ง",
    done: "บันทึกแล้ว",
    deadlines_title: "กำหนดเวลาโดยสรุป",
    overdue: "เลยกำหนด",
    due_soon: "ครบกำหนดใน 24 ชม.",
    open_cases: "เรื่องที่ยังไม่เสร็จ",
    resolved_late_this_month: "เรื่องที่แก้ไขเสร็จช้ากว่ากำหนดในเดือนนี้",
    resolved_at: "แก้ไขเสร็จเมื่อ",
    late_by: "ช้ากว่ากำหนด",
    workload_title: "ภาระงานของผู้รับผิดชอบ",
    person: "ผู้รับผิดชอบ",
    role: "บทบาท",
    open_count: "เรื่องค้าง",
    overdue_count: "เลยกำหนด",
    oldest_open: "เรื่องค้างนานที่สุด",
    resolved_this_week: "แก้ไขเสร็จสัปดาห์นี้",
    reassign: "มอบหมายใหม่",
    view_cases: "ดูเรื่อง",
    map_title: "แผนที่เรื่องร้องทุกข์",
    map_note: "ตำแหน่งของเรื่องตามตัวกรองปัจจุบัน จัดกลุ่มตามความใกล้กัน บนแผนที่ขอบเขตประเทศไทย",
    map_capped: "แสดงเฉพาะ 5,000 เรื่องแรก กรุณาใช้ตัวกรองให้แคบลง",
    visits_title: "การลงพื้นที่ที่รอตรวจสอบ",
    visits_note: "ตรวจสอบรายงานการลงพื้นที่ในพื้นที่ของท่าน พร้อมภาพถ่ายและข้อสังเกตจากข้อมูล EXIF",
    activity: "กิจกรรม",
    households: "ครัวเรือน",
    people: "คน",
    verify: "ยืนยันว่าถูกต้อง",
    flag: "ตั้งข้อสังเกต",
    no_pending_visits: "ไม่มีการลงพื้นที่ที่รอตรวจสอบ",
    not_found_title: "ไม่พบหน้าที่ต้องการ",
    not_found: "ไม่พบข้อมูลนี้ หรือข้อมูลอยู่นอกพื้นที่รับผิดชอบของท่าน",
    forbidden_title: "ไม่มีสิทธิ์",
    refused_title: "ดำเนินการไม่ได้",
    csrf_refused: "แบบฟอร์มนี้หมดอายุหรือไม่ได้มาจากระบบนี้ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง",
    signed_in_as: "ผู้ใช้งาน",
};

pub static ENGLISH: Words = Words {
    lang: "en",
    other_lang: "th",
    other_lang_name: "ภาษาไทย",
    app_name: "fieldweek field work console",
    skip_to_content: "Skip to content",
    nav_queue: "Grievances",
    nav_deadlines: "Deadlines",
    nav_workload: "Workload",
    nav_map: "Map",
    nav_visits: "Visit review",
    sign_out: "Sign out",
    sign_in: "Sign in",
    sign_in_title: "Sign in for supervisors and officials",
    username: "Username",
    password: "Password",
    wrong_password: "Wrong username or password",
    account_disabled: "This account is disabled; ask an administrator",
    locked_out: "Too many attempts; wait a moment and try again",
    signed_out: "You have signed out",
    session_ended: "Your session has ended; sign in again",
    volunteers_use_the_app: "Volunteers use the phone app; this console is for supervisors and officials",
    password_title: "Change your password",
    password_must_change: "Your password was set by someone else: choose your own before going on",
    current_password: "Current password",
    new_password: "New password (at least 10 characters)",
    repeat_password: "New password again",
    passwords_differ: "The two new passwords differ",
    change_password: "Change password",
    password_changed: "Password changed: sign in with the new one",
    queue_title: "Grievance queue",
    tab_open: "Open",
    tab_overdue: "Overdue",
    tab_due_soon: "Due within 24 h",
    tab_unassigned: "Unassigned",
    tab_mine: "Mine",
    tab_all: "All",
    filters: "Filters",
    any: "Any",
    status: "Status",
    category: "Category",
    priority: "Priority",
    area: "Area",
    whole_area: "My whole area",
    assignee: "Assignee",
    unassigned: "Unassigned",
    assigned_to_me: "Assigned to me",
    deadline: "Deadline",
    filed_from: "Filed from",
    filed_to: "Filed to",
    date_hint: "dd/mm/yyyy (BE)",
    search_text: "Search title and description",
    sort: "Sort by",
    sort_due: "Deadline, soonest first",
    sort_priority: "Most urgent first",
    sort_newest: "Newest first",
    sort_oldest: "Oldest first",
    apply_filters: "Filter",
    clear_filters: "Clear filters",
    results: "results",
    no_results: "No grievance matches these filters",
    title: "Title",
    filed_at: "Filed",
    due_at: "Due",
    reporter: "Reported by",
    select: "Select",
    select_all_on_page: "Select this page",
    all_matching: "Every grievance matching the filter",
    selected_rows: "Selected rows only",
    bulk_actions: "Act on several at once",
    apply_to_selection: "Apply",
    bulk_outcome: "Outcome of the bulk action",
    succeeded: "Done",
    failed: "Not done",
    back_to_queue: "Back to the queue",
    next_page: "Next page",
    first_page: "First page",
    export_csv: "Export CSV",
    export_xlsx: "Export Excel",
    show_on_map: "Show on map",
    overdue_by: "Overdue by",
    due_in: "Due in",
    hours_short: "h",
    days_short: "d",
    case_title: "Grievance",
    details: "Details",
    description: "Description",
    target_groups: "Target groups",
    complainant: "Complainant",
    complainant_name: "Name",
    phone: "Phone",
    national_id: "National ID",
    reveal: "Show personal data",
    reveal_note: "Opening personal data is recorded in the audit log",
    none: "-",
    location: "Location",
    referred_to: "Referred to",
    version: "Version",
    flags: "Flags",
    possible_duplicates: "Possible duplicates",
    mark_as_duplicate_of_this: "Mark this case as its duplicate",
    duplicate_of: "Duplicate of",
    duplicates: "Its duplicates",
    photos: "Photos",
    photos_waiting: "Waiting for photos from the phone",
    timeline: "Timeline",
    filed_event: "Filed",
    comment: "Comment",
    internal_comment: "Internal (hidden from volunteers)",
    add_comment: "Add comment",
    actions: "What you can do now",
    no_actions: "Nothing you may do in this status",
    note: "Note",
    referral_agency: "Refer to",
    choose_assignee: "Choose an assignee",
    new_priority: "New priority",
    changed_meanwhile: "Someone else changed this case while you had it open. Below is its current state: check it and act again.",
    done: "Saved",
    deadlines_title: "Deadlines at a glance",
    overdue: "Overdue",
    due_soon: "Due within 24 h",
    open_cases: "Open cases",
    resolved_late_this_month: "Resolved late this month",
    resolved_at: "Resolved",
    late_by: "Late by",
    workload_title: "Workload per assignee",
    person: "Assignee",
    role: "Role",
    open_count: "Open",
    overdue_count: "Overdue",
    oldest_open: "Oldest open",
    resolved_this_week: "Resolved this week",
    reassign: "Reassign",
    view_cases: "View cases",
    map_title: "Grievance map",
    map_note: "Where the grievances of the current filter are, clustered, over Thailand's outline",
    map_capped: "Showing the first 5,000 only; narrow the filter",
    visits_title: "Visits awaiting review",
    visits_note: "Check the field visits of your area, with their photos and EXIF flags",
    activity: "Activity",
    households: "Households",
    people: "People",
    verify: "Verify",
    flag: "Flag",
    no_pending_visits: "No visit is waiting for review",
    not_found_title: "Not found",
    not_found: "Nothing here, or it lies outside your area",
    forbidden_title: "Not allowed",
    refused_title: "Could not be done",
    csrf_refused: "This form has expired or did not come from this console; reload the page and try again",
    signed_in_as: "Signed in as",
};

pub fn words(language: Language) -> &'static Words {
    match language {
        Language::Thai => &THAI,
        Language::English => &ENGLISH,
    }
}

/// What a person reads for a labelled value, in `language`.
pub fn label<T: Labelled>(value: T, language: Language) -> String {
    let label = value.label();
    match language {
        Language::Thai => label.th.into_owned(),
        Language::English => label.en.into_owned(),
    }
}

/// `4 ธ.ค. 2569 14:30` (or `4 Dec 2569 BE 14:30`): a Bangkok wall-clock time with the
/// Buddhist-Era year, as Thai offices write it.
pub fn when(at: DateTime<Utc>, language: Language) -> String {
    buddhist_era_time(at, language)
}

/// `4 ธ.ค. 2569`: the Bangkok date with the Buddhist-Era year.
pub fn day(at: DateTime<Utc>, language: Language) -> String {
    buddhist_era_date(bangkok_date(at), language)
}

/// Where an open grievance stands against its deadline, as a person says it (`เลยกำหนด
/// 3 วัน 4 ชม.`, `Due in 5 h`); nothing for a closed one.
pub fn deadline(due_at: DateTime<Utc>, status: Status, language: Language) -> String {
    if !status.is_open() {
        return String::new();
    }
    let w = words(language);
    let left = (due_at - Utc::now()).num_seconds();
    let lead = if left < 0 { w.overdue_by } else { w.due_in };
    format!("{lead} {}", span(left, language))
}

/// A span of time as a person says it: `3 วัน 4 ชม.`, `5 ชม.`, `2 d 4 h`.
pub fn span(seconds: i64, language: Language) -> String {
    let w = words(language);
    let hours = seconds.abs() / 3600;
    let (days, hours) = (hours / 24, hours % 24);
    match (days, hours) {
        (0, h) => format!("{h} {}", w.hours_short),
        (d, 0) => format!("{d} {}", w.days_short),
        (d, h) => format!("{d} {} {h} {}", w.days_short, w.hours_short),
    }
}

/// A date as a Thai office writes it, `1/10/2569` (day/month/Buddhist-Era year), or
/// `2569-10-01`, as the ISO date (Gregorian) the API reads; a Gregorian year is taken as
/// it is. `None` for anything else, which the API's own check then reports.
pub fn iso_date_from_thai(text: &str) -> Option<String> {
    let text = text.trim();
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (year, month, day) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    let (year, month, day): (i32, u32, u32) =
        (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    let year = if year >= 2400 { year - 543 } else { year };
    chrono::NaiveDate::from_ymd_opt(year, month, day)
        .map(|date| date.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_read_in_bangkok_with_the_buddhist_era_year() {
        // 17:10 UTC on 31 Dec 2026 is already 1 Jan 2570 in Bangkok.
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 17, 10, 0).unwrap();
        assert_eq!(when(at, Language::Thai), "1 ม.ค. 2570 00:10");
        assert_eq!(when(at, Language::English), "1 Jan 2570 BE 00:10");
        assert_eq!(day(at, Language::Thai), "1 ม.ค. 2570");
    }

    #[test]
    fn thai_dates_are_read_in_the_buddhist_era() {
        assert_eq!(
            iso_date_from_thai("1/10/2569").as_deref(),
            Some("2026-10-01")
        );
        assert_eq!(
            iso_date_from_thai("2569-10-31").as_deref(),
            Some("2026-10-31")
        );
        assert_eq!(
            iso_date_from_thai("2026-10-31").as_deref(),
            Some("2026-10-31")
        );
        assert_eq!(iso_date_from_thai("31/2/2569"), None);
        assert_eq!(iso_date_from_thai("yesterday"), None);
    }

    #[test]
    fn spans_read_in_days_and_hours() {
        assert_eq!(span(5 * 3600 + 59, Language::Thai), "5 ชม.");
        assert_eq!(span(-(2 * 86_400 + 4 * 3600), Language::English), "2 d 4 h");
        assert_eq!(span(3 * 86_400, Language::Thai), "3 วัน");
    }
}
