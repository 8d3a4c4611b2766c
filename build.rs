//! Rebuilds when a migration is added: the migrations are embedded in the binary, and
//! cargo would otherwise notice only edits to the files it has already seen.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
