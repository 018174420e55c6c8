//! Tokenizer, recursive-descent parser and canonical printer for [`Expr`].

use super::FormulaError;
use exmex::{FloatOpsFactory, MakeOperators};
use std::fmt;

/// The whitelisted functions (`log` is the natural log; `arcsin` etc. are synonyms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    Sqrt,
    Exp,
    Ln,
    Abs,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
}

/// A function, its canonical name (as exmex knows it) and its implementation.
type Entry = (Func, &'static str, fn(f64) -> f64);
/// Each function with its canonical name (as exmex knows it), in declaration order.
const FUNCS: [Entry; 13] = [
    (Func::Sqrt, "sqrt", f64::sqrt),
    (Func::Exp, "exp", f64::exp),
    (Func::Ln, "ln", f64::ln),
    (Func::Abs, "abs", f64::abs),
    (Func::Sin, "sin", f64::sin),
    (Func::Cos, "cos", f64::cos),
    (Func::Tan, "tan", f64::tan),
    (Func::Asin, "asin", f64::asin),
    (Func::Acos, "acos", f64::acos),
    (Func::Atan, "atan", f64::atan),
    (Func::Sinh, "sinh", f64::sinh),
    (Func::Cosh, "cosh", f64::cosh),
    (Func::Tanh, "tanh", f64::tanh),
];
const SYNONYMS: [(&str, &str); 4] = [("log", "ln"), ("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan")];

/// Names accepted by the parser, listed in error messages.
pub(super) const ALLOWED: &str = "sqrt, exp, ln, log, abs, sin, cos, tan, asin, acos, atan, \
                                  arcsin, arccos, arctan, sinh, cosh, tanh";

impl Func {
    /// Canonical name, as printed for exmex.
    pub fn name(self) -> &'static str {
        FUNCS[self as usize].1
    }
    /// Looks a function up by name, accepting the synonyms `log`, `arcsin`, `arccos`, `arctan`.
    pub fn from_name(name: &str) -> Option<Func> {
        let name = SYNONYMS.iter().find(|s| s.0 == name).map_or(name, |s| s.1);
        FUNCS.iter().find(|f| f.1 == name).map(|f| f.0)
    }
    /// Applies the function to a number.
    pub fn apply(self, x: f64) -> f64 {
        FUNCS[self as usize].2(x)
    }
}

/// Abstract syntax tree of a formula. Constants `pi` and `e` are stored as [`Expr::Num`].
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Var(String),
    Neg(Box<Expr>),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Pow(Box<Expr>, Box<Expr>),
    Call(Func, Box<Expr>),
}

impl Expr {
    /// Builds the binary node for `op` (one of `+ - * / ^`; anything else gives `^`).
    pub fn binary(op: char, a: Expr, b: Expr) -> Expr {
        let ctor = match op {
            '+' => Expr::Add,
            '-' => Expr::Sub,
            '*' => Expr::Mul,
            '/' => Expr::Div,
            _ => Expr::Pow,
        };
        ctor(Box::new(a), Box::new(b))
    }

    /// The operator symbol and operands of a binary node.
    pub fn as_binary(&self) -> Option<(char, &Expr, &Expr)> {
        Some(match self {
            Expr::Add(a, b) => ('+', a, b),
            Expr::Sub(a, b) => ('-', a, b),
            Expr::Mul(a, b) => ('*', a, b),
            Expr::Div(a, b) => ('/', a, b),
            Expr::Pow(a, b) => ('^', a, b),
            _ => return None,
        })
    }

    /// The direct sub-expressions.
    pub fn children(&self) -> Vec<&Expr> {
        match (self, self.as_binary()) {
            (_, Some((_, a, b))) => vec![a, b],
            (Expr::Neg(a) | Expr::Call(_, a), _) => vec![a],
            _ => vec![],
        }
    }

    /// Sorted, deduplicated variable names.
    pub fn variables(&self) -> Vec<String> {
        let mut out = match self {
            Expr::Var(v) => vec![v.clone()],
            e => e.children().iter().flat_map(|c| c.variables()).collect(),
        };
        out.sort();
        out.dedup();
        out
    }

    /// Whether the variable `name` occurs in the expression.
    pub fn depends_on(&self, name: &str) -> bool {
        matches!(self, Expr::Var(v) if v == name) || self.children().iter().any(|c| c.depends_on(name))
    }

