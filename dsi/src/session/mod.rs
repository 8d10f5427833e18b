//! Sans-IO DSI session state machines for both roles (spec `afp-dsi.md` §1.4
//! to §1.10, §2.8).
//!
//! [`ServerSession`] and [`ClientSession`] never read the clock or touch a
//! socket. Time comes in as `now: Instant`, bytes come in through
//! `handle_input`, and everything that leaves goes out through `poll_*`.
//! The method families follow quinn-proto's `Connection`:
//!
//! | family | methods | what |
//! |---|---|---|
//! | getters | `state`, `is_closed`, `outstanding`, ... | read-only |
//! | `handle_*` | `handle_input`, `handle_frame`, `handle_timeout` | feed what happened |
//! | mutators | `reply`, `send_*`, `close`, `sleep`, `wake` | the app acts |
//! | `poll_*` | `poll_event`, `poll_transmit`, `poll_timeout` | drain what to do |
//!
//! # Polling order
//!
//! After every `handle_*` call or mutator, the driver should:
//!
//! 1. drain `poll_event()` until `None` (the app may call mutators while
//!    handling events, which is why events come first);
//! 2. drain `poll_transmit(now)` until `None` and write each [`Transmit`](crate::Transmit)
//!    (header, payload, data) to the socket;
//! 3. re-arm its single timer from `poll_timeout()` (`None`: no timer), and
//!    call `handle_timeout(now)` when it fires;
//! 4. once `is_closed()` is true and the transmits are written, shut the
//!    socket down.
//!
//! An `Err` from `handle_input`/`handle_frame` means the peer broke the
//! protocol: the session is already closed, pending transmits are dropped, and
//! the driver closes the connection. Errors from mutators (for instance a
//! reply to an unknown request ID) change nothing and the session goes on.
//!
//! # Timers
//!
//! Each side sends a DSITickle when it has sent nothing for
//! `tickle_interval` (30 s), and drops the session when it has received
//! nothing for `idle_timeout` (120 s: netatalk's `tickleval` 30 s ×
//! `timeout` 4 ticks). A sleeping session (after FPZzzzz) has no timers.
//!
//! [`ServerSession`]: crate::ServerSession
//! [`ClientSession`]: crate::ClientSession

use std::time::{Duration, Instant};

pub(crate) mod client;
pub(crate) mod server;

/// netatalk's `tickleval`: send a DSITickle after this long without sending.
pub const DEFAULT_TICKLE_INTERVAL: Duration = Duration::from_secs(30);
/// netatalk's `tickleval × timeout` (30 s × 4): drop the session after this
/// long without receiving anything.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// netatalk's `DSI_TCPTIMEOUT`: the first DSI message must arrive this soon.
pub const DEFAULT_OPEN_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a session ended (from a `Closed` event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The peer sent DSICloseSession.
    PeerClosed,
    /// The app called `close` (a DSICloseSession is queued if the session
    /// was open).
    Local,
    /// Nothing was received for the idle timeout (or, on a server, no first
    /// message within the open timeout). netatalk keeps the AFP session for a
    /// reconnect at this point; the DSI session is gone either way.
    IdleTimeout,
    /// A DSIGetStatus exchange finished; such a connection carries nothing else.
    StatusDone,
    /// The server refused DSIOpenSession with this error code (client only).
    Refused(i32),
}

/// The tickle and idle timers shared by both roles.
#[derive(Clone, Debug)]
pub(crate) struct Timers {
    tickle_interval: Duration,
    idle_timeout: Duration,
    last_rx: Instant,
    last_tx: Instant,
}

/// What `Timers::expired` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expired {
    Nothing,
    Tickle,
    Idle,
}

impl Timers {
    pub(crate) fn new(now: Instant, tickle_interval: Duration, idle_timeout: Duration) -> Self {
        Self {
            tickle_interval,
            idle_timeout,
            last_rx: now,
            last_tx: now,
        }
    }

    /// Restarts both timers (session opened or woken).
    pub(crate) fn reset(&mut self, now: Instant) {
        self.last_rx = now;
        self.last_tx = now;
    }

    pub(crate) fn received(&mut self, now: Instant) {
        self.last_rx = self.last_rx.max(now);
    }

    pub(crate) fn sent(&mut self, now: Instant) {
        self.last_tx = self.last_tx.max(now);
    }

    fn idle_deadline(&self) -> Option<Instant> {
        self.last_rx.checked_add(self.idle_timeout)
    }

    fn tickle_deadline(&self) -> Option<Instant> {
        self.last_tx.checked_add(self.tickle_interval)
    }

    /// The next deadline; `tickles` false leaves only the idle timer.
    pub(crate) fn deadline(&self, tickles: bool) -> Option<Instant> {
        let idle = self.idle_deadline();
        let tickle = if tickles {
            self.tickle_deadline()
        } else {
            None
        };
        match (idle, tickle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Checks the deadlines at `now`. A due tickle counts as sent at `now`,
    /// so the next deadline moves on even before the transmit is polled.
    pub(crate) fn expired(&mut self, now: Instant, tickles: bool) -> Expired {
        // [A-2.2]: "each side sends DSITickle when it has sent nothing else
        // for 30 s; either side drops the session after 2 minutes without
        // receiving anything."
        if self.idle_deadline().is_some_and(|d| now >= d) {
            return Expired::Idle;
        }
        if tickles && self.tickle_deadline().is_some_and(|d| now >= d) {
            self.sent(now);
            return Expired::Tickle;
        }
        Expired::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // a test needs one real instant to start from
    fn timers() {
        let t0 = Instant::now();
        let mut t = Timers::new(t0, Duration::from_secs(30), Duration::from_secs(120));
        assert_eq!(t.deadline(true), Some(t0 + Duration::from_secs(30)));
        assert_eq!(t.deadline(false), Some(t0 + Duration::from_secs(120)));
        assert_eq!(
            t.expired(t0 + Duration::from_secs(29), true),
            Expired::Nothing
        );
        assert_eq!(
            t.expired(t0 + Duration::from_secs(30), true),
            Expired::Tickle
        );
        assert_eq!(t.deadline(true), Some(t0 + Duration::from_secs(60)));
        assert_eq!(
            t.expired(t0 + Duration::from_secs(120), true),
            Expired::Idle
        );
        t.received(t0 + Duration::from_secs(100));
        assert_eq!(
            t.expired(t0 + Duration::from_secs(120), false),
            Expired::Nothing
        );
        // Huge durations never overflow.
        let t = Timers::new(t0, Duration::MAX, Duration::MAX);
        assert_eq!(t.deadline(true), None);
    }
}
