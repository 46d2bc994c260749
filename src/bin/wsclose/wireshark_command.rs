//! `wsclose wireshark-plugin`: prints the Lua post-dissector that raises Expert Info from the
//! comments `wsclose annotate` writes (`wsclose::annotate::PLUGIN`; where to install it is
//! in the command's help and the plugin's header).

use crate::emit;

/// Prints the plugin on standard output.
pub fn plugin() -> Result<u8, wsclose::error::Error> {
    emit(wsclose::annotate::PLUGIN);
    Ok(0)
}
