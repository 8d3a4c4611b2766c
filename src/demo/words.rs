//! The Thai vocabulary demo records are assembled from: names, visit summaries,
//! grievance titles and workflow notes. Small lists, combined at random, read like
//! what volunteers actually type.

use crate::domain::Category;
use crate::domain::TargetGroup;

pub const GIVEN_NAMES: &[&str] = &[
    "สมชาย",
    "สมศักดิ์",
    "ประเสริฐ",
    "วิชัย",
    "สุรชัย",
    "อนันต์",
    "ธนพล",
    "กิตติ",
    "ณัฐพล",
    "ชัยวัฒน์",
    "บุญมี",
    "สมบัติ",
    "ประสิทธิ์",
    "วีระ",
    "สมศรี",
    "มาลี",
    "สุดารัตน์",
    "วันเพ็ญ",
    "กาญจนา",
    "นงลักษณ์",
    "ปราณี",
    "อรุณี",
    "จันทร์เพ็ญ",
    "พรทิพย์",
    "สุภาพร",
    "รัตนา",
    "ศิริพร",
    "บุญเรือน",
    "อัมพร",
    "ลำดวน",
];

/// Given names above this index are women's; the first ones are men's.
pub const FIRST_WOMANS_NAME: usize = 14;

pub const SURNAMES: &[&str] = &[
    "ใจดี",
    "สุขสวัสดิ์",
    "ศรีสุข",
    "แก้วมณี",
    "บุญมา",
    "ทองดี",
    "จันทร์แก้ว",
    "วงศ์ใหญ่",
    "พรหมมา",
    "สมบูรณ์",
    "มีสุข",
    "คำแสน",
    "ทองคำ",
    "ศรีวงศ์",
    "อินทร์แก้ว",
    "แสงทอง",
    "บุญเรือง",
    "ชัยมงคล",
    "ปัญญาดี",
    "สุวรรณรัตน์",
    "เพชรสุวรรณ",
    "นาคสุข",
    "ดวงแก้ว",
    "ธรรมวงศ์",
];

/// What a visit to each target group was mostly about.
pub fn visit_topics(group: TargetGroup) -> &'static [&'static str] {
    match group {
        TargetGroup::Elderly => &[
            "เยี่ยมบ้านผู้สูงอายุติดเตียง",
            "ติดตามผู้สูงอายุที่อยู่ลำพัง",
            "ประเมินความต้องการของผู้สูงอายุในชุมชน",
            "ช่วยผู้สูงอายุยื่นเรื่องขอเบี้ยยังชีพ",
        ],
        TargetGroup::Disabled => &[
            "ประสานหน่วยงานเรื่องเบี้ยความพิการ",
            "เยี่ยมคนพิการและผู้ดูแล",
            "ช่วยคนพิการยื่นเรื่องขอกายอุปกรณ์",
            "ติดตามการทำบัตรประจำตัวคนพิการ",
        ],
        TargetGroup::Children => &[
            "ติดตามเด็กนักเรียนยากจน",
            "เยี่ยมเด็กในครอบครัวเปราะบาง",
            "ติดตามเด็กแรกเกิดตามโครงการเงินอุดหนุน",
            "เยี่ยมเด็กกำพร้าที่อยู่กับญาติ",
        ],
        TargetGroup::Youth => &[
            "พูดคุยกับเยาวชนกลุ่มเสี่ยงเรื่องยาเสพติด",
            "ติดตามเยาวชนที่ออกจากโรงเรียนกลางคัน",
            "แนะแนวอาชีพให้เยาวชนว่างงาน",
        ],
        TargetGroup::Women => &[
            "ให้คำปรึกษาหญิงตั้งครรภ์ไม่พร้อม",
            "ติดตามผู้หญิงที่ถูกกระทำความรุนแรง",
            "เยี่ยมแม่เลี้ยงเดี่ยวที่ขาดรายได้",
        ],
        TargetGroup::Families => &[
            "เยี่ยมครอบครัวเปราะบาง",
            "ไกล่เกลี่ยปัญหาความขัดแย้งในครอบครัว",
            "ติดตามครอบครัวที่มีผู้ป่วยเรื้อรัง",
        ],
        TargetGroup::Underprivileged => &[
            "สำรวจครัวเรือนผู้ยากไร้",
            "มอบถุงยังชีพให้ผู้ยากไร้",
            "ติดตามผู้ไร้ที่พึ่งในชุมชน",
        ],
        TargetGroup::LowIncome => &[
            "ช่วยลงทะเบียนบัตรสวัสดิการแห่งรัฐ",
            "ติดตามครัวเรือนรายได้น้อย",
            "แนะนำการฝึกอาชีพเสริมให้ครัวเรือนรายได้น้อย",
        ],
        TargetGroup::Homeless => &["ลงพื้นที่พบคนไร้บ้านใต้สะพาน", "ประสานศูนย์คุ้มครองคนไร้ที่พึ่งรับคนไร้บ้าน"],
        TargetGroup::Beggars => &[
            "ลงพื้นที่ตรวจสอบผู้ทำการขอทานบริเวณตลาด",
            "พูดคุยกับผู้ทำการขอทานและส่งต่อหน่วยงาน",
        ],
    }
}

