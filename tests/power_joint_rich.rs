//! Checker power for claim 6 (joint rich): reversed directions and reversed inequalities are rejected by
//! the same checks, grids and tolerances; the interior-minimum check accepts a real interior optimum.

mod common;

use common::{file, run};
use tlcheck::analysis::mutation::rejected;
use tlcheck::outcome::Verdict;
use tlcheck::spec::Relation;

/// Reversing the direction of a monotone claim is rejected where the printed direction holds.
#[test]
fn reversed_directions_are_rejected() {
    for (id, reversed) in [
        ("lauditi2025.joint_rich_early_gains", Relation::Increasing),
        ("lauditi2025.joint_rich_non_gaussian", Relation::Decreasing),
        ("lauditi2025.joint_rich_forgetting", Relation::Decreasing),
    ] {
        let original = run(file(id));
        assert_eq!(original.verdict, original.expected, "{id} itself must reproduce its recorded verdict");
        let mut f = file(id);
        f.claim.relation = reversed;
        assert!(rejected(&original, &run(f)), "{id}: the reversed direction was not rejected");
    }
}

/// "Easy -> hard transfer hurts" (the strict inequality reversed) is rejected where it helps (ReLU).
#[test]
fn reversed_transfer_gain_is_rejected() {
    let id = "lauditi2025.easy_to_hard_helps";
    let original = run(file(id));
    let mut f = file(id);
    f.claim.relation = Relation::AtMost;
    assert!(rejected(&original, &run(f)), "{id}: 'transfer hurts' was not rejected");
}

/// The interior-minimum check is not a check that always fails: gamma1* of early-stopped fine-tuning at
/// nu2 = 0.5 is a real interior optimum (lauditi2025.optimal_richness) and the check accepts it.
#[test]
fn interior_minimum_check_accepts_a_real_optimum() {
    let mut f = file("lauditi2025.optimal_richness");
    f.claim.relation = Relation::InteriorMinimum;
    f.claim.formula = "loss".into();
    f.claim.variable = None;
    let grid = f.checks[0].grid_mut().expect("a grid");
    grid.insert("nu2".into(), vec![0.5.into()]);
    grid.insert("variant".into(), vec!["early_stop".into()]);
    assert_eq!(run(f).verdict, Verdict::Holds);
}
