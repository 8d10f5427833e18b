//! FPCatSearch, FPCatSearchExt (spec §5.13; netatalk `etc/afpd/catsearch.c`).

use afp_proto::ResultCode;
use afp_proto::command::{CatSearch, CatSearchExt};

use crate::cmd::AfpResult;
use crate::session::Session;

/// FPCatSearch.
pub fn cat_search(_s: &mut Session, _c: &CatSearch) -> AfpResult {
    Err(ResultCode::CALL_NOT_SUPPORTED)
}

/// FPCatSearchExt.
pub fn cat_search_ext(_s: &mut Session, _c: &CatSearchExt) -> AfpResult {
    Err(ResultCode::CALL_NOT_SUPPORTED)
}
