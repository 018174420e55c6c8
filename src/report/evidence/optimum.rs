//! Evidence of `optimum` checks (placeholder until the method is ported to the pipeline).

use crate::outcome::CheckOutcome;
use crate::outcome::details::OptimumDetails;

pub(super) fn render(_c: &CheckOutcome, _d: &OptimumDetails) -> String {
    String::new()
}
