//! What Tessera tells a person about the data it holds on them (docs/privacy.md). Sealing
//! lives in `keys::vault`, erasure in `identity::erasure`, consent in `consent`; this
//! gathers them for a data-subject request.

pub mod export;
pub mod retention;
