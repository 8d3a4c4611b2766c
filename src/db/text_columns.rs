//! Closed vocabularies (roles, statuses, categories, ...) stored as their names in Text
//! columns. Rows read them back as the domain's enums, so a value no variant names is
//! one clear error wherever it is read ("stored status \"x\" is not a Status"), never a
//! silent default, and a query cannot compare a status column with a category.
//! Record ids are stored as their text the same way, read back as their own types.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

use super::DbConnection;
use crate::domain::{
    Activity, Category, GrievanceId, HouseholdId, MemberId, Named, PhotoId, Priority, ReviewStatus,
    Role, Sex, Status, UserId, VisitId,
};

type AnyBackend = <DbConnection as diesel::Connection>::Backend;

/// A value stored as text: how it is written, and how it is read back.
trait StoredText: Sized {
    fn stored(&self) -> &str;
    fn from_stored(text: String) -> deserialize::Result<Self>;
}

/// Enums are stored by name; a name no variant has is an error wherever it is read.
macro_rules! by_name {
    ($($ty:ty),+) => {$(
        impl StoredText for $ty {
            fn stored(&self) -> &str {
                Named::as_str(*self)
            }

            fn from_stored(text: String) -> deserialize::Result<Self> {
                <Self as Named>::from_name(&text).ok_or_else(|| {
                    let what = <Self as Named>::WHAT;
                    format!("stored {what} {text:?} is not one of the known values").into()
                })
            }
        }
    )+};
}

/// Ids are stored as their text and read back as written.
macro_rules! as_written {
    ($($ty:ty),+) => {$(
        impl StoredText for $ty {
            fn stored(&self) -> &str {
                self.as_str()
            }

            fn from_stored(text: String) -> deserialize::Result<Self> {
                Ok(Self::unchecked(text))
            }
        }
    )+};
}

/// Gives each type its Text storage on both engines and on the connection over them.
macro_rules! stored_as_text {
    ($($ty:ty),+ $(,)?) => {$(
        const _: () = {
            #[derive(diesel::AsExpression, diesel::FromSqlRow)]
            #[diesel(foreign_derive)]
            #[diesel(sql_type = Text)]
            #[allow(dead_code)]
            struct Storage($ty);
        };

        impl FromSql<Text, Sqlite> for $ty {
            fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                Self::from_stored(<String as FromSql<Text, Sqlite>>::from_sql(bytes)?)
            }
        }

        impl FromSql<Text, Pg> for $ty {
            fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                Self::from_stored(<String as FromSql<Text, Pg>>::from_sql(bytes)?)
            }
        }

        impl FromSql<Text, AnyBackend> for $ty {
            fn from_sql(bytes: <AnyBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                Self::from_stored(<String as FromSql<Text, AnyBackend>>::from_sql(bytes)?)
            }
        }

        impl ToSql<Text, Sqlite> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.stored());
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.stored(), &mut out.reborrow())
            }
        }

        impl ToSql<Text, AnyBackend> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, AnyBackend>) -> serialize::Result {
                out.set_value((Text, self.stored()));
                Ok(IsNull::No)
            }
        }
    )+};
}

by_name!(
    Role,
    Status,
    Category,
    Priority,
    Activity,
    ReviewStatus,
    Sex
);
as_written!(UserId, VisitId, GrievanceId, PhotoId, HouseholdId, MemberId);
stored_as_text!(
    Role,
    Status,
    Category,
    Priority,
    Activity,
    ReviewStatus,
    Sex,
    UserId,
    VisitId,
    GrievanceId,
    PhotoId,
    HouseholdId,
    MemberId,
);
