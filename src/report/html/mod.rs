//! One self-contained HTML evidence report (inline CSS and SVG, MathML formulas; no scripts, no
//! network): a summary table, then per claim its formula typeset from the syntax tree, each check's
//! figure and evidence, and what reproduces it. Rendered from outcomes; nothing is simulated here.

mod figure;

pub use figure::check_figure;

use crate::audit::ClaimOutcome;
use crate::claim::Claim;
use crate::error::Result;
use crate::formula::mathml::{math_block, mathml};
use crate::outcome::CheckOutcome;
use crate::plot::panels_svg;
use crate::spec::Relation;
use serde::{Deserialize, Serialize};

use super::evidence::evidence;
use super::short_resolution;

/// What reproduces a run: precision, seed, the theorem directory given and the command line.
#[derive(Debug, Clone)]
pub struct Reproduce {
    pub quick: bool,
    pub seed: u64,
    /// `--theorems DIR` when one was given.
    pub theorems: Option<String>,
    /// The command line of this run, as typed.
    pub command: String,
}

impl Reproduce {
    fn precision(&self) -> &'static str {
        if self.quick { "quick (the test precision)" } else { "full" }
    }

    /// The command that decides one claim again with this run's seed and precision.
    fn check_command(&self, id: &str) -> String {
        let quick = if self.quick { " --quick" } else { "" };
        let dir = self.theorems.as_ref().map_or(String::new(), |d| format!(" --theorems {d}"));
        format!("tlcheck check {id} --seed {}{quick}{dir}", self.seed)
    }
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;font-size:14px}th,td{border:1px solid #bbb;padding:3px 8px;text-align:left}\
th{background:#eee}td.num{text-align:right}.holds{color:#060}.refuted{color:#b00}.regime-limited{color:#a60}\
.inconclusive{color:#555}.error{color:#b00;font-weight:bold}.differs{font-weight:bold;background:#fdd}section{border-top:2px solid #888;margin-top:2em}\
figure{margin:1em 0}svg{max-width:100%;height:auto;border:1px solid #ddd}pre{white-space:pre-wrap;\
background:#f6f6f6;padding:.5em;font-size:13px}math{font-size:130%;margin:.5em 0}dl{font-size:14px}\
dt{font-weight:bold;float:left;clear:left;width:9em}dd{margin-left:10em}";

/// One claim of the report, rendered: its summary-table row and its section. Shards of an audit
/// carry these so that `tlcheck merge --html` composes the report without re-rendering.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HtmlClaim {
    pub row: String,
    pub section: String,
    pub matches: bool,
}

/// Renders one claim's row and section.
pub fn html_claim(claim: &Claim, outcome: &ClaimOutcome, run: &Reproduce) -> Result<HtmlClaim> {
    Ok(HtmlClaim { row: summary_row(outcome), section: claim_section(claim, outcome, run)?, matches: outcome.matches })
}

/// The whole report for the claims run, in the order given.
pub fn html_report(claims: &[(&Claim, &ClaimOutcome)], run: &Reproduce, elapsed_s: f64) -> Result<String> {
    let parts = claims.iter().map(|(c, o)| html_claim(c, o, run)).collect::<Result<Vec<_>>>()?;
    Ok(html_document(&parts, run, elapsed_s))
}

/// The report document from rendered claims, in the order given.
pub fn html_document(parts: &[HtmlClaim], run: &Reproduce, elapsed_s: f64) -> String {
    let matching = parts.iter().filter(|p| p.matches).count();
    let rows: Vec<&str> = parts.iter().map(|p| p.row.as_str()).collect();
    let sections: Vec<&str> = parts.iter().map(|p| p.section.as_str()).collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tlcheck evidence report</title>\
         <style>{STYLE}</style></head><body>\n<h1>tlcheck evidence report</h1>\n\
         <p>{} claims decided in {elapsed_s:.1} s; {matching} as recorded, {} differ. tlcheck {}, seed {}, \
         precision {}.</p>\n<p>Command: <code>{}</code></p>\n{}\n{}\n</body></html>\n",
        parts.len(),
        parts.len() - matching,
        env!("CARGO_PKG_VERSION"),
        run.seed,
        run.precision(),
        esc(&run.command),
        summary(&rows),
        sections.concat()
    )
}

/// One claim's figures (one panel per check) as an SVG document.
pub fn claim_svg(claim: &Claim, outcome: &ClaimOutcome, quick: bool) -> Result<String> {
    let figures: Vec<_> = outcome.checks.iter().map(|c| check_figure(c, &setting(claim, c, quick))).collect();
    panels_svg(&figures)
}

/// HTML-escapes text.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn summary_row(o: &ClaimOutcome) -> String {
    let resolution = o.resolution.map_or("-".to_string(), |r| short_resolution(&r.resolution));
    format!(
        "<tr{}><td><a href=\"#{}\">{}</a></td><td>{:?}</td><td class=\"{}\">{}</td><td class=\"{}\">{}{}</td>\
         <td>{}</td><td class=\"num\">{:.1} s</td></tr>",
        if o.matches { "" } else { " class=\"differs\"" },
        esc(&o.id),
        esc(&o.id),
        o.status,
        o.expected,
        o.expected,
        o.verdict,
        o.verdict,
        if o.matches { "" } else { " (differs)" },
        esc(&resolution),
        o.elapsed_s
    )
}

fn summary(rows: &[&str]) -> String {
    format!(
        "<table><thead><tr><th>claim</th><th>status</th><th>recorded verdict</th><th>computed verdict</th>\
         <th>resolution</th><th>time</th></tr></thead><tbody>\n{}\n</tbody></table>",
        rows.join("\n")
    )
}

fn claim_section(claim: &Claim, o: &ClaimOutcome, run: &Reproduce) -> Result<String> {
    let mut checks = o.checks.iter().map(|c| check_part(claim, c, run.quick)).collect::<Result<Vec<_>>>()?;
    if let Some(e) = &o.error {
        checks.push(format!("<p class=\"error\">The claim could not be decided: {}</p>\n", esc(&e.message)));
    }
    Ok(format!(
        "<section id=\"{}\"><h2>{}</h2><p>{} ({})</p><p>{}</p>\n{}\n<p>Computed <b class=\"{}\">{}</b>, recorded \
         <b class=\"{}\">{}</b>: {}</p>\n{}\n{}</section>\n",
        esc(&o.id),
        esc(&o.id),
        esc(&o.title),
        esc(&o.source),
        esc(&claim.file.statement),
        formula(claim),
        o.verdict,
        o.verdict,
        o.expected,
        o.expected,
        esc(&o.reason),
        checks.concat(),
        reproduce(o, run)
    ))
}

/// The printed formula as MathML, with the bound of an inequality, and the relation in words.
fn formula(claim: &Claim) -> String {
    let st = &claim.statement;
    let f = mathml(st.formula.expr());
    let bound = st.bound.as_ref().map(|b| mathml(b.expr()));
    let math = match (st.relation, bound) {
        (Relation::AtMost, Some(b)) => math_block(&format!("{f}<mo>≤</mo>{b}")),
        (Relation::AtLeast, Some(b)) => math_block(&format!("{f}<mo>≥</mo>{b}")),
        (Relation::ExceedsSomewhere, Some(b)) => math_block(&format!("{f}<mo>&gt;</mo>{b}")),
        _ => math_block(&f),
    };
    let relation = match (st.relation, &st.variable) {
        (Relation::Increasing, Some(v)) => format!("increasing in {v}"),
        (Relation::Decreasing, Some(v)) => format!("decreasing in {v}"),
        (r, _) => {
            serde_json::to_value(r).ok().and_then(|v| v.as_str().map(|w| w.replace('_', " "))).unwrap_or_default()
        }
    };
    format!(
        "<div class=\"formula\">{math}<p>Relation: {}; printed as <code>{}</code></p></div>",
        esc(&relation),
        esc(&claim.file.claim.formula)
    )
}

fn check_part(claim: &Claim, c: &CheckOutcome, quick: bool) -> Result<String> {
    let svg = panels_svg(std::slice::from_ref(&check_figure(c, &setting(claim, c, quick))))?;
    Ok(format!(
        "<h3>Check {} ({}): <span class=\"{}\">{}</span></h3><figure>{svg}<figcaption>{}</figcaption></figure>\
         <pre>{}</pre>\n",
        c.index,
        c.method,
        c.verdict,
        c.verdict,
        esc(&c.describe),
        esc(&evidence(c))
    ))
}

/// A check's fixed settings (with the quick overrides at the quick precision) and trials per point.
fn setting(claim: &Claim, c: &CheckOutcome, quick: bool) -> String {
    let Some(s) = claim.file.checks.get(c.index - 1).and_then(|spec| spec.simulated()) else {
        return format!("{}: deterministic, over the claim's domain", c.method);
    };
    let mut settings = s.settings.clone();
    if quick {
        settings.extend(s.quick.settings.clone());
    }
    let list: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={}", v.to_string().trim_matches('"'))).collect();
    let trials = if quick { s.quick.trials.unwrap_or(s.trials) } else { s.trials };
    format!("{}: {}; {trials} trials per point", s.observable, list.join(", "))
}

fn reproduce(o: &ClaimOutcome, run: &Reproduce) -> String {
    format!(
        "<dl class=\"reproduce\"><dt>reproduce</dt><dd><code>{}</code></dd><dt>crate</dt><dd>tlcheck {}</dd>\
         <dt>seed</dt><dd>{}</dd><dt>precision</dt><dd>{}</dd></dl>",
        esc(&run.check_command(&o.id)),
        env!("CARGO_PKG_VERSION"),
        run.seed,
        run.precision()
    )
}
