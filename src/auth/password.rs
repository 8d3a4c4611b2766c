//! Passwords: the policy, and argon2id hashing off the async workers with a cap on how
//! many hashes run at once, so a login flood queues instead of starving other requests or
//! eating memory (each hash holds 19 MiB).

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

use crate::domain::{FieldCode, ParseError};

const MIN_CHARS: usize = 10;
const MAX_BYTES: usize = 256;

/// How long a login waits for a hashing slot before the server says it is too busy.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

/// A password that meets the policy. Its only constructor checks it.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    /// At least 10 characters, at most 256 bytes (checked before any hashing), and not the
    /// username in any letter case.
    pub fn parse(password: &str, username: &str) -> Result<Self, ParseError> {
        if password.len() > MAX_BYTES {
            return Err(ParseError::new(
                FieldCode::TooLong,
                format!("must be at most {MAX_BYTES} bytes"),
                format!("รหัสผ่านต้องยาวไม่เกิน {MAX_BYTES} ไบต์"),
            ));
        }
        if password.chars().count() < MIN_CHARS {
            return Err(ParseError::new(
                FieldCode::OutOfRange,
                format!("must be at least {MIN_CHARS} characters"),
                format!("รหัสผ่านต้องมีอย่างน้อย {MIN_CHARS} ตัวอักษร"),
            ));
        }
        if password.trim().to_lowercase() == username.trim().to_lowercase() {
            return Err(ParseError::new(
                FieldCode::NotAllowedValue,
                "must not be the username",
                "รหัสผ่านต้องไม่ซ้ำกับชื่อผู้ใช้",
            ));
        }
        Ok(Self(password.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

fn argon2() -> Argon2<'static> {
    let params =
        Params::new(MEMORY_KIB, PASSES, LANES, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes synchronously: for start-up and the command line, never on an async worker.
pub fn hash_blocking(password: &NewPassword) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_str().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
}

/// A one-time password of 16 characters from an alphabet without look-alikes (80 bits),
/// in groups of four for reading aloud over the phone.
pub fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let mut out = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
    }
    out
}

/// Hashes a one-time password the server drew itself (`accounts::import`) with a light
/// argon2id (64 KiB, 1 pass). Argon2's cost exists to slow the guessing of passwords
/// people choose; 80 random bits cannot be guessed at any hashing speed, and the account
/// must replace it (hashed at full cost) at its first sign-in. The parameters travel in
/// the hash, so verifying needs nothing special.
pub fn hash_temporary_blocking(password: &str) -> anyhow::Result<String> {
    let params =
        Params::new(64, 1, 1, None).map_err(|e| anyhow::anyhow!("light argon2 parameters: {e}"))?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
}

/// Verifies synchronously; a malformed stored hash verifies as false.
pub fn verify_blocking(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|hash| argon2().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

/// Runs argon2 on threads of its own, at a lower CPU priority than the request
/// handlers: a morning rush of logins then takes the CPU the reads leave over instead
/// of doubling their latency, and memory stays at 19 MiB per hashing thread (on the
/// shared blocking pool every thread that ever hashed kept its 19 MiB arena).
#[derive(Clone)]
pub struct PasswordHasher {
    slots: Arc<Semaphore>,
    jobs: std::sync::mpsc::Sender<HashJob>,
    /// Verified against when the username is unknown, so both failures cost the same.
    decoy_hash: Arc<String>,
}

type HashJob = Box<dyn FnOnce() + Send>;

impl PasswordHasher {
    /// `concurrency` hashes at most run at once (about the number of cores), each on
    /// its own thread.
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let concurrency = concurrency.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<HashJob>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..concurrency {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || {
                    lower_this_threads_priority();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // the hasher is gone
                        }
                    }
                })?;
        }
        let decoy = NewPassword("decoy password never used".into());
        Ok(Self {
            slots: Arc::new(Semaphore::new(concurrency)),
            jobs,
            decoy_hash: Arc::new(hash_blocking(&decoy)?),
        })
    }

    pub async fn hash(&self, password: NewPassword) -> Result<String, ApiError> {
        self.run(move || hash_blocking(&password))
            .await?
            .map_err(ApiError::Internal)
    }

    /// Whether `password` matches `stored_hash`; with no hash (unknown user) it checks a
    /// decoy and answers false, taking the same time as a wrong password.
    pub async fn verify(
        &self,
        password: String,
        stored_hash: Option<String>,
    ) -> Result<bool, ApiError> {
        let known = stored_hash.is_some();
        let hash = stored_hash.unwrap_or_else(|| self.decoy_hash.as_ref().clone());
        let matches = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(known && matches)
    }

    /// Waits for a slot (at most [`QUEUE_TIMEOUT`]), then runs `work` on a hashing
    /// thread. Holding the slot keeps the queue no longer than the number of threads.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _slot = self.slot().await?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = answer.send(work());
            }))
            .map_err(|_| ApiError::internal(anyhow::anyhow!("the hashing threads have stopped")))?;
        answered
            .await
            .map_err(|_| ApiError::internal(anyhow::anyhow!("a hashing thread panicked")))
    }

    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
        match tokio::time::timeout(QUEUE_TIMEOUT, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::TooManyRequests {
                retry_after_secs: 5,
            }),
        }
    }
}

/// Puts this thread in Linux's SCHED_IDLE class: it runs only on CPU time no request
/// handler wants, and a handler that wakes up takes the core from it at once. (A nice
/// value only shrinks its share: at nice 10 a login flood still took reads' p99 from 1 ms
/// to 3-13 ms.) Elsewhere this does nothing.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: sched_setscheduler reads the parameter we pass and touches no other memory
    // of ours; pid 0 is the calling thread.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
            tracing::warn!("the password hashing threads keep the normal CPU priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_rules() {
        assert!(NewPassword::parse("short", "somchai").is_err());
        assert!(NewPassword::parse("Somchai.Field", "somchai.field").is_err());
        assert!(NewPassword::parse(&"x".repeat(257), "somchai").is_err());
        // Ten Thai characters are ten characters, though thirty bytes.
        assert!(NewPassword::parse("รหัสผ่านยาวๆ", "somchai").is_ok());
        assert!(NewPassword::parse("correct horse battery", "somchai").is_ok());
    }

    #[test]
    fn hashes_verify_and_carry_owasp_parameters() {
        let password = NewPassword::parse("correct horse battery", "u").unwrap();
        let hash = hash_blocking(&password).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_blocking("correct horse battery", &hash));
        assert!(!verify_blocking("wrong horse battery", &hash));
        assert!(!verify_blocking("anything", "not a hash"));
    }
}
