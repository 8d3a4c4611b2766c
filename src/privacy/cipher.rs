//! Field-level encryption and keyed lookup hashes for personal data.
//!
//! One master secret yields two independent keys (HMAC-SHA256 over distinct
//! labels): a ChaCha20-Poly1305 key that encrypts each value under a fresh
//! random nonce, and an HMAC key for lookup hashes. The hash is keyed so that
//! someone holding only the database cannot confirm a guessed national ID:
//! with 13 digits and a check digit, an unkeyed hash would be brute-forced in
//! seconds.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;

use crate::domain::{PhoneE164, ThaiNationalId};

type HmacSha256 = Hmac<Sha256>;

/// The file in the data directory that keeps a generated master secret.
const KEY_FILE: &str = "pii-key";
const MIN_SECRET_BYTES: usize = 32;
/// Labels that separate the two derived keys. Changing either makes every
/// stored ciphertext or lookup hash unusable.
const ENCRYPTION_LABEL: &[u8] = b"fieldweek pii encryption key v1";
const LOOKUP_LABEL: &[u8] = b"fieldweek pii lookup key v1";
/// Prefix of the stored form; it names the scheme so a later key or
/// algorithm can be introduced without guessing what old rows hold.
const FORMAT_V1: &str = "v1:";
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
/// How long to wait for a key file another process is still writing.
const KEY_FILE_WAITS: u32 = 20;
const KEY_FILE_WAIT: Duration = Duration::from_millis(25);

/// Why a personal-data value could not be encrypted or decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PiiError {
    #[error("the stored value is not in a recognised encrypted format")]
    Malformed,
    #[error("the stored value cannot be decrypted: wrong key or altered data")]
    Undecryptable,
    #[error("the value cannot be encrypted: {0}")]
    Encrypt(&'static str),
}

/// What the database keeps of a national ID or a phone number: never the number itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedValue {
    /// From [`PiiCipher::encrypt`]; only the server can open it.
    pub ciphertext: String,
    /// From [`PiiCipher::lookup_hash`] of the canonical form (the 13 digits, the E.164
    /// number); equal numbers, equal hashes.
    pub lookup_hash: String,
    /// For the masked display (`*********1234`).
    pub last4: String,
}

/// What hides a masked phone number's first digits (`******5678`).
pub const PHONE_STARS: &str = "******";
/// What hides a masked national ID's first digits (`*********1188`).
pub const NATIONAL_ID_STARS: &str = "*********";

/// Encrypts personal data for storage and computes lookup hashes.
#[derive(Clone)]
pub struct PiiCipher {
    aead: ChaCha20Poly1305,
    /// Keyed once; each hash starts from a clone, so hashing cannot fail.
    lookup: HmacSha256,
}

impl fmt::Debug for PiiCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never show key material, not even in a panic message or a log line.
        f.debug_struct("PiiCipher").finish_non_exhaustive()
    }
}

