//! Evidence of `monotone` checks (placeholder until the method is ported to the pipeline).

use crate::outcome::CheckOutcome;
use crate::outcome::details::MonotoneDetails;

pub(super) fn render(_c: &CheckOutcome, _d: &MonotoneDetails) -> String {
    String::new()
}
