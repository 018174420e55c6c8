//! `tlcheck mutate` for every claim: the power against plausible typos of the printed formula is at
//! least 90 % at the quick precision wherever it applies (equalities compared with an observable);
//! inequality and monotonicity claims report "not applicable" with the reason.
//!
//! Cost cap: at most [`MAX`] mutants per claim (the first in the fixed round-robin order over typo
//! kinds: exponent, dropped factor, squared factor), and claims whose power is not applicable are
//! only checked for a stated reason, so that the test stays near a minute with ~30 claims.
//! `tlcheck mutate <id> --quick` (default 10 mutants, every kind) gives the full measurement.

mod common;

use tlcheck::analysis::mutation::{mutation_power, not_applicable};

/// Mutants tested per claim in this test (the CLI default is 10).
const MAX: usize = 3;

#[test]
fn power_is_at_least_90_percent_for_every_claim() {
    let mut low = Vec::new();
    for claim in common::claims() {
        if let Some(why) = not_applicable(&claim) {
            println!("{}: power not applicable ({why})", claim.id());
            continue;
        }
        let r = mutation_power(&claim, &common::quick(), MAX).unwrap_or_else(|e| panic!("{}: {e}", claim.id()));
        match r.power {
            Some(p) => {
                println!("{}: power {:.0}% ({} of {} rejected)", r.id, 100.0 * p, r.rejected, r.tested);
                assert!(r.tested > 0 && r.tested <= MAX);
                if p < 0.9 {
                    let accepted: Vec<&str> =
                        r.mutants.iter().filter(|m| !m.rejected).map(|m| m.formula.as_str()).collect();
                    low.push(format!("{}: {:.0}%, accepted {}", r.id, 100.0 * p, accepted.join("; ")));
                }
            }
            None => {
                let why = r.not_applicable.unwrap_or_default();
                println!("{}: not applicable ({why}); {} of {} change the outcome", r.id, r.rejected, r.tested);
                assert!(!why.is_empty());
            }
        }
        // Every outcome carries its evidence.
        assert!(r.mutants.iter().all(|m| !m.evidence.is_empty()));
    }
    assert!(low.is_empty(), "power below 90 %: {}", low.join(" | "));
}
