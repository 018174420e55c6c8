//! Evidence of `decay_exponent` checks (placeholder until the method is ported to the pipeline).

use crate::outcome::CheckOutcome;
use crate::outcome::details::DecayExponentDetails;

pub(super) fn render(_c: &CheckOutcome, _d: &DecayExponentDetails) -> String {
    String::new()
}
