//! Output for people (aligned tables, evidence text) and for scripts (JSON), rendered from structured
//! outcomes.

pub mod evidence;
pub mod html;

use crate::audit::ClaimOutcome;
use crate::claim::Claim;
use crate::engine::alpha::{CLAIM_ALPHA, audit_wide};
use crate::error::{Error, Result};
use crate::observable::Observable;
use crate::outcome::{Resolution, Verdict};
use evidence::{evidence, fmt_num, fmt_percent, fmt_point};

/// Renders rows as an aligned text table with a header rule.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = line(header.to_vec()) + "\n";
    out += &line(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect());
    out += "\n";
    for row in rows {
        out += &line(row.iter().map(String::as_str).collect());
        out += "\n";
    }
    out
}

/// The columns of the audit table.
pub const AUDIT_HEADER: [&str; 7] = ["claim", "verdict", "expected", "worst point", "max|z|", "resolution", "time"];

/// One claim's row of the audit table.
pub fn audit_row(r: &ClaimOutcome) -> Vec<String> {
    vec![
        r.id.clone(),
        format!("{}{}", r.verdict, if r.matches { "" } else { " (!)" }),
        r.expected.to_string(),
        r.worst.as_ref().map_or_else(|| "-".into(), |w| fmt_point(&w.point.at)),
        r.max_abs_z.map_or_else(|| "-".into(), |z| format!("{z:.2}")),
        r.resolution.map_or_else(|| "-".into(), |c| short_resolution(&c.resolution)),
        format!("{:.1}s", r.elapsed_s),
    ]
}

/// One claim's evidence block under the table: printed for every claim that does not simply hold
/// as recorded (for every claim when `all_evidence`).
pub fn claim_evidence(r: &ClaimOutcome, all_evidence: bool) -> Option<String> {
    if !(all_evidence || !r.matches || r.verdict != Verdict::Holds) {
        return None;
    }
    let mut out =
        format!("\n{} -- {} ({})\n", r.id, r.verdict, if r.matches { "as recorded" } else { "DIFFERS FROM RECORDED" });
    out += &format!("  recorded: {} -- {}\n", r.expected, r.reason);
    if let Some(e) = &r.error {
        out += &format!("  error: {}\n", e.message);
    }
    for c in &r.checks {
        out += &format!("  [{}] {}: {}\n", c.verdict, c.describe, evidence(c));
    }
    Some(out)
}

/// The audit table, followed by the evidence of every claim that does not simply hold as recorded
/// (of every claim when `all_evidence`).
pub fn audit_table(reports: &[ClaimOutcome], all_evidence: bool) -> String {
    let rows: Vec<Vec<String>> = reports.iter().map(audit_row).collect();
    let evidence: Vec<String> = reports.iter().filter_map(|r| claim_evidence(r, all_evidence)).collect();
    let mismatches = reports.iter().filter(|r| !r.matches).count();
    let errors = reports.iter().filter(|r| r.error.is_some()).count();
    compose_audit_table(&rows, &evidence, mismatches, errors)
}

/// The audit table from its parts: the rows, the evidence blocks and the counts of the footer.
pub fn compose_audit_table(rows: &[Vec<String>], evidence: &[String], mismatches: usize, errors: usize) -> String {
    let mut out = table(&AUDIT_HEADER, rows);
    out += &evidence.concat();
    // Closing line in the plain "N passed, N failed" form: passed = computed verdict as recorded.
    out += &format!(
        "\n{} claims decided; passed = computed verdict equals the recorded one\n\
         error control: false refutation at most {CLAIM_ALPHA} per claim, {} for this audit (union bound)\n\
         audit: {} passed, {} failed{}\n",
        rows.len(),
        fmt_percent(audit_wide(rows.len())),
        rows.len() - mismatches,
        mismatches,
        if errors == 0 { String::new() } else { format!(" ({errors} could not run: verdict error)") }
    );
    out
}

/// A resolution in a table cell: relative where stated ("3.1%"), else absolute ("±1.2e-4"); a
/// one-sided bound on the claimed side reads "in by 0.012".
pub fn short_resolution(r: &Resolution) -> String {
    if r.abs < 0.0 {
        return format!("in by {}", fmt_num(-r.abs));
    }
    r.rel.map_or_else(|| format!("±{}", fmt_num(r.abs)), fmt_percent)
}

/// A claim outcome as JSON, with every check's evidence rendered next to its structured data and
/// every extrapolated estimate marked `"kind": "extrapolated"`.
pub fn claim_json(c: &ClaimOutcome) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(c).map_err(|e| Error::numerical(format!("JSON encoding: {e}")))?;
    if let Some(checks) = v.get_mut("checks").and_then(serde_json::Value::as_array_mut) {
        for (json, check) in checks.iter_mut().zip(&c.checks) {
            json["evidence"] = serde_json::Value::String(evidence(check));
            json.get_mut("points").and_then(serde_json::Value::as_array_mut).into_iter().flatten().for_each(mark_kind);
        }
    }
    if let Some(point) = v.get_mut("worst").and_then(|w| w.get_mut("point")) {
        mark_kind(point);
    }
    Ok(v)
}

