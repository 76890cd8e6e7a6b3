//! Password hashing with argon2id (19 MiB, t=2, p=1: OWASP's recommended minimum) on threads of its
//! own, so a burst of sign-ins can neither starve the async runtime nor exhaust memory: at most
//! `permits` hashes run, each holding its permit until argon2 is done (also when the caller has gone
//! away), and at most `queue` more wait; beyond that a hash is refused as unavailable (503 with
//! Retry-After), which sheds a flood of sign-ins before it costs anything. The hashing threads run
//! at a lower scheduling priority: on busy cores, the calls of signed-in users go first.

use super::error::{AuthError, AuthResult};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes waiting for a permit, at most, per permit.
const QUEUED_PER_PERMIT: usize = 4;

/// Hashes and verifies on `permits` hashing threads (see the module docs).
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
    hashers: Hashers,
    /// Argon2 runs so far: what a sign-in costs is counted, so that an unknown email can be shown
    /// to cost exactly what a wrong password does.
    computed: Arc<AtomicU64>,
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads, fed by one queue; they stop once every `Passwords` sharing them is gone.
#[derive(Clone)]
struct Hashers {
    jobs: std::sync::mpsc::Sender<Job>,
}

/// The niceness of the hashing threads: a hash takes what the async workers leave of the cores.
const HASHING_NICENESS: i32 = 10;

impl Hashers {
    fn start(threads: usize) -> Self {
        let (jobs, queued) = std::sync::mpsc::channel::<Job>();
        let queued = Arc::new(std::sync::Mutex::new(queued));
        for _ in 0..threads {
            let queued = queued.clone();
            std::thread::Builder::new()
                .name("lanyard-hashing".into())
                .spawn(move || {
                    lower_this_threads_priority();
                    loop {
                        let job = queued.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                        let Ok(job) = job else { return };
                        // A panicking job loses only its own answer, never the thread.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .expect("a hashing thread starts");
        }
        Self { jobs }
    }
}

fn lower_this_threads_priority() {
    // On Linux the niceness belongs to the thread whose id is named.
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority and gettid only read and set this thread's scheduling attributes.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, HASHING_NICENESS);
    }
}

/// Counts a caller waiting for a permit while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Passwords {
    pub fn new(concurrent_hashes: usize) -> Self {
        let permits = concurrent_hashes.max(1);
        Self::with_limits(permits, permits * QUEUED_PER_PERMIT)
    }

    fn with_limits(permits: usize, queue: usize) -> Self {
        let hashers = Hashers::start(permits);
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            waiting: Arc::default(),
            queue,
            hashers,
            computed: Arc::default(),
        }
    }

    /// Whether the queue is full: a password sent now would be shed (`AuthError::Overloaded`).
    pub fn is_full(&self) -> bool {
        self.permits.available_permits() == 0 && self.waiting.load(Ordering::Acquire) >= self.queue
    }

    /// How many hashes have been computed (a verification is one) since this started.
    #[cfg(feature = "test-hooks")]
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Acquire)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> AuthResult<T> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                    return Err(AuthError::Overloaded);
                }
                let _waiting = Waiting(&self.waiting);
                self.permits.clone().acquire_owned().await.map_err(|e| AuthError::Internal(e.to_string()))?
            }
        };
        // The permit goes with the job: a caller that leaves does not free it while argon2 runs.
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _permit = permit;
            let _ = answer.send(work());
        });
        self.hashers.jobs.send(job).map_err(|_| AuthError::Internal("the hashing threads have stopped".into()))?;
        answered.await.map_err(|_| AuthError::Internal("a hash failed".into()))
    }

    pub async fn hash(&self, password: &str) -> AuthResult<String> {
        let password = password.to_owned();
        let computed = self.computed.clone();
        self.run(move || {
            computed.fetch_add(1, Ordering::AcqRel);
            let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes is a valid salt");
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| AuthError::Internal(format!("hashing a password: {e}")))
        })
        .await?
    }

    /// Verifies `password` against `stored`, or against a dummy hash when the user does not exist, so
    /// an unknown email costs the same time as a wrong password.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> AuthResult<bool> {
        let password = password.to_owned();
        let stored = stored.map(str::to_owned);
        let computed = self.computed.clone();
        self.run(move || {
            computed.fetch_add(1, Ordering::AcqRel);
            let stored = stored.as_deref().unwrap_or_else(|| dummy_hash());
            let Ok(parsed) = PasswordHash::new(stored) else { return false };
            argon2().verify_password(password.as_bytes(), &parsed).is_ok() && stored != dummy_hash()
        })
        .await
    }
}

/// A real hash of a random password, computed once, for the unknown-email path.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("valid salt");
        let secret: [u8; 32] = rand::random();
        argon2().hash_password(&secret, &salt).expect("hashing the dummy").to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let passwords = Passwords::new(2);
        let hash = passwords.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(passwords.verify("correct horse", Some(&hash)).await.unwrap());
        assert!(!passwords.verify("wrong horse", Some(&hash)).await.unwrap());
        assert!(!passwords.verify("anything", None).await.unwrap());
        assert!(!passwords.verify("anything", Some("not a hash")).await.unwrap());
    }

    #[tokio::test]
    async fn a_caller_that_leaves_keeps_its_permit_until_the_hash_is_done() {
        let passwords = Passwords::new(1);
        let left = tokio::time::timeout(std::time::Duration::from_millis(2), passwords.hash("a password")).await;
        assert!(left.is_err(), "argon2 at 19 MiB takes longer than 2 ms");
        assert_eq!(passwords.permits.available_permits(), 0, "the hash still runs, holding its permit");
        for _ in 0..200 {
            if passwords.permits.available_permits() == 1 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the permit never came back");
    }

    #[tokio::test]
    async fn beyond_the_queue_a_hash_is_refused_as_unavailable() {
        let passwords = Passwords::with_limits(1, 1);
        let (release, held) = std::sync::mpsc::channel::<()>();
        let running = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.run(move || held.recv()).await }
        });
        while passwords.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let queued = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.run(|| ()).await }
        });
        while passwords.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(passwords.run(|| ()).await, Err(AuthError::Overloaded)), "shed");
        release.send(()).unwrap();
        assert!(running.await.unwrap().is_ok() && queued.await.unwrap().is_ok());
    }

    /// Sign-ins yield the cores to signed-in users: the hashing threads run at niceness 10.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashes_run_at_a_lower_priority() {
        let passwords = Passwords::new(1);
        // SAFETY: getpriority and gettid only read this thread's scheduling attributes.
        let niceness = passwords.run(|| unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) });
        assert_eq!(niceness.await.unwrap(), HASHING_NICENESS);
    }

    /// A job that panics answers its caller with an error, and the thread keeps hashing.
    #[tokio::test]
    async fn a_panicking_hash_fails_only_itself() {
        let passwords = Passwords::new(1);
        assert!(passwords.run(|| panic!("a broken hash")).await.is_err());
        assert_eq!(passwords.run(|| 7).await.unwrap(), 7);
    }
}
