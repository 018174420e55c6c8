//! Robustness: random expression strings and random command lines never panic.
//!
//! A seeded generator builds expression strings (valid formulas, near misses and junk) and
//! `tlcheck` argument vectors (all subcommands, the sweeps' --grid RANGEs and --set values, valid and invalid flags and values: NaN, inf,
//! empty grids, unknown names), and calls the library's CLI entry point
//! [`tlcheck::cli::run_args`] in-process. Every call must return an exit code in {0, 1, 2, 3}
//! without panicking. `TLCHECK_FUZZ_CASES` sets the number of cases (each case is one expression
//! and one command line); the default is a short run for `cargo test`. Valid runs are kept cheap:
//! claims run by the generator are the deterministic search claims, simulations use tiny sizes.

use std::panic::{AssertUnwindSafe, catch_unwind};

use tlcheck::formula::equivalence::compare;
use tlcheck::formula::mutate::mutants;
use tlcheck::formula::{Formula, Interval};
use tlcheck::rng::{derive, mix};

/// Default number of cases in `cargo test`.
const DEFAULT_CASES: usize = 2000;

/// A tiny deterministic generator over the crate's seed mixer.
struct Gen(u64, u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.1 += 1;
        mix(derive(self.0, &[self.1]))
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const ATOMS: [&str; 22] = [
    "x", "y", "gamma", "q", "nu2", "chi", "alpha_s", "2", "0.5", "1", "1e-3", "1e999", "pi", "e", "{e}", "0", ".5",
    "3.", "1e", "nan", "inf", "_",
];
const FUNCS: [&str; 8] = ["sqrt", "exp", "ln", "abs", "atan", "tanh", "foo", "log"];
const OPS: [&str; 7] = [" + ", " - ", "*", "/", "^", "**", " "];
const JUNK: [&str; 12] = ["(", ")", "((", "))", ",", "$", "é", "\u{0}", "--", "^^", "{", "}"];

/// A random expression: mostly well-formed, sometimes broken.
fn expression(g: &mut Gen, depth: usize) -> String {
    if depth == 0 || g.chance(30) {
        return g.pick(&ATOMS).to_string();
    }
    let s = match g.below(5) {
        0 => format!("{}({})", g.pick(&FUNCS), expression(g, depth - 1)),
        1 => format!("-{}", expression(g, depth - 1)),
        2 => format!("({})", expression(g, depth - 1)),
        _ => format!("{}{}{}", expression(g, depth - 1), g.pick(&OPS), expression(g, depth - 1)),
    };
    if g.chance(5) {
        let cut = g.below(s.len() + 1);
        let junk = g.pick(&JUNK);
        s.char_indices().map(|(i, c)| if i == cut { format!("{junk}{c}") } else { c.to_string() }).collect()
    } else {
        s
    }
}

const VALUES: [&str; 16] = [
    "0",
    "1",
    "2",
    "-1",
    "0.5",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "abc",
    "",
    " ",
    "3",
    "18446744073709551616",
    "1e-300",
];
const CLAIMS: [&str; 5] =
    ["lauditi2025.chi_increasing", "lauditi2025.finetune_decreasing_in_alignment", "no.such", "", "lauditi2025"];
const OBSERVABLES: [&str; 4] = ["lauditi.kernel_spike", "lauditi.finetune_loss", "nope", ""];

fn grid(g: &mut Gen) -> String {
    let names = ["gamma", "nu2", "alpha_s", "chi", "d", "kernel", "foo", ""];
    let mut parts = vec![format!("d={}", g.pick(&["4", "6", "0", "nan", "1e9", "abc"]))];
    for _ in 0..g.below(3) {
        let name = g.pick(&names);
        parts.push(match g.below(4) {
            0 => format!(
                "{name}={}:{}:{}",
                g.pick(&VALUES),
                g.pick(&VALUES),
                g.pick(&["0", "1", "2", "3", "99999", "-1", "x"])
            ),
            1 => format!("{name}={}", g.pick(&VALUES)),
            2 => format!("{name}=0.2:0.8:2"),
            _ => g.pick(&["", ",", "=", "gamma", "gamma=1:2", "kernel=ideal", "::"]).to_string(),
        });
    }
    parts.join(",")
}

/// A random `tlcheck` command line (program name first).
fn command_line(g: &mut Gen) -> Vec<String> {
    let mut args = vec!["tlcheck".to_string()];
    match g.below(9) {
        0..=2 => {
            args.push("formula".into());
            args.push(expression(g, 3));
            if g.chance(50) {
                args.extend(["--claim".into(), g.pick(&CLAIMS).into()]);
            } else {
                args.extend(["--observable".into(), g.pick(&OBSERVABLES).into(), "--grid".into(), grid(g)]);
                args.extend(["--trials".into(), g.pick(&["1", "2", "0", "-3", "nan", "x"]).into()]);
            }
        }
        3 => {
            args.extend(["mutate".into(), g.pick(&CLAIMS).into()]);
            args.extend(["--max".into(), g.pick(&["1", "2", "0", "-1", "x"]).into()]);
        }
        4 => {
            args.extend([
                "simulate".into(),
                g.pick(&OBSERVABLES).into(),
                "--trials".into(),
                g.pick(&["1", "2", "0"]).into(),
            ]);
            args.extend(["--set".into(), format!("d={}", g.pick(&["4", "3", "nan", "0", "x", "1e12"]))]);
        }
        5 => {
            args.extend([g.pick(&["check", "audit"]).into(), g.pick(&["no.such", "", "x y"]).into(), "--quick".into()])
        }
        6 => args.push(g.pick(&["list", "observables", "--help", "--version", "help", "", "bogus"]).into()),
        7 => {
            // Sweep commands (closed forms only, small grids): random RANGEs and --set values.
            let command = g.pick(&["phase lauditi", "phase tahir --procedure lt", "optimize richness"]);
            args.extend(command.split(' ').map(String::from));
            for _ in 0..g.below(3) {
                let name = g.pick(&["nu2", "gamma1", "alpha_s", "theta", "gamma", "lambda", "foo", ""]);
                let range = g.pick(&["0.2:0.8:3", "0.1,1", "1:0.5:3", "0:1:1", "x", "", "1,1", "::", "-1:1:4", "inf"]);
                args.extend(["--grid".into(), format!("{name}={range}")]);
            }
            for _ in 0..g.below(3) {
                let name = g.pick(&["nu1", "alpha_s", "sigma", "lambda", "d", "steps", "gamma1", "bogus", ""]);
                args.extend(["--set".into(), format!("{name}={}", g.pick(&VALUES))]);
            }
        }
        _ => {
            args.push(g.pick(&["formula", "mutate", "simulate"]).into());
        }
    }
    let flags = [
        "--json",
        "--quick",
        "--monotone",
        "--at-most",
        "--scaling",
        "--seed",
        "--output",
        "--extrapolate",
        "--budget",
        "--max",
        "--theorems",
        "--set",
        "--threads",
        "--grid",
        "--claim",
    ];
    for _ in 0..g.below(4) {
        let flag = g.pick(&flags);
        args.push(flag.to_string());
        let value = match flag {
            "--json" | "--quick" => continue,
            "--monotone" => {
                format!("{}={}", g.pick(&["gamma", "x", "nu2", ""]), g.pick(&["increasing", "decreasing", "up", ""]))
            }
            "--at-most" => expression(g, 2),
            "--scaling" => format!("{}={}", g.pick(&["gamma", "x", "u", ""]), g.pick(&VALUES)),
            "--extrapolate" => format!("d={},{}", g.pick(&VALUES), g.pick(&VALUES)),
            "--theorems" => "/nonexistent/dir".to_string(),
            "--threads" => g.pick(&["0", "-1", "x", "nan"]).to_string(),
            "--grid" => grid(g),
            "--claim" => g.pick(&CLAIMS).to_string(),
            _ => g.pick(&VALUES).to_string(),
        };
        args.push(value);
    }
    args
}

/// Exercises the formula layer on one expression: parse, evaluate, differentiate, and (for every
/// 50th valid one) mutants and the equivalence search.
fn formula_case(g: &mut Gen, text: &str, heavy: bool) {
    let Ok(f) = Formula::parse(text) else { return };
    let vals: Vec<f64> = f.variables().iter().map(|_| [0.3, -2.0, 1e300, 0.0][g.below(4)]).collect();
    let _ = f.eval_slice(&vals);
    for v in f.variables() {
        let _ = f.partial(v);
    }
    if heavy {
        let intervals = ["(0, inf)", "[-1, 1]", "(-inf, inf)", "[2, 2]", "(0, 1e-300)"];
        let domain: Vec<(String, Interval)> = f
            .variables()
            .iter()
            .map(|v| (v.clone(), Interval::parse(intervals[g.below(intervals.len())]).expect("valid interval")))
            .collect();
        if let Ok(ms) = mutants(&f, &domain, 1)
            && let Some(m) = ms.first()
        {
            let m = Formula::parse(&m.formula).expect("mutants parse");
            let _ = compare(&f, &m, &domain, 2);
        }
    }
}

#[test]
fn random_expressions_and_command_lines_never_panic() {
    let cases = std::env::var("TLCHECK_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_CASES);
    let mut g = Gen(0x5eed, 0);
    let mut codes = [0usize; 4];
    for case in 0..cases {
        let text = expression(&mut g, 4);
        let heavy = case % 50 == 0;
        let outcome = catch_unwind(AssertUnwindSafe(|| formula_case(&mut g, &text, heavy)));
        assert!(outcome.is_ok(), "case {case}: the formula layer panicked on {text:?}");
        let args = command_line(&mut g);
        let code = catch_unwind(AssertUnwindSafe(|| tlcheck::cli::run_args(args.clone())));
        match code {
            Ok(c @ 0..=3) => codes[c as usize] += 1,
            Ok(c) => panic!("case {case}: exit code {c} for {args:?}"),
            Err(_) => panic!("case {case}: panic for {args:?}"),
        }
    }
    eprintln!("{cases} cases: exit codes 0/1/2/3 = {codes:?}");
    assert!(codes[2] > 0 && codes[0] + codes[1] > 0, "the generator must reach both errors and valid runs");
}
