//! When a simulation check's points are decided, and what its passing points show.
//!
//! After the family rule has rejected points at a look, every other point is judged:
//! - with a declared margin, it is resolved when its deviation is shown inside the margin (two
//!   one-sided tests, [`inside`]);
//! - without one, it is resolved when the deviation its data exclude ([`excluded`]) is within the
//!   budget plus [`TARGET_REL`] of the claimed values' scale; this only decides when a sequential
//!   check may stop early. At the last look such a point passes with its resolution stated, unless
//!   its data cannot even exclude a deviation as large as the claimed values themselves (the
//!   check cannot tell the formula from zero): then it is undecided.
//!
//! A check whose points are all rejected or resolved is settled and stops; undecided points at the
//! last look make a check that fails nowhere inconclusive.

use crate::decide::budget::Sense;
use crate::decide::resolution::{excluded, inside, trials_to_decide};
use crate::engine::Stage;
use crate::outcome::{PointOutcome, Resolution, Undecided};
use crate::stats::{Estimate, student_quantile};

/// The resolution (relative to the claimed values' scale) at which a sequential check without a
/// margin may stop before its last look: 5%, so an early "holds" still excludes any deviation
/// larger than a twentieth of the claimed values.
pub const TARGET_REL: f64 = 0.05;

/// What was measured at a point: the residual and, with a margin M, the band (r - M, r + M);
/// `model_error` is the size extrapolation's model error (0 without one), already applied to the band.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub residual: Estimate,
    pub band: Option<(Estimate, Estimate)>,
    pub model_error: f64,
}

/// The judgement of a look.
pub struct Judged {
    pub settled: bool,
    pub resolution: Option<Resolution>,
    pub undecided: Option<Undecided>,
}

/// Root mean square of the claimed values known at the points (0 when none is).
pub fn scale(points: &[PointOutcome]) -> f64 {
    let known: Vec<f64> = points.iter().filter_map(|p| p.claimed).collect();
    if known.is_empty() { 0.0 } else { (known.iter().map(|c| c * c).sum::<f64>() / known.len() as f64).sqrt() }
}

/// Judges every point of a look (see the module doc); `strict`: points pass only when shown.
pub fn judge(
    points: &mut [PointOutcome],
    measured: &[Option<Measured>],
    sense: Sense,
    strict: bool,
    stage: &Stage,
) -> Judged {
    let m = points.len();
    let scale = scale(points);
    let mut settled = true;
    let mut needed: Option<usize> = None;
    let mut undecided = 0;
    let mut worst: Option<f64> = None;
    for (p, x) in points.iter_mut().zip(measured) {
        let Some(x) = x else { continue };
        let r = excluded(x.residual, sense, stage.alpha, m);
        p.resolution = Some(r);
        if !p.pass {
            settled &= !strict;
            continue;
        }
        worst = Some(worst.map_or(r, |w: f64| w.max(r)));
        let (resolved, vacuous, gap) = match x.band {
            Some((u, l)) => {
                let margin = (l.mean - u.mean) / 2.0;
                (inside(u, l, stage.alpha, m), true, (margin - x.residual.mean.abs()).abs())
            }
            None => {
                let vacuous = scale > 0.0 && r > p.budget + scale;
                (scale > 0.0 && r <= p.budget + TARGET_REL * scale, vacuous, p.budget + scale - x.residual.mean.abs())
            }
        };
        settled &= resolved || strict;
        if stage.last() && !resolved && vacuous {
            p.undecided = true;
            undecided += 1;
            let t = student_quantile(1.0 - stage.alpha / m.max(1) as f64, x.residual.dof());
            let n = trials_to_decide(x.residual.trials, x.residual.se, t, gap);
            needed = needed.max(n);
        }
    }
    let required =
        measured.iter().flatten().filter_map(|x| x.band.map(|(u, l)| (l.mean - u.mean) / 2.0)).reduce(f64::max);
    Judged {
        settled,
        resolution: worst.map(|abs| Resolution { abs, rel: (scale > 0.0).then(|| abs / scale), required }),
        undecided: (undecided > 0).then_some(Undecided { points: undecided, trials_needed: needed }),
    }
}
