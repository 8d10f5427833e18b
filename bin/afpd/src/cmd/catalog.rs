//! File and directory commands (see [`super`]).

use afp_proto::command::Request;

use super::{Outcome, WriteSource};
use crate::session::Session;

/// Answers the catalog calls; `None` for everything else.
pub fn dispatch(
    _s: &mut Session,
    _req: &Request,
    _data: &mut Option<&mut dyn WriteSource>,
) -> Option<Outcome> {
    None
}
