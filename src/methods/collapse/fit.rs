//! The collapse statistic of a product-form order parameter (the library part of the `collapse`
//! method).
//!
//! Exponents by location on the reference sweep ([`Design`]). Under the claim y = F(Gamma) the
//! output at a point p of constituent k's sweep (c_k -> c_k e^{h_p}, the rest at the base) equals the
//! output on the reference sweep where the printed ln Gamma has moved by g_p = e_k h_p. The
//! reference sweep is interpolated by a monotone cubic in its printed ln(Gamma / Gamma_base)
//! ([`Reference`], Fritsch-Carlson), the level mean y(p) is located on it at x_p (where the
//! reference's output crosses that level: the transition point of that level), and the fitted
//! exponent of k is the least-squares slope through the base point (x = 0 at h = 0, exact by
//! construction) of x_p on h_p: sum_p h_p x_p / sum_p h_p^2. Its printed counterpart is the same
//! slope of the printed g_p. Each location is well conditioned wherever the reference's output moves
//! (its standard error is that of the level over the reference's local slope); no free collapse
//! fit (whose spread is flat along directions that move no point) is needed. Only ratios of
//! exponents are testable (y = F(Gamma) implies y = G(Gamma^t)): the reference's exponent fixes
//! the scale.
//!
//! For reading, [`CollapseData`] also orders all points along ln Gamma under given exponents and
//! smooths them (leave-one-out Nadaraya-Watson, Gaussian kernel of bandwidth h): the spread about
//! that curve and the transition's location and width ([`transition`]).

use crate::error::{Error, Result};
use crate::outcome::details::Transition;

/// The points of a collapse for reading: their log-coordinates and means.
#[derive(Debug, Clone)]
pub struct CollapseData {
    /// `logs[k][i]` = ln(c_{k,i} / c_{i,base}).
    pub logs: Vec<Vec<f64>>,
    /// Simulated means y_k.
    pub values: Vec<f64>,
    /// Printed exponents e_i.
    pub printed: Vec<f64>,
    /// Kernel bandwidth h in units of x.
    pub bandwidth: f64,
}

impl CollapseData {
    /// Position x_k - ln Gamma_base of every point under exponents `e`.
    pub fn positions(&self, e: &[f64]) -> Vec<f64> {
        self.logs.iter().map(|l| l.iter().zip(e).map(|(a, b)| a * b).sum()).collect()
    }

    /// Spread S(e) of `values` about the leave-one-out kernel curve.
    pub fn spread(&self, e: &[f64], values: &[f64]) -> f64 {
        let x = self.positions(e);
        let h2 = 2.0 * self.bandwidth * self.bandwidth;
        let mut total = 0.0;
        for k in 0..x.len() {
            let dmin = (0..x.len()).filter(|&j| j != k).map(|j| (x[j] - x[k]).powi(2)).fold(f64::INFINITY, f64::min);
            let (mut num, mut den) = (0.0, 0.0);
            for j in (0..x.len()).filter(|&j| j != k) {
                let w = (-((x[j] - x[k]).powi(2) - dmin) / h2).exp();
                num += w * values[j];
                den += w;
            }
            total += (values[k] - num / den).powi(2);
        }
        total / x.len() as f64
    }

    /// Smoothed curve (all points) at positions `at`.
    pub fn curve(&self, e: &[f64], at: &[f64]) -> Vec<f64> {
        let x = self.positions(e);
        let h2 = 2.0 * self.bandwidth * self.bandwidth;
        at.iter()
            .map(|&t| {
                let dmin = x.iter().map(|xj| (xj - t).powi(2)).fold(f64::INFINITY, f64::min);
                let (mut num, mut den) = (0.0, 0.0);
                for (xj, yj) in x.iter().zip(&self.values) {
                    let w = (-((xj - t).powi(2) - dmin) / h2).exp();
                    num += w * yj;
                    den += w;
                }
                num / den
            })
            .collect()
    }
}

/// Locates the drop of the smoothed curve over the range of the points (None if it never drops).
pub fn transition(data: &CollapseData, e: &[f64]) -> Option<Transition> {
    let x = data.positions(e);
    let (lo, hi) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let grid: Vec<f64> = (0..=400).map(|i| lo + (hi - lo) * i as f64 / 400.0).collect();
    let y = data.curve(e, &grid);
    let (high, low) =
        (y.iter().copied().fold(f64::NEG_INFINITY, f64::max), y.iter().copied().fold(f64::INFINITY, f64::min));
    if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let crossing = |level: f64| -> Option<f64> {
        let target = high - level * (high - low);
        grid.windows(2).zip(y.windows(2)).find_map(|(g, v)| {
            ((v[0] - target) * (v[1] - target) <= 0.0 && v[0] != v[1])
                .then(|| g[0] + (g[1] - g[0]) * (v[0] - target) / (v[0] - v[1]))
        })
    };
    let (a, mid, b) = (crossing(0.25)?, crossing(0.5)?, crossing(0.75)?);
    Some(Transition { high, low, location: mid, width: (b - a).abs() })
}

