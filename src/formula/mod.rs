//! The formula layer: parse printed closed-form formulas with standard math
//! semantics, evaluate them fast and differentiate them symbolically.
//!
//! # Grammar
//! - Numbers: `2`, `0.5`, `.5`, `1e-3`, `2.5E+4`. Variables: `[A-Za-z_][A-Za-z0-9_]*`.
//! - `pi` and `e` are constants (π and Euler's number), never variables: a variable
//!   named `e` or `pi` can only be written braced, `{e}`. The braced form `{name}` always
//!   denotes a variable; canonical strings use it for names exmex reserves (`E`, `PI`, ...).
//! - Precedence, tightest first: `^` (also `**`, right-associative: `x^2^3 = x^(2^3)`),
//!   unary `-`/`+`, then `*` `/`, then `+` `-` (both left-associative). So `-x^2 = -(x^2)`,
//!   `2^-1 = 2^(-1)` and `-2*x = (-2)*x`.
//! - Functions: `sqrt exp ln log abs sin cos tan asin acos atan sinh cosh tanh`, with
//!   `log` = natural log and `arcsin`/`arccos`/`arctan` as synonyms.
//! - Implicit multiplication (`2x`, `2(x)`) is an error; nesting is limited to 200 levels.
//!
//! exmex is only the back-end: it receives [`Formula::canonical`], a fully parenthesised
//! string that reads the same under exmex's own (non-standard) precedence rules.
//! Derivatives are computed on our AST (exmex 0.21 does not expose its tree, and its
//! `unparse` uses its own precedence and `Debug` floats, so its result cannot be
//! turned back into an [`Expr`] reliably); the tests check them against exmex's
//! `partial` and against finite differences.

pub mod domain;
pub mod equivalence;
pub mod mathml;
pub mod mutate;
mod parse;
pub mod scaling;

pub use crate::error::FormulaError;
pub use domain::{DomainError, Interval};
pub use parse::{Expr, Func};

use exmex::prelude::*;
use std::fmt;

/// Serializes (name, value) pairs as one JSON object `{name: value}`: the `at` objects of the JSON
/// output (never a list of pairs).
pub fn pairs_as_object<S: serde::Serializer>(pairs: &[(String, f64)], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// Serializes a number for the JSON output: finite as a number, ±infinity as the string "inf" / "-inf"
/// (never `null`); NaN, which no output should hold, as `null`.
pub fn json_number<S: serde::Serializer>(x: &f64, s: S) -> std::result::Result<S::Ok, S::Error> {
    match *x {
        x if x.is_finite() => s.serialize_f64(x),
        x if x.is_nan() => s.serialize_none(),
        x => s.serialize_str(if x > 0.0 { "inf" } else { "-inf" }),
    }
}

/// Serializes a number that may be a count (a size, a width, a grid value): a whole number below
/// 2^53 as a JSON integer (`1000`, not `1000.0`), any other as [`json_number`].
pub fn json_whole<S: serde::Serializer>(x: &f64, s: S) -> std::result::Result<S::Ok, S::Error> {
    if x.fract() == 0.0 && x.abs() < 9.007_199_254_740_992e15 { s.serialize_i64(*x as i64) } else { json_number(x, s) }
}

/// A number as a JSON value by [`json_whole`] (whole numbers as integers, infinity as "inf").
pub fn whole_value(x: f64) -> serde_json::Value {
    json_whole(&x, serde_json::value::Serializer).unwrap_or(serde_json::Value::Null)
}

/// [`json_whole`] for every number of a list.
pub fn json_wholes<S: serde::Serializer>(xs: &[f64], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(xs.iter().map(|x| Whole(*x)))
}

/// [`json_whole`] for every value of a map name -> number (an `at` object).
pub fn json_whole_map<S: serde::Serializer>(
    map: &std::collections::BTreeMap<String, f64>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_map(map.iter().map(|(k, v)| (k, Whole(*v))))
}

/// A number serialized by [`json_whole`].
struct Whole(f64);

impl serde::Serialize for Whole {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        json_whole(&self.0, s)
    }
}

