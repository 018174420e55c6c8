//! Presentation MathML from a formula's syntax tree: fractions as `mfrac`, powers as `msup`, roots
//! as `msqrt`, `abs` as bars, Greek variable names as letters with subscripts (`nu1` -> ν₁,
//! `alpha_s` -> α_s, `gamma1_star` -> γ₁*), parentheses only where precedence needs them.

use super::{Expr, Func};

/// Binding strength of a node as an operand: sums 1, products and negation 2, powers 3, atoms 4.
/// Fractions are drawn as `mfrac` and need no parentheses except as the base of a power.
fn level(e: &Expr) -> u8 {
    match e {
        Expr::Add(..) | Expr::Sub(..) => 1,
        Expr::Num(v) if v.is_sign_negative() => 2,
        Expr::Mul(..) | Expr::Neg(_) => 2,
        Expr::Pow(..) => 3,
        _ => 4,
    }
}

/// The formula as a block `<math>` element.
pub fn math(e: &Expr) -> String {
    math_block(&mathml(e))
}

/// Wraps presentation MathML content in a block `<math>` element.
pub fn math_block(content: &str) -> String {
    format!(r#"<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mrow>{content}</mrow></math>"#)
}

/// The formula as presentation MathML content (no `<math>` wrapper).
pub fn mathml(e: &Expr) -> String {
    match e {
        Expr::Num(v) if v.is_sign_negative() && *v != 0.0 => format!("<mo>−</mo>{}", number(-v)),
        Expr::Num(v) => number(*v),
        Expr::Var(name) => variable(name),
        Expr::Neg(a) => format!("<mo>−</mo>{}", operand(a, 2, true)),
        Expr::Add(a, b) => format!("{}<mo>+</mo>{}", mathml(a), operand(b, 1, true)),
        Expr::Sub(a, b) => format!("{}<mo>−</mo>{}", mathml(a), operand(b, 2, true)),
        Expr::Mul(a, b) => format!("{}{}{}", operand(a, 2, false), times(b), operand(b, 2, true)),
        Expr::Div(a, b) => format!("<mfrac><mrow>{}</mrow><mrow>{}</mrow></mfrac>", mathml(a), mathml(b)),
        Expr::Pow(a, b) => format!("<msup>{}<mrow>{}</mrow></msup>", base(a), mathml(b)),
        Expr::Call(f, a) => call(*f, a),
    }
}

/// An operand that needs parentheses below binding strength `min`; on the right of an operator a
/// leading minus sign needs them too (`a - (-b)`, `a (-b)`).
fn operand(e: &Expr, min: u8, right: bool) -> String {
    let signed = matches!(e, Expr::Neg(_)) || matches!(e, Expr::Num(v) if v.is_sign_negative() && *v != 0.0);
    if level(e) < min || (right && signed) { paren(&mathml(e)) } else { mathml(e) }
}

/// The base of a power: anything but a variable, a non-negative number, a function call or `abs`
/// is parenthesised (so `(√x)²`, `(a/b)²`).
fn base(e: &Expr) -> String {
    match e {
        Expr::Var(_) | Expr::Call(Func::Abs, _) => mathml(e),
        Expr::Num(v) if !v.is_sign_negative() => mathml(e),
        Expr::Call(f, _) if *f != Func::Sqrt => mathml(e),
        _ => paren(&mathml(e)),
    }
}

/// The multiplication sign before `right`: a centred dot before a number (2·3, x·2), invisible
/// times otherwise (2x, γ ν₁).
fn times(right: &Expr) -> &'static str {
    if leading_number(right) { "<mo>·</mo>" } else { "<mo>&#x2062;</mo>" }
}

/// Whether an expression is drawn starting with a digit.
fn leading_number(e: &Expr) -> bool {
    match e {
        Expr::Num(v) => !is_constant(*v),
        Expr::Mul(a, _) | Expr::Pow(a, _) => leading_number(a),
        _ => false,
    }
}

fn paren(content: &str) -> String {
    format!("<mrow><mo>(</mo>{content}<mo>)</mo></mrow>")
}

fn call(f: Func, a: &Expr) -> String {
    match f {
        Func::Sqrt => format!("<msqrt>{}</msqrt>", mathml(a)),
        Func::Abs => format!("<mrow><mo>|</mo>{}<mo>|</mo></mrow>", mathml(a)),
        Func::Exp => format!("<msup><mi>e</mi><mrow>{}</mrow></msup>", mathml(a)),
        _ => format!("<mi>{}</mi><mo>&#x2061;</mo>{}", f.name(), paren(&mathml(a))),
    }
}

