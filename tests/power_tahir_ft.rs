//! Checker power for the Tahir fine-tuning claims (eq. 15, its balanced-layers correction, eqs. 22-23):
//! plausible wrong variants are rejected by the same checks, grids and tolerances as the recorded form,
//! and where a gradient-descent check can tell them apart, by that independent check itself. One run
//! (one sample cache) serves the recorded form and its variants: they differ only in the formula, so the
//! simulations are drawn once and only the decisions are recomputed.

mod common;

use std::path::PathBuf;

use common::file;
use tlcheck::analysis::mutation::rejected;
use tlcheck::audit::{ClaimOutcome, run_claim};
use tlcheck::claim::Claim;
use tlcheck::engine::Run;
use tlcheck::spec::{CheckSpec, TheoremFile};

fn decide(run: &Run, f: TheoremFile) -> ClaimOutcome {
    run_claim(&Claim::compile(f, PathBuf::from("variant.toml")).expect("compiles"), run).expect("runs")
}

/// 1-based indices of the checks with a point failing in `variant` where it passes in `original`.
fn rejecting_checks(original: &ClaimOutcome, variant: &ClaimOutcome) -> Vec<usize> {
    original
        .checks
        .iter()
        .zip(&variant.checks)
        .filter(|(a, b)| a.failures.iter().zip(&b.failures).any(|(fa, fb)| *fb && !*fa))
        .map(|(a, _)| a.index)
        .collect()
}

type Edit = (&'static str, Box<dyn Fn(&mut TheoremFile)>);

fn formula(text: &'static str) -> Box<dyn Fn(&mut TheoremFile)> {
    Box::new(move |f| f.claim.formula = text.into())
}

/// Replaces the helper `name` by `text` in every check that defines it as `old`.
fn define(name: &'static str, old: &'static str, text: &'static str) -> Box<dyn Fn(&mut TheoremFile)> {
    Box::new(move |f| {
        for check in &mut f.checks {
            if let CheckSpec::Simulation(s) = check
                && s.define.get(name).is_some_and(|d| d == old)
            {
                s.define.insert(name.into(), text.into());
            }
        }
    })
}

const C: &str = "sqrt(((1 - gamma) + sqrt((1 - gamma)^2 + 4*(gamma + sigma^2*gamma/(1 - gamma))))/2)";
const T_SMALL: &str = "gamma_s*(1 - 2*cos(theta)) + sigma_s^2*gamma_s/(1 - gamma_s)";
const T_LARGE: &str = "(1 - 2*cos(theta)) + sigma_s^2/(gamma_s - 1)";

/// Every variant is rejected by the claim; those listed with `Some(k)` by check k itself.
fn assert_rejected(id: &str, variants: Vec<(Edit, Option<usize>)>) {
    let run = common::quick();
    let original = decide(&run, file(id));
    assert_eq!(original.verdict, original.expected, "{id} itself must reproduce its recorded verdict");
    let mut accepted = Vec::new();
    for ((name, edit), by) in variants {
        let mut f = file(id);
        edit(&mut f);
        let variant = decide(&run, f);
        let checks = rejecting_checks(&original, &variant);
        println!("{id}: {name}: {} (rejected by checks {checks:?})", variant.verdict);
        if !rejected(&original, &variant) || by.is_some_and(|k| !checks.contains(&k)) {
            accepted.push(format!("{name} ({}, checks {checks:?})", variant.verdict));
        }
    }
    assert!(accepted.is_empty(), "{id}: wrong variants not rejected: {}", accepted.join("; "));
}

#[test]
fn wrong_balanced_layer_corrections_are_rejected_by_gradient_descent() {
    assert_rejected(
        "tahir2025.c5_balanced_layers",
        vec![
            // c = 1: eq. 15 itself.
            (("c = 1 (eq. 15)", formula("(1 - gamma)*(2*cos(theta) - 1)")), Some(1)),
            // Sign of a flipped in the quartic: c^4 + a c^2 - b = 0.
            (
                (
                    "c^4 + a c^2 - b = 0",
                    define(
                        "c",
                        C,
                        "sqrt((-(1 - gamma) + sqrt((1 - gamma)^2 + 4*(gamma + sigma^2*gamma/(1 - gamma))))/2)",
                    ),
                ),
                Some(1),
            ),
            // The noise term of b without its 1/(1 - gamma).
            (
                (
                    "b = gamma + sigma^2 gamma",
                    define("c", C, "sqrt(((1 - gamma) + sqrt((1 - gamma)^2 + 4*(gamma + sigma^2*gamma)))/2)"),
                ),
                Some(1),
            ),
            // gamma <-> 1 - gamma in a.
            (
                (
                    "a = gamma",
                    define("c", C, "sqrt((gamma + sqrt(gamma^2 + 4*(gamma + sigma^2*gamma/(1 - gamma))))/2)"),
                ),
                Some(1),
            ),
            // c^2 -> c in the last term.
            (("(2 c cos theta - c)", formula("(1 - gamma)*(2*c*cos(theta) - c)")), Some(1)),
        ],
    );
}

#[test]
fn wrong_fine_tuning_transfers_are_rejected_by_gradient_descent() {
    assert_rejected(
        "tahir2025.c5_ft_under",
        vec![
            (("sign flipped", formula("(1 - gamma)*(1 - 2*cos(theta))")), Some(2)),
            (("(1 - gamma)^2", formula("(1 - gamma)^2*(2*cos(theta) - 1)")), Some(2)),
            (("(2 cos theta - 1)^2", formula("(1 - gamma)*(2*cos(theta) - 1)^2")), Some(2)),
            (("gamma for 1 - gamma", formula("gamma*(2*cos(theta) - 1)")), Some(2)),
        ],
    );
}

#[test]
fn wrong_finite_source_transfers_are_rejected() {
    assert_rejected(
        "tahir2025.c7_finite_source_ft",
        vec![
            // The sign of T_ft flipped: gradient descent rejects it where the printed form holds.
            (("sign flipped", formula("(1 - gamma)*t")), Some(5)),
            // (1 - gamma)^2 instead of (1 - gamma)_+.
            (("(1 - gamma)^2", formula("-(1 - gamma)^2*t")), Some(5)),
            // gamma_s <-> 1/gamma_s in the gamma_s < 1 branch: gradient descent already fails there, the
            // projector path (a consistency check) rejects it.
            (
                (
                    "1/gamma_s",
                    define("t", T_SMALL, "(1/gamma_s)*(1 - 2*cos(theta)) + sigma_s^2*(1/gamma_s)/(1 - 1/gamma_s)"),
                ),
                None,
            ),
            // The noise term of the gamma_s > 1 branch without its 1/(gamma_s - 1) (checks 2 and 6 define it).
            (("sigma_s^2 alone", define("t", T_LARGE, "(1 - 2*cos(theta)) + sigma_s^2")), None),
        ],
    );
}