/// A monotone cubic (Fritsch-Carlson) through the reference sweep's points (x_j, y_j): x = printed
/// ln(Gamma / Gamma_base), y = mean output.
#[derive(Debug, Clone)]
pub struct Reference {
    x: Vec<f64>,
    y: Vec<f64>,
    /// Derivative at each point.
    slope: Vec<f64>,
}

impl Reference {
    /// The curve through `points` (any order); at least two distinct x.
    pub fn new(points: &[(f64, f64)]) -> Result<Reference> {
        let mut p = points.to_vec();
        p.sort_by(|a, b| a.0.total_cmp(&b.0));
        if p.len() < 2
            || p.windows(2).any(|w| w[1].0 <= w[0].0)
            || p.iter().any(|(x, y)| !(x.is_finite() && y.is_finite()))
        {
            return Err(Error::input(
                "the reference sweep needs at least two points of distinct, finite printed Gamma",
            ));
        }
        let (x, y): (Vec<f64>, Vec<f64>) = p.into_iter().unzip();
        let secant: Vec<f64> = (0..x.len() - 1).map(|j| (y[j + 1] - y[j]) / (x[j + 1] - x[j])).collect();
        let n = x.len();
        let mut slope = vec![secant[0]; n];
        slope[n - 1] = secant[n - 2];
        if n > 2 {
            slope[0] = end_slope(x[1] - x[0], x[2] - x[1], secant[0], secant[1]);
            slope[n - 1] = end_slope(x[n - 1] - x[n - 2], x[n - 2] - x[n - 3], secant[n - 2], secant[n - 3]);
        }
        for j in 1..n - 1 {
            let (a, b) = (secant[j - 1], secant[j]);
            slope[j] = if a * b <= 0.0 {
                0.0
            } else {
                let (h0, h1) = (x[j] - x[j - 1], x[j + 1] - x[j]);
                let (w1, w2) = (2.0 * h1 + h0, h1 + 2.0 * h0);
                (w1 + w2) / (w1 / a + w2 / b)
            };
        }
        Ok(Reference { x, y, slope })
    }

    /// The curve on segment j at x (cubic Hermite).
    fn at(&self, j: usize, x: f64) -> f64 {
        let h = self.x[j + 1] - self.x[j];
        let t = (x - self.x[j]) / h;
        let (t2, t3) = (t * t, t * t * t);
        (2.0 * t3 - 3.0 * t2 + 1.0) * self.y[j]
            + (t3 - 2.0 * t2 + t) * h * self.slope[j]
            + (-2.0 * t3 + 3.0 * t2) * self.y[j + 1]
            + (t3 - t2) * h * self.slope[j + 1]
    }

