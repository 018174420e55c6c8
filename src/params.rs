//! Named, documented observable parameters: their specifications, parsing from text, domain
//! checks and defaults. Every value a simulator sees has passed through [`ParamSet::resolve`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::error::{Error, Result};
use crate::formula::Interval;

/// What values a parameter accepts.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A real number inside an interval written in math notation, e.g. "(0, inf)".
    Real(&'static str),
    /// A real number inside the interval, or `inf`.
    RealOrInf(&'static str),
    /// A whole number in [min, max].
    Count(u64, u64),
    /// A whole number in [min, max], or `inf`.
    CountOrInf(u64, u64),
    /// One of a fixed list of words.
    Choice(&'static [&'static str]),
    /// Free non-empty text, e.g. a file path; the string says what it is ("path").
    Text(&'static str),
}

/// Specification of one parameter of an observable.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// Default value as text (parsed like user input).
    pub default: &'static str,
    /// Meaning and unit, one line.
    pub doc: &'static str,
    /// Only meaningful when another parameter has a given value, e.g. ("kernel", "pretrained").
    pub used_when: Option<(&'static str, &'static str)>,
}

impl ParamSpec {
    /// A human description of the accepted values.
    pub fn domain(&self) -> String {
        match self.kind {
            Kind::Real(d) => d.to_string(),
            Kind::RealOrInf(d) => format!("{d} or inf"),
            Kind::Count(lo, hi) => format!("integer in [{lo}, {hi}]"),
            Kind::CountOrInf(lo, hi) => format!("integer in [{lo}, {hi}] or inf"),
            Kind::Choice(words) => words.join("|"),
            Kind::Text(what) => what.to_string(),
        }
    }

    /// Parses and checks one value given as text.
    pub fn parse(&self, text: &str) -> Result<Value> {
        let text = text.trim();
        let bad = |why: String| Error::input(format!("parameter {}={text:?}: {why}", self.name));
        let is_inf = matches!(text, "inf" | "+inf" | "infinity" | "Inf");
        match self.kind {
            Kind::Choice(words) => {
                if words.contains(&text) {
                    Ok(Value::Text(text.to_string()))
                } else {
                    Err(bad(format!("expected one of {}", words.join(", "))))
                }
            }
            Kind::Text(what) => {
                if text.is_empty() {
                    Err(bad(format!("expected a non-empty {what}")))
                } else {
                    Ok(Value::Text(text.to_string()))
                }
            }
            Kind::RealOrInf(_) | Kind::CountOrInf(..) if is_inf => Ok(Value::Inf),
            Kind::Real(domain) | Kind::RealOrInf(domain) => {
                let x = parse_number(text).map_err(bad)?;
                let interval = Interval::parse(domain).map_err(|e| bad(e.to_string()))?;
                if interval.contains(x) { Ok(Value::Num(x)) } else { Err(bad(format!("must lie in {domain}"))) }
            }
            Kind::Count(lo, hi) | Kind::CountOrInf(lo, hi) => {
                let x = parse_number(text).map_err(bad)?;
                if x.fract() != 0.0 || x < lo as f64 || x > hi as f64 {
                    Err(bad(format!("must be an integer in [{lo}, {hi}]")))
                } else {
                    Ok(Value::Int(x as u64))
                }
            }
        }
    }
}

fn parse_number(text: &str) -> std::result::Result<f64, String> {
    let x: f64 = text.parse().map_err(|_| "not a number".to_string())?;
    if x.is_finite() { Ok(x) } else { Err("must be finite (use `inf` where infinity is allowed)".into()) }
}

/// A validated parameter value. Parameters whose domain is integer ([`Kind::Count`]) hold an
/// [`Value::Int`], which JSON writes as an integer (`"d": 1000`, not `1000.0`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Num(f64),
    Int(u64),
    Inf,
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Num(x) => write!(f, "{x}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Inf => write!(f, "inf"),
            Value::Text(s) => write!(f, "{s}"),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Value::Num(x) => s.serialize_f64(*x),
            Value::Int(n) => s.serialize_u64(*n),
            Value::Inf => s.serialize_str("inf"),
            Value::Text(t) => s.serialize_str(t),
        }
    }
}

/// A complete, validated assignment of every parameter of an observable.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ParamSet(BTreeMap<String, Value>);