/// What was found: the middle sentence of a summary.
pub const VISIT_FINDINGS: &[&str] = &[
    "พบว่ารายได้ไม่เพียงพอต่อการดำรงชีพ",
    "ญาติดูแลใกล้ชิด สภาพทั่วไปดี",
    "บ้านทรุดโทรม ต้องการการซ่อมแซม",
    "ยังไม่ได้ลงทะเบียนรับสวัสดิการ",
    "มีภาวะซึมเศร้า ควรได้รับการดูแลต่อเนื่อง",
    "ต้องการค่าเดินทางไปโรงพยาบาล",
    "สมาชิกในครอบครัวว่างงาน",
    "ผู้ดูแลเป็นผู้สูงอายุเช่นกัน",
    "ได้รับความช่วยเหลือจาก อปท. แล้วบางส่วน",
    "ขาดเอกสารสำคัญประจำตัว",
];

/// What happens next: the last sentence of a summary.
pub const VISIT_OUTCOMES: &[&str] = &[
    "นัดติดตามอีกครั้งสัปดาห์หน้า",
    "ส่งต่อข้อมูลให้ พม.จังหวัด",
    "ประสาน อปท. ในพื้นที่แล้ว",
    "แนะนำสิทธิสวัสดิการที่ควรได้รับ",
    "ประสาน รพ.สต. ให้ลงเยี่ยมร่วม",
    "บันทึกข้อมูลเข้าระบบแล้ว",
];

/// What a household asked for.
pub const NEEDS: &[&str] = &[
    "รถเข็น",
    "ผ้าอ้อมผู้ใหญ่",
    "ถุงยังชีพ",
    "ซ่อมแซมบ้าน",
    "ทุนการศึกษา",
    "เบี้ยความพิการ",
    "เบี้ยยังชีพผู้สูงอายุ",
    "ฝึกอาชีพ",
    "ที่พักชั่วคราว",
    "ค่ารักษาพยาบาล",
    "กายอุปกรณ์",
    "ค่าเดินทางไปโรงพยาบาล",
];

pub const REVIEW_FLAG_NOTES: &[&str] = &[
    "พิกัดไม่ตรงกับพื้นที่ที่รายงาน กรุณาตรวจสอบ",
    "สรุปสั้นเกินไป ขอรายละเอียดเพิ่มเติม",
    "จำนวนผู้ได้รับประโยชน์ไม่สอดคล้องกับกิจกรรม",
];

/// Titles of grievances by category.
pub fn grievance_titles(category: Category) -> &'static [&'static str] {
    match category {
        Category::FamilyViolence => &[
            "ภรรยาถูกสามีทำร้ายร่างกาย",
            "เด็กถูกทำร้ายในครอบครัว",
            "ผู้สูงอายุถูกบุตรหลานทำร้าย",
        ],
        Category::TeenPregnancy => &["นักเรียนหญิงตั้งครรภ์ไม่พร้อม", "แม่วัยรุ่นขาดผู้ดูแล"],
        Category::HumanTrafficking => &["สงสัยมีการบังคับใช้แรงงานเด็ก", "ถูกหลอกไปทำงานต่างประเทศ"],
        Category::Drugs => &[
            "บุตรติดยาเสพติด ครอบครัวขอความช่วยเหลือ",
            "ผู้ป่วยจิตเวชจากยาเสพติดก่อความรุนแรง",
        ],
        Category::Homeless => &["คนไร้บ้านนอนริมถนน ต้องการที่พัก", "ผู้สูงอายุถูกทิ้งไว้ที่สถานีขนส่ง"],
        Category::Begging => &["พบผู้ทำการขอทานพร้อมเด็กเล็ก", "ขอทานต่างด้าวบริเวณตลาดนัด"],
        Category::ChildrenYouth => &[
            "เด็กกำพร้าขาดผู้อุปการะ",
            "เด็กหลุดออกจากระบบการศึกษา",
            "เด็กถูกปล่อยปละละเลย",
        ],
        Category::MissingPerson => &["ผู้สูงอายุสมองเสื่อมหายออกจากบ้าน", "บุตรสาววัยรุ่นหายออกจากบ้าน"],
        Category::Elderly => &[
            "ผู้สูงอายุอยู่ลำพัง ไม่มีผู้ดูแล",
            "ผู้สูงอายุติดเตียงขาดแคลนผ้าอ้อม",
            "ผู้สูงอายุยังไม่ได้รับเบี้ยยังชีพ",
        ],
        Category::Disability => &[
            "คนพิการยังไม่ได้รับเบี้ยความพิการ",
            "ต้องการรถเข็นสำหรับคนพิการ",
            "คนพิการต้องการฝึกอาชีพ",
        ],
        Category::Poverty => &[
            "ครอบครัวยากจน ขาดรายได้",
            "ไม่มีเงินซื้ออาหารให้บุตร",
            "ตกงานและไม่มีเงินจ่ายค่าเช่าบ้าน",
        ],
        Category::Housing => &["บ้านทรุดโทรม หลังคารั่ว", "ถูกไล่ที่ ไม่มีที่อยู่อาศัย", "บ้านถูกน้ำท่วมเสียหาย"],
        Category::Debt => &["มีหนี้นอกระบบ ถูกทวงหนี้ข่มขู่", "ถูกยึดที่ดินเพราะหนี้สิน"],
        Category::Other => &["ขอคำปรึกษาเรื่องสิทธิสวัสดิการ", "ขอความช่วยเหลือเรื่องเอกสารราชการ"],
    }
}

