//! Parameter intervals in math notation: `(0, 1]`, `[0, inf)`, `(-inf, 0)`, `[2, 2]`.

use std::fmt;

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use std::str::FromStr;

/// Why an interval could not be parsed: the text and a short message naming the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainError {
    pub text: String,
    pub message: String,
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid interval {:?}: {}", self.text, self.message)
    }
}

impl std::error::Error for DomainError {}

/// A real interval; infinite ends are always open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
    pub lo_open: bool,
    pub hi_open: bool,
}

impl Interval {
    /// Parses `(a, b]` style notation; bounds may be numbers, `inf`, `+inf` or `-inf`.
    /// Fails with a [`DomainError`] naming the problem (`NaN`, `lo > hi`, closed infinite
    /// end, empty interval, malformed text).
    pub fn parse(text: &str) -> Result<Interval, DomainError> {
        let fail = |message: &str| DomainError { text: text.to_string(), message: message.into() };
        let t = text.trim();
        let lo_open = match t.chars().next() {
            Some('(') => true,
            Some('[') => false,
            _ => return Err(fail("must start with '(' or '['")),
        };
        let hi_open = match t.chars().last() {
            Some(')') if t.len() > 1 => true,
            Some(']') if t.len() > 1 => false,
            _ => return Err(fail("must end with ')' or ']'")),
        };
        let Some((a, b)) = t[1..t.len() - 1].split_once(',') else {
            return Err(fail("expected two bounds separated by ','"));
        };
        let bound = |s: &str| match s.trim().parse::<f64>() {
            Ok(v) if !v.is_nan() => Ok(v),
            _ => Err(fail(&format!("{:?} is not a number or ±inf", s.trim()))),
        };
        let (lo, hi) = (bound(a)?, bound(b)?);
        if (lo.is_infinite() && !lo_open) || (hi.is_infinite() && !hi_open) {
            return Err(fail("an infinite bound must be open"));
        }
        if lo > hi || lo == f64::INFINITY || hi == f64::NEG_INFINITY {
            return Err(fail("lower bound exceeds upper bound"));
        }
        if lo == hi && (lo_open || hi_open) {
            return Err(fail("the interval is empty"));
        }
        Ok(Interval { lo, hi, lo_open, hi_open })
    }

    /// Whether `x` lies in the interval (`NaN` never does).
    pub fn contains(&self, x: f64) -> bool {
        let above = if self.lo_open { x > self.lo } else { x >= self.lo };
        let below = if self.hi_open { x < self.hi } else { x <= self.hi };
        above && below
    }

    /// Whether both ends are finite.
    pub fn is_bounded(&self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }

    /// `n` ascending points inside the interval for searches: evenly spaced when bounded
    /// (open ends nudged in by 1e-6 of the width), geometric from 1e-3 to 1e3 (times
    /// `max(1, |end|)`) away from a finite end otherwise. Only points satisfying
    /// [`Interval::contains`] are returned (fewer only if none is representable).
    pub fn sample_points(&self, n: usize) -> Vec<f64> {
        let frac = |i: usize| {
            if n > 1 { i as f64 / (n - 1) as f64 } else { 0.5 }
        };
        let geometric = |i: usize| 10f64.powf(-3.0 + 6.0 * frac(i));
        let mut pts: Vec<f64> = match (self.lo.is_finite(), self.hi.is_finite()) {
            (true, true) => {
                let a = if self.lo_open { 1e-6 } else { 0.0 };
                let b = if self.hi_open { 1.0 - 1e-6 } else { 1.0 };
                (0..n).map(|i| self.lerp(a + (b - a) * frac(i))).collect()
            }
            (true, false) => {
                let s = self.lo.abs().max(1.0);
                let first_at_end = !self.lo_open && n > 1;
                (0..n).map(|i| if first_at_end && i == 0 { self.lo } else { self.lo + s * geometric(i) }).collect()
            }
            (false, true) => {
                let s = self.hi.abs().max(1.0);
                let last_at_end = !self.hi_open && n > 1;
                (0..n).rev().map(|i| if last_at_end && i == 0 { self.hi } else { self.hi - s * geometric(i) }).collect()
            }
            (false, false) => {
                let k = 1e3f64.asinh();
                (0..n).map(|i| (k * (2.0 * frac(i) - 1.0)).sinh()).collect()
            }
        };
        pts.retain(|&x| self.contains(x));
        pts
    }

