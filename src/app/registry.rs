//! The registry of application protocols: one row per protocol, and the lookups that pick a
//! session's protocol from its handshake and first message.
//!
//! In: the server's `Sec-WebSocket-Protocol` (RFC 6455 §4.2.2, §11.3.4), the client's offer
//! when the server selected none, the request target, a first client message. Out: the
//! protocol ([`Protocol`]), how it was recognized, and its decoder's state ([`Proto`]).
//! Nothing outside this file names a protocol to choose it: the tracker asks the rows.
//!
//! A row states what is known of a protocol before its messages are read: its name, the
//! subprotocols that name it (lowercase), which request target names it, which first
//! message names it, whether a client's offer alone names it, and how much of each message
//! its decoder reads ([`Keep`]). A new protocol is one file in `app/` with its [`Machine`]
//! and one entry of `registry!` here (its row); its typed verdict is a file of
//! `vocab::said` (a variant of `vocab::AppSaid`), its words a file of `report::words::app`.

use super::{
    actioncable, graphql, mqtt, ocpp, phoenix, signalr, socketio, sockjs, stomp, wamp, Keep,
    Machine, Message,
};
use serde::{Deserialize, Serialize};

/// What is known of one protocol before its messages are read.
pub(crate) struct Row {
    /// The name its specification gives it.
    pub name: &'static str,
    /// The subprotocols that name it, lowercase (a server's selection is compared without
    /// case).
    pub subprotocols: &'static [&'static str],
    /// Its state for a session whose server selected one of [`Row::subprotocols`] (given
    /// lowercase).
    pub by_subprotocol: Option<BySubprotocol>,
    /// For a request target that names it: how ("request target: EIO=4") and its state;
    /// `Some(None)` for a target that is its but of a version it cannot read (no protocol
    /// is then recognized by the target, not another one guessed).
    pub by_target: Option<ByTarget>,
    /// For a first client message that only this protocol sends: how, and its state.
    pub by_first: Option<ByFirst>,
    /// Its state for a session whose client offered one of [`Row::subprotocols`] and whose
    /// server selected none (given the protocol names of the offer, as shown), when the
    /// offer alone says what the client speaks.
    pub by_offer: Option<ByOffer>,
    /// How much of each message its decoder reads.
    pub keep: Keep,
}

/// A protocol's state for a selected subprotocol (lowercase).
pub(crate) type BySubprotocol = fn(&str) -> Option<Proto>;
/// A request target's protocol: how it names it and its state, or `Some(None)` (its, but
/// unreadable).
pub(crate) type ByTarget = fn(&str) -> Option<Option<(String, Proto)>>;
/// A first message's protocol: how it names it, and its state.
pub(crate) type ByFirst = fn(&Message<'_>) -> Option<(&'static str, Proto)>;
/// A protocol's state for a client's offer alone (the names of the offer, as shown).
pub(crate) type ByOffer = fn(&str) -> Proto;

/// A row with nothing that names its protocol, completed by each row of [`registry!`].
const ROW: Row = Row {
    name: "",
    subprotocols: &[],
    by_subprotocol: None,
    by_target: None,
    by_first: None,
    by_offer: None,
    keep: Keep::All,
};

/// Reaches a protocol's state as its [`Machine`], boxed (WAMP's) or not.
pub(crate) trait AsMachine {
    fn as_machine(&self) -> &dyn Machine;
    fn as_machine_mut(&mut self) -> &mut dyn Machine;
}

impl<T: Machine> AsMachine for T {
    fn as_machine(&self) -> &dyn Machine {
        self
    }
    fn as_machine_mut(&mut self) -> &mut dyn Machine {
        self
    }
}

impl AsMachine for Box<wamp::Wamp> {
    fn as_machine(&self) -> &dyn Machine {
        self.as_ref()
    }
    fn as_machine_mut(&mut self) -> &mut dyn Machine {
        self.as_mut()
    }
}

