//! What people read for each enumerated value, in Thai and English: the one table the API
//! (`GET /meta/labels`), the exports and the consoles show. The code stays the stable
//! name; only these words change.

use super::message::{Language, Message};
use super::named::Named;
use super::{
    Action, Activity, Category, Due, Priority, ReviewStatus, Role, Sex, Status, TargetGroup,
};

/// An enumerated value people read by name.
pub trait Labelled: Named {
    /// Its name in `GET /meta/labels` (`category`, `target_group`, ...).
    const LABELS: &'static str;

    fn label(self) -> Message;

    /// The label in the reader's language.
    fn label_in(self, language: Language) -> String {
        self.label().in_language(language).to_owned()
    }
}

/// A stored name of `T` as its label in `language`; `None` for a name no longer in the
/// vocabulary.
pub fn label_named<T: Labelled>(name: &str, language: Language) -> Option<String> {
    T::from_name(name).map(|value| value.label_in(language))
}

/// Implements [`Labelled`] from a table of `Variant => (english, thai)`.
macro_rules! labels {
    ($ty:ident, $name:literal { $($variant:ident => ($en:literal, $th:literal)),+ $(,)? }) => {
        impl Labelled for $ty {
            const LABELS: &'static str = $name;

            fn label(self) -> Message {
                let (en, th) = match self { $($ty::$variant => ($en, $th)),+ };
                Message::new(en, th)
            }
        }
    };
}

labels!(Category, "category" {
    FamilyViolence => ("Family violence", "ความรุนแรงในครอบครัว"),
    TeenPregnancy => ("Teenage pregnancy", "การตั้งครรภ์ในวัยรุ่น"),
    HumanTrafficking => ("Human trafficking", "การค้ามนุษย์"),
    Drugs => ("Drugs", "ยาเสพติด"),
    Homeless => ("Homelessness", "คนไร้บ้าน"),
    Begging => ("Begging", "การขอทาน"),
    ChildrenYouth => ("Children and youth", "เด็กและเยาวชน"),
    MissingPerson => ("Missing person", "บุคคลสูญหาย"),
    Elderly => ("Older people", "ผู้สูงอายุ"),
    Disability => ("Disability", "คนพิการ"),
    Poverty => ("Poverty", "ความยากจน"),
    Housing => ("Housing", "ที่อยู่อาศัย"),
    Debt => ("Debt", "หนี้สิน"),
    Other => ("Other", "อื่น ๆ"),
});

labels!(Priority, "priority" {
    Urgent => ("Urgent", "เร่งด่วนที่สุด"),
    High => ("High", "เร่งด่วน"),
    Normal => ("Normal", "ปกติ"),
    Low => ("Low", "ไม่เร่งด่วน"),
});

labels!(Status, "status" {
    Submitted => ("Submitted", "รอรับเรื่อง"),
    Accepted => ("Accepted", "รับเรื่องแล้ว"),
    Rejected => ("Rejected", "ไม่รับเรื่อง"),
    Assigned => ("Assigned", "มอบหมายแล้ว"),
    InProgress => ("In progress", "กำลังดำเนินการ"),
    Referred => ("Referred", "ส่งต่อหน่วยงานอื่น"),
    Resolved => ("Resolved", "แก้ไขแล้ว"),
    Closed => ("Closed", "ปิดเรื่อง"),
    Duplicate => ("Duplicate", "เรื่องซ้ำ"),
});

labels!(Action, "action" {
    Accept => ("Accept", "รับเรื่อง"),
    Reject => ("Reject", "ไม่รับเรื่อง"),
    Assign => ("Assign", "มอบหมาย"),
    Start => ("Start work", "เริ่มดำเนินการ"),
    Refer => ("Refer", "ส่งต่อหน่วยงาน"),
    Resolve => ("Resolve", "แก้ไขเสร็จสิ้น"),
    Close => ("Close", "ปิดเรื่อง"),
    Reopen => ("Reopen", "เปิดเรื่องอีกครั้ง"),
    MarkDuplicate => ("Mark as duplicate", "ระบุว่าเป็นเรื่องซ้ำ"),
    SetPriority => ("Change priority", "เปลี่ยนระดับความเร่งด่วน"),
});

labels!(Due, "due" {
    Overdue => ("Overdue", "เลยกำหนด"),
    DueSoon => ("Due within 24 hours", "ครบกำหนดภายใน 24 ชั่วโมง"),
    OnTime => ("On time", "ยังไม่ถึงกำหนด"),
});

labels!(TargetGroup, "target_group" {
    Children => ("Children", "เด็ก"),
    Youth => ("Youth", "เยาวชน"),
    Women => ("Women", "สตรี"),
    Families => ("Families", "ครอบครัว"),
    Elderly => ("Older people", "ผู้สูงอายุ"),
    Disabled => ("People with disabilities", "คนพิการ"),
    Underprivileged => ("Underprivileged", "ผู้ด้อยโอกาส"),
    LowIncome => ("Low income", "ผู้มีรายได้น้อย"),
    Homeless => ("Homeless", "คนไร้ที่พึ่ง"),
    Beggars => ("Beggars", "ผู้ทำการขอทาน"),
});

labels!(Activity, "activity" {
    HomeVisit => ("Home visit", "เยี่ยมบ้าน"),
    CommunityMeeting => ("Community meeting", "ประชุมชุมชน"),
    FollowUp => ("Follow-up", "ติดตามผล"),
    Outreach => ("Outreach", "ลงพื้นที่เชิงรุก"),
    Other => ("Other", "อื่น ๆ"),
});

labels!(ReviewStatus, "review_status" {
    Pending => ("Awaiting review", "รอตรวจสอบ"),
    Verified => ("Verified", "ตรวจสอบแล้ว"),
    Flagged => ("Flagged", "มีข้อสังเกต"),
});

labels!(Role, "role" {
    Volunteer => ("Volunteer (อพม.)", "อาสาสมัครพัฒนาสังคมและความมั่นคงของมนุษย์ (อพม.)"),
    Official => ("Official", "เจ้าหน้าที่"),
    Supervisor => ("Supervisor", "หัวหน้างาน"),
    Admin => ("Administrator", "ผู้ดูแลระบบ"),
});

labels!(Sex, "sex" {
    Female => ("Female", "หญิง"),
    Male => ("Male", "ชาย"),
    Other => ("Other", "อื่น ๆ"),
});

/// Every value of `T` with its labels, in declaration order.
pub fn labels_of<T: Labelled>() -> Vec<(&'static str, Message)> {
    T::VALUES.iter().map(|v| (v.as_str(), v.label())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_thai(text: &str) -> bool {
        text.chars().any(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c))
    }

    fn check<T: Labelled>() {
        let labels = labels_of::<T>();
        assert_eq!(labels.len(), T::VALUES.len());
        for (code, label) in labels {
            assert!(!label.en.is_empty(), "{code}");
            assert!(is_thai(&label.th), "{code}: {}", label.th);
        }
    }

    #[test]
    fn every_value_of_every_vocabulary_has_an_english_and_a_thai_label() {
        check::<Category>();
        check::<Priority>();
        check::<Status>();
        check::<Due>();
        check::<Action>();
        check::<TargetGroup>();
        check::<Activity>();
        check::<ReviewStatus>();
        check::<Role>();
        check::<Sex>();
    }
}
