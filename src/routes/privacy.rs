//! Data-subject requests under Thailand's PDPA, for admins (the data protection officer):
//! everything held about a person (a complainant, a member of a registered household),
//! and its erasure.

use actix_web::{post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::db::{privacy, Db};
use crate::domain::{PhoneE164, ThaiNationalId};
use crate::error::{ApiError, FieldCode, FieldError, Problem};
use crate::grievances::service::{views, GrievanceServices};
use crate::grievances::view::GrievanceView;
use crate::households::service as households;
use crate::households::view::HouseholdView;
use crate::http::ValidJson;
use crate::policy::{self, Permission};

/// Who the request is about: a national ID, a phone, or both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectInput {
    #[schema(example = "1103702071188")]
    pub national_id: Option<String>,
    #[schema(example = "081-234-5678")]
    pub phone: Option<String>,
}

/// The keyed lookup hashes of the subject's identifiers (never the identifiers).
fn lookup_hashes(
    input: &SubjectInput,
    services: &GrievanceServices,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let mut errors = Vec::new();
    let national_id = input
        .national_id
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .and_then(|raw| {
            ThaiNationalId::parse(raw)
                .map(|id| services.cipher.lookup_hash(id.as_str()))
                .map_err(|e| errors.push(FieldError::parse("national_id", e)))
                .ok()
        });
    let phone = input
        .phone
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .and_then(|raw| {
            PhoneE164::parse(raw)
                .map(|phone| services.cipher.lookup_hash(phone.as_str()))
                .map_err(|e| errors.push(FieldError::parse("phone", e)))
                .ok()
        });
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if national_id.is_none() && phone.is_none() {
        return Err(ApiError::field(
            "national_id",
            FieldCode::Required,
            "give a national ID, a phone, or both",
            "กรุณาระบุเลขประจำตัวประชาชน หมายเลขโทรศัพท์ หรือทั้งสองอย่าง",
        ));
    }
    Ok((national_id, phone))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectAccess {
    /// Every grievance the person is the complainant of, unmasked, with history and comments.
    pub grievances: Vec<GrievanceView>,
    /// Every household of the register the person is a member of, unmasked.
    pub households: Vec<HouseholdView>,
}

/// Everything held about one person (a PDPA access request): the grievances they raised
/// and the households they are registered in. Audited.
#[utoipa::path(
    tag = "privacy",
    request_body = SubjectInput,
    responses(
        (status = 200, body = SubjectAccess),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/privacy/subject-access")]
pub async fn subject_access(
    user: AuthUser,
    db: web::Data<Db>,
    services: web::Data<GrievanceServices>,
    input: ValidJson<SubjectInput>,
) -> Result<web::Json<SubjectAccess>, ApiError> {
    policy::require(&user, Permission::AnswerDataSubjects)?;
    let (national_id, phone) = lookup_hashes(&input.into_inner()?, &services)?;
    let services = services.into_inner();
    let grievances = db
        .write(move |conn| {
            let rows =
                privacy::grievances_of_subject(conn, national_id.as_deref(), phone.as_deref())?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
            let households = households::of_subject(
                conn,
                national_id.as_deref(),
                phone.as_deref(),
                &services.cipher,
            )?;
            let household_ids: Vec<&str> = households.iter().map(|h| h.id.as_str()).collect();
            user.audit(
                conn,
                "privacy.subject_access",
                "grievance",
                None,
                serde_json::json!({ "grievances": ids, "households": household_ids }),
            )?;
            Ok((views(conn, &user, rows, |_| true, &services)?, households))
        })
        .await?;
    let (grievances, households) = grievances;
    Ok(web::Json(SubjectAccess {
        grievances,
        households,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Erasure {
    /// The grievances whose personal data was erased.
    pub anonymised: Vec<String>,
    /// The household members whose personal data was erased.
    pub household_members: Vec<String>,
}

/// Erase a person's personal data (a PDPA erasure request): as a complainant, their
/// name, phone, national ID, the grievances' free text and comments; as a member of a
/// registered household, their name, numbers and notes, and the household's address.
/// Categories, areas, statuses, dates, years of birth and target groups stay, so every
/// statistic is unchanged. Audited.
#[utoipa::path(
    tag = "privacy",
    request_body = SubjectInput,
    responses(
        (status = 200, body = Erasure),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/privacy/erasure")]
pub async fn erasure(
    user: AuthUser,
    db: web::Data<Db>,
    services: web::Data<GrievanceServices>,
    input: ValidJson<SubjectInput>,
) -> Result<web::Json<Erasure>, ApiError> {
    policy::require(&user, Permission::AnswerDataSubjects)?;
    let (national_id, phone) = lookup_hashes(&input.into_inner()?, &services)?;
    let anonymised = db
        .write(move |conn| {
            let ids: Vec<String> =
                privacy::grievances_of_subject(conn, national_id.as_deref(), phone.as_deref())?
                    .into_iter()
                    .map(|row| row.id.into_string())
                    .collect();
            privacy::anonymise(conn, &ids, crate::db::now())?;
            let members =
                households::erase_subject(conn, &user, national_id.as_deref(), phone.as_deref())?;
            user.audit(
                conn,
                "privacy.erasure",
                "grievance",
                None,
                serde_json::json!({ "anonymised": ids, "household_members": members }),
            )?;
            Ok((ids, members))
        })
        .await?;
    let (anonymised, household_members) = anonymised;
    Ok(web::Json(Erasure {
        anonymised,
        household_members,
    }))
}