impl ParamSet {
    /// Checks `given` (name, text) pairs against `specs`, fills defaults, and rejects unknown names,
    /// malformed or out-of-domain values, and parameters set where they have no effect.
    pub fn resolve(specs: &[ParamSpec], given: &[(String, String)]) -> Result<ParamSet> {
        let mut values = BTreeMap::new();
        for (name, text) in given {
            let spec = specs.iter().find(|s| s.name == name).ok_or_else(|| {
                let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
                Error::input(format!("unknown parameter `{name}`; expected one of: {}", names.join(", ")))
            })?;
            if values.insert(name.clone(), spec.parse(text)?).is_some() {
                return Err(Error::input(format!("parameter `{name}` given twice")));
            }
        }
        for spec in specs {
            if !values.contains_key(spec.name) {
                values.insert(spec.name.to_string(), spec.parse(spec.default)?);
            }
        }
        let set = ParamSet(values);
        for (name, _) in given {
            if let Some(spec) = specs.iter().find(|s| s.name == name)
                && let Some((other, value)) = spec.used_when
                && set.text(other)? != value
            {
                return Err(Error::input(format!("parameter `{name}` only has an effect with {other}={value}")));
            }
        }
        Ok(set)
    }

    fn get(&self, name: &str) -> Result<&Value> {
        self.0.get(name).ok_or_else(|| Error::input(format!("missing parameter `{name}`")))
    }

    /// A real parameter (`inf` gives f64::INFINITY).
    pub fn num(&self, name: &str) -> Result<f64> {
        match self.get(name)? {
            Value::Num(x) => Ok(*x),
            Value::Int(n) => Ok(*n as f64),
            Value::Inf => Ok(f64::INFINITY),
            Value::Text(_) => Err(Error::input(format!("parameter `{name}` is not a number"))),
        }
    }

    /// A whole-number parameter; `None` for `inf`.
    pub fn count(&self, name: &str) -> Result<Option<usize>> {
        match self.get(name)? {
            Value::Num(x) => Ok(Some(*x as usize)),
            Value::Int(n) => Ok(Some(*n as usize)),
            Value::Inf => Ok(None),
            Value::Text(_) => Err(Error::input(format!("parameter `{name}` is not a number"))),
        }
    }

    /// A finite whole-number parameter.
    pub fn size(&self, name: &str) -> Result<usize> {
        self.count(name)?.ok_or_else(|| Error::input(format!("parameter `{name}` must be finite")))
    }

    /// A word parameter.
    pub fn text(&self, name: &str) -> Result<&str> {
        match self.get(name)? {
            Value::Text(s) => Ok(s),
            _ => Err(Error::input(format!("parameter `{name}` is not a word"))),
        }
    }

    /// Numeric value of every numeric parameter (for evaluating formulas at this point).
    pub fn numbers(&self) -> BTreeMap<String, f64> {
        self.0
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Num(x) => Some((k.clone(), *x)),
                Value::Int(n) => Some((k.clone(), *n as f64)),
                Value::Inf => Some((k.clone(), f64::INFINITY)),
                Value::Text(_) => None,
            })
            .collect()
    }
}

impl fmt::Display for ParamSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        write!(f, "{}", parts.join(" "))
    }
}

/// Splits "name=value" into its two parts.
pub fn split_assignment(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
            Ok((k.trim().to_string(), v.trim().to_string()))
        }
        _ => Err(Error::input(format!("expected name=value, got {text:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck_macros::quickcheck;

    const SPECS: &[ParamSpec] = &[
        ParamSpec { name: "x", kind: Kind::Real("(0, 1]"), default: "0.5", doc: "", used_when: None },
        ParamSpec { name: "n", kind: Kind::CountOrInf(1, 10), default: "inf", doc: "", used_when: None },
        ParamSpec { name: "mode", kind: Kind::Choice(&["a", "b"]), default: "a", doc: "", used_when: None },
        ParamSpec {
            name: "y",
            kind: Kind::RealOrInf("[0, inf)"),
            default: "1",
            doc: "",
            used_when: Some(("mode", "b")),
        },
    ];

    #[test]
    fn resolve_fills_defaults_and_checks_domains() {
        let set = ParamSet::resolve(SPECS, &[("x".into(), "1".into())]).unwrap();
        assert_eq!(set.num("x").unwrap(), 1.0);
        assert_eq!(set.count("n").unwrap(), None);
        assert!(ParamSet::resolve(SPECS, &[("x".into(), "0".into())]).is_err());
        assert!(ParamSet::resolve(SPECS, &[("n".into(), "11".into())]).is_err());
        assert!(ParamSet::resolve(SPECS, &[("x".into(), "nan".into())]).is_err());
        assert!(ParamSet::resolve(SPECS, &[("y".into(), "2".into())]).is_err(), "y has no effect with mode=a");
        let both = [("mode".to_string(), "b".to_string()), ("y".to_string(), "inf".to_string())];
        assert_eq!(ParamSet::resolve(SPECS, &both).unwrap().num("y").unwrap(), f64::INFINITY);
    }

    /// Arbitrary text never panics: it is accepted into the domain or refused with an error.
    #[quickcheck]
    fn parsing_arbitrary_text_never_panics(name: String, value: String) -> bool {
        match ParamSet::resolve(SPECS, &[(name, value)]) {
            Ok(set) => set.num("x").is_ok_and(|x| x > 0.0 && x <= 1.0),
            Err(e) => !e.to_string().is_empty(),
        }
    }
}
