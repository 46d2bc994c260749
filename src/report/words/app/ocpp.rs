//! The words of OCPP-J's verdicts ([`Why`]): a rejected boot, the last CALLERROR.

use super::said::{quote, Words};
use crate::vocab::said::ocpp::{Why, CALLERROR_CODES};
use crate::vocab::AppCause;

/// The words of OCPP-J's verdict.
pub(super) fn words(w: &Why) -> Words {
    match w {
        Why::BootRejected { packet } => Words::new(
            "boot rejected",
            format!("the central system answered BootNotification with status Rejected at packet {packet}"),
            "The central system does not accept this charging station (unknown identity or not yet provisioned): register it there.",
        ),
        Why::CallError {
            by,
            code,
            description,
            packet,
            end_packet,
        } => {
            let desc = if description.is_empty() {
                String::new()
            } else {
                format!(" {}", quote(description))
            };
            // The error codes OCPP-J defines (1.6 §4.2.3, 2.0.1 §4.3) name the cause;
            // any other is the peer's words, quoted.
            let label = if CALLERROR_CODES.contains(&code.as_str()) {
                format!("CALLERROR {code}").into()
            } else {
                AppCause::quoted("CALLERROR", code)
            };
            Words::new(
                label,
                format!("the {by} answered a CALL with CALLERROR {}{desc} at packet {packet}, the last error before the end at packet {end_packet}", quote(code)),
                "",
            )
        }
    }
}
