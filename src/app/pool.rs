//! A per-thread pool of message buffers: the tap (`websocket::tap`) takes one for each
//! message's kept bytes, and the application layer gives it back once it has read the
//! message, so that a message costs no allocation. In: buffers read; out: empty buffers.
//! The application layer's, as the bytes it keeps ([`super::KEEP`]) are: the tap hands
//! messages on to it, and it imports nothing of the WebSocket stage.

/// Buffers of taken messages kept for the next ones, per thread: a message's kept bytes
/// were a fresh allocation, grown a piece at a time, and freed once read. At most this many,
/// each at most `app::KEEP` long, so the memory does not follow the sessions.
const POOLED: usize = 8;

thread_local! {
    static POOL: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty buffer for a message's kept bytes, from the thread's pool when it has one.
pub(crate) fn pooled() -> Vec<u8> {
    POOL.with_borrow_mut(|p| p.pop()).unwrap_or_default()
}

/// The buffer of a message that was read, back to the thread's pool.
pub(crate) fn recycle(mut b: Vec<u8>) {
    if b.capacity() == 0 {
        return;
    }
    b.clear();
    POOL.with_borrow_mut(|p| {
        if p.len() < POOLED {
            p.push(b);
        }
    });
}
