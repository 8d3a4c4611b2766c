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
    Activity, Category, GrievanceId, Named, PhotoId, Priority, ReviewStatus, Role, Status, UserId,
    VisitId,
};

type AnyBackend = <DbConnection as diesel::Connection>::Backend;

/// Reads a stored name back as `T`.
fn from_name<T: Named, DB: Backend>(bytes: DB::RawValue<'_>) -> deserialize::Result<T>
where
    String: FromSql<Text, DB>,
{
    let name = String::from_sql(bytes)?;
    T::from_name(&name)
        .ok_or_else(|| format!("stored {} {name:?} is not one of the known values", T::WHAT).into())
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
                from_name::<Self, Sqlite>(bytes)
            }
        }

        impl FromSql<Text, Pg> for $ty {
            fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                from_name::<Self, Pg>(bytes)
            }
        }

        impl FromSql<Text, AnyBackend> for $ty {
            fn from_sql(bytes: <AnyBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                from_name::<Self, AnyBackend>(bytes)
            }
        }

        impl ToSql<Text, Sqlite> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(Named::as_str(*self));
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(Named::as_str(*self), &mut out.reborrow())
            }
        }

        impl ToSql<Text, AnyBackend> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, AnyBackend>) -> serialize::Result {
                out.set_value((Text, Named::as_str(*self)));
                Ok(IsNull::No)
            }
        }
    )+};
}

stored_as_text!(Role, Status, Category, Priority, Activity, ReviewStatus);

/// Gives each id type its Text storage on both engines and on the connection over them.
/// A stored id is read back as written (`unchecked`).
macro_rules! id_stored_as_text {
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
                <String as FromSql<Text, Sqlite>>::from_sql(bytes).map(Self::unchecked)
            }
        }

        impl FromSql<Text, Pg> for $ty {
            fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                <String as FromSql<Text, Pg>>::from_sql(bytes).map(Self::unchecked)
            }
        }

        impl FromSql<Text, AnyBackend> for $ty {
            fn from_sql(bytes: <AnyBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                <String as FromSql<Text, AnyBackend>>::from_sql(bytes).map(Self::unchecked)
            }
        }

        impl ToSql<Text, Sqlite> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.as_str());
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), &mut out.reborrow())
            }
        }

        impl ToSql<Text, AnyBackend> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, AnyBackend>) -> serialize::Result {
                out.set_value((Text, self.as_str()));
                Ok(IsNull::No)
            }
        }
    )+};
}

id_stored_as_text!(UserId, VisitId, GrievanceId, PhotoId);
