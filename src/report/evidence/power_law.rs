//! Evidence of `power_law` checks (placeholder until the method is ported to the pipeline).

use crate::outcome::CheckOutcome;
use crate::outcome::details::PowerLawDetails;

pub(super) fn render(_c: &CheckOutcome, _d: &PowerLawDetails) -> String {
    String::new()
}
