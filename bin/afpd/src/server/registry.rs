//! Every session of the server: connection counting for `max connections`, session
//! tokens (FPGetSessionToken), reconnect (FPDisconnectOldSession), and the control
//! channels used to reach each connection (shutdown attentions, forced disconnects).
//!
//! Spec `afp-dsi.md` §6.8: a token names a session; FPGetSessionToken types 3 and 4 record
//! the client's (ID, boot timestamp), and sessions of the same user with the same ID but
//! another timestamp belong to a client that rebooted and are ended. FPDisconnectOldSession
//! hands a disconnected (or still connected) session over to the new connection.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;

use crate::session::{Adoption, SessionId};

/// Length of our session tokens (netatalk: 8, and FPDisconnectOldSession requires 8).
pub const TOKEN_LEN: usize = 8;

/// What the registry can ask a connection's network task to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetControl {
    /// The server is shutting down: send the attention, finish, close.
    Shutdown,
    /// Drop the connection now (its session is being taken over or killed).
    Disconnect,
    /// Send this attention (server message, volume changed …).
    Attention(u16),
}

/// What the registry can ask a session thread to do when its connection is gone.
pub enum SessionControl {
    /// Serve the new connection described here (primary reconnect).
    Adopt(Adoption),
    /// End now (the client rebooted, or the server is shutting down).
    End,
}

impl std::fmt::Debug for SessionControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionControl::Adopt(_) => f.write_str("Adopt"),
            SessionControl::End => f.write_str("End"),
        }
    }
}

/// One registered session.
struct Entry {
    /// The logged-in user's uid (`None` before login and for guests: never adoptable).
    uid: Option<u32>,
    /// The session token, once one was handed out.
    token: Option<[u8; TOKEN_LEN]>,
    /// (client ID, boot timestamp) from FPGetSessionToken types 1–4.
    client_id: Option<(Bytes, Option<u32>)>,
    /// The connection's network task, while it is connected.
    net: Option<tokio::sync::mpsc::UnboundedSender<NetControl>>,
    /// The session thread's control channel.
    thread: std::sync::mpsc::Sender<SessionControl>,
    /// Whether the connection is gone and the session waits for a reconnect.
    disconnected: bool,
    /// The DSI replay cache of the connection that ended, for a reconnect.
    replay: Option<dsi::ReplayCache>,
}

/// Why FPDisconnectOldSession found nothing to take over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdoptError {
    /// No session has this token.
    NoSuchSession,
    /// The session belongs to another user (or a guest).
    OtherUser,
    /// The token names the calling session itself.
    SameSession,
}

/// All sessions of the server.
#[derive(Default)]
pub struct SessionRegistry {
    next_id: AtomicU64,
    /// Connections with an open DSI session (counted against `max connections`).
    open: AtomicUsize,
    /// Session threads still running (waited for at shutdown).
    threads: AtomicUsize,
    entries: Mutex<HashMap<SessionId, Entry>>,
}

impl std::fmt::Debug for SessionRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRegistry")
            .field("open", &self.open.load(Ordering::Relaxed))
            .field("threads", &self.threads.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Counts an open DSI session until dropped.
#[derive(Debug)]
pub struct OpenSlot<'a>(&'a SessionRegistry);