    /// Maps any real `t` smoothly into the interval: `lo + (hi - lo)·logistic(t)` when bounded,
    /// `lo + exp(t)` / `hi - exp(-t)` when half-bounded, `t` itself otherwise.
    /// The result always satisfies [`Interval::contains`] (`NaN` is treated as 0).
    pub fn from_unbounded(&self, t: f64) -> f64 {
        let t = if t.is_nan() { 0.0 } else { t };
        let x = match (self.lo.is_finite(), self.hi.is_finite()) {
            (true, true) => self.lerp(1.0 / (1.0 + (-t).exp())),
            (true, false) => self.lo + t.exp(),
            (false, true) => self.hi - (-t).exp(),
            (false, false) => t,
        };
        // Rounding can land on (or past) an end: pull the point back inside.
        let x = x.clamp(self.lo.max(f64::MIN), self.hi.min(f64::MAX));
        if self.lo_open && x <= self.lo {
            self.lo.next_up().min(self.mid())
        } else if self.hi_open && x >= self.hi {
            self.hi.next_down().max(self.mid())
        } else {
            x
        }
    }

    /// Inverse of [`Interval::from_unbounded`]; ends (and points outside) map to large
    /// but finite values, so the result is a usable starting point (`NaN` stays `NaN`).
    pub fn to_unbounded(&self, x: f64) -> f64 {
        const TINY: f64 = 1e-300;
        let x = x.clamp(f64::MIN, f64::MAX);
        match (self.lo.is_finite(), self.hi.is_finite()) {
            (true, true) if self.hi > self.lo => {
                let p = (x / 2.0 - self.lo / 2.0) / (self.hi / 2.0 - self.lo / 2.0);
                let p = p.clamp(1e-16, 1.0 - 1e-16);
                (p / (1.0 - p)).ln()
            }
            (true, true) => 0.0,
            (true, false) => (x - self.lo).max(TINY).ln(),
            (false, true) => -(self.hi - x).max(TINY).ln(),
            (false, false) => x.clamp(f64::MIN, f64::MAX),
        }
    }

    /// The point a fraction `p` of the way from `lo` to `hi` (no overflow for huge widths).
    fn lerp(&self, p: f64) -> f64 {
        self.lo * (1.0 - p) + self.hi * p
    }

    fn mid(&self) -> f64 {
        self.lo / 2.0 + self.hi / 2.0
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let open = if self.lo_open { '(' } else { '[' };
        let close = if self.hi_open { ')' } else { ']' };
        write!(f, "{open}{}, {}{close}", self.lo, self.hi)
    }
}

impl FromStr for Interval {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// `-f` at the point of the box with unbounded coordinates t (non-finite values count as -1e300).
struct BoxObjective<'a> {
    intervals: &'a [Interval],
    f: &'a dyn Fn(&[f64]) -> f64,
}

impl BoxObjective<'_> {
    fn point(&self, t: &[f64]) -> Vec<f64> {
        t.iter().zip(self.intervals).map(|(t, i)| i.from_unbounded(*t)).collect()
    }
}

impl CostFunction for BoxObjective<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, t: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        let v = (self.f)(&self.point(t));
        Ok(if v.is_finite() { -v } else { -1e300 })
    }
}

