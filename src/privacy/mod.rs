//! Protection of citizens' personal data under Thailand's PDPA
//! (พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562).
//!
//! A complainant's national ID (and phone) is never stored in plain text:
//! the database holds a ciphertext that only the server can open, a keyed
//! hash for finding all records of one person, and the last four digits for
//! display. A stolen database or backup alone reveals none of the numbers.

mod cipher;
pub mod retention;

pub use cipher::{PiiCipher, PiiError, ProtectedValue, NATIONAL_ID_STARS, PHONE_STARS};
