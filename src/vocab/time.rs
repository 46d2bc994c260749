//! Capture time: [`Timestamp`], nanoseconds since the Unix epoch, written as RFC 3339 in
//! UTC with nanoseconds (its `Display`, its JSON string, its schema).
//!
//! In: nothing of the project. Out: the time every packet, frame and ending carries.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use std::borrow::Cow;
use std::cell::Cell;

/// Nanoseconds since the Unix epoch.
///
/// ```
/// use wsclose::Timestamp;
///
/// let t = Timestamp::from_parts(1_700_000_000, 123_456_789);
/// assert_eq!(t.to_string(), "2023-11-14T22:13:20.123456789Z");
/// assert_eq!(t.since(Timestamp::from_parts(1_700_000_000, 0)), 0.123456789);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From seconds and nanoseconds since the Unix epoch.
    pub fn from_parts(secs: i64, nanos: u32) -> Timestamp {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(i64::from(nanos)),
        )
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000_000)
    }

    /// Nanoseconds past [`Timestamp::secs`].
    pub fn subsec_nanos(self) -> u32 {
        self.0.rem_euclid(1_000_000_000) as u32
    }

    /// Seconds from `earlier` to `self` (negative if `self` is earlier).
    pub fn since(self, earlier: Timestamp) -> f64 {
        (self.0.saturating_sub(earlier.0)) as f64 / 1e9
    }

    /// RFC 3339 in UTC with nanoseconds, e.g. `2024-05-01T12:00:00.123456789Z` (its
    /// `Display`).
    pub fn rfc3339(self) -> String {
        self.to_string()
    }
}

/// Writes the last two digits of `v` at `at` in `out`.
fn two(out: &mut [u8], at: usize, v: u32) {
    let i = 2 * (v % 100) as usize;
    if let (Some(dst), Some(src)) = (out.get_mut(at..at + 2), PAIRS.get(i..i + 2)) {
        dst.copy_from_slice(src);
    }
}

/// "00", "01", …, "99".
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

impl Timestamp {
    /// The RFC 3339 text of a time in the years 0 to 9999 (every capture's), built digit
    /// by digit in place: reports hold several times per connection, and the formatting
    /// machinery took a few percent of a whole run. The date and time of day are kept for
    /// the last second written (on this thread), so that the times of one second (most of
    /// a connection's) only write their nanoseconds. `None` for other years.
    fn text(self) -> Option<[u8; 30]> {
        thread_local! {
            /// The last second written: its whole seconds and its first 20 bytes.
            static LAST: Cell<(i64, [u8; 20])> = const { Cell::new((i64::MIN, [0; 20])) };
        }
        let secs = self.secs();
        let head = match LAST.get() {
            (last, head) if last == secs => head,
            _ => {
                let head = self.second_text()?;
                LAST.set((secs, head));
                head
            }
        };
        let mut out = *b"0000-00-00T00:00:00.000000000Z";
        if let Some(at) = out.first_chunk_mut::<20>() {
            *at = head;
        }
        let n = self.subsec_nanos();
        two(&mut out, 20, n / 10_000_000);
        two(&mut out, 22, n / 100_000);
        two(&mut out, 24, n / 1_000);
        two(&mut out, 26, n / 10);
        if let Some(b) = out.get_mut(28) {
            *b = b'0' + (n % 10) as u8;
        }
        Some(out)
    }

    /// The first 20 bytes of [`Timestamp::text`]: `YYYY-MM-DDTHH:MM:SS.`, built two digits
    /// at a time from a table (a division by 100 for each pair rather than one by 10 for
    /// each digit).
    fn second_text(self) -> Option<[u8; 20]> {
        let (y, m, d, rem) = self.civil();
        let year @ 0..=9999 = u32::try_from(y).ok()? else {
            return None;
        };
        let mut out = *b"0000-00-00T00:00:00.";
        two(&mut out, 0, year / 100);
        two(&mut out, 2, year);
        two(&mut out, 5, m);
        two(&mut out, 8, d);
        two(&mut out, 11, rem / 3600);
        two(&mut out, 14, (rem / 60) % 60);
        two(&mut out, 17, rem % 60);
        Some(out)
    }

