//! A thread that never gives up root, for the few things a session thread (which runs as
//! the logged-in user) must not or cannot do itself: opening a volume's CNID store (which
//! creates `vol dbpath` directories owned by root), changing a password in the password
//! file or through PAM, and anything else that needs the server's own identity.
//!
//! Session threads switch their own credentials after login (see [`crate::creds`]), so a
//! file a session thread opens is opened as the user. Work handed to [`RootService::run`]
//! runs on the service thread instead, with the server's credentials, and the caller waits
//! for its result.

use std::sync::mpsc;
use std::thread;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Handle to the root service thread. Cheap to clone; the thread ends when every handle is
/// dropped.
#[derive(Clone, Debug)]
pub struct RootService {
    tx: mpsc::Sender<Job>,
}

impl RootService {
    /// Starts the service thread. Call it before any thread switches credentials.
    pub fn start() -> std::io::Result<RootService> {
        let (tx, rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("afpd-root".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })?;
        Ok(RootService { tx })
    }

    /// Runs `f` on the service thread with the server's credentials and returns its result.
    ///
    /// Returns `None` only if the service thread is gone (it never panics out: a panic in
    /// `f` is caught and reported as `None`).
    pub fn run<T, F>(&self, f: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            if let Ok(v) = result {
                let _ = tx.send(v);
            }
        });
        self.tx.send(job).ok()?;
        rx.recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_jobs_and_survives_a_panicking_one() {
        let svc = RootService::start().unwrap();
        assert_eq!(svc.run(|| 2 + 2), Some(4));
        assert_eq!(svc.run(|| -> u32 { panic!("boom") }), None);
        let me = thread::current().id();
        assert_ne!(svc.run(move || thread::current().id() != me), Some(false));
    }
}