    /// Reference tree-walking evaluation (slow; `None` if a variable has no value).
    pub fn eval_tree(&self, vars: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
        Some(match self {
            Expr::Num(v) => *v,
            Expr::Var(name) => vars(name)?,
            Expr::Neg(a) => -a.eval_tree(vars)?,
            Expr::Call(f, a) => f.apply(a.eval_tree(vars)?),
            _ => {
                let (op, a, b) = self.as_binary()?;
                let (x, y) = (a.eval_tree(vars)?, b.eval_tree(vars)?);
                match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    '/' => x / y,
                    _ => x.powf(y),
                }
            }
        })
    }

    /// Fully parenthesised string that exmex and our parser read identically.
    pub fn canonical(&self) -> String {
        let ops = FloatOpsFactory::<f64>::make();
        self.print(&ops.iter().map(|op| op.repr()).collect::<Vec<_>>())
    }

    fn print(&self, reserved: &[&str]) -> String {
        match self {
            Expr::Num(v) if v.is_nan() => "(0/0)".into(),
            Expr::Num(v) if v.is_sign_negative() => {
                format!("(-({}))", Expr::Num(-v).print(reserved))
            }
            Expr::Num(v) if v.is_infinite() => "(1/0)".into(),
            Expr::Num(v) => v.to_string(),
            // Names exmex (or our grammar) would read as operators or constants get braces.
            Expr::Var(v) if reserved.contains(&v.as_str()) || Func::from_name(v).is_some() || v == "pi" => {
                format!("{{{v}}}")
            }
            Expr::Var(v) => v.clone(),
            Expr::Neg(a) => format!("(-({}))", a.print(reserved)),
            Expr::Call(f, a) => format!("{}({})", f.name(), a.print(reserved)),
            _ => self
                .as_binary()
                .map_or_else(String::new, |(op, a, b)| format!("({}{op}{})", a.print(reserved), b.print(reserved))),
        }
    }
}

impl fmt::Display for Expr {
    /// Prints the canonical form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// Whether `s` is a valid identifier `[A-Za-z_][A-Za-z0-9_]*`.
pub(super) fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Braced(String),
    Op(char),
    End,
}

/// A token, its 1-based column and how messages quote it.
struct Token(Tok, usize, String);

fn syntax(src: &str, column: usize, message: impl Into<String>) -> FormulaError {
    let (source, message) = (src.to_string(), message.into());
    FormulaError::Syntax { source, column, message }
}

fn lex(src: &str) -> Result<Vec<Token>, FormulaError> {
    let cs: Vec<char> = src.chars().collect();
    let at = |i: usize| cs.get(i).copied().unwrap_or('\0');
    let ident_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let skip_digits = |mut j: usize| {
        while at(j).is_ascii_digit() {
            j += 1;
        }
        j
    };
    let mut toks = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let (c, start) = (cs[i], i);
        let tok = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_digit() || (c == '.' && at(i + 1).is_ascii_digit()) {
            i = skip_digits(i);
            if at(i) == '.' {
                i = skip_digits(i + 1);
            }
            if matches!(at(i), 'e' | 'E') {
                let j = i + 1 + usize::from(matches!(at(i + 1), '+' | '-'));
                if at(j).is_ascii_digit() {
                    i = skip_digits(j);
                } else if !ident_char(at(i + 1)) {
                    let text: String = cs[start..j].iter().collect();
                    let msg = format!("malformed number '{text}': the exponent needs digits");
                    return Err(syntax(src, start + 1, msg));
                }
            }
            let text: String = cs[start..i].iter().collect();
            Tok::Num(text.parse().map_err(|_| syntax(src, start + 1, "bad number"))?)
        } else if c.is_ascii_alphabetic() || c == '_' {
            while ident_char(at(i)) {
                i += 1;
            }
            Tok::Ident(cs[start..i].iter().collect())
        } else if c == '{' {
            let end = cs[i..].iter().position(|&c| c == '}').map_or(i, |p| i + p);
            let name: String = cs[(i + 1).min(end)..end].iter().collect();
            if !is_ident(&name) {
                return Err(syntax(src, i + 1, "expected '{name}' with a variable name"));
            }
            i = end + 1;
            Tok::Braced(name)
        } else if c == '*' && at(i + 1) == '*' {
            i += 2;
            Tok::Op('^')
        } else if "+-*/^()".contains(c) {
            i += 1;
            Tok::Op(c)
        } else {
            return Err(syntax(src, i + 1, format!("unexpected character '{c}'")));
        };
        toks.push(Token(tok, start + 1, format!("'{}'", cs[start..i].iter().collect::<String>())));
    }
    toks.push(Token(Tok::End, cs.len() + 1, "end of input".into()));
    Ok(toks)
}

/// Maximum nesting depth accepted by the parser (guards the stack).
const MAX_DEPTH: usize = 200;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

type Res<T> = Result<T, FormulaError>;

/// Parses `src` with standard math precedence into an [`Expr`].
pub(super) fn parse(src: &str) -> Res<Expr> {
    let toks = lex(src)?;
    let mut p = Parser { src, toks, pos: 0, depth: 0 };
    if p.peek() == &Tok::End {
        return Err(syntax(src, 1, "the formula is empty"));
    }
    let e = p.expr()?;
    let Token(tok, col, text) = p.cur();
    Err(p.err(match tok {
        Tok::End => return Ok(e),
        Tok::Op(')') => format!("unbalanced parentheses: ')' at column {col} has no matching '('"),
        _ => format!("unexpected {text} after a complete expression"),
    }))
}