fn is_constant(v: f64) -> bool {
    v == std::f64::consts::PI || v == std::f64::consts::E
}

/// A non-negative number: π and e by name, very large or small magnitudes as m × 10^k.
fn number(v: f64) -> String {
    if v == std::f64::consts::PI {
        return "<mi>π</mi>".into();
    }
    if v == std::f64::consts::E {
        return "<mi>e</mi>".into();
    }
    if !v.is_finite() {
        return format!("<mi>{}</mi>", if v.is_nan() { "NaN" } else { "∞" });
    }
    if v != 0.0 && !(1e-4..1e6).contains(&v) {
        let text = format!("{v:e}");
        let (m, k) = text.split_once('e').unwrap_or((&text, "0"));
        return format!("<mn>{m}</mn><mo>×</mo><msup><mn>10</mn><mn>{k}</mn></msup>");
    }
    format!("<mn>{v}</mn>")
}

const GREEK: [(&str, &str); 30] = [
    ("alpha", "α"),
    ("beta", "β"),
    ("gamma", "γ"),
    ("delta", "δ"),
    ("epsilon", "ε"),
    ("zeta", "ζ"),
    ("eta", "η"),
    ("theta", "θ"),
    ("iota", "ι"),
    ("kappa", "κ"),
    ("lambda", "λ"),
    ("mu", "μ"),
    ("nu", "ν"),
    ("xi", "ξ"),
    ("rho", "ρ"),
    ("sigma", "σ"),
    ("tau", "τ"),
    ("upsilon", "υ"),
    ("phi", "φ"),
    ("chi", "χ"),
    ("psi", "ψ"),
    ("omega", "ω"),
    ("Gamma", "Γ"),
    ("Delta", "Δ"),
    ("Theta", "Θ"),
    ("Lambda", "Λ"),
    ("Sigma", "Σ"),
    ("Phi", "Φ"),
    ("Psi", "Ψ"),
    ("Omega", "Ω"),
];

fn greek(word: &str) -> Option<&'static str> {
    GREEK.iter().find(|g| g.0 == word).map(|g| g.1)
}

/// A variable: `head[digits][_tail]` with a Greek or one-letter head becomes the head's letter with
/// the digits and the tail as subscript (a tail `star` as superscript ∗); other names stay upright
/// words.
fn variable(name: &str) -> String {
    let (head, tail) = name.split_once('_').map_or((name, None), |(h, t)| (h, Some(t)));
    let letters = head.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &head[letters.len()..];
    let symbol = match greek(letters) {
        Some(g) => g.to_string(),
        None if letters.chars().count() == 1 => letters.to_string(),
        None => return format!("<mi>{name}</mi>"),
    };
    let (tail, star) = match tail {
        Some("star") => (None, true),
        Some(t) => (t.strip_suffix("_star").map_or(Some(t), Some), t.ends_with("_star")),
        None => (None, false),
    };
    let mut sub: Vec<String> = Vec::new();
    if !digits.is_empty() {
        sub.push(format!("<mn>{digits}</mn>"));
    }
    if let Some(t) = tail {
        sub.push(word(t));
    }
    let sub = sub.join("<mo>,</mo>");
    let mi = format!("<mi>{symbol}</mi>");
    match (sub.is_empty(), star) {
        (true, false) => mi,
        (true, true) => format!("<msup>{mi}<mo>∗</mo></msup>"),
        (false, false) => format!("<msub>{mi}<mrow>{sub}</mrow></msub>"),
        (false, true) => format!("<msubsup>{mi}<mrow>{sub}</mrow><mo>∗</mo></msubsup>"),
    }
}

