//! Theorem verification: every claim in theorems/ is decided at the quick precision and its
//! computed verdict must equal the verdict recorded in its file.

mod common;

use tlcheck::audit::run_claim;

#[test]
fn every_theorem_file_reproduces_its_recorded_verdict() {
    let claims = common::claims();
    assert!(claims.len() >= 6, "expected the foundation claims, found {}", claims.len());
    let mut mismatches = Vec::new();
    for claim in &claims {
        let report = run_claim(claim, &common::quick()).unwrap_or_else(|e| panic!("{}: {e}", claim.id()));
        println!("{:<48} {:<15} ({:.1}s)", report.id, report.verdict.to_string(), report.elapsed_s);
        if !report.matches {
            let evidence = common::evidence(&report);
            mismatches.push(format!(
                "{}: computed {} but recorded {}: {}",
                report.id,
                report.verdict,
                report.expected,
                evidence.join(" | ")
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Same seed, same report: the audit is reproducible.
#[test]
fn audit_is_reproducible() {
    let claims = common::claims();
    let claim = claims.iter().find(|c| c.id() == "lauditi2025.chi_kernel_spike").expect("claim");
    let a = serde_json::to_string(&run_claim(claim, &common::quick()).unwrap().checks).unwrap();
    let b = serde_json::to_string(&run_claim(claim, &common::quick()).unwrap().checks).unwrap();
    assert_eq!(a, b);
}
