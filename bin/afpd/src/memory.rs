//! Process-wide allocator tuning.
//!
//! afpd runs one OS thread per session, and glibc gives busy threads their own malloc arenas.
//! By default glibc also raises its mmap threshold after the first large free, so a large
//! transient buffer (the 19 MiB an argon2id password check needs at login) ends up inside
//! the session thread's arena and stays resident for the life of the session: measured
//! 16–19 MiB of RSS per idle session. Fixing the threshold keeps such buffers in their own
//! mappings, returned to the kernel when freed, while the request-sized buffers of reads and
//! writes (up to the default server quantum) stay in the arenas.

/// Allocations at least this large get their own mapping (4 MiB: four times the default
/// `server quantum` of 1 MiB, so read and write buffers of that size stay in the arenas, and
/// below the argon2 working memory; a server configured with a larger quantum pays one
/// mmap/munmap per larger read).
pub const MMAP_THRESHOLD: usize = 4 << 20;

/// Applies the tuning; call once, early in `main`, before any thread starts. A no-op on
/// C libraries other than glibc.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let threshold = libc::c_int::try_from(MMAP_THRESHOLD).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only changes allocator parameters; M_MMAP_THRESHOLD takes a byte
        // count, and setting it also fixes the trim threshold. No memory is touched.
        let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, threshold) };
        if ok != 1 {
            tracing::debug!("mallopt(M_MMAP_THRESHOLD) refused");
        }
    }
}