/// A subscript word: runs of letters (Greek names as letters) and digits; further underscores as commas.
fn word(text: &str) -> String {
    let mut out = Vec::new();
    for part in text.split('_') {
        let mut runs: Vec<String> = Vec::new();
        let mut chars = part.chars().peekable();
        while let Some(&c) = chars.peek() {
            let digit = c.is_ascii_digit();
            let mut run = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit() == digit) {
                run.push(d);
                chars.next();
            }
            runs.push(if digit {
                format!("<mn>{run}</mn>")
            } else {
                format!("<mi>{}</mi>", greek(&run).unwrap_or(&run))
            });
        }
        out.push(runs.concat());
    }
    out.join("<mo>,</mo>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formula::Formula;

    fn m(text: &str) -> String {
        mathml(Formula::parse(text).unwrap().expr())
    }

    #[test]
    fn greek_names_take_subscripts() {
        assert_eq!(m("gamma"), "<mi>γ</mi>");
        assert_eq!(m("nu1"), "<msub><mi>ν</mi><mrow><mn>1</mn></mrow></msub>");
        assert_eq!(m("alpha_s"), "<msub><mi>α</mi><mrow><mi>s</mi></mrow></msub>");
        assert_eq!(m("sigma_p1"), "<msub><mi>σ</mi><mrow><mi>p</mi><mn>1</mn></mrow></msub>");
        assert_eq!(m("gamma1_star"), "<msubsup><mi>γ</mi><mrow><mn>1</mn></mrow><mo>∗</mo></msubsup>");
        assert_eq!(m("target_loss"), "<mi>target_loss</mi>");
    }

    #[test]
    fn operators_follow_precedence() {
        assert_eq!(
            m("sqrt(1 + gamma^2) - 1"),
            "<msqrt><mn>1</mn><mo>+</mo><msup><mi>γ</mi><mrow><mn>2</mn></mrow></msup></msqrt><mo>−</mo><mn>1</mn>"
        );
        assert_eq!(
            m("(1 - x)*y"),
            "<mrow><mo>(</mo><mn>1</mn><mo>−</mo><mi>x</mi><mo>)</mo></mrow><mo>&#x2062;</mo><mi>y</mi>"
        );
        assert_eq!(
            m("a - (b - c)"),
            "<mi>a</mi><mo>−</mo><mrow><mo>(</mo><mi>b</mi><mo>−</mo><mi>c</mi><mo>)</mo></mrow>"
        );
        assert_eq!(m("a - b - c"), "<mi>a</mi><mo>−</mo><mi>b</mi><mo>−</mo><mi>c</mi>");
        assert_eq!(
            m("(a/b)^2"),
            "<msup><mrow><mo>(</mo><mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac><mo>)</mo></mrow><mrow><mn>2</mn></mrow></msup>"
        );
        assert_eq!(m("-x^2"), "<mo>−</mo><msup><mi>x</mi><mrow><mn>2</mn></mrow></msup>");
        assert_eq!(m("2*3"), "<mn>2</mn><mo>·</mo><mn>3</mn>");
        assert_eq!(m("abs(x)"), "<mrow><mo>|</mo><mi>x</mi><mo>|</mo></mrow>");
        assert_eq!(m("cos(theta)"), "<mi>cos</mi><mo>&#x2061;</mo><mrow><mo>(</mo><mi>θ</mi><mo>)</mo></mrow>");
        assert_eq!(m("2*pi"), "<mn>2</mn><mo>&#x2062;</mo><mi>π</mi>");
        assert_eq!(m("1e-7"), "<mn>1</mn><mo>×</mo><msup><mn>10</mn><mn>-7</mn></msup>");
    }

    #[test]
    fn negated_right_operands_are_parenthesised() {
        assert_eq!(m("a + -b"), "<mi>a</mi><mo>+</mo><mrow><mo>(</mo><mo>−</mo><mi>b</mi><mo>)</mo></mrow>");
        assert_eq!(m("-(a + b)"), "<mo>−</mo><mrow><mo>(</mo><mi>a</mi><mo>+</mo><mi>b</mi><mo>)</mo></mrow>");
    }

    /// Whether the markup's tags are balanced (every `<t>` closed by `</t>` in order).
    fn balanced(markup: &str) -> bool {
        let mut open: Vec<&str> = Vec::new();
        for tag in markup.split('<').skip(1).map(|t| t.split('>').next().unwrap_or("")) {
            let name = tag.trim_start_matches('/').split_whitespace().next().unwrap_or("");
            if tag.starts_with('/') {
                if open.pop() != Some(name) {
                    return false;
                }
            } else if !tag.ends_with('/') {
                open.push(name);
            }
        }
        open.is_empty()
    }

    #[test]
    fn every_printed_formula_renders_as_well_formed_mathml() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems");
        let mut rendered = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let file: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
            let claim = file["claim"].as_table().unwrap();
            for key in ["formula", "bound"] {
                let Some(text) = claim.get(key).and_then(|v| v.as_str()) else { continue };
                let out = math(Formula::parse(text).unwrap().expr());
                assert!(balanced(&out) && !out.contains("<mi></mi>"), "{}: {text} -> {out}", path.display());
                rendered += 1;
            }
        }
        assert!(rendered >= 40, "only {rendered} formulas found");
        assert!(!balanced("<mrow><mi>x</mrow></mi>"));
    }
}
