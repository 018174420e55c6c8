//! Evidence of `exhibit` checks (placeholder until the method is ported to the pipeline).

use crate::outcome::CheckOutcome;
use crate::outcome::details::ExhibitDetails;

pub(super) fn render(_c: &CheckOutcome, _d: &ExhibitDetails) -> String {
    String::new()
}
