//! Why a connection ended (`src/diagnose`, `src/close`): abrupt endings, last words,
//! heartbeats and keepalives, proxies and gateways, path MTU black holes.

mod drop;
mod ending;
mod gateway;
mod heartbeat;
mod keepalive;
mod lastwords;
mod lastwords_chat;
mod mtu;
mod proxy_reload;
mod proxy_unknown;
mod stated;
mod trigger;
mod trigger_hole;
mod unprompted;
mod views;
