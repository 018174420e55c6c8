//! Evidence of `exists` checks (placeholder until the method is ported to the pipeline).

use crate::outcome::CheckOutcome;
use crate::outcome::details::ExistsDetails;

pub(super) fn render(_c: &CheckOutcome, _d: &ExistsDetails) -> String {
    String::new()
}
