//! What one session's ending shows of its peer beyond how it ended, for the incident kinds
//! that read the window's evidence (a stalled server): whether the side that ended had
//! pinged and got no pong, when, the peer's last frame before that, whether its data was
//! left unacknowledged, and whether the client gave up before its upgrade was answered.
//!
//! In: a finished connection's report (`report::incidents::ending` fills it). Out:
//! [`Signs`], a few words kept in each [`Ending`](super::Ending) (charged with it to
//! `--max-memory`).

/// What the capture shows of a session's peer at its end (see the module's header).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signs {
    /// The side that ended it had pinged and its pings went unanswered: when the first of
    /// them was captured, nanoseconds (its heartbeat gave up, `heartbeat-timeout`).
    pub unanswered_ping: Option<i64>,
    /// The peer's last frame before that ping, nanoseconds (`None`: none was kept, or the
    /// peer sent none: then the session's start stands for it).
    pub peer_last_frame: Option<i64>,
    /// The server's last frame in the session, nanoseconds (`None`: none was kept).
    pub server_last_frame: Option<i64>,
    /// The side that ended it had data the peer never acknowledged to the end
    /// (`unacknowledged-data`): the path or the peer's host, not only its process, was gone.
    pub unacknowledged: bool,
    /// The client ended TCP before the server answered its upgrade request (the answer came
    /// after, or never): it gave up waiting.
    pub upgrade_unanswered: bool,
    /// The server answered the upgrade (a 101, or 2xx for an HTTP/2 stream) before the
    /// session ended.
    pub upgraded: bool,
}
