//! How many exports run at once. A CSV or GeoJSON export keeps one database connection for
//! as long as it streams, an XLSX export for as long as its workbook is written: without a
//! limit a handful of large exports would take the pool from every other request.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct ExportSlots(Arc<Semaphore>);

/// A running export's slot, given back when dropped.
pub type ExportSlot = OwnedSemaphorePermit;

impl ExportSlots {
    pub fn new(slots: usize) -> Self {
        Self(Arc::new(Semaphore::new(slots)))
    }

    /// A free slot, or `None` when every slot is taken (the caller answers 429).
    pub fn try_take(&self) -> Option<ExportSlot> {
        Arc::clone(&self.0).try_acquire_owned().ok()
    }
}