/// Makes, from one line per protocol (its doc, its name in code, its state's type, its
/// row), the [`Protocol`] enum, the [`Proto`] enum of states, [`ALL`] in that order and
/// each protocol's row ([`Protocol::row`]): a protocol cannot be without its row.
macro_rules! registry {
    ($( $(#[doc = $doc:literal])* $variant:ident($state:ty) => $row:expr; )*) => {
        /// The application protocols wsclose reads, one per row of the registry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Protocol {
            $( $(#[doc = $doc])* $variant, )*
        }

        /// One protocol's state, of whichever protocol (an enum, so that a session with its
        /// tracker keeps its stored form: quiet connections are frozen to disk).
        #[derive(Debug, Serialize, Deserialize)]
        pub(crate) enum Proto {
            $( $variant($state), )*
        }

        impl Proto {
            pub(crate) fn machine(&self) -> &dyn Machine {
                match self {
                    $( Proto::$variant(m) => m.as_machine(), )*
                }
            }

            pub(crate) fn machine_mut(&mut self) -> &mut dyn Machine {
                match self {
                    $( Proto::$variant(m) => m.as_machine_mut(), )*
                }
            }

            /// The protocol whose state it is.
            #[cfg(test)]
            pub(crate) fn protocol(&self) -> Protocol {
                match self {
                    $( Proto::$variant(_) => Protocol::$variant, )*
                }
            }
        }

        /// Every protocol, in the order of its row here: a request target is matched
        /// against the rows in this order.
        pub(crate) const ALL: &[Protocol] = &[ $( Protocol::$variant, )* ];

        impl Protocol {
            /// Its row.
            pub(crate) fn row(self) -> &'static Row {
                match self {
                    $( Protocol::$variant => {
                        static THIS: Row = $row;
                        &THIS
                    } )*
                }
            }
        }
    };
}

registry! {
    /// socket.io (Engine.IO over WebSocket).
    SocketIo(socketio::SocketIo) => Row {
        name: "socket.io",
        by_target: Some(|t| {
            socketio::by_target(t).map(|v| v.map(|(how, s)| (how, Proto::SocketIo(s))))
        }),
        keep: Keep::SocketIo,
        ..ROW
    };
    /// GraphQL over WebSocket, the `graphql-transport-ws` subprotocol.
    GraphqlTransportWs(graphql::Graphql) => Row {
        name: "graphql-transport-ws",
        subprotocols: &["graphql-transport-ws"],
        by_subprotocol: Some(|_| Some(Proto::GraphqlTransportWs(graphql::Graphql::new(true)))),
        by_offer: Some(|shown| {
            Proto::GraphqlTransportWs(graphql::Graphql::offered_only(true, shown))
        }),
        ..ROW
    };
    /// The older `graphql-ws` subprotocol (subscriptions-transport-ws).
    GraphqlWs(graphql::Graphql) => Row {
        name: "graphql-ws",
        subprotocols: &["graphql-ws"],
        by_subprotocol: Some(|_| Some(Proto::GraphqlWs(graphql::Graphql::new(false)))),
        by_offer: Some(|shown| Proto::GraphqlWs(graphql::Graphql::offered_only(false, shown))),
        ..ROW
    };
    /// MQTT over WebSocket.
    Mqtt(mqtt::Mqtt) => Row {
        name: "MQTT",
        subprotocols: &["mqtt", "mqttv3.1", "mqttv3.1.1", "mqttv5", "mqttv5.0"],
        by_subprotocol: Some(|_| Some(Proto::Mqtt(mqtt::Mqtt::default()))),
        ..ROW
    };
    /// STOMP over WebSocket.
    Stomp(stomp::Stomp) => Row {
        name: "STOMP",
        subprotocols: &["v10.stomp", "v11.stomp", "v12.stomp", "stomp"],
        by_subprotocol: Some(|sp| {
            Some(Proto::Stomp(stomp::Stomp::new(sp.get(1..3).map(str::to_string))))
        }),
        ..ROW
    };
    /// ASP.NET Core SignalR.
    SignalR(signalr::SignalR) => Row {
        name: "SignalR",
        by_first: Some(|m| {
            let s = signalr::first(m)?;
            Some(("first message: the SignalR handshake", Proto::SignalR(s)))
        }),
        ..ROW
    };
    /// Phoenix channels (Elixir).
    Phoenix(phoenix::Phoenix) => Row {
        name: "Phoenix channels",
        by_target: Some(|t| phoenix::by_target(t).map(|(how, s)| Some((how, Proto::Phoenix(s))))),
        ..ROW
    };
    /// Rails Action Cable.
    ActionCable(actioncable::ActionCable) => Row {
        name: "Action Cable",
        subprotocols: &["actioncable-v1-json", "actioncable-v1-msgpack", "actioncable-unsupported"],
        by_subprotocol: Some(|sp| Some(Proto::ActionCable(actioncable::ActionCable::new(sp)))),
        ..ROW
    };
    /// OCPP-J (Open Charge Point Protocol over WebSocket).
    Ocpp(ocpp::Ocpp) => Row {
        name: "OCPP-J",
        subprotocols: &["ocpp1.2", "ocpp1.5", "ocpp1.6", "ocpp2.0", "ocpp2.0.1", "ocpp2.1"],
        by_subprotocol: Some(|sp| {
            Some(Proto::Ocpp(ocpp::Ocpp::new(sp.trim_start_matches("ocpp").to_string())))
        }),
        ..ROW
    };
    /// WAMP (the Web Application Messaging Protocol).
    // Boxed: its state (about 300 bytes) would make every session's `Proto` that large.
    Wamp(Box<wamp::Wamp>) => Row {
        name: "WAMP",
        subprotocols: &[
            "wamp.2.json",
            "wamp.2.msgpack",
            "wamp.2.cbor",
            "wamp.2.json.batched",
            "wamp.2.msgpack.batched",
            "wamp.2.cbor.batched",
        ],
        by_subprotocol: Some(|sp| Some(Proto::Wamp(Box::new(wamp::Wamp::of(sp)?)))),
        ..ROW
    };
    /// SockJS on its raw WebSocket transport.
    SockJs(sockjs::SockJs) => Row {
        name: "SockJS",
        by_target: Some(|t| {
            sockjs::target(t).then(|| {
                Some((
                    "request target: …/<server>/<session>/websocket, then the server's open frame \"o\"".into(),
                    Proto::SockJs(sockjs::SockJs::default()),
                ))
            })
        }),
        ..ROW
    };
}

impl Protocol {
    /// The name its specification gives it.
    pub fn name(self) -> &'static str {
        self.row().name
    }
}

/// The protocol a server's selected subprotocol names, and its state.
pub(crate) fn by_subprotocol(sp: &str) -> Option<(Protocol, Proto)> {
    // Copied only when it has a capital to lower.
    let lower = if sp.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(sp.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(sp)
    };
    let lower: &str = &lower;
    ALL.iter().find_map(|&p| {
        let row = p.row();
        let make = row.by_subprotocol?;
        row.subprotocols
            .contains(&lower)
            .then(|| make(lower))
            .flatten()
            .map(|m| (p, m))
    })
}

/// The protocol a request target names: how, and its state.
pub(crate) fn by_target(target: &str) -> Option<(Protocol, String, Proto)> {
    let (p, named) = ALL
        .iter()
        .find_map(|&p| Some((p, (p.row().by_target?)(target)?)))?;
    let (how, m) = named?;
    Some((p, how, m))
}

/// The protocol a first client message names: how, and its state.
pub(crate) fn by_first(m: &Message<'_>) -> Option<(Protocol, &'static str, Proto)> {
    ALL.iter().find_map(|&p| {
        let (how, s) = (p.row().by_first?)(m)?;
        Some((p, how, s))
    })
}

/// The protocol a client's offer names when the server selected none (only protocols whose
/// offer alone says what the client speaks): how, and its state. The first such name of
/// the offer decides; the others are shown beside it, nothing else of the offer (it may
/// carry a token, which the report must not repeat).
pub(crate) fn by_offer(offer: &str) -> Option<(Protocol, String, Proto)> {
    let named = |item: &str| {
        ALL.iter().find_map(|&p| {
            let row = p.row();
            row.by_offer?;
            let name = row
                .subprotocols
                .iter()
                .find(|name| item.eq_ignore_ascii_case(name))?;
            Some((p, *name))
        })
    };
    let names: Vec<(Protocol, &str)> = offer.split(',').map(str::trim).filter_map(named).collect();
    let &(p, _) = names.first()?;
    let shown = names.iter().map(|n| n.1).collect::<Vec<_>>().join(", ");
    let m = (p.row().by_offer?)(&shown);
    Some((
        p,
        format!("Sec-WebSocket-Protocol offered: {shown} (the response selected none)"),
        m,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_protocol_has_one_row_with_a_unique_name() {
        let listed: HashSet<Protocol> = ALL.iter().copied().collect();
        assert_eq!(listed.len(), ALL.len(), "a protocol listed twice");
        for &p in ALL {
            assert!(!p.name().is_empty(), "{p:?} has no name");
        }
        let names: HashSet<&str> = ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names.len(), ALL.len(), "two rows share a name");
    }

    #[test]
    fn every_subprotocol_names_one_protocol_and_makes_its_state() {
        let mut seen = HashSet::new();
        for &p in ALL {
            let row = p.row();
            assert_eq!(
                row.subprotocols.is_empty(),
                row.by_subprotocol.is_none(),
                "{p:?}"
            );
            for &sp in row.subprotocols {
                assert_eq!(sp, sp.to_ascii_lowercase(), "{sp} is not lowercase");
                assert!(seen.insert(sp), "{sp} is in two rows");
                let (q, m) = by_subprotocol(sp).expect(sp);
                assert_eq!((q, m.protocol()), (p, p), "{sp}");
                let (q, _) = by_subprotocol(&sp.to_ascii_uppercase()).expect(sp);
                assert_eq!(q, p, "{sp} in capitals");
            }
        }
        assert!(by_subprotocol("chat").is_none());
        assert!(by_subprotocol("wamp.2.xml").is_none());
    }

    #[test]
    fn every_protocol_is_recognized_some_way_and_makes_its_own_state() {
        for &p in ALL {
            let row = p.row();
            assert!(
                row.by_subprotocol.is_some() || row.by_target.is_some() || row.by_first.is_some(),
                "{p:?} is never recognized"
            );
            if row.by_offer.is_some() {
                let (q, how, m) = by_offer(row.subprotocols[0]).expect("offered");
                assert_eq!((q, m.protocol()), (p, p));
                assert!(how.contains(row.subprotocols[0]), "{how}");
            }
        }
        for (target, p) in [
            ("/socket.io/?EIO=4&transport=websocket", Protocol::SocketIo),
            ("/socket/websocket?vsn=2.0.0", Protocol::Phoenix),
            ("/echo/123/abcd/websocket", Protocol::SockJs),
        ] {
            let (q, _, m) = by_target(target).expect(target);
            assert_eq!((q, m.protocol()), (p, p), "{target}");
        }
        assert!(by_target("/chat?room=1").is_none());
        // socket.io's target of a version not read names no protocol, not SockJS's shape.
        assert!(by_target("/socket.io/a/b/websocket?EIO=5").is_none());
        assert!(by_target("/x/a/b/websocket?EIO=5").is_some());
    }

    #[test]
    fn an_offer_shows_only_the_names_of_protocols() {
        let (p, how, _) = by_offer("token-abc, GraphQL-WS ,graphql-transport-ws").expect("offer");
        assert_eq!(p, Protocol::GraphqlWs);
        assert_eq!(
            how,
            "Sec-WebSocket-Protocol offered: graphql-ws, graphql-transport-ws (the response selected none)"
        );
        assert!(
            by_offer("mqtt").is_none(),
            "an MQTT offer alone names nothing"
        );
        assert!(by_offer("token-abc").is_none());
    }
}
