//! How the audit's error rate is split.
//!
//! An audit must refute (or make regime-limited, or inconclusive-by-failure) a claim that in truth
//! holds with probability at most [`AUDIT_ALPHA`] = 1%, whatever the number of claims, checks,
//! points and looks. The split is a union bound (Bonferroni), so it needs no independence:
//!
//! - claims: every claim spends [`CLAIM_ALPHA`] = AUDIT_ALPHA / [`MAX_CLAIMS`]; an audit of N <= 50
//!   claims has audit-wide rate at most N CLAIM_ALPHA <= 1% ([`audit_wide`]). The share is fixed, so
//!   a claim's verdict does not depend on which other claims run beside it;
//! - checks: a claim's share is split equally over its checks ([`check_alpha`]);
//! - looks: a sequential check spends alpha / K at each of its K looks ([`crate::engine::Stage`]);
//! - points: within a look, the check's own family rule (Holm, Bonferroni) keeps the family-wise
//!   rate over its points at the look's alpha.

/// Audit-wide probability of a false refutation.
pub const AUDIT_ALPHA: f64 = 0.01;

/// The number of claims the split is designed for.
pub const MAX_CLAIMS: usize = 50;

/// Each claim's share of the audit's error rate.
pub const CLAIM_ALPHA: f64 = AUDIT_ALPHA / MAX_CLAIMS as f64;

/// The family-wise error rate of one of a claim's `checks` checks.
pub fn check_alpha(checks: usize) -> f64 {
    CLAIM_ALPHA / checks.max(1) as f64
}

/// Upper bound on the audit-wide false-refutation rate of an audit of `claims` claims.
pub fn audit_wide(claims: usize) -> f64 {
    CLAIM_ALPHA * claims as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_adds_up() {
        assert!((audit_wide(MAX_CLAIMS) - AUDIT_ALPHA).abs() < 1e-15);
        assert!((check_alpha(4) * 4.0 - CLAIM_ALPHA).abs() < 1e-18);
        assert_eq!(check_alpha(0), CLAIM_ALPHA);
    }
}
