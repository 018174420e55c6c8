//! Error rates of sequential looks and of the equivalence (margin) rule on synthetic Gaussian data of
//! known truth, at a moderate alpha so that rates are measurable: the probability of any false
//! rejection over all looks is at most alpha (alpha / K per look), and a deviation at the margin is
//! shown inside the margin with probability at most alpha (two one-sided tests).

use rand::SeedableRng;
use tlcheck::decide::budget::{Sense, budget_test, holm};
use tlcheck::decide::exists::{exceedance_z, significant};
use tlcheck::decide::resolution::{beyond_p, inside};
use tlcheck::engine::Precision;
use tlcheck::engine::stage::{LOOKS, Stage};
use tlcheck::outcome::{Coords, PointOutcome};
use tlcheck::rng::Rng;
use tlcheck::sim::gaussian::normal;
use tlcheck::stats::Estimate;

const REPLICATIONS: usize = 4000;
const ALPHA: f64 = 0.05;
const TRIALS: usize = 64;
const POINTS: usize = 5;

fn limit(p: f64) -> f64 {
    p + 3.0 * (p * (1.0 - p) / REPLICATIONS as f64).sqrt()
}

/// Trials of `POINTS` points whose residuals have mean `mean` and unit noise.
fn draws(rng: &mut Rng, mean: f64) -> Vec<Vec<f64>> {
    (0..POINTS).map(|_| (0..TRIALS).map(|_| mean + normal(rng)).collect()).collect()
}

/// Whether some look of the sequential procedure rejects some point (Holm at alpha / K per look,
/// each look using the first n_k trials).
fn any_look_rejects(trials: &[Vec<f64>]) -> bool {
    let precision = Precision { quick: false, seed: 0 };
    (1..=LOOKS).any(|k| {
        let stage = Stage::nth(precision, ALPHA, k, LOOKS);
        let n = stage.trials(TRIALS);
        let mut pts: Vec<PointOutcome> = trials
            .iter()
            .map(|xs| {
                let e = Estimate::from_samples(&xs[..n]);
                let (p, z) = budget_test(e, 0.0, Sense::Equal);
                PointOutcome { residual: e.mean, simulated: Some(e), p, z, ..PointOutcome::at(Coords::new()) }
            })
            .collect();
        holm(&mut pts, stage.alpha);
        pts.iter().any(|p| !p.pass)
    })
}

#[test]
fn looks_keep_the_family_rate_and_detect_a_deviation() {
    let mut rng = Rng::seed_from_u64(21);
    let null = (0..REPLICATIONS).filter(|_| any_look_rejects(&draws(&mut rng, 0.0))).count();
    let rate = null as f64 / REPLICATIONS as f64;
    let power = (0..REPLICATIONS).filter(|_| any_look_rejects(&draws(&mut rng, 0.7))).count();
    let power = power as f64 / REPLICATIONS as f64;
    println!("sequential: null rate {rate}, power at 0.7 sd {power}");
    assert!(rate <= limit(ALPHA), "null rate {rate}");
    assert!(power >= 0.9, "power {power}");
}

/// (shown inside the margin, rejected beyond it) for one point with deviation `mean`, margin `m`.
fn equivalence(rng: &mut Rng, mean: f64, m: f64) -> (bool, bool) {
    let xs: Vec<f64> = (0..TRIALS).map(|_| mean + normal(rng)).collect();
    let upper = Estimate::from_samples(&xs.iter().map(|x| x - m).collect::<Vec<_>>());
    let lower = Estimate::from_samples(&xs.iter().map(|x| x + m).collect::<Vec<_>>());
    (inside(upper, lower, ALPHA, 1), beyond_p(upper, lower) <= ALPHA)
}

#[test]
fn equivalence_is_shown_at_the_margin_at_most_at_alpha() {
    let m = 0.5;
    let mut rng = Rng::seed_from_u64(22);
    let at_margin = (0..REPLICATIONS).filter(|_| equivalence(&mut rng, m, m).0).count() as f64;
    let null_inside = (0..REPLICATIONS).filter(|_| equivalence(&mut rng, 0.0, m).1).count() as f64;
    let shown = (0..REPLICATIONS).filter(|_| equivalence(&mut rng, 0.0, m).0).count() as f64;
    let (r1, r2, power) =
        (at_margin / REPLICATIONS as f64, null_inside / REPLICATIONS as f64, shown / REPLICATIONS as f64);
    println!("equivalence: shown at the margin {r1}, rejected at zero {r2}, shown at zero {power}");
    assert!(r1 <= limit(ALPHA), "a deviation at the margin is shown inside at rate {r1}");
    assert!(r2 <= limit(ALPHA), "a zero deviation is rejected at rate {r2}");
    assert!(power >= 0.9, "a zero deviation is shown inside at rate {power}");
}

/// Whether the sequential `exists` rule declares an exceedance (some point significantly above the
/// bound 0, Holm at alpha / K) at some look.
fn exists_holds_at_some_look(trials: &[Vec<f64>]) -> bool {
    let precision = Precision { quick: false, seed: 0 };
    (1..=LOOKS).any(|k| {
        let stage = Stage::nth(precision, ALPHA, k, LOOKS);
        let n = stage.trials(TRIALS);
        let zs: Vec<(f64, f64)> = trials
            .iter()
            .map(|xs| {
                let e = Estimate::from_samples(&xs[..n]);
                (exceedance_z(e, 0.0), e.dof())
            })
            .collect();
        significant(&zs, stage.alpha).iter().any(|s| *s)
    })
}

#[test]
fn sequential_exists_keeps_its_false_holds_rate() {
    let mut rng = Rng::seed_from_u64(22);
    let null = (0..REPLICATIONS).filter(|_| exists_holds_at_some_look(&draws(&mut rng, 0.0))).count();
    let rate = null as f64 / REPLICATIONS as f64;
    let power = (0..REPLICATIONS).filter(|_| exists_holds_at_some_look(&draws(&mut rng, 0.6))).count();
    let power = power as f64 / REPLICATIONS as f64;
    println!("sequential exists: false holds {rate}, power at 0.6 sd {power}");
    assert!(rate <= limit(ALPHA), "false holds rate {rate}");
    assert!(power >= 0.9, "power {power}");
}