    /// Where the curve takes the value `level`: on the segment bracketing it nearest x = 0 (bisection;
    /// each segment is monotone), flagged false; outside the curve's range, on the line through the
    /// end point nearer in value with that end segment's secant slope, flagged true. None when that
    /// slope is 0.
    pub fn locate(&self, level: f64) -> Option<(f64, bool)> {
        let n = self.x.len();
        let bracket = (0..n - 1)
            .filter(|&j| (self.y[j] - level) * (self.y[j + 1] - level) <= 0.0 && self.y[j] != self.y[j + 1])
            .min_by(|&a, &b| self.distance(a).total_cmp(&self.distance(b)));
        if let Some(j) = bracket {
            let (mut lo, mut hi) = (self.x[j], self.x[j + 1]);
            let rising = self.y[j + 1] > self.y[j];
            for _ in 0..80 {
                let mid = 0.5 * (lo + hi);
                if (self.at(j, mid) < level) == rising {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return Some((0.5 * (lo + hi), false));
        }
        let (first, last) = ((self.y[0] - level).abs(), (self.y[n - 1] - level).abs());
        let (j, end) = if first <= last { (0, 0) } else { (n - 2, n - 1) };
        let secant = (self.y[j + 1] - self.y[j]) / (self.x[j + 1] - self.x[j]);
        (secant != 0.0).then(|| (self.x[end] + (level - self.y[end]) / secant, true))
    }

    /// Distance of segment j from x = 0.
    fn distance(&self, j: usize) -> f64 {
        if self.x[j] <= 0.0 && 0.0 <= self.x[j + 1] { 0.0 } else { self.x[j].abs().min(self.x[j + 1].abs()) }
    }
}

/// The shape-preserving three-point end derivative of a monotone cubic: the end segment (width h0,
/// secant d0) and its neighbour (h1, d1); zero against the end secant's sign, at most 3 d0 where the
/// data turn.
fn end_slope(h0: f64, h1: f64, d0: f64, d1: f64) -> f64 {
    let d = ((2.0 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
    if d * d0 <= 0.0 {
        0.0
    } else if d0 * d1 < 0.0 && d.abs() > 3.0 * d0.abs() {
        3.0 * d0
    } else {
        d
    }
}

/// Where each point of a collapse design sits among the columns of one size.
#[derive(Debug, Clone)]
pub struct Design {
    /// The reference sweep (base included): (printed ln(Gamma / Gamma_base), column).
    pub reference: Vec<(f64, usize)>,
    /// Every other swept constituent: its points as (ln(c / c_base), column); the base is implicit.
    pub sweeps: Vec<Vec<(f64, usize)>>,
}

/// The fitted slopes of a design from the column means of one size, and whether any point was
/// located beyond the reference's range (per constituent).
pub fn slopes(design: &Design, means: &[f64]) -> Result<(Vec<f64>, Vec<bool>)> {
    let reference = Reference::new(&design.reference.iter().map(|(x, c)| (*x, means[*c])).collect::<Vec<_>>())?;
    let mut fitted = Vec::with_capacity(design.sweeps.len());
    let mut beyond = Vec::with_capacity(design.sweeps.len());
    for sweep in &design.sweeps {
        let (mut shx, mut shh, mut out) = (0.0, 0.0, false);
        for (h, c) in sweep {
            let (x, b) = reference.locate(means[*c]).ok_or_else(|| {
                Error::numerical("a point's output cannot be located on the reference sweep (flat end segment)")
            })?;
            shx += h * x;
            shh += h * h;
            out |= b;
        }
        fitted.push(shx / shh);
        beyond.push(out);
    }
    Ok((fitted, beyond))
}

/// Least-squares slope through the origin of `ys` on `hs`: sum h y / sum h^2.
pub fn slope_through_origin(hs: &[f64], ys: &[f64]) -> f64 {
    hs.iter().zip(ys).map(|(h, y)| h * y).sum::<f64>() / hs.iter().map(|h| h * h).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y = 0.4 / (1 + e^{2x}): located exactly at interior levels, monotone cubic between points.
    #[test]
    fn reference_curve_locates_levels() {
        let f = |x: f64| 0.4 / (1.0 + (2.0 * x).exp());
        let pts: Vec<(f64, f64)> = [-1.4, -0.7, 0.0, 0.7, 1.4].iter().map(|x| (*x, f(*x))).collect();
        let r = Reference::new(&pts).unwrap();
        for x in [-1.2, -0.3, 0.0, 0.2, 1.1] {
            let (got, beyond) = r.locate(f(x)).unwrap();
            assert!(!beyond && (got - x).abs() < 0.03, "{x}: {got}");
        }
        // Beyond the range: along the end segment's secant.
        let (x, beyond) = r.locate(0.399).unwrap();
        assert!(beyond && x < -1.4, "{x}");
        assert!(Reference::new(&pts[..1]).is_err());
        assert!(Reference::new(&[(0.0, 1.0), (0.0, 2.0)]).is_err());
        assert!(Reference::new(&[(0.0, 1.0), (1.0, 1.0)]).unwrap().locate(2.0).is_none());
    }

    /// A product form y = F(x1 + 2 x2 - x3) swept one at a time: the slopes are the exponents
    /// relative to the reference's (1).
    #[test]
    fn slopes_recover_exponent_ratios() {
        let f = |g: f64| 0.45 / (1.0 + (1.5 * g).exp());
        let hs = [-0.7, -0.35, 0.35, 0.7];
        // Columns: base, reference points, then two points for each of two constituents.
        let mut means = vec![f(0.0)];
        let mut reference = vec![(0.0, 0)];
        for h in hs {
            reference.push((h, means.len()));
            means.push(f(h));
        }
        let mut sweeps = Vec::new();
        for e in [2.0, -1.0] {
            let mut sweep = Vec::new();
            for h in [-0.3, 0.3] {
                sweep.push((h, means.len()));
                means.push(f(e * h));
            }
            sweeps.push(sweep);
        }
        let (fitted, beyond) = slopes(&Design { reference, sweeps }, &means).unwrap();
        assert!((fitted[0] - 2.0).abs() < 0.02 && (fitted[1] + 1.0).abs() < 0.02, "{fitted:?}");
        assert_eq!(beyond, vec![false, false]);
        assert!((slope_through_origin(&[-1.0, 2.0], &[-2.0, 4.0]) - 2.0).abs() < 1e-12);
    }
}
