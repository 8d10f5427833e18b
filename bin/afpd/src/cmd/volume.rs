//! Volume commands (see [`super`]).

use afp_proto::command::Request;

use super::Outcome;
use crate::session::Session;

/// Answers the volume calls; `None` for everything else.
pub fn dispatch(_s: &mut Session, _req: &Request) -> Option<Outcome> {
    None
}
