//! The lengths of a proxy's quiet spells.

use crate::report::words::proxy::heartbeat;
use crate::report::words::proxy::whole_seconds;

#[test]
fn timeouts_read_as_configured_lengths() {
    assert_eq!(whole_seconds(1.999), Some(2));
    assert_eq!(whole_seconds(60.4), Some(60));
    assert_eq!(whole_seconds(0.745), None);
    assert_eq!(whole_seconds(1.7), None);
    assert_eq!(whole_seconds(0.3), None);
    assert_eq!(heartbeat(2.0), 1);
    assert_eq!(heartbeat(60.0), 30);
}