impl PiiCipher {
    /// Derives both keys from a master secret of at least 32 bytes.
    pub fn from_master(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the PII master secret must be at least {MIN_SECRET_BYTES} bytes, got {}",
                secret.len()
            ));
        }
        let derive = |label: &[u8]| {
            <HmacSha256 as Mac>::new_from_slice(secret)
                .map(|mac| mac.chain_update(label).finalize().into_bytes())
                .map_err(|e| format!("cannot derive a PII key: {e}"))
        };
        let encryption_key = derive(ENCRYPTION_LABEL)?;
        let lookup_key = derive(LOOKUP_LABEL)?;
        let lookup = <HmacSha256 as Mac>::new_from_slice(&lookup_key)
            .map_err(|e| format!("cannot derive a PII key: {e}"))?;
        Ok(Self {
            aead: ChaCha20Poly1305::new(&encryption_key),
            lookup,
        })
    }

    /// The cipher for this deployment: from `explicit` (the caller reads it
    /// from the environment; base64 of at least 32 bytes, or at least 32 raw
    /// bytes) or else from `data_dir/pii-key`, generated on first start with
    /// mode 0600. Several nodes must share one secret: set it explicitly or
    /// give them the same data directory.
    ///
    /// Losing the secret makes every stored national ID unreadable, so a key
    /// file that exists but cannot be used is an error, never replaced.
    /// Blocking file I/O (it may wait briefly for a racing process): call it
    /// at start-up, not on an async worker.
    pub fn load(explicit: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        let secret = match explicit {
            Some(text) => explicit_secret(text)?,
            None => load_or_create_key_file(&data_dir.join(KEY_FILE))?,
        };
        Self::from_master(&secret).map_err(anyhow::Error::msg)
    }

    /// Encrypts `plaintext` under a fresh random nonce, so equal values give
    /// different ciphertexts. The result is `v1:` followed by
    /// base64(nonce || ciphertext || tag).
    pub fn encrypt(&self, plaintext: &str) -> Result<String, PiiError> {
        let mut nonce = Nonce::default();
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|_| PiiError::Encrypt("the system random number generator failed"))?;
        self.seal(&nonce, plaintext)
    }

    fn seal(&self, nonce: &Nonce, plaintext: &str) -> Result<String, PiiError> {
        let payload = Payload {
            msg: plaintext.as_bytes(),
            // Binding the format tag means a value cannot be passed off as
            // another scheme's.
            aad: FORMAT_V1.as_bytes(),
        };
        let sealed = self
            .aead
            .encrypt(nonce, payload)
            .map_err(|_| PiiError::Encrypt("it is too long"))?;
        let mut bytes = Vec::with_capacity(NONCE_BYTES + sealed.len());
        bytes.extend_from_slice(nonce);
        bytes.extend_from_slice(&sealed);
        Ok(format!("{FORMAT_V1}{}", STANDARD.encode(bytes)))
    }

    /// Opens a value made by [`encrypt`](Self::encrypt) with the same key.
    pub fn decrypt(&self, stored: &str) -> Result<String, PiiError> {
        let encoded = stored.strip_prefix(FORMAT_V1).ok_or(PiiError::Malformed)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| PiiError::Malformed)?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES {
            return Err(PiiError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| PiiError::Malformed)?;
        let payload = Payload {
            msg: sealed,
            aad: FORMAT_V1.as_bytes(),
        };
        let plain = self
            .aead
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| PiiError::Undecryptable)?;
        // Authentic data is always UTF-8 (only `&str` is encrypted); this
        // cannot fail short of a bug, but it must not panic either.
        String::from_utf8(plain).map_err(|_| PiiError::Malformed)
    }

    /// A deterministic keyed hash (64 hex digits) for finding every record of
    /// one person without decrypting. Pass the canonical form (the 13 digits
    /// of a national ID, the E.164 phone) so equal values hash equally.
    pub fn lookup_hash(&self, plaintext: &str) -> String {
        let mac = self.lookup.clone().chain_update(plaintext.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Everything the database keeps of a national ID.
    pub fn protect_national_id(&self, id: &ThaiNationalId) -> Result<ProtectedValue, PiiError> {
        Ok(ProtectedValue {
            ciphertext: self.encrypt(id.as_str())?,
            lookup_hash: self.lookup_hash(id.as_str()),
            last4: id.last4().to_owned(),
        })
    }

    /// A stored number as its reader may see it: in clear when `unmasked` (and it opens),
    /// else its last 4 digits behind `stars`; `None` when nothing is stored.
    pub fn shown(
        &self,
        sealed: Option<&str>,
        last4: Option<&str>,
        stars: &str,
        unmasked: bool,
    ) -> Option<String> {
        let last4 = last4?;
        if unmasked {
            if let Some(plain) = sealed.and_then(|c| self.decrypt(c).ok()) {
                return Some(plain);
            }
        }
        Some(format!("{stars}{last4}"))
    }

    /// Everything the database keeps of a phone number.
    pub fn protect_phone(&self, phone: &PhoneE164) -> Result<ProtectedValue, PiiError> {
        Ok(ProtectedValue {
            ciphertext: self.encrypt(phone.as_str())?,
            lookup_hash: self.lookup_hash(phone.as_str()),
            last4: phone.last4().to_owned(),
        })
    }
}

/// An operator-supplied secret: base64 decoding to at least 32 bytes is tried
/// first (so a generated key can be pasted as is), else the text itself is the
/// secret if at least 32 bytes long. Surrounding whitespace is dropped so a
/// trailing newline does not change the key. Either way the rule is fixed, so
/// the same text always gives the same key.
fn explicit_secret(text: &str) -> anyhow::Result<Vec<u8>> {
    let text = text.trim();
    if let Some(secret) = decode_base64_secret(text) {
        return Ok(secret);
    }
    if text.len() >= MIN_SECRET_BYTES {
        return Ok(text.as_bytes().to_vec());
    }
    anyhow::bail!(
        "the PII secret must be base64 of at least {MIN_SECRET_BYTES} bytes \
         or at least {MIN_SECRET_BYTES} characters of text"
    )
}

fn decode_base64_secret(text: &str) -> Option<Vec<u8>> {
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .filter(|secret| secret.len() >= MIN_SECRET_BYTES)
}

enum KeyFile {
    Found(Vec<u8>),
    Missing,
    /// Present but not (yet) a key: possibly still being written.
    Unusable,
}

fn load_or_create_key_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut waits = 0;
    loop {
        match read_key_file(path)? {
            KeyFile::Found(secret) => return Ok(secret),
            KeyFile::Missing => {
                if let Some(secret) = create_key_file(path)? {
                    return Ok(secret);
                }
                // Another process created it first; use theirs.
            }
            KeyFile::Unusable if waits >= KEY_FILE_WAITS => anyhow::bail!(
                "{} does not hold a base64 key of at least {MIN_SECRET_BYTES} bytes; \
                 restore the original file (replacing it makes every stored national ID \
                 unreadable)",
                path.display()
            ),
            KeyFile::Unusable => {}
        }
        waits += 1;
        std::thread::sleep(KEY_FILE_WAIT);
    }
}

