//! Link layers and tunnels (`src/decode`): sessions delivered through tunnels and wrapping
//! link types, and copies of one packet taken on several interfaces.

mod path;
mod tunnels;
