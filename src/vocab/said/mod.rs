//! What an application protocol's messages said of how its session ended, as data
//! ([`AppSaid`]: one variant per protocol, its `Why` in the protocol's file here): packets,
//! codes, sides and the peer's own words, no sentences. A protocol's decoder (`app/`) gives
//! it as its verdict; the report keeps it (`ApplicationReport::said`, in the stored form
//! only), and `report::words::app` makes from it, where the report is finished, the cause
//! label, summary and fix that the JSON `application` states.
//!
//! In: nothing of the project. Out: the typed verdicts.

use serde::{Deserialize, Serialize};

pub mod actioncable;
pub mod graphql;
pub mod mqtt;
pub mod ocpp;
pub mod phoenix;
pub mod signalr;
pub mod socketio;
pub mod sockjs;
pub mod stomp;
pub mod wamp;

/// Makes [`AppSaid`] from one line per protocol (its doc, its variant, its file here), with
/// a `From` of each protocol's `Why`.
macro_rules! said {
    ($( $(#[doc = $doc:literal])* $variant:ident($module:ident); )*) => {
        /// What one protocol's messages said of how its session ended.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub enum AppSaid {
            $( $(#[doc = $doc])* $variant($module::Why), )*
        }

        $(
            impl From<$module::Why> for AppSaid {
                fn from(w: $module::Why) -> AppSaid {
                    AppSaid::$variant(w)
                }
            }
        )*
    };
}

said! {
    /// socket.io (Engine.IO over WebSocket).
    SocketIo(socketio);
    /// GraphQL over WebSocket (graphql-transport-ws and the older graphql-ws).
    Graphql(graphql);
    /// MQTT.
    Mqtt(mqtt);
    /// STOMP.
    Stomp(stomp);
    /// ASP.NET Core SignalR.
    SignalR(signalr);
    /// Phoenix channels.
    Phoenix(phoenix);
    /// Rails Action Cable.
    ActionCable(actioncable);
    /// OCPP-J.
    Ocpp(ocpp);
    /// WAMP.
    Wamp(wamp);
    /// SockJS.
    SockJs(sockjs);
}
