//! The numbers HTTP/2 frames are read against: the SETTINGS identifiers (RFC 9113 §6.5.2,
//! RFC 8441 §3) and the frame size limits (§4.2, §6.5.2).

/// SETTINGS_MAX_FRAME_SIZE until the receiver says otherwise, and its lowest legal value
/// (§6.5.2).
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 1 << 14;
/// The highest legal SETTINGS_MAX_FRAME_SIZE, and the most a 24-bit length can say (§6.5.2).
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;

/// SETTINGS identifiers (§6.5.2; 0x8 from RFC 8441 §3).
pub mod setting {
    pub const HEADER_TABLE_SIZE: u16 = 0x1;
    pub const ENABLE_PUSH: u16 = 0x2;
    pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
    pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
    pub const MAX_FRAME_SIZE: u16 = 0x5;
    pub const MAX_HEADER_LIST_SIZE: u16 = 0x6;
    pub const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
}