impl Drop for OpenSlot<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl SessionRegistry {
    /// A new session number.
    pub fn next_id(&self) -> SessionId {
        SessionId(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Takes a slot for an open DSI session if fewer than `max` are open.
    pub fn try_open(&self, max: u32) -> Option<OpenSlot<'_>> {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let mut cur = self.open.load(Ordering::Acquire);
        loop {
            if cur >= max {
                return None;
            }
            match self
                .open
                .compare_exchange(cur, cur + 1, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some(OpenSlot(self)),
                Err(now) => cur = now,
            }
        }
    }

    /// Open DSI sessions now.
    pub fn open_count(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Session threads still running.
    pub fn thread_count(&self) -> usize {
        self.threads.load(Ordering::Acquire)
    }

    /// Registers a new session with its network task's and thread's control channels.
    pub fn register(
        &self,
        id: SessionId,
        net: tokio::sync::mpsc::UnboundedSender<NetControl>,
        thread: std::sync::mpsc::Sender<SessionControl>,
    ) {
        self.threads.fetch_add(1, Ordering::AcqRel);
        self.lock().insert(
            id,
            Entry {
                uid: None,
                token: None,
                client_id: None,
                net: Some(net),
                thread,
                disconnected: false,
                replay: None,
            },
        );
    }

    /// The session thread `id` ended.
    pub fn unregister(&self, id: SessionId) {
        if self.lock().remove(&id).is_some() {
            self.threads.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Records the logged-in user (`None` for guests, who never reconnect).
    pub fn set_user(&self, id: SessionId, uid: Option<u32>) {
        if let Some(e) = self.lock().get_mut(&id) {
            e.uid = uid;
        }
    }

    /// The session's token, made on first use: 4 bytes of session number and 4 random
    /// bytes (netatalk sends its process ID, zero padded, in 8 bytes).
    pub fn token(&self, id: SessionId) -> [u8; TOKEN_LEN] {
        let mut map = self.lock();
        let Some(e) = map.get_mut(&id) else {
            return [0; TOKEN_LEN];
        };
        *e.token.get_or_insert_with(|| {
            let mut t = [0u8; TOKEN_LEN];
            t[..4].copy_from_slice(&(id.0 as u32).to_be_bytes());
            let r: [u8; 4] = rand::random();
            t[4..].copy_from_slice(&r);
            t
        })
    }

    /// Whether session `id` handed out a token (only such sessions wait for a reconnect).
    pub fn has_token(&self, id: SessionId) -> bool {
        self.lock().get(&id).is_some_and(|e| e.token.is_some())
    }

    /// FPGetSessionToken types 1–4: remember the client's ID and boot time. With a
    /// timestamp, every *other* session of the same user with the same ID and a different
    /// timestamp belongs to a client that rebooted: those sessions are ended (spec §6.8).
    /// Returns how many were ended.
    pub fn set_client_id(&self, id: SessionId, client_id: Bytes, timestamp: Option<u32>) -> usize {
        let mut map = self.lock();
        let uid = map.get(&id).and_then(|e| e.uid);
        let mut ended = 0;
        if let (Some(uid), Some(ts)) = (uid, timestamp) {
            for (other, e) in map.iter_mut() {
                if *other == id || e.uid != Some(uid) {
                    continue;
                }
                if let Some((cid, Some(ots))) = &e.client_id
                    && *cid == client_id
                    && *ots != ts
                {
                    if let Some(net) = &e.net {
                        let _ = net.send(NetControl::Disconnect);
                    }
                    let _ = e.thread.send(SessionControl::End);
                    ended += 1;
                }
            }
        }
        if let Some(e) = map.get_mut(&id) {
            e.client_id = Some((client_id, timestamp));
        }
        ended
    }

    /// The connection of session `id` is gone; its thread now waits for a reconnect.
    pub fn set_disconnected(&self, id: SessionId) {
        if let Some(e) = self.lock().get_mut(&id) {
            e.net = None;
            e.disconnected = true;
        }
    }

    /// FPDisconnectOldSession from session `by` (logged in as `uid`): hands the session
    /// named by `token` the new connection (`adoption`). On success the old session's
    /// thread serves the new connection from now on, and the caller's thread must end
    /// without answering. On failure the adoption is given back.
    pub fn adopt(
        &self,
        by: SessionId,
        uid: u32,
        token: &[u8],
        adoption: Adoption,
    ) -> Result<(), (AdoptError, Adoption)> {
        let mut map = self.lock();
        let found = map
            .iter()
            .find(|(_, e)| e.token.is_some_and(|t| t[..] == *token))
            .map(|(id, _)| *id);
        let Some(old) = found else {
            return Err((AdoptError::NoSuchSession, adoption));
        };
        if old == by {
            return Err((AdoptError::SameSession, adoption));
        }
        let Some(e) = map.get_mut(&old) else {
            return Err((AdoptError::NoSuchSession, adoption));
        };
        if e.uid != Some(uid) {
            return Err((AdoptError::OtherUser, adoption));
        }
        // A still-connected old session loses its connection first; its thread then
        // picks the adoption up from its control channel.
        if let Some(net) = e.net.take() {
            let _ = net.send(NetControl::Disconnect);
        }
        e.disconnected = true;
        match e.thread.send(SessionControl::Adopt(adoption)) {
            Ok(()) => {
                // The new connection now belongs to the old session.
                e.disconnected = false;
                Ok(())
            }
            // The old thread is gone: nothing to take over. A failed send gives back the
            // adoption it carried.
            Err(std::sync::mpsc::SendError(ctl)) => match ctl {
                SessionControl::Adopt(a) => Err((AdoptError::NoSuchSession, a)),
                SessionControl::End => unreachable!("an adoption was sent"),
            },
        }
    }

    /// Keeps the replay cache of session `id`'s ended connection (only for sessions that
    /// can be reconnected: logged in, with a token).
    pub fn save_replay_cache(&self, id: SessionId, cache: dsi::ReplayCache) {
        if let Some(e) = self.lock().get_mut(&id)
            && e.token.is_some()
            && !cache.is_empty()
        {
            e.replay = Some(cache);
        }
    }

    /// The saved replay cache of session `id`, taken out.
    pub fn take_replay_cache(&self, id: SessionId) -> Option<dsi::ReplayCache> {
        self.lock().get_mut(&id).and_then(|e| e.replay.take())
    }

    /// After an adoption: the old session `id` is connected again through `net`.
    pub fn reconnected(&self, id: SessionId, net: tokio::sync::mpsc::UnboundedSender<NetControl>) {
        if let Some(e) = self.lock().get_mut(&id) {
            e.net = Some(net);
            e.disconnected = false;
        }
    }

    /// Sends `ctl` to every connected network task; ends every disconnected session.
    pub fn broadcast(&self, ctl: NetControl) {
        for e in self.lock().values() {
            match &e.net {
                Some(net) => {
                    let _ = net.send(ctl);
                }
                None if ctl == NetControl::Shutdown => {
                    let _ = e.thread.send(SessionControl::End);
                }
                None => {}
            }
        }
    }

    /// Tells every session thread to end (shutdown: after the connections closed).
    pub fn end_all(&self) {
        for e in self.lock().values() {
            let _ = e.thread.send(SessionControl::End);
        }
    }

    /// Waits up to `timeout` for every session thread to end. True if they did.
    pub fn wait_threads(&self, timeout: Duration) -> bool {
        let step = Duration::from_millis(20);
        let mut waited = Duration::ZERO;
        while self.thread_count() > 0 {
            if waited >= timeout {
                return false;
            }
            std::thread::sleep(step);
            waited += step;
        }
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
