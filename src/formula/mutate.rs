//! Plausible typos of a printed formula, generated on its AST.
//!
//! Rules, applied at every node in pre-order (then the global swaps):
//! - exponent: a^n -> a^(n+1) and a^(n-1) for a numeric exponent n;
//! - dropped factor: a*b -> b and a; a/b -> a and 1/b;
//! - squared factor: a*b -> a^2*b and a*b^2; a/b -> a^2/b and a/b^2;
//! - sign: a + b <-> a - b, -a -> a;
//! - coefficient: 2 <-> 1/2 (any literal 2 or 0.5);
//! - plus-minus-one: a literal 1 added or subtracted becomes -1 (1 + x -> -1 + x, x - 1 -> x - -1);
//! - swapped parameters: every pair of distinct variables exchanged everywhere.
//!
//! [`mutants`] returns them in this deterministic order, deduplicated by their values at 16 fixed
//! domain points, without the original and without mutants equivalent to it over the domain
//! (see [`super::equivalence`]). [`pick`] caps the list deterministically, round-robin over kinds.

use serde::Serialize;

use super::equivalence::compare;
use super::{Expr, Formula, Func, Interval};
use crate::error::Result;

/// The kind of typo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Exponent,
    DroppedFactor,
    SquaredFactor,
    Sign,
    Coefficient,
    PlusMinusOne,
    SwappedParameters,
}

/// One wrong variant of a formula.
#[derive(Clone, Debug, Serialize)]
pub struct Mutant {
    pub kind: Kind,
    /// What was changed, e.g. "exponent 2 -> 3 in gamma^2".
    pub change: String,
    /// The mutated formula, readable and parseable.
    pub formula: String,
}

/// Every non-equivalent plausible typo of `f` over `domain` (see the module doc), in a fixed order.
pub fn mutants(f: &Formula, domain: &[(String, Interval)], seed: u64) -> Result<Vec<Mutant>> {
    let mut raw: Vec<(Kind, String, Expr)> = Vec::new();
    visit(f.expr(), false, &|e| e, &mut raw);
    let vars = f.variables();
    for (i, a) in vars.iter().enumerate() {
        for b in &vars[i + 1..] {
            raw.push((Kind::SwappedParameters, format!("{a} <-> {b}"), swap(f.expr(), a, b)));
        }
    }
    let probes = probe_points(vars, domain, 16);
    let print = |h: &Formula| -> Vec<f64> {
        let at = |p: &[f64], name: &str| vars.iter().position(|v| v == name).map(|i| p[i]);
        probes.iter().map(|p| h.eval(|n| at(p, n)).unwrap_or(f64::NAN)).collect()
    };
    let mut seen = vec![print(f)];
    let mut out = Vec::new();
    for (kind, change, expr) in raw {
        let text = pretty(&expr, 0);
        let Ok(m) = Formula::parse(&text) else { continue };
        let fingerprint = print(&m);
        if seen.iter().any(|s| same(s, &fingerprint)) {
            continue;
        }
        seen.push(fingerprint);
        if compare(f, &m, domain, seed)?.equivalent {
            continue;
        }
        out.push(Mutant { kind, change, formula: text });
    }
    Ok(out)
}

/// `n` fixed, well spread points of the domain box (variables in `vars` order; a variable without
/// an interval ranges over the real line): x = interval.from_unbounded(t), t in [-4, 4] on a
/// golden-ratio sequence per point, shifted per variable.
pub fn probe_points(vars: &[String], domain: &[(String, Interval)], n: usize) -> Vec<Vec<f64>> {
    let line = Interval { lo: f64::NEG_INFINITY, hi: f64::INFINITY, lo_open: true, hi_open: true };
    (0..n)
        .map(|k| {
            vars.iter()
                .enumerate()
                .map(|(j, v)| {
                    let iv = domain.iter().find(|(n, _)| n == v).map_or(line, |(_, i)| *i);
                    let u = (0.618_033_988_7 * (k + 1) as f64 + 0.414_213_56 * j as f64).fract();
                    iv.from_unbounded(8.0 * u - 4.0)
                })
                .collect()
        })
        .collect()
}

/// Two value fingerprints agree to 1e-9 (relative) at every probe (undefined counts as a value).
fn same(a: &[f64], b: &[f64]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (!x.is_finite() && !y.is_finite()) || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()) || x == y)
}