impl Parser<'_> {
    fn cur(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }
    fn peek(&self) -> &Tok {
        &self.cur().0
    }
    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }
    fn err(&self, message: String) -> FormulaError {
        syntax(self.src, self.cur().1, message)
    }
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Res<T>) -> Res<T> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(format!("formula nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// sum := term (('+' | '-') term)*
    fn expr(&mut self) -> Res<Expr> {
        self.nested(|p| {
            let mut lhs = p.term()?;
            while let Tok::Op(op @ ('+' | '-')) = *p.peek() {
                p.bump();
                lhs = Expr::binary(op, lhs, p.term()?);
            }
            Ok(lhs)
        })
    }

    /// term := unary (('*' | '/') unary)*, rejecting implicit multiplication.
    fn term(&mut self) -> Res<Expr> {
        let mut lhs = self.unary()?;
        loop {
            match *self.peek() {
                Tok::Op(op @ ('*' | '/')) => {
                    self.bump();
                    lhs = Expr::binary(op, lhs, self.unary()?);
                }
                Tok::Num(_) | Tok::Ident(_) | Tok::Braced(_) | Tok::Op('(') => {
                    let (prev, next) = (&self.toks[self.pos - 1].2, &self.cur().2);
                    let msg = format!("implicit multiplication is not allowed: put '*' between {prev} and {next}");
                    return Err(self.err(msg));
                }
                _ => return Ok(lhs),
            }
        }
    }

    /// unary := ('-' | '+') unary | primary ('^' unary)?
    fn unary(&mut self) -> Res<Expr> {
        self.nested(|p| match p.bump() {
            Tok::Op('-') => Ok(Expr::Neg(Box::new(p.unary()?))),
            Tok::Op('+') => p.unary(),
            _ => {
                p.pos -= 1;
                let base = p.primary()?;
                if p.peek() != &Tok::Op('^') {
                    return Ok(base);
                }
                p.bump();
                Ok(Expr::binary('^', base, p.unary()?))
            }
        })
    }

    /// Parses `expr ')'` after a '(' at column `open`.
    fn group(&mut self, open: usize) -> Res<Expr> {
        let e = self.expr()?;
        if self.peek() != &Tok::Op(')') {
            let found = &self.cur().2;
            return Err(self.err(format!("unbalanced parentheses: '(' at column {open} is not closed (found {found})")));
        }
        self.bump();
        Ok(e)
    }

    fn primary(&mut self) -> Res<Expr> {
        let col = self.cur().1;
        match self.bump() {
            Tok::Num(v) => Ok(Expr::Num(v)),
            Tok::Braced(name) => Ok(Expr::Var(name)),
            Tok::Ident(name) if self.peek() == &Tok::Op('(') => {
                let unknown = FormulaError::UnknownFunction { name: name.clone(), allowed: ALLOWED };
                let f = Func::from_name(&name).ok_or(unknown)?;
                let open = self.cur().1;
                self.bump();
                if self.peek() == &Tok::Op(')') {
                    return Err(self.err(format!("function '{name}' needs an argument")));
                }
                Ok(Expr::Call(f, Box::new(self.group(open)?)))
            }
            Tok::Ident(name) => match name.as_str() {
                "pi" => Ok(Expr::Num(std::f64::consts::PI)),
                "e" => Ok(Expr::Num(std::f64::consts::E)),
                _ if Func::from_name(&name).is_some() => {
                    Err(syntax(self.src, col, format!("function '{name}' needs parentheses: {name}(...)")))
                }
                _ => Ok(Expr::Var(name)),
            },
            Tok::Op('(') => self.group(col),
            _ => {
                self.pos -= 1;
                let found = &self.cur().2;
                Err(self.err(format!("expected a number, variable, function or '(' but found {found}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn shapes_and_canonical() {
        let (x, n) = (|| Expr::Var("x".into()), Expr::Num);
        assert_eq!(p("-x^2"), Expr::Neg(Box::new(Expr::binary('^', x(), n(2.0)))));
        assert_eq!(p("x^2^3"), Expr::binary('^', x(), Expr::binary('^', n(2.0), n(3.0))));
        assert_eq!(p("-2*x"), Expr::binary('*', Expr::Neg(Box::new(n(2.0))), x()));
        assert_eq!((p("2**3"), p("2.5E+4")), (Expr::binary('^', n(2.0), n(3.0)), n(25000.0)));
        assert_eq!(p("{sin} + {e} + arctan(x)").variables(), ["e", "sin", "x"]);
        let e = Expr::binary('+', Expr::Var("PI".into()), Expr::Var("pi".into()));
        assert_eq!((e.canonical(), p(&e.canonical())), ("({PI}+{pi})".into(), e));
        assert_eq!(n(-0.001).canonical(), "(-(0.001))");
        assert!(FUNCS.iter().enumerate().all(|(i, f)| f.0 as usize == i && f.0.name() == f.1));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = format!("{}x{}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse(&s).is_err_and(|e| e.to_string().contains("nested deeper")));
        assert!(parse(&"-".repeat(5000)).is_err() && parse(&"2^".repeat(5000)).is_err());
    }
}
