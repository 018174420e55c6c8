//! Evidence of `collapse` checks (placeholder until the method is ported to the pipeline).

use crate::outcome::CheckOutcome;
use crate::outcome::details::CollapseDetails;

pub(super) fn render(_c: &CheckOutcome, _d: &CollapseDetails) -> String {
    String::new()
}
