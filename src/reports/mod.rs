//! What officials take to their meetings: the weekly field summary, one-year plans and
//! their progress, and exports of every dataset.

pub mod cover;
pub mod datasets;
pub mod export;
pub mod plans;
pub mod slots;
pub mod weekly;
