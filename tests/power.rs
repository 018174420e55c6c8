//! Checker power: plausible wrong variants of every closed form (changed exponent, coefficient,
//! sign, swapped parameters, dropped or squared factor) are rejected by the same machinery, grid and
//! tolerance as the printed form: each fails at some point where the printed form passes.

mod common;

use common::{file, run};
use tlcheck::analysis::mutation::rejected;
use tlcheck::outcome::Verdict;

fn assert_all_rejected(id: &str, edit: impl Fn(&mut tlcheck::spec::TheoremFile, &str), variants: &[&str]) {
    let original = run(file(id));
    assert_eq!(original.verdict, original.expected, "{id} itself must reproduce its recorded verdict");
    let mut accepted = Vec::new();
    for v in variants {
        let mut f = file(id);
        edit(&mut f, v);
        let report = run(f);
        if !rejected(&original, &report) {
            accepted.push(format!("{v} ({})", report.verdict));
        }
    }
    assert!(accepted.is_empty(), "{id}: wrong variants not rejected: {}", accepted.join("; "));
}

fn set_formula(f: &mut tlcheck::spec::TheoremFile, v: &str) {
    f.claim.formula = v.to_string();
}

#[test]
fn wrong_population_losses_are_refuted() {
    assert_all_rejected(
        "lauditi2025.finetune_population",
        set_formula,
        &[
            // (1 - nu2) squared
            "(1 - nu2)^2 * (1 - 2*chi*alpha_s^2*nu2/(1 + chi*nu2) + chi^2*alpha_s^2*nu2^2/(1 + chi*nu2)^2)",
            // sign of the linear term flipped
            "(1 - nu2) * (1 + 2*chi*alpha_s^2*nu2/(1 + chi*nu2) + chi^2*alpha_s^2*nu2^2/(1 + chi*nu2)^2)",
            // chi and nu2 swapped
            "(1 - chi) * (1 - 2*nu2*alpha_s^2*chi/(1 + nu2*chi) + nu2^2*alpha_s^2*chi^2/(1 + nu2*chi)^2)",
            // coefficient 2 -> 1
            "(1 - nu2) * (1 - chi*alpha_s^2*nu2/(1 + chi*nu2) + chi^2*alpha_s^2*nu2^2/(1 + chi*nu2)^2)",
            // exponent of the last denominator 2 -> 1
            "(1 - nu2) * (1 - 2*chi*alpha_s^2*nu2/(1 + chi*nu2) + chi^2*alpha_s^2*nu2^2/(1 + chi*nu2))",
            // exponent of alpha_s 2 -> 1
            "(1 - nu2) * (1 - 2*chi*alpha_s*nu2/(1 + chi*nu2) + chi^2*alpha_s*nu2^2/(1 + chi*nu2)^2)",
            // chi^2 -> chi in the quadratic term
            "(1 - nu2) * (1 - 2*chi*alpha_s^2*nu2/(1 + chi*nu2) + chi*alpha_s^2*nu2^2/(1 + chi*nu2)^2)",
            // +1 -> -1 in the first denominator
            "(1 - nu2) * (1 - 2*chi*alpha_s^2*nu2/(1 - chi*nu2) + chi^2*alpha_s^2*nu2^2/(1 + chi*nu2)^2)",
        ],
    );
}

#[test]
fn wrong_kernel_spikes_are_refuted() {
    assert_all_rejected(
        "lauditi2025.chi_kernel_spike",
        set_formula,
        &[
            "sqrt(1 + gamma) - 1",
            "sqrt(1 + 2*gamma^2) - 1",
            "sqrt(1 + gamma^2/2) - 1",
            "(1 + gamma^2) - 1",
            "sqrt(1 + gamma^2) + 1",
            "sqrt(1 + gamma^3) - 1",
            "sqrt(1 - gamma^2) - 1",
        ],
    );
}

#[test]
fn wrong_lorentz_identities_are_refuted() {
    assert_all_rejected(
        "lauditi2025.lorentz_identity",
        set_formula,
        &["sqrt(1 + gamma^2*q^2) - 1", "sqrt(1 + gamma*q) - 1", "sqrt(1 + gamma^2) - 1", "sqrt(q + gamma^2*q) - 1"],
    );
}

#[test]
fn wrong_bounds_are_refuted() {
    assert_all_rejected(
        "lauditi2025.finetune_never_worse",
        |f, v| f.claim.bound = Some(v.to_string()),
        &["(1 - nu2)^2", "(1 - nu2)*(1 - alpha_s^2)", "1 - 2*nu2", "(1 - nu2)/(1 + chi*nu2)"],
    );
}

#[test]
fn wrong_monotonicity_statements_are_refuted() {
    // chi decreasing in gamma; the spike written with a sign error.
    let mut f = file("lauditi2025.chi_increasing");
    f.claim.formula = "sqrt(1 + gamma^2) - gamma".into();
    assert_eq!(run(f).verdict, Verdict::Refuted);
    // The loss increasing (rather than decreasing) in alpha_s fails exactly where the printed one holds.
    assert_all_rejected(
        "lauditi2025.finetune_decreasing_in_alignment",
        |f, v| f.claim.relation = if v == "increasing" { tlcheck::spec::Relation::Increasing } else { unreachable!() },
        &["increasing"],
    );
}
