//! Evidence of `boundary` checks (placeholder until the method is ported to the pipeline).

use crate::outcome::CheckOutcome;
use crate::outcome::details::BoundaryDetails;

pub(super) fn render(_c: &CheckOutcome, _d: &BoundaryDetails) -> String {
    String::new()
}