/// The middle sentences of a grievance's description.
pub const GRIEVANCE_DETAILS: &[&str] = &[
    "ผู้ร้องแจ้งว่าเกิดเหตุมาแล้วหลายสัปดาห์",
    "เพื่อนบ้านเป็นผู้แจ้งเรื่อง",
    "ครอบครัวมีสมาชิกห้าคน รายได้ไม่แน่นอน",
    "ผู้นำชุมชนรับทราบและขอให้เร่งช่วยเหลือ",
    "ผู้ร้องเคยแจ้งหน่วยงานอื่นแล้วแต่ยังไม่ได้รับการช่วยเหลือ",
];

/// What the complainant asks for: the last sentence of a description.
pub const GRIEVANCE_REQUESTS: &[&str] = &[
    "ขอให้หน่วยงานลงพื้นที่ตรวจสอบ",
    "ขอรับเงินสงเคราะห์ครอบครัว",
    "ขอให้ประสานหน่วยงานที่เกี่ยวข้อง",
    "ขอที่พักชั่วคราว",
    "ขอคำปรึกษาด้านกฎหมาย",
];

pub const REJECT_NOTES: &[&str] = &[
    "ไม่อยู่ในอำนาจหน้าที่ แนะนำให้ติดต่อหน่วยงานที่เกี่ยวข้อง",
    "ข้อมูลซ้ำกับเรื่องที่รับไว้แล้ว",
    "ตรวจสอบแล้วไม่พบข้อเท็จจริงตามที่แจ้ง",
];

pub const ASSIGN_NOTES: &[&str] = &["มอบหมายให้ลงพื้นที่ตรวจสอบข้อเท็จจริง", "ขอให้ประสานผู้นำชุมชนก่อนลงพื้นที่"];

pub const RESOLVE_NOTES: &[&str] = &[
    "ให้ความช่วยเหลือเงินสงเคราะห์ครอบครัวแล้ว",
    "ประสานหน่วยงานจนผู้ร้องได้รับสิทธิแล้ว",
    "ส่งเข้ารับการดูแลในสถานสงเคราะห์แล้ว",
    "มอบถุงยังชีพและติดตามอาการแล้ว",
];

pub const REFER_NOTES: &[&str] = &[
    "ส่งต่อเพื่อดำเนินการตามอำนาจหน้าที่",
    "เกินศักยภาพของพื้นที่ ขอส่งต่อหน่วยงานเฉพาะ",
];

pub const REOPEN_NOTES: &[&str] = &["ผู้ร้องแจ้งว่ายังไม่ได้รับความช่วยเหลือตามที่แจ้ง"];

/// Where a grievance of this category is referred: a ministry department by its
/// abbreviation (what `referred_to` stores for them), or another agency by name.
pub fn referral_agencies(category: Category) -> &'static [&'static str] {
    match category {
        Category::Elderly => &["ผส."],
        Category::Disability => &["พก."],
        Category::ChildrenYouth | Category::TeenPregnancy => &["ดย."],
        Category::FamilyViolence => &["สค.", "ดย."],
        Category::HumanTrafficking => &["สำนักงานตำรวจแห่งชาติ", "สค."],
        Category::Drugs => &["ศูนย์ปรับเปลี่ยนพฤติกรรม", "ดย."],
        Category::MissingPerson => &["ศูนย์ข้อมูลคนหาย", "สำนักงานตำรวจแห่งชาติ"],
        Category::Poverty
        | Category::Homeless
        | Category::Begging
        | Category::Housing
        | Category::Debt
        | Category::Other => &["พส."],
    }
}

/// The target groups a grievance of this category usually concerns.
pub fn grievance_groups(category: Category) -> &'static [TargetGroup] {
    use TargetGroup::*;
    match category {
        Category::FamilyViolence => &[Women, Families],
        Category::TeenPregnancy => &[Youth, Women],
        Category::HumanTrafficking => &[Children, Youth],
        Category::Drugs => &[Youth],
        Category::Homeless => &[Homeless],
        Category::Begging => &[Beggars],
        Category::ChildrenYouth => &[Children],
        Category::MissingPerson => &[Elderly],
        Category::Elderly => &[Elderly],
        Category::Disability => &[Disabled],
        Category::Poverty => &[LowIncome, Underprivileged],
        Category::Housing => &[LowIncome, Families],
        Category::Debt => &[LowIncome],
        Category::Other => &[],
    }
}