fn backend(e: impl fmt::Display) -> FormulaError {
    FormulaError::Backend(e.to_string().split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A parsed formula: the user's text, our AST, the canonical string and exmex's compiled form.
#[derive(Clone, Debug)]
pub struct Formula {
    text: String,
    expr: Expr,
    canonical: String,
    vars: Vec<String>,
    flat: FlatEx<f64>,
    /// `order[k]` is the index in `vars` of exmex's k-th variable.
    order: Vec<usize>,
}

impl Formula {
    /// Parses `text` (see the module doc for the grammar).
    pub fn parse(text: &str) -> Result<Formula, FormulaError> {
        Self::compile(text.to_string(), parse::parse(text)?)
    }

    /// Builds a formula from an AST; its text is the canonical string.
    pub fn from_expr(expr: Expr) -> Result<Formula, FormulaError> {
        if let Some(bad) = expr.variables().into_iter().find(|v| !parse::is_ident(v)) {
            let message = "variable names must match [A-Za-z_][A-Za-z0-9_]*".to_string();
            return Err(FormulaError::Syntax { source: bad, column: 1, message });
        }
        Self::compile(expr.canonical(), expr)
    }

    fn compile(text: String, expr: Expr) -> Result<Formula, FormulaError> {
        let canonical = expr.canonical();
        let vars = expr.variables();
        let flat = exmex::parse::<f64>(&canonical).map_err(backend)?;
        let order = flat
            .var_names()
            .iter()
            .map(|n| vars.iter().position(|v| v == n))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| backend(format!("exmex read unexpected variables from {canonical:?}")))?;
        Ok(Formula { text, expr, canonical, vars, flat, order })
    }

    /// The original text (for [`Formula::from_expr`]: the canonical string).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The AST.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The fully parenthesised string given to exmex.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Sorted, deduplicated variable names.
    pub fn variables(&self) -> &[String] {
        &self.vars
    }

    /// Evaluates with `lookup` giving variable values; `UnknownVariable` if one is missing.
    pub fn eval(&self, lookup: impl Fn(&str) -> Option<f64>) -> Result<f64, FormulaError> {
        let values = self
            .vars
            .iter()
            .map(|v| {
                lookup(v).ok_or_else(|| FormulaError::UnknownVariable { name: v.clone(), formula: self.text.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.eval_slice(&values)
    }

    /// Evaluates with values given in the order of [`Formula::variables`].
    pub fn eval_slice(&self, values: &[f64]) -> Result<f64, FormulaError> {
        if values.len() != self.vars.len() {
            return Err(backend(format!(
                "{} values given for the {} variables of {:?}",
                values.len(),
                self.vars.len(),
                self.text
            )));
        }
        let result = if self.order.iter().enumerate().all(|(k, &i)| k == i) && self.order.len() == values.len() {
            self.flat.eval(values)
        } else {
            let args: Vec<f64> = self.order.iter().map(|&i| values[i]).collect();
            self.flat.eval(&args)
        };
        result.map_err(backend)
    }

    /// Symbolic partial derivative; the constant zero if `variable` does not occur.
    pub fn partial(&self, variable: &str) -> Result<Formula, FormulaError> {
        let d = derive(&self.expr, variable).map_err(|reason| FormulaError::NotDifferentiable {
            formula: self.text.clone(),
            variable: variable.to_string(),
            reason,
        })?;
        Self::from_expr(d)
    }
}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Formula {
    type Err = FormulaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn num(e: &Expr) -> Option<f64> {
    if let Expr::Num(v) = e { Some(*v) } else { None }
}

/// Binary node with numbers folded and neutral elements dropped.
fn bin(op: char, a: Expr, b: Expr) -> Expr {
    match (op, num(&a), num(&b)) {
        (_, Some(_), Some(_)) if op != '^' => {
            Expr::Num(Expr::binary(op, a, b).eval_tree(&|_| None).unwrap_or(f64::NAN))
        }
        ('+', Some(0.0), _) | ('*', Some(1.0), _) => b,
        ('+' | '-', _, Some(0.0)) | ('*' | '/' | '^', _, Some(1.0)) => a,
        ('-', Some(0.0), _) => neg(b),
        ('*', Some(0.0), _) | ('*', _, Some(0.0)) | ('/', Some(0.0), _) => Expr::Num(0.0),
        _ => Expr::binary(op, a, b),
    }
}
fn neg(a: Expr) -> Expr {
    match a {
        Expr::Num(v) => Expr::Num(-v),
        Expr::Neg(inner) => *inner,
        a => Expr::Neg(Box::new(a)),
    }
}
fn call(f: Func, a: &Expr) -> Expr {
    Expr::Call(f, Box::new(a.clone()))
}

/// d e / d x, or the reason it has none.
fn derive(e: &Expr, x: &str) -> Result<Expr, String> {
    use Expr::*;
    if !e.depends_on(x) {
        return Ok(Num(0.0));
    }
    let d = |a: &Expr| derive(a, x);
    let two = || Num(2.0);
    let (add, sub) = (|a, b| bin('+', a, b), |a, b| bin('-', a, b));
    let (mul, div, pow) = (|a, b| bin('*', a, b), |a, b| bin('/', a, b), |a, b| bin('^', a, b));
    Ok(match e {
        Num(_) | Var(_) => Num(1.0), // a constant or another variable was caught above
        Neg(a) => neg(d(a)?),
        Add(a, b) => add(d(a)?, d(b)?),
        Sub(a, b) => sub(d(a)?, d(b)?),
        Mul(a, b) => add(mul(d(a)?, (**b).clone()), mul((**a).clone(), d(b)?)),
        Div(a, b) if !b.depends_on(x) => div(d(a)?, (**b).clone()),
        Div(a, b) => {
            let top = sub(mul(d(a)?, (**b).clone()), mul((**a).clone(), d(b)?));
            div(top, pow((**b).clone(), two()))
        }
        Pow(a, b) if !b.depends_on(x) => {
            let lowered = pow((**a).clone(), sub((**b).clone(), Num(1.0)));
            mul(mul((**b).clone(), lowered), d(a)?)
        }
        Pow(a, b) if !a.depends_on(x) => mul(mul(e.clone(), call(Func::Ln, a)), d(b)?),
        Pow(a, b) => {
            let inner = add(mul(d(b)?, call(Func::Ln, a)), div(mul((**b).clone(), d(a)?), (**a).clone()));
            mul(e.clone(), inner)
        }
        Call(f, a) => {
            let one_minus_sq = || sub(Num(1.0), pow((**a).clone(), two()));
            let outer = match f {
                Func::Sqrt => div(Num(1.0), mul(two(), e.clone())),
                Func::Exp => e.clone(),
                Func::Ln => div(Num(1.0), (**a).clone()),
                Func::Abs => {
                    return Err("abs(...) has no derivative at 0 and is not supported".into());
                }
                Func::Sin => call(Func::Cos, a),
                Func::Cos => neg(call(Func::Sin, a)),
                Func::Tan => div(Num(1.0), pow(call(Func::Cos, a), two())),
                Func::Asin => div(Num(1.0), call(Func::Sqrt, &one_minus_sq())),
                Func::Acos => neg(div(Num(1.0), call(Func::Sqrt, &one_minus_sq()))),
                Func::Atan => div(Num(1.0), add(Num(1.0), pow((**a).clone(), two()))),
                Func::Sinh => call(Func::Cosh, a),
                Func::Cosh => call(Func::Sinh, a),
                Func::Tanh => sub(Num(1.0), pow(e.clone(), two())),
            };
            mul(outer, d(a)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use exmex::Differentiate;
    use quickcheck_macros::quickcheck;

    fn f(s: &str) -> Formula {
        Formula::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }
    fn at(fm: &Formula, vals: &[(&str, f64)]) -> f64 {
        let lookup = |n: &str| vals.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        fm.eval(lookup).unwrap_or_else(|e| panic!("{e}"))
    }
    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300) || (a.is_nan() && b.is_nan()) || a == b
    }

    #[test]
    fn precedence_table() {
        type Case = (&'static str, fn(f64, f64) -> f64);
        let cases: [Case; 9] = [
            ("-x^2", |x, _| -(x * x)),
            ("2^-1 + 0*x", |_, _| 0.5),
            ("x^2^3", |x, _| x.powi(8)),
            ("-2*x", |x, _| -2.0 * x),
            ("1 - -x", |x, _| 1.0 + x),
            ("2**3*x", |x, _| 8.0 * x),
            ("1e-3*x", |x, _| 1e-3 * x),
            (".5*x - y/2/4", |x, y| 0.5 * x - y / 8.0),
            ("sin(x)^2 + log(e^y) - pi", |x, y| x.sin().powi(2) + y - std::f64::consts::PI),
        ];
        for (text, g) in cases {
            let fm = f(text);
            for (x, y) in [(2.0, 3.0), (0.3, -1.7), (-1.25, 0.5)] {
                let got = at(&fm, &[("x", x), ("y", y)]);
                assert!(close(got, g(x, y), 1e-12), "{text} at {x}: {got} vs {}", g(x, y));
            }
        }
        let paper = f("(1 - nu2) * (1 - 2*chi*alpha_s^2*nu2/(1 + chi*nu2) + chi^2*alpha_s^2*nu2^2/(1 + chi*nu2)^2)");
        assert_eq!(paper.variables(), ["alpha_s", "chi", "nu2"]);
        for (a, c, n) in [(0.5f64, 1.0f64, 0.3f64), (1.2, 0.1, 0.9), (2.0, 3.0, 0.05)] {
            let want =
                (1.0 - n) * (1.0 - 2.0 * c * a * a * n / (1.0 + c * n) + c * c * a * a * n * n / (1.0 + c * n).powi(2));
            assert!(close(paper.eval_slice(&[a, c, n]).unwrap_or(f64::NAN), want, 1e-12));
        }
    }

    #[test]
    fn sqrt_table() {
        let fm: Formula = "sqrt(1 + gamma^2) - 1".parse().unwrap_or_else(|e| panic!("{e}"));
        let want =
            [(0.5, 0.118034), (1.0, 0.414214), (2.0, 1.236068), (3.0, 2.162278), (4.0, 3.123106), (10.0, 9.049876)];
        for (g, w) in want {
            assert!((at(&fm, &[("gamma", g)]) - w).abs() < 1e-6, "gamma = {g}");
        }
        assert_eq!(fm.to_string(), "sqrt(1 + gamma^2) - 1");
    }

    #[test]
    fn partials_match_finite_differences_and_exmex() {
        let point = [("x", 0.7), ("y", 1.3), ("z", 0.4)];
        let cases = [
            ("x^2*y + sin(x*z)", "x"),
            ("x^y / (1 + z)", "y"),
            ("x^y - exp(-x/y)", "x"),
            ("sqrt(1 + x^2) * ln(y) - atan(z) + tanh(x*z)", "z"),
            ("acos(z)*asin(z) + tan(z) + cosh(z)/sinh(y)", "z"),
            ("x*y", "x"),          // derivative drops x
            ("y^3 + abs(z)", "x"), // x absent: zero, abs irrelevant
            ("2^x * x^-1.5 + pi*x", "x"),
        ];
        for (text, var) in cases {
            let fm = f(text);
            let d = fm.partial(var).unwrap_or_else(|e| panic!("{e}"));
            let h = 1e-6;
            let shifted = |s: f64| {
                let vals: Vec<_> = point.iter().map(|&(k, v)| (k, if k == var { v + s } else { v })).collect();
                at(&fm, &vals)
            };
            let fd = (shifted(h) - shifted(-h)) / (2.0 * h);
            let got = at(&d, &point);
            assert!((got - fd).abs() < 1e-6 * fd.abs().max(1.0), "{text} d/d{var}: {got} vs {fd}");
            if let Some(i) = fm.variables().iter().position(|v| v == var) {
                let ex = exmex::parse::<f64>(fm.canonical()).and_then(|e| e.partial(i));
                let vals: Vec<f64> = fm.variables().iter().map(|v| at(&f(v), &point)).collect();
                if let Ok(ex_val) = ex.and_then(|e| e.eval(&vals)) {
                    assert!(close(got, ex_val, 1e-10), "{text}: exmex says {ex_val}, we {got}");
                }
            }
        }
        assert_eq!(f("x*y").partial("x").map(|d| d.variables().to_vec()), Ok(vec!["y".to_string()]));
        assert_eq!(f("y^3").partial("x").map(|d| d.canonical().to_string()), Ok("0".to_string()));
        assert_eq!(f("7").partial("x").and_then(|d| d.eval_slice(&[])), Ok(0.0));
    }

    fn err(text: &str) -> FormulaError {
        Formula::parse(text).err().unwrap_or_else(|| panic!("{text} parsed"))
    }

    #[test]
    fn error_cases() {
        let syntax = [
            ("", 1, "empty"),
            ("x +* 2", 4, "expected a number, variable, function or '(' but found '*'"),
            ("2x", 2, "implicit multiplication"),
            ("(x", 3, "'(' at column 1 is not closed"),
            ("x)", 2, "no matching '('"),
            ("1e", 1, "malformed number '1e'"),
            ("x $ y", 3, "unexpected character '$'"),
            ("sqrt()", 6, "'sqrt' needs an argument"),
            ("x + é", 5, "unexpected character 'é'"),
            ("sin + 1", 1, "needs parentheses"),
        ];
        for (text, col, needle) in syntax {
            let e = err(text);
            assert!(matches!(&e, FormulaError::Syntax { column, .. } if *column == col), "{text}: {e:?}");
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
        assert_eq!(
            err("x +* 2").to_string(),
            "syntax error at column 4 of \"x +* 2\": expected a number, variable, function or '(' but found '*'"
        );
        let e = err("foo(x)");
        assert!(matches!(&e, FormulaError::UnknownFunction { name, .. } if name == "foo"));
        assert!(e.to_string().contains("'foo'") && e.to_string().contains("sqrt, exp"));
        let e = f("abs(x) + y").partial("x").err();
        assert!(matches!(&e, Some(FormulaError::NotDifferentiable { reason, .. }) if reason.contains("abs")));
        let e = f("x + y").eval(|n| (n == "x").then_some(1.0)).err();
        assert!(matches!(&e, Some(FormulaError::UnknownVariable { name, .. }) if name == "y"));
        assert!(e.is_some_and(|e| e.to_string().contains("'y'")));
        assert!(matches!(f("x").eval_slice(&[]), Err(FormulaError::Backend(_))));
        assert!(Formula::from_expr(Expr::Var("a b".into())).is_err());
    }

    #[test]
    fn canonical_feeds_exmex_standard_semantics() {
        assert_eq!(f("-x^2").canonical(), "(-((x^2)))");
        assert_eq!(f("x^2^3").canonical(), "(x^(2^3))");
        let big = f("1e20 + 1e-300 + E + {e}");
        assert_eq!(big.variables(), ["E", "e"]);
        assert!(close(at(&big, &[("E", 1.0), ("e", 2.0)]), 1e20, 1e-15));
        assert_eq!(f("2^3").eval_slice(&[]), Ok(8.0));
        let odd = Formula::from_expr(Expr::Mul(Box::new(Expr::Num(f64::NEG_INFINITY)), Box::new(Expr::Num(-0.5))));
        assert_eq!(odd.and_then(|o| o.eval_slice(&[])), Ok(f64::INFINITY));
    }

    const ALPHABET: [&str; 20] = [
        "x", "y", "1", "2.5", "+", "-", "*", "/", "^", "(", ")", "sqrt", "exp", ",", "e", "pi", "1e-3", " ", "**",
        "abs",
    ];

    #[quickcheck]
    fn arbitrary_strings_never_panic(s: String) -> bool {
        if let Ok(fm) = Formula::parse(&s) {
            let _ = fm.eval(|_| Some(0.7));
        }
        true
    }

    #[quickcheck]
    fn token_soup_never_panics(picks: Vec<u8>) -> bool {
        let s: String = picks.iter().map(|&i| ALPHABET[usize::from(i) % ALPHABET.len()]).collect();
        match Formula::parse(&s) {
            Ok(fm) => {
                let direct = fm.expr().eval_tree(&|_| Some(0.7));
                let fast = fm.eval(|_| Some(0.7));
                direct.is_some_and(|d| fast.is_ok_and(|v| close(v, d, 1e-9)))
            }
            Err(e) => !e.to_string().is_empty(),
        }
    }

    /// A random expression driven by `seed` bytes.
    fn gen_expr(seed: &mut dyn Iterator<Item = u8>, depth: u32) -> Expr {
        let b = |s: &mut dyn Iterator<Item = u8>| Box::new(gen_expr(s, depth - 1));
        let k = seed.next().unwrap_or(0);
        if depth == 0 || k < 60 {
            let nums = [0.5, -2.0, 3.0, 1e-3, 1e5, 0.0, -0.25];
            return match k % 4 {
                0 => Expr::Var(["x", "y", "E", "pi"][usize::from(k / 4) % 4].into()),
                _ => Expr::Num(nums[usize::from(k) % nums.len()]),
            };
        }
        match k % 8 {
            0 => Expr::Neg(b(seed)),
            1 => Expr::Add(b(seed), b(seed)),
            2 => Expr::Sub(b(seed), b(seed)),
            3 => Expr::Mul(b(seed), b(seed)),
            4 => Expr::Div(b(seed), b(seed)),
            5 => Expr::Pow(b(seed), b(seed)),
            _ => Expr::Call([Func::Sqrt, Func::Exp, Func::Sin, Func::Ln][usize::from(k / 8) % 4], b(seed)),
        }
    }

    #[quickcheck]
    fn canonical_round_trip(bytes: Vec<u8>) -> bool {
        let expr = gen_expr(&mut bytes.into_iter(), 6);
        let Ok(a) = Formula::from_expr(expr.clone()) else {
            return false;
        };
        let Ok(b) = Formula::parse(a.canonical()) else {
            return false;
        };
        let vals = |n: &str| Some(if n == "x" { 0.7 } else { 1.9 });
        let (va, vb) = (a.eval(vals), b.eval(vals));
        let same = match (&va, &vb) {
            (Ok(x), Ok(y)) => x == y || x.is_nan() && y.is_nan(),
            _ => false,
        };
        let tree = expr.eval_tree(&vals);
        b.canonical() == a.canonical() && same && tree.is_some_and(|t| va.is_ok_and(|v| close(v, t, 1e-9)))
    }
}
