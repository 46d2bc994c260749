//! The protocol stack (`src/stack`): TCP reassembly, TLS, HTTP/2 and CONNECT tunnels, and
//! sessions through a proxy.

mod connect;
mod h2;
mod proxy;
mod reassembly;
mod tls;
