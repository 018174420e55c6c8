//! Checker power for the finite-source claims (Lauditi claims 3-5): wrong closed forms, wrong
//! directions and wrong trends are rejected by the same checks, grids and tolerances; and the
//! strict monotone check is not a check that always fails (it accepts a real ridge). Generic typos of
//! every equality claim (rank_one_collapse included) are covered by tests/mutate.rs.

mod common;

use common::{file, run};
use tlcheck::analysis::mutation::rejected;
use tlcheck::outcome::Verdict;
use tlcheck::spec::Relation;

fn assert_formulas_rejected(id: &str, variants: &[&str]) {
    let original = run(file(id));
    assert_eq!(original.verdict, original.expected, "{id} itself must reproduce its recorded verdict");
    let accepted: Vec<String> = variants
        .iter()
        .filter(|v| {
            let mut f = file(id);
            f.claim.formula = v.to_string();
            !rejected(&original, &run(f))
        })
        .map(|v| v.to_string())
        .collect();
    assert!(accepted.is_empty(), "{id}: wrong variants not rejected: {}", accepted.join("; "));
}

#[test]
fn wrong_signal_coefficients_are_refuted() {
    assert_formulas_rejected(
        "lauditi2025.finite_source_coefficients",
        &[
            "(sqrt(1 + gamma1^2) - 1)*nu1",           // population chi instead of chi1
            "(sqrt(1 + gamma1^2*nu1) - 1)*nu1^2",     // exponent of nu1 1 -> 2
            "(sqrt(1 + gamma1^2*nu1) - 1)*(1 - nu1)", // c3 written for c2
        ],
    );
}

#[test]
fn wrong_finite_source_losses_are_refuted() {
    assert_formulas_rejected(
        "lauditi2025.finite_source_loss",
        &[
            // rho without the sqrt(1 - nu1) alpha_g part
            "(1 - nu2)*((1 - (sqrt(nu1)*alpha_s)^2) + (sqrt(nu1)*alpha_s)^2/(1 + (sqrt(1 + gamma1^2*nu1) - 1)*nu2)^2)",
            // nu1 instead of sqrt(nu1) in rho
            "(1 - nu2)*((1 - (nu1*alpha_s + sqrt(1 - nu1)*alpha_g)^2) + (nu1*alpha_s + sqrt(1 - nu1)*alpha_g)^2/(1 + (sqrt(1 + gamma1^2*nu1) - 1)*nu2)^2)",
            // population chi
            "(1 - nu2)*((1 - (sqrt(nu1)*alpha_s + sqrt(1 - nu1)*alpha_g)^2) + (sqrt(nu1)*alpha_s + sqrt(1 - nu1)*alpha_g)^2/(1 + (sqrt(1 + gamma1^2) - 1)*nu2)^2)",
        ],
    );
}

/// Reversing the direction of a monotone claim changes the verdict where the printed one holds.
#[test]
fn reversed_directions_are_rejected() {
    for (id, reversed) in [
        ("lauditi2025.signal_c2_helps", Relation::Increasing),
        ("lauditi2025.crosstalk_c1_hurts", Relation::Decreasing),
        ("lauditi2025.optimal_richness", Relation::Increasing),
    ] {
        let original = run(file(id));
        let mut f = file(id);
        f.claim.relation = reversed;
        assert!(rejected(&original, &run(f)), "{id}: the reversed direction was not rejected");
    }
}

/// The strict check of 'c3 acts like ridge' accepts a real ridge: the same check along lambda holds.
#[test]
fn strict_monotone_check_accepts_a_real_regulariser() {
    let mut f = file("lauditi2025.noise_c3_ridge_like");
    f.claim.variable = Some("lambda".into());
    let tlcheck::spec::CheckSpec::Monotone(check) = &mut f.checks[0] else { panic!("a monotone check") };
    let c3 = check.grid.remove("c3").expect("grid has c3");
    assert_eq!(c3.len(), 3);
    check.grid.insert("lambda".into(), vec![0.0.into(), 0.05.into(), 0.2.into()]);
    check.settings.insert("c3".into(), 0.into());
    assert_eq!(run(f).verdict, Verdict::Holds);
}
