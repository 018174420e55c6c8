//! Error rates of the budget rules (`tlcheck::decide::budget`) on synthetic data of known truth: the
//! family-wise rejection rate under the null is at most the nominal level (plus a binomial margin of
//! three standard errors of the estimated rate), and the power under a stated alternative is high.
//! No simulator is involved: residuals are Gaussian with a chosen mean.
//!
//! The rules use Student-t quantiles on trials - 1 degrees of freedom, calibrated with few trials as
//! well as with many (`few_trials_keep_the_one_sided_rate_with_student_t`).

use rand::SeedableRng;
use tlcheck::decide::budget::{Sense, budget_test, holm, strict};
use tlcheck::outcome::{Coords, PointOutcome};
use tlcheck::rng::Rng;
use tlcheck::sim::gaussian::normal;
use tlcheck::stats::Estimate;

const REPLICATIONS: usize = 4000;
const TRIALS: usize = 400;
const POINTS: usize = 10;
const ALPHA: f64 = 0.05;

/// Upper acceptance limit of an estimated rate whose truth is at most `p`: p + 3 sqrt(p (1 - p) / R).
fn limit(p: f64) -> f64 {
    p + 3.0 * (p * (1.0 - p) / REPLICATIONS as f64).sqrt()
}

/// Points whose residuals have means `means` (unit noise, `TRIALS` trials each) and budget `budget`.
fn points(rng: &mut Rng, means: &[f64], budget: f64, sense: Sense) -> Vec<PointOutcome> {
    points_with(rng, means, budget, sense, TRIALS)
}

fn points_with(rng: &mut Rng, means: &[f64], budget: f64, sense: Sense, trials: usize) -> Vec<PointOutcome> {
    means
        .iter()
        .map(|m| {
            let xs: Vec<f64> = (0..trials).map(|_| m + normal(rng)).collect();
            let e = Estimate::from_samples(&xs);
            let (p, z) = budget_test(e, budget, sense);
            PointOutcome {
                residual: e.mean,
                simulated: Some(e),
                budget,
                z,
                p,
                two_sided: sense == Sense::Equal,
                ..PointOutcome::at(Coords::new())
            }
        })
        .collect()
}

/// Fraction of replications in which `decide` fails at least one point.
fn family_rate(seed: u64, means: &[f64], budget: f64, sense: Sense, decide: impl Fn(&mut [PointOutcome])) -> f64 {
    let mut rng = Rng::seed_from_u64(seed);
    let hits = (0..REPLICATIONS)
        .filter(|_| {
            let mut pts = points(&mut rng, means, budget, sense);
            decide(&mut pts);
            pts.iter().any(|p| !p.pass)
        })
        .count();
    hits as f64 / REPLICATIONS as f64
}

/// One standard error of a point's mean residual.
fn se() -> f64 {
    1.0 / (TRIALS as f64).sqrt()
}

#[test]
fn equality_within_budget_controls_the_family_rate_and_detects_a_deviation() {
    // Null at its boundary: every point deviates by exactly the budget, in either direction.
    let b = 0.1;
    let null: Vec<f64> = (0..POINTS).map(|i| if i % 2 == 0 { b } else { -b }).collect();
    let rate = family_rate(1, &null, b, Sense::Equal, |p| holm(p, ALPHA));
    println!("null rejection rate {rate}");
    assert!(rate <= limit(ALPHA), "null rejection rate {rate}");
    // Alternative: one point deviates by the budget plus 5 se.
    let mut alt = vec![0.0; POINTS];
    alt[3] = b + 5.0 * se();
    let power = family_rate(2, &alt, b, Sense::Equal, |p| holm(p, ALPHA));
    println!("power {power}");
    assert!(power >= 0.9, "power {power}");
}

#[test]
fn one_sided_inequality_controls_the_family_rate_and_detects_a_violation() {
    let b = 0.05;
    let rate = family_rate(3, &[b; POINTS], b, Sense::AtMost, |p| holm(p, ALPHA));
    println!("null rejection rate {rate}");
    assert!(rate <= limit(ALPHA), "null rejection rate {rate}");
    // Deep on the right side: never rejected.
    assert_eq!(family_rate(4, &[-1.0; POINTS], b, Sense::AtMost, |p| holm(p, ALPHA)), 0.0);
    let mut alt = vec![0.0; POINTS];
    alt[0] = b + 5.0 * se();
    let power = family_rate(5, &alt, b, Sense::AtMost, |p| holm(p, ALPHA));
    println!("power {power}");
    assert!(power >= 0.9, "power {power}");
    let mut alt = vec![0.0; POINTS];
    alt[0] = -b - 5.0 * se();
    let power = family_rate(6, &alt, b, Sense::AtLeast, |p| holm(p, ALPHA));
    assert!(power >= 0.9, "power (at least) {power}");
}

#[test]
fn strict_inequality_shows_an_effect_only_beyond_the_budget() {
    // "Shown" when it is not: every point's true margin is exactly the budget. The probability that
    // all points are (wrongly) declared shown is what must be small; per point at most alpha / POINTS.
    let b = 0.1;
    let mut rng = Rng::seed_from_u64(7);
    let mut shown_anywhere = 0usize;
    for _ in 0..REPLICATIONS {
        let mut pts = points(&mut rng, &[b; POINTS], b, Sense::AtLeast);
        strict(&mut pts, ALPHA, Sense::AtLeast);
        shown_anywhere += usize::from(pts.iter().any(|p| p.pass));
    }
    let rate = shown_anywhere as f64 / REPLICATIONS as f64;
    println!("false 'shown' rate {rate}");
    assert!(rate <= limit(ALPHA), "false 'shown' rate {rate}");
    // Power: every point's margin is the budget plus 5 se; all must be shown.
    let mut rng = Rng::seed_from_u64(8);
    let mut all_shown = 0usize;
    for _ in 0..REPLICATIONS {
        let mut pts = points(&mut rng, &[b + 5.0 * se(); POINTS], b, Sense::AtLeast);
        strict(&mut pts, ALPHA, Sense::AtLeast);
        all_shown += usize::from(pts.iter().all(|p| p.pass));
    }
    let power = all_shown as f64 / REPLICATIONS as f64;
    println!("power {power}");
    assert!(power >= 0.9, "power {power}");
}

#[test]
fn few_trials_keep_the_one_sided_rate_with_student_t() {
    // 10 points at the null's boundary, 12 trials each: with normal quantiles the family rate was
    // 1 - (1 - P(T_11 > z_{1 - alpha/10}))^10 = 12.2% at nominal 5%; with Student-t quantiles on
    // trials - 1 degrees of freedom it is at most nominal.
    let trials = 12;
    let mut rng = Rng::seed_from_u64(9);
    let b = 0.0;
    let hits = (0..REPLICATIONS)
        .filter(|_| {
            let mut pts = points_with(&mut rng, &[b; POINTS], b, Sense::AtMost, trials);
            holm(&mut pts, ALPHA);
            pts.iter().any(|p| !p.pass)
        })
        .count();
    let rate = hits as f64 / REPLICATIONS as f64;
    println!("12 trials: rate {rate}");
    assert!(rate <= limit(ALPHA), "rate {rate}");
}