/// At most `cap` mutants, taken round-robin over kinds (in [`Kind`] order), each kind in list order.
pub fn pick(mutants: Vec<Mutant>, cap: usize) -> Vec<Mutant> {
    let mut kinds: Vec<Kind> = mutants.iter().map(|m| m.kind).collect();
    kinds.sort();
    kinds.dedup();
    let mut queues: Vec<std::collections::VecDeque<Mutant>> =
        kinds.iter().map(|k| mutants.iter().filter(|m| m.kind == *k).cloned().collect()).collect();
    let mut out = Vec::new();
    while out.len() < cap && queues.iter().any(|q| !q.is_empty()) {
        for q in &mut queues {
            if out.len() < cap
                && let Some(m) = q.pop_front()
            {
                out.push(m);
            }
        }
    }
    out
}

fn b(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn square(e: &Expr) -> Expr {
    Expr::Pow(b(e.clone()), b(Expr::Num(2.0)))
}

/// Records the local typos of `e` (rebuilt into the whole tree by `rebuild`) and recurses.
/// `summand`: `e` is an operand of `+` or `-`.
fn visit(e: &Expr, summand: bool, rebuild: &dyn Fn(Expr) -> Expr, out: &mut Vec<(Kind, String, Expr)>) {
    let at = short(&pretty(e, 0));
    let mut push = |kind: Kind, change: String, local: Expr| out.push((kind, change, rebuild(local)));
    match e {
        Expr::Pow(a, n) => {
            if let Expr::Num(n) = **n {
                for m in [n + 1.0, n - 1.0] {
                    push(Kind::Exponent, format!("exponent {n} -> {m} in {at}"), Expr::Pow(a.clone(), b(Expr::Num(m))));
                }
            }
        }
        Expr::Mul(x, y) | Expr::Div(x, y) => {
            let div = matches!(e, Expr::Div(..));
            let op = |l: Expr, r: Expr| if div { Expr::Div(b(l), b(r)) } else { Expr::Mul(b(l), b(r)) };
            let (px, py) = (short(&pretty(x, 0)), short(&pretty(y, 0)));
            if div {
                push(Kind::DroppedFactor, format!("dropped denominator {py} in {at}"), (**x).clone());
                if **x != Expr::Num(1.0) {
                    push(
                        Kind::DroppedFactor,
                        format!("dropped numerator {px} in {at}"),
                        op(Expr::Num(1.0), (**y).clone()),
                    );
                }
            } else {
                push(Kind::DroppedFactor, format!("dropped factor {px} in {at}"), (**y).clone());
                push(Kind::DroppedFactor, format!("dropped factor {py} in {at}"), (**x).clone());
            }
            push(Kind::SquaredFactor, format!("squared {px} in {at}"), op(square(x), (**y).clone()));
            push(Kind::SquaredFactor, format!("squared {py} in {at}"), op((**x).clone(), square(y)));
        }
        Expr::Add(x, y) => push(Kind::Sign, format!("+ -> - in {at}"), Expr::Sub(x.clone(), y.clone())),
        Expr::Sub(x, y) => push(Kind::Sign, format!("- -> + in {at}"), Expr::Add(x.clone(), y.clone())),
        Expr::Neg(x) => push(Kind::Sign, format!("dropped the minus of {at}"), (**x).clone()),
        Expr::Num(v) if *v == 2.0 || *v == 0.5 => {
            let w = if *v == 2.0 { 0.5 } else { 2.0 };
            push(Kind::Coefficient, format!("coefficient {v} -> {w}"), Expr::Num(w));
        }
        _ => {}
    }
    if summand && *e == Expr::Num(1.0) {
        out.push((Kind::PlusMinusOne, "+1 -> -1".to_string(), rebuild(Expr::Num(-1.0))));
    }
    match e {
        Expr::Neg(x) => visit(x, false, &|c| rebuild(Expr::Neg(b(c))), out),
        Expr::Call(f, x) => {
            let f = *f;
            visit(x, false, &|c| rebuild(Expr::Call(f, b(c))), out);
        }
        _ => {
            if let Some((op, x, y)) = e.as_binary() {
                let sum = matches!(op, '+' | '-');
                visit(x, sum, &|c| rebuild(Expr::binary(op, c, y.clone())), out);
                visit(y, sum, &|c| rebuild(Expr::binary(op, x.clone(), c)), out);
            }
        }
    }
}

/// `s`, cut to 40 characters for change descriptions.
fn short(s: &str) -> String {
    if s.chars().count() <= 40 { s.to_string() } else { s.chars().take(37).collect::<String>() + "..." }
}

/// `e` with the variables `a` and `c` exchanged.
fn swap(e: &Expr, a: &str, c: &str) -> Expr {
    match e {
        Expr::Var(v) if v == a => Expr::Var(c.to_string()),
        Expr::Var(v) if v == c => Expr::Var(a.to_string()),
        Expr::Num(_) | Expr::Var(_) => e.clone(),
        Expr::Neg(x) => Expr::Neg(b(swap(x, a, c))),
        Expr::Call(f, x) => Expr::Call(*f, b(swap(x, a, c))),
        _ => match e.as_binary() {
            Some((op, x, y)) => Expr::binary(op, swap(x, a, c), swap(y, a, c)),
            None => e.clone(),
        },
    }
}

/// Readable text with the fewest parentheses that parse back to the same tree (up to
/// association), printed for operators binding at least as tightly as `min` without parentheses.
/// Precedences: + - 1, * / 2, unary minus 3, ^ 4, atoms 5.
pub fn pretty(e: &Expr, min: u8) -> String {
    let (prec, text) = match e {
        Expr::Num(v) if *v < 0.0 => (3, format!("-{}", -v)),
        Expr::Num(v) if v.is_nan() => (2, "0/0".to_string()),
        Expr::Num(v) if v.is_infinite() => (2, "1/0".to_string()),
        Expr::Num(v) => (5, v.to_string()),
        Expr::Var(v) if v == "e" || v == "pi" || Func::from_name(v).is_some() => (5, format!("{{{v}}}")),
        Expr::Var(v) => (5, v.clone()),
        Expr::Neg(x) => (3, format!("-{}", pretty(x, 4))),
        Expr::Call(f, x) => (5, format!("{}({})", f.name(), pretty(x, 0))),
        _ => match e.as_binary() {
            Some(('^', x, y)) => (4, format!("{}^{}", pretty(x, 5), pretty(y, 3))),
            Some((op, x, y)) => {
                let p = if matches!(op, '+' | '-') { 1 } else { 2 };
                (p, format!("{} {op} {}", pretty(x, p), pretty(y, p + 1)))
            }
            None => (5, String::new()),
        },
    };
    if prec < min { format!("({text})") } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Formula {
        Formula::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn pretty_parses_back_to_the_same_values() {
        for s in [
            "-x^2",
            "(-x)^2",
            "x^-1",
            "2^x^3",
            "a - (b - c)",
            "a / (b * c)",
            "-(a + b) * c",
            "sqrt(1 + gamma^2) - 1",
            "{e} + pi - -3",
            "(1 - nu2) * (1 - 2*chi*alpha_s^2*nu2/(1 + chi*nu2) + chi^2*alpha_s^2*nu2^2/(1 + chi*nu2)^2)",
        ] {
            let orig = f(s);
            let back = f(&pretty(orig.expr(), 0));
            for p in [[0.3, 1.7, 0.4, 2.2], [1.1, 0.2, 3.0, 0.9]] {
                let vals: Vec<f64> = (0..orig.variables().len()).map(|i| p[i % 4]).collect();
                let (a, b) = (orig.eval_slice(&vals).unwrap(), back.eval_slice(&vals).unwrap());
                assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{s} -> {}", pretty(orig.expr(), 0));
            }
        }
    }

    #[test]
    fn spike_typos_are_listed_in_a_fixed_order_without_equivalents() {
        let d = vec![("gamma".to_string(), Interval::parse("(0, inf)").unwrap())];
        let m = mutants(&f("sqrt(1 + gamma^2) - 1"), &d, 7).unwrap();
        let texts: Vec<&str> = m.iter().map(|m| m.formula.as_str()).collect();
        assert_eq!(
            texts,
            [
                "sqrt(1 + gamma^2) + 1",
                "sqrt(1 - gamma^2) - 1",
                "sqrt(-1 + gamma^2) - 1",
                "sqrt(1 + gamma^3) - 1",
                "sqrt(1 + gamma^1) - 1",
                "sqrt(1 + gamma^0.5) - 1",
            ]
        );
        assert_eq!(
            pick(m.clone(), 3).iter().map(|m| m.kind).collect::<Vec<_>>(),
            [Kind::Exponent, Kind::Sign, Kind::Coefficient]
        );
        assert_eq!(pick(m, 100).len(), 6);
    }

    #[test]
    fn equivalent_mutants_are_removed() {
        // Swapping x and y in x*y gives the same function; dropping the factor 1 too.
        let d = vec![
            ("x".to_string(), Interval::parse("(0, 2)").unwrap()),
            ("y".to_string(), Interval::parse("(0, 2)").unwrap()),
        ];
        let m = mutants(&f("x*y"), &d, 1).unwrap();
        assert!(m.iter().all(|m| m.kind != Kind::SwappedParameters), "{m:?}");
        assert!(!m.is_empty());
    }
}
