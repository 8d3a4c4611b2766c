//! `GET /api/v1/meta/labels`: every enumerated value the API uses with its Thai and
//! English label, so the phone shows the same words as the exports and the consoles
//! (all read `domain::Labelled`). No token: labels are not data about anyone.

use std::collections::BTreeMap;

use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{
    labels_of, Action, Activity, Category, Due, FieldCode, Labelled, Message, Priority,
    ReviewStatus, Role, Sex, Status, TargetGroup,
};
use crate::error::ProblemCode;
use crate::geo::LocateMethod;
use crate::placement::Flag;

/// One value and what people read for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Label {
    #[schema(example = "elderly")]
    pub code: String,
    #[schema(example = "ผู้สูงอายุ")]
    pub th: String,
    #[schema(example = "Older people")]
    pub en: String,
}

/// Labels by vocabulary: `category`, `priority`, `status`, `action`, `due` (where an open
/// grievance stands against its deadline), `target_group`, `activity`, `review_status`,
/// `visit_flag`, `role`, `sex`, `locate_method` and `error_code` (every field code and every
/// problem code).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"priority": [{"code": "urgent", "th": "เร่งด่วนที่สุด", "en": "Urgent"}]}))]
pub struct Labels(pub BTreeMap<String, Vec<Label>>);

fn label(code: &str, message: Message) -> Label {
    Label {
        code: code.to_owned(),
        th: message.th.into_owned(),
        en: message.en.into_owned(),
    }
}

fn vocabulary<T: Labelled>(labels: &mut BTreeMap<String, Vec<Label>>) {
    let values = labels_of::<T>()
        .into_iter()
        .map(|(code, message)| label(code, message))
        .collect();
    labels.insert(T::LABELS.to_owned(), values);
}

/// The whole table.
pub fn all_labels() -> Labels {
    let mut labels = BTreeMap::new();
    vocabulary::<Category>(&mut labels);
    vocabulary::<Priority>(&mut labels);
    vocabulary::<Status>(&mut labels);
    vocabulary::<Action>(&mut labels);
    vocabulary::<Due>(&mut labels);
    vocabulary::<TargetGroup>(&mut labels);
    vocabulary::<Activity>(&mut labels);
    vocabulary::<ReviewStatus>(&mut labels);
    vocabulary::<Flag>(&mut labels);
    vocabulary::<Role>(&mut labels);
    vocabulary::<Sex>(&mut labels);
    vocabulary::<LocateMethod>(&mut labels);
    let errors = FieldCode::ALL
        .iter()
        .map(|code| label(code.as_str(), code.label()))
        .chain(
            ProblemCode::ALL
                .iter()
                .map(|code| label(code.as_str(), code.label())),
        )
        .collect();
    labels.insert("error_code".to_owned(), errors);
    Labels(labels)
}

/// Thai and English labels for every enumerated value.
#[utoipa::path(
    tag = "meta",
    operation_id = "meta_labels",
    responses((status = 200, body = Labels)),
)]
#[get("/meta/labels")]
pub async fn list_labels() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=3600"))
        .json(all_labels().0)
}