fn read_key_file(path: &Path) -> anyhow::Result<KeyFile> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| decode_base64_secret(text.trim()))
            .map_or(KeyFile::Unusable, KeyFile::Found)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(KeyFile::Missing),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes a new random key, readable by its owner only. `None` when the file
/// already exists (another process won the race).
fn create_key_file(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    let mut secret = [0u8; MIN_SECRET_BYTES];
    OsRng
        .try_fill_bytes(&mut secret)
        .context("cannot generate a PII key")?;
    let mut file = match crate::private_files::new_file_options().open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    if let Err(e) = file
        .write_all(STANDARD.encode(secret).as_bytes())
        .and_then(|()| file.sync_all())
    {
        // Nothing was encrypted with this key yet, so removing the partial
        // file is safe and lets the next start try again.
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    sync_parent_dir(path);
    Ok(Some(secret.to_vec()))
}

/// Makes the new file's directory entry durable: a key lost in a crash after
/// data was encrypted with it would make that data unreadable. Best effort,
/// since some filesystems refuse to sync a directory.
fn sync_parent_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: [u8; 32] = [7; 32];
    const ID: &str = "1103702071188";

    fn cipher() -> PiiCipher {
        PiiCipher::from_master(&MASTER).unwrap()
    }

    #[test]
    fn round_trips_thai_and_ascii_text() {
        let cipher = cipher();
        for plain in [ID, "+66812345678", "นางสาวสมหญิง ใจดี", ""] {
            let stored = cipher.encrypt(plain).unwrap();
            assert!(stored.starts_with("v1:"), "{stored}");
            assert!(!stored.contains(plain) || plain.is_empty());
            assert_eq!(cipher.decrypt(&stored).unwrap(), plain);
        }
    }

    #[test]
    fn equal_values_encrypt_differently() {
        let cipher = cipher();
        let a = cipher.encrypt(ID).unwrap();
        let b = cipher.encrypt(ID).unwrap();
        assert_ne!(a, b);
        assert_eq!(cipher.decrypt(&a).unwrap(), cipher.decrypt(&b).unwrap());
    }

    #[test]
    fn any_altered_byte_is_detected() {
        let cipher = cipher();
        let stored = cipher.encrypt(ID).unwrap();
        let bytes = STANDARD.decode(&stored[3..]).unwrap();
        for index in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[index] ^= 0x01;
            let altered = format!("v1:{}", STANDARD.encode(altered));
            assert_eq!(
                cipher.decrypt(&altered),
                Err(PiiError::Undecryptable),
                "byte {index}"
            );
        }
        // Cutting the tag short or appending bytes fails too.
        let truncated = format!("v1:{}", STANDARD.encode(&bytes[..bytes.len() - 1]));
        assert_eq!(cipher.decrypt(&truncated), Err(PiiError::Undecryptable));
        let mut longer = bytes.clone();
        longer.push(0);
        let longer = format!("v1:{}", STANDARD.encode(longer));
        assert_eq!(cipher.decrypt(&longer), Err(PiiError::Undecryptable));
    }

    #[test]
    fn a_different_key_cannot_decrypt() {
        let stored = cipher().encrypt(ID).unwrap();
        let other = PiiCipher::from_master(&[8; 32]).unwrap();
        assert_eq!(other.decrypt(&stored), Err(PiiError::Undecryptable));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let cipher = cipher();
        let short = format!("v1:{}", STANDARD.encode([0u8; 27]));
        let empty_message = format!("v1:{}", STANDARD.encode([0u8; 28]));
        for garbage in [
            "",
            "v1:",
            "v1",
            "v2:AAAA",
            ID,
            "v1:not base64!",
            "v1:AAAA",
            short.as_str(),
            "v1:ก",
            "\u{0}",
        ] {
            assert_eq!(
                cipher.decrypt(garbage),
                Err(PiiError::Malformed),
                "{garbage:?}"
            );
        }
        assert_eq!(cipher.decrypt(&empty_message), Err(PiiError::Undecryptable));
    }

    #[test]
    fn matches_values_computed_independently() {
        // Computed with Python's `hmac` and `cryptography` packages from the
        // same labels, master secret [7; 32] and nonce 00..0b. A failure here
        // means stored data from earlier releases would no longer open.
        const STORED: &str = "v1:AAECAwQFBgcICQoLB+TfsPbyJd54cKJrVZFj8i9gHe4KNE2ja1dcJjM=";
        let cipher = cipher();
        assert_eq!(
            cipher.lookup_hash(ID),
            "fcb26a5758b130655a691254b25bdcc6e9a47d55098f9f77e983d2924541dc50"
        );
        assert_eq!(cipher.decrypt(STORED).unwrap(), ID);
        let nonce: [u8; NONCE_BYTES] = std::array::from_fn(|i| i as u8);
        assert_eq!(cipher.seal(&Nonce::from(nonce), ID).unwrap(), STORED);
    }

    #[test]
    fn lookup_hash_is_stable_and_depends_on_the_key() {
        let cipher = cipher();
        let hash = cipher.lookup_hash(ID);
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(cipher.lookup_hash(ID), hash);
        assert_eq!(
            PiiCipher::from_master(&MASTER).unwrap().lookup_hash(ID),
            hash
        );
        assert_ne!(cipher.lookup_hash("1103702071196"), hash);
        assert_ne!(
            PiiCipher::from_master(&[8; 32]).unwrap().lookup_hash(ID),
            hash
        );
    }

    #[test]
    fn the_two_derived_keys_differ_from_each_other_and_the_master() {
        // The lookup hash must not be an HMAC under the master secret itself,
        // nor under the encryption key.
        let cipher = cipher();
        let under = |key: &[u8]| {
            let mac = <HmacSha256 as Mac>::new_from_slice(key)
                .unwrap()
                .chain_update(ID.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        };
        let encryption_key = <HmacSha256 as Mac>::new_from_slice(&MASTER)
            .unwrap()
            .chain_update(ENCRYPTION_LABEL)
            .finalize()
            .into_bytes();
        assert_ne!(cipher.lookup_hash(ID), under(&MASTER));
        assert_ne!(cipher.lookup_hash(ID), under(&encryption_key));
    }

    #[test]
    fn protects_a_national_id() {
        let cipher = cipher();
        let id = ThaiNationalId::parse("1-1037-02071-18-8").unwrap();
        let protected = cipher.protect_national_id(&id).unwrap();
        assert_eq!(protected.last4, "1188");
        assert_eq!(protected.lookup_hash, cipher.lookup_hash(ID));
        assert_eq!(cipher.decrypt(&protected.ciphertext).unwrap(), ID);
        let debug = format!("{protected:?}");
        assert!(!debug.contains("110370"), "{debug}");
    }

    #[test]
    fn short_master_secrets_are_refused() {
        assert!(PiiCipher::from_master(&[1; 31]).is_err());
        assert!(PiiCipher::from_master(b"").is_err());
        assert!(PiiCipher::from_master(&[1; 32]).is_ok());
        assert!(PiiCipher::from_master(&[1; 100]).is_ok());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let debug = format!("{:?}", cipher());
        assert_eq!(debug, "PiiCipher { .. }");
    }

    #[test]
    fn explicit_secret_may_be_base64_or_raw() {
        let dir = tempfile::tempdir().unwrap();
        let from_master = PiiCipher::from_master(&MASTER).unwrap();
        let expected = from_master.lookup_hash(ID);
        for encoded in [
            STANDARD.encode(MASTER),
            URL_SAFE_NO_PAD.encode(MASTER),
            format!("  {}\n", STANDARD.encode(MASTER)),
        ] {
            let cipher = PiiCipher::load(Some(&encoded), dir.path()).unwrap();
            assert_eq!(cipher.lookup_hash(ID), expected, "{encoded:?}");
        }
        let raw = "correct horse battery staple, and then some";
        let cipher = PiiCipher::load(Some(raw), dir.path()).unwrap();
        let expected = PiiCipher::from_master(raw.as_bytes())
            .unwrap()
            .lookup_hash(ID);
        assert_eq!(cipher.lookup_hash(ID), expected);
        // An explicit secret never touches the data directory.
        assert!(!dir.path().join(KEY_FILE).exists());
    }

    #[test]
    fn short_explicit_secrets_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for short in [
            "",
            "   ",
            "short",
            &STANDARD.encode([1u8; 20]),
            &"x".repeat(31),
            &format!(" {} ", "x".repeat(31)),
        ] {
            assert!(
                PiiCipher::load(Some(short), dir.path()).is_err(),
                "{short:?}"
            );
        }
    }

    #[test]
    fn base64_of_too_few_bytes_is_taken_as_text() {
        // 31 bytes encode to 44 characters: long enough to be a secret as text.
        let dir = tempfile::tempdir().unwrap();
        let text = STANDARD.encode([1u8; 31]);
        let cipher = PiiCipher::load(Some(&text), dir.path()).unwrap();
        let expected = PiiCipher::from_master(text.as_bytes()).unwrap();
        assert_eq!(cipher.lookup_hash(ID), expected.lookup_hash(ID));
    }

    #[test]
    fn generated_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = PiiCipher::load(None, dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        let contents = std::fs::read_to_string(&path).unwrap();
        assert_eq!(STANDARD.decode(contents.trim()).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = PiiCipher::load(None, dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), contents);
        let stored = first.encrypt(ID).unwrap();
        assert_eq!(second.decrypt(&stored).unwrap(), ID);
        assert_eq!(first.lookup_hash(ID), second.lookup_hash(ID));
    }

    #[test]
    fn separate_data_directories_get_separate_keys() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let stored = PiiCipher::load(None, a.path())
            .unwrap()
            .encrypt(ID)
            .unwrap();
        let other = PiiCipher::load(None, b.path()).unwrap();
        assert_eq!(other.decrypt(&stored), Err(PiiError::Undecryptable));
    }

    #[test]
    fn concurrent_first_starts_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let ciphers: Vec<PiiCipher> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| PiiCipher::load(None, dir.path()).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let stored = ciphers[0].encrypt(ID).unwrap();
        for cipher in &ciphers {
            assert_eq!(cipher.decrypt(&stored).unwrap(), ID);
        }
    }

    #[test]
    fn an_existing_unusable_key_file_is_an_error_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::write(&path, "not a key").unwrap();
        let error = PiiCipher::load(None, dir.path()).unwrap_err();
        assert!(
            error.to_string().contains("restore the original file"),
            "{error}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a key");
    }

    #[test]
    fn a_key_file_written_by_hand_with_a_newline_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(KEY_FILE),
            format!("{}\n", STANDARD.encode(MASTER)),
        )
        .unwrap();
        let cipher = PiiCipher::load(None, dir.path()).unwrap();
        assert_eq!(
            cipher.lookup_hash(ID),
            PiiCipher::from_master(&MASTER).unwrap().lookup_hash(ID)
        );
    }

    #[test]
    fn a_missing_data_directory_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let error = PiiCipher::load(None, &missing).unwrap_err();
        assert!(format!("{error:#}").contains("cannot create"), "{error:#}");
    }
}
