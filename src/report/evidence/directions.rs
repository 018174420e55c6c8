//! Evidence of `directions` checks (placeholder until the method is ported to the pipeline).

use crate::outcome::CheckOutcome;
use crate::outcome::details::DirectionsDetails;

pub(super) fn render(_c: &CheckOutcome, _d: &DirectionsDetails) -> String {
    String::new()
}