    /// (year, month, day, second of the day) in UTC.
    fn civil(self) -> (i64, u32, u32, u32) {
        let (y, m, d) = civil_from_days(self.secs().div_euclid(86_400));
        (y, m, d, self.secs().rem_euclid(86_400) as u32)
    }
}

/// RFC 3339 in UTC with nanoseconds, as reports show times.
impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.text() {
            // ASCII digits and separators only.
            Some(text) => f.write_str(std::str::from_utf8(&text).unwrap_or_default()),
            None => {
                let (y, m, d, rem) = self.civil();
                write!(
                    f,
                    "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z",
                    rem / 3600,
                    (rem / 60) % 60,
                    rem % 60,
                    self.subsec_nanos()
                )
            }
        }
    }
}

/// A time in a report is its RFC 3339 text, written straight into the output (no string
/// kept per time in the report), as one string rather than through the formatting
/// machinery. The stored form (a serializer that is not human-readable: `serial`) is the
/// nanoseconds.
impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return s.serialize_i64(self.0);
        }
        match self.text() {
            Some(text) => s.serialize_str(std::str::from_utf8(&text).unwrap_or_default()),
            None => s.collect_str(self),
        }
    }
}

/// The stored form only (the nanoseconds), as [`Serialize`] writes it for `serial`.
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        <i64 as serde::Deserialize>::deserialize(d).map(Timestamp)
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// RFC 3339 in UTC with nanoseconds, as `Timestamp`'s `Display` writes it.
impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Capture time, RFC 3339 in UTC with nanoseconds.",
            "type": "string",
            "pattern": "^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(
            Timestamp::from_parts(0, 0).rfc3339(),
            "1970-01-01T00:00:00.000000000Z"
        );
        assert_eq!(
            Timestamp::from_parts(1_714_564_800, 123_456_789).rfc3339(),
            "2024-05-01T12:00:00.123456789Z"
        );
        assert_eq!(
            Timestamp::from_parts(951_825_600, 5).rfc3339(),
            "2000-02-29T12:00:00.000000005Z"
        );
        // Before 1970, and the ends of the range.
        assert_eq!(
            Timestamp::from_parts(-1, 999_999_999).rfc3339(),
            "1969-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            Timestamp(i64::MIN).rfc3339(),
            "1677-09-21T00:12:43.145224192Z"
        );
        assert_eq!(
            Timestamp(i64::MAX).rfc3339(),
            "2262-04-11T23:47:16.854775807Z"
        );
        // The digit-by-digit path against the formatting machinery, over many times.
        let mut t: i64 = 12_345;
        for _ in 0..10_000 {
            t = t.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1)
                % 4_000_000_000_000_000_000;
            let ts = Timestamp(t.abs());
            let (y, m, d) = civil_from_days(ts.secs().div_euclid(86_400));
            let rem = ts.secs().rem_euclid(86_400);
            let want = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z",
                rem / 3600,
                (rem / 60) % 60,
                rem % 60,
                ts.subsec_nanos()
            );
            assert_eq!(ts.rfc3339(), want);
            // Another time of the same second (its date kept from the one before), then
            // the first again.
            let same = Timestamp::from_parts(ts.secs(), (t % 1_000_000_000).unsigned_abs() as u32);
            assert_eq!(same.rfc3339()[..20], want[..20]);
            assert_eq!(ts.rfc3339(), want);
        }
        // Two seconds in turn, with a third between them.
        let (a, b) = (
            Timestamp::from_parts(86_399, 1),
            Timestamp::from_parts(86_400, 2),
        );
        for _ in 0..3 {
            assert_eq!(a.rfc3339(), "1970-01-01T23:59:59.000000001Z");
            assert_eq!(
                Timestamp(i64::MIN).rfc3339(),
                "1677-09-21T00:12:43.145224192Z"
            );
            assert_eq!(b.rfc3339(), "1970-01-02T00:00:00.000000002Z");
        }
    }
}
