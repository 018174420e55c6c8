//! A claim's mathematical content, compiled: the relation, the printed formula and bound parsed, the
//! domain as intervals. Shared by the claim's checks.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::formula::{Formula, Interval};
use crate::spec::{CheckSpec, Relation, TheoremFile};

/// The compiled statement of a claim.
#[derive(Debug, Clone)]
pub struct Statement {
    pub relation: Relation,
    pub formula: Formula,
    pub bound: Option<Formula>,
    pub variable: Option<String>,
    pub strict: bool,
    pub domain: BTreeMap<String, Interval>,
}

impl Statement {
    /// Parses and validates the statement of a theorem file (errors are messages for the file).
    pub fn compile(file: &TheoremFile) -> Result<Statement> {
        let formula = Formula::parse(&file.claim.formula).map_err(|e| Error::input(format!("claim.formula: {e}")))?;
        let bound = file
            .claim
            .bound
            .as_deref()
            .map(Formula::parse)
            .transpose()
            .map_err(|e| Error::input(format!("claim.bound: {e}")))?;
        let mut domain = BTreeMap::new();
        for (k, v) in &file.domain {
            domain.insert(k.clone(), Interval::parse(v).map_err(|e| Error::input(format!("domain.{k}: {e}")))?);
        }
        let relation = file.claim.relation;
        match relation {
            Relation::AtMost | Relation::AtLeast | Relation::ExceedsSomewhere if bound.is_none() => {
                return Err(Error::input("an inequality needs claim.bound"));
            }
            Relation::Increasing | Relation::Decreasing => {
                let v = file
                    .claim
                    .variable
                    .as_deref()
                    .ok_or_else(|| Error::input("a monotonicity claim needs claim.variable"))?;
                let searched = file.checks.iter().any(|c| matches!(c, CheckSpec::Search(_)));
                // Simulated monotonicity and optimum checks name an observed quantity, not a formula variable.
                if searched && !formula.variables().iter().any(|x| x == v) {
                    return Err(Error::input(format!("claim.variable `{v}` does not occur in the formula")));
                }
            }
            _ => {}
        }
        Ok(Statement {
            relation,
            formula,
            bound,
            variable: file.claim.variable.clone(),
            strict: file.claim.strict,
            domain,
        })
    }
}
