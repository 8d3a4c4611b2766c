//! Which records a reader may see. `policy` decides it for each caller; every query of
//! visits and grievances applies it, so a list, a read and an export show the same rows.

use super::{AreaScope, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    /// Records whose area lies here.
    pub scope: AreaScope,
    /// For a reader limited to its own records: whose they must be (their author or
    /// reporter).
    pub only_owner: Option<UserId>,
}

impl Visibility {
    /// Every record: for work done on the system's behalf, never for a caller.
    pub fn everything() -> Self {
        Self {
            scope: AreaScope::Everywhere,
            only_owner: None,
        }
    }

    /// The same rule as the scoped queries, for a record already read: its area lies in
    /// the scope and, where it must, it is the reader's own.
    pub fn allows(&self, owner_id: &UserId, area_code: &str) -> bool {
        self.scope.covers_code(area_code)
            && self
                .only_owner
                .as_ref()
                .is_none_or(|owner| owner == owner_id)
    }
}