/// Marks a point's simulated value `"kind": "extrapolated"` when it was extrapolated over sizes
/// (the point lists per-size estimates), not measured.
fn mark_kind(point: &mut serde_json::Value) {
    let extrapolated = point.get("sizes").and_then(serde_json::Value::as_array).is_some_and(|s| !s.is_empty());
    if let (true, Some(simulated)) = (extrapolated, point.get_mut("simulated").and_then(|s| s.as_object_mut())) {
        simulated.insert("kind".into(), "extrapolated".into());
    }
}

/// The JSON document of a command (the one vocabulary of every `--json` output): `command`,
/// `version`, `seed` (when the command draws random numbers), `settings` (name -> value), `elapsed_s`,
/// then the fields of `payload` (an object).
pub fn envelope(
    command: &str,
    seed: Option<u64>,
    settings: serde_json::Value,
    elapsed_s: f64,
    payload: serde_json::Value,
) -> serde_json::Value {
    let mut doc = serde_json::Map::new();
    doc.insert("command".into(), command.into());
    doc.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    if let Some(seed) = seed {
        doc.insert("seed".into(), seed.into());
    }
    doc.insert("settings".into(), settings);
    doc.insert("elapsed_s".into(), elapsed_s.into());
    if let serde_json::Value::Object(fields) = payload {
        doc.extend(fields);
    }
    serde_json::Value::Object(doc)
}

/// The settings of an audit or check run, as its shard files record them: `{quick, seed, claims}`.
pub fn audit_settings(quick: bool, seed: u64, claims: &[&str]) -> serde_json::Value {
    serde_json::json!({ "quick": quick, "seed": seed, "claims": claims })
}

/// The JSON document of an audit (or check) from its outcomes.
pub fn audit_json(
    command: &str,
    run: &serde_json::Value,
    reports: &[ClaimOutcome],
    elapsed_s: f64,
) -> Result<serde_json::Value> {
    let claims = reports.iter().map(claim_json).collect::<Result<Vec<_>>>()?;
    Ok(audit_document(command, run, claims, elapsed_s))
}

/// The JSON document of an audit from its run settings ([`audit_settings`]) and its claims' documents
/// ([`claim_json`]): the envelope (`seed` taken out of the settings) with `claims`, `all_match`,
/// `error_control`.
pub fn audit_document(
    command: &str,
    run: &serde_json::Value,
    claims: Vec<serde_json::Value>,
    elapsed_s: f64,
) -> serde_json::Value {
    let all_match = claims.iter().all(|c| c["matches"] == true);
    let control = serde_json::json!({
        "claim_alpha": CLAIM_ALPHA,
        "claims": claims.len(),
        "audit_wide_bound": audit_wide(claims.len()),
    });
    let mut settings = run.clone();
    let seed = settings.as_object_mut().and_then(|s| s.remove("seed")).and_then(|s| s.as_u64());
    let payload = serde_json::json!({ "claims": claims, "all_match": all_match, "error_control": control });
    envelope(command, seed, settings, elapsed_s, payload)
}

/// The claims table of `tlcheck list`.
pub fn list_table(claims: &[Claim]) -> String {
    let rows: Vec<Vec<String>> = claims
        .iter()
        .map(|c| {
            let f = &c.file;
            vec![
                f.id.clone(),
                format!("{:?}", f.status).to_lowercase(),
                format!("arXiv {} {}", f.source.arxiv, f.source.version),
                f.verdict.expected.to_string(),
                f.title.clone(),
            ]
        })
        .collect();
    table(&["claim", "status", "source", "recorded", "title"], &rows)
}

/// The description of observables for `tlcheck observables`.
pub fn observables_text(observables: &[&dyn Observable]) -> String {
    let mut out = String::new();
    for o in observables {
        out += &format!("{}\n  {}\n", o.name(), o.doc());
        let rows: Vec<Vec<String>> = o
            .params()
            .iter()
            .map(|p| {
                let when = p.used_when.map_or(String::new(), |(k, v)| format!(" (with {k}={v})"));
                vec![format!("  {}", p.name), p.domain(), p.default.to_string(), format!("{}{when}", p.doc)]
            })
            .collect();
        out += &table(&["  parameter", "domain", "default", "meaning"], &rows);
        let rows: Vec<Vec<String>> =
            o.outputs().iter().map(|x| vec![format!("  {}", x.name), x.doc.to_string()]).collect();
        out += &table(&["  output", "meaning"], &rows);
        out += "\n";
    }
    out
}
