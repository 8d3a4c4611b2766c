//! Validated domain value types ("parse, don't validate").
//!
//! Every type here can only be built through a constructor that checks its
//! invariants, so code that receives one may trust it without re-checking.
//! The exceptions are the geometry values [`GeoPoint`] and [`Bbox`]: the
//! geography computes new ones (centroids, means, search boxes), so their
//! fields are public, and input from clients goes through their checking
//! constructors instead.
//! A refused value says why with a stable [`FieldCode`] and a [`Message`] in Thai and
//! English; callers name the field by its JSON path.
//!
//! This module is self-contained: it depends on nothing else in the crate.

mod area_code;
mod area_scope;
mod bangkok;
mod bbox;
mod department;
mod error;
mod fiscal_year;
mod geo_point;
mod grievance;
mod household;
mod ids;
mod iso_week;
mod labels;
mod message;
mod named;
mod phone;
mod photo;
mod role;
mod schema;
mod text;
mod thai_national_id;
mod visibility;
mod visit;

pub use area_code::{AreaCode, AreaLevel};
pub use area_scope::{prefixes, AreaScope};
pub use bangkok::{bangkok_date, bangkok_start_of_day, buddhist_era_date, buddhist_era_time};
pub use bbox::Bbox;
pub use department::{departments, Department};
pub use error::ParseError;
pub use fiscal_year::FiscalYear;
pub use geo_point::{GeoPoint, GpsFix};
pub use grievance::{Action, Actor, Category, Due, Priority, Status};
pub use household::{BirthYear, Sex};
pub use ids::{CommentId, GrievanceId, HouseholdId, MemberId, PhotoId, UserId, VisitId};
pub use iso_week::{thai_month_abbreviation, IsoWeek};
pub use labels::{label_named, labels_of, Labelled};
pub use message::{
    buddhist_era_year, outside_thailand, FieldCode, Language, Message, Refusal,
    FIRST_BUDDHIST_ERA_YEAR,
};
pub use named::Named;
pub use phone::PhoneE164;
pub use photo::{photos_expected, ImageType, PhotoRecord, MAX_PHOTOS_PER_RECORD, MAX_PHOTO_BYTES};
pub use role::Role;
pub use text::{bounded_text, TextError};
pub use thai_national_id::ThaiNationalId;
pub use visibility::Visibility;
pub use visit::{Activity, ReviewStatus, TargetGroup};
