//! XML-RPC: fault vocabulary ([`faults`]) and the wire codec ([`codec`]) (reference §5.1, §5.2).
//!
//! Method dispatch, the method table and the handlers live elsewhere; these modules only turn
//! bytes into calls and values into bytes.

pub mod codec;
pub mod faults;
