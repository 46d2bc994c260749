//! What OCPP-J's messages said ended a session ([`Why`]), and the CALLERROR codes OCPP-J
//! defines.
//!
//! In: nothing of the project. Out: the typed verdict `app::ocpp` gives (its words:
//! `report::words::app::ocpp`).

use crate::vocab::Role;
use serde::{Deserialize, Serialize};

/// What OCPP-J's messages say ended a session (its words: `report::words::app::ocpp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// The central system answered BootNotification with status Rejected at `packet`.
    BootRejected { packet: u64 },
    /// `by` answered a CALL with CALLERROR `code` (and `description`, possibly empty) at
    /// `packet`, the last error before the end at `end_packet`.
    CallError {
        by: Role,
        code: String,
        description: String,
        packet: u64,
        end_packet: u64,
    },
}

/// The CALLERROR codes of OCPP-J 1.6 (§4.2.3, "FormationViolation" and its misspelt
/// "OccurenceConstraintViolation" included) and 2.0.1 (§4.3).
pub const CALLERROR_CODES: [&str; 14] = [
    "NotImplemented",
    "NotSupported",
    "InternalError",
    "ProtocolError",
    "SecurityError",
    "FormationViolation",
    "FormatViolation",
    "PropertyConstraintViolation",
    "OccurenceConstraintViolation",
    "OccurrenceConstraintViolation",
    "TypeConstraintViolation",
    "GenericError",
    "MessageTypeNotSupported",
    "RpcFrameworkError",
];