/// Local maximisation of `f` over the box `intervals` from `start` (argmin Nelder-Mead in the
/// unbounded coordinates t = to_unbounded(x): simplex steps 0.5, sd tolerance 1e-13, at most 300
/// iterations). Returns the best point found, in the box; the error is argmin's message.
pub fn maximize_in_box(
    intervals: &[Interval],
    start: &[f64],
    f: &dyn Fn(&[f64]) -> f64,
) -> std::result::Result<Vec<f64>, String> {
    let t0: Vec<f64> = start.iter().zip(intervals).map(|(x, i)| i.to_unbounded(*x)).collect();
    let mut simplex = vec![t0.clone()];
    for k in 0..t0.len() {
        let mut t = t0.clone();
        t[k] += 0.5;
        simplex.push(t);
    }
    let solver = NelderMead::new(simplex).with_sd_tolerance(1e-13).map_err(|e| e.to_string())?;
    let objective = BoxObjective { intervals, f };
    let result = Executor::new(BoxObjective { intervals, f }, solver)
        .configure(|s| s.max_iters(300))
        .run()
        .map_err(|e| format!("Nelder-Mead: {e}"))?;
    let t = result.state().get_best_param().cloned().unwrap_or(t0);
    Ok(objective.point(&t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck_macros::quickcheck;

    fn iv(s: &str) -> Interval {
        Interval::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    const GOOD: [&str; 8] =
        ["[-1e308, 1e308)", "(0, 1]", "[0, inf)", "[-1, 1]", "(0, +inf)", "(-inf, 0)", "[2, 2]", "(-inf, inf)"];

    #[test]
    fn parse_display_round_trip() {
        for s in GOOD {
            let i = iv(s);
            assert_eq!(iv(&i.to_string()), i, "{s}");
        }
        assert_eq!(iv("(0,+inf)").to_string(), "(0, inf)");
        assert_eq!("[-1.5,2.5e3)".parse(), Ok(Interval { lo: -1.5, hi: 2500.0, lo_open: false, hi_open: true }));
        let bad = [
            ("[0, inf]", "infinite bound must be open"),
            ("(1, 1)", "empty"),
            ("[1, 1)", "empty"),
            ("[2, 1]", "exceeds"),
            ("[nan, 1]", "not a number"),
            ("0, 1", "must start"),
            ("(0, 1", "must end"),
            ("(0 1)", "two bounds"),
            ("(", "must end"),
            ("", "must start"),
            ("(a, 1)", "\"a\" is not a number"),
        ];
        for (s, needle) in bad {
            let e = Interval::parse(s).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(needle), "{s}: {e:?}");
        }
    }

    #[test]
    fn contains_respects_ends() {
        let i = iv("(0, 1]");
        assert!(!i.contains(0.0) && i.contains(1e-300) && i.contains(1.0) && !i.contains(1.0000001));
        assert!(!i.contains(f64::NAN) && !iv("(-inf, inf)").contains(f64::NAN));
        assert!(iv("[2, 2]").contains(2.0) && !iv("[0, inf)").contains(f64::INFINITY));
        assert!(i.is_bounded() && !iv("[0, inf)").is_bounded());
    }

    #[test]
    fn samples_inside_and_sorted() {
        for s in GOOD.iter().chain(&["(1e-300, 2e-300)", "(1, 1.0000000000000002)", "(-5, inf)"]) {
            let i = iv(s);
            for n in [0, 1, 2, 7] {
                let p = i.sample_points(n);
                assert!(p.iter().all(|&x| i.contains(x)), "{s} {p:?}");
                assert!(p.windows(2).all(|w| w[0] <= w[1]), "{s} {p:?}");
                assert!(p.len() == n || s.starts_with("(1, 1.0"), "{s} {p:?}");
            }
        }
        assert_eq!(iv("[0, 1]").sample_points(3), [0.0, 0.5, 1.0]);
        assert_eq!(iv("[0, inf)").sample_points(3), [0.0, 1.0, 1000.0]);
    }

    #[quickcheck]
    fn parse_never_panics(s: String) -> bool {
        Interval::parse(&s).is_ok_and(|i| iv(&i.to_string()) == i) || Interval::parse(&s).is_err()
    }

    #[quickcheck]
    fn unbounded_map_inside_and_inverse(t: f64, which: u8) -> bool {
        let i = iv(GOOD[usize::from(which) % GOOD.len()]);
        let x = i.from_unbounded(t);
        let back = i.to_unbounded(x);
        let inverse = !(-10.0..=10.0).contains(&t) || i.lo == i.hi || (back - t).abs() < 1e-6;
        i.contains(x) && back.is_finite() && inverse
    }

    #[test]
    fn unbounded_map_extremes() {
        for s in GOOD {
            let i = iv(s);
            for t in [-1e308, -800.0, -40.0, 0.0, 3.0, 40.0, 800.0, 1e308, f64::NAN, f64::INFINITY] {
                assert!(i.contains(i.from_unbounded(t)), "{s} at {t}");
                let back = i.to_unbounded(i.from_unbounded(t));
                assert!(back.is_finite(), "{s} at {t}");
                if (-10.0..=10.0).contains(&t) && i.lo < i.hi {
                    assert!((back - t).abs() < 1e-6, "{s} at {t}: {back}");
                }
            }
        }
    }
}
