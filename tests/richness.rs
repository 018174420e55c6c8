//! Optimal richness and phase diagrams (issue 3, items 4-5): the Lauditi closed forms against the
//! reference values of docs/derivations.md, the gamma1* optimiser on losses with known optima, the simulated sweep
//! on the stand-in observable, and the `optimize richness` / `phase lauditi` commands.

mod common;

use common::{json, tlcheck, tmp};

use tlcheck::analysis::phase::{brent_root, zero_contour};
use tlcheck::closed_form::lauditi::{Transfer, Variant, chi, finetune_loss};
use tlcheck::optimize::{Location, LogGrid, SimTarget, TRANSFER_LOSS, minimize_closed, minimize_simulated};
use tlcheck::plot::{Axis, Curve, Figure, HeatMap, Scale, write_svg};

#[test]
fn readout_closed_form_matches_the_reference_values() {
    for (alpha, g1, g4) in [(0.5, 0.460786, 0.394050), (0.8, 0.399613, 0.228769), (1.0, 0.343146, 0.076201)] {
        let t = Transfer {
            nu1: f64::INFINITY,
            sigma_s: 0.0,
            alpha_s: alpha,
            alpha_g: 0.0,
            nu2: 0.5,
            sigma: 0.0,
            variant: Variant::Readout,
        };
        assert!((t.loss(1.0).unwrap() - g1).abs() < 1e-6 && (t.loss(4.0).unwrap() - g4).abs() < 1e-6);
        assert!((t.lazy().unwrap() - 0.5).abs() < 1e-15);
        assert!((t.infinite_richness().unwrap() - 0.5 * (1.0 - alpha * alpha)).abs() < 1e-12);
    }
    // A wrong variant (spike not squared in the denominator) is told apart at the same precision.
    let wrong = 0.5 * ((1.0 - 0.64) + 0.64 / (1.0 + chi(1.0, 1.0) * 0.5));
    assert!((finetune_loss(Variant::Readout, 0.5, 0.8, chi(1.0, 1.0), 0.0).unwrap() - wrong).abs() > 1e-2);
}

#[test]
fn optimiser_finds_a_known_interior_minimum_to_1e_6() {
    let c = 2.5;
    let loss = |g: f64| -> tlcheck::Result<f64> {
        Ok(if g.is_infinite() { 1.0 } else { 1.0 - 4.0 * g * c / (g + c).powi(2) })
    };
    let grid = LogGrid::new(1e-3, 1e3, 61).unwrap();
    let o = minimize_closed(&loss, &grid).unwrap();
    assert_eq!(o.location, Location::Interior);
    assert!((o.gamma1_star.unwrap() - c).abs() < 1e-6, "{o:?}");
    assert!(o.bounded() && o.loss_at_star.abs() < 1e-12);
}

#[test]
fn monotone_and_flat_losses_are_reported_unbounded_lazy_and_flat() {
    let grid = LogGrid::new(1e-3, 1e3, 61).unwrap();
    let falling = |g: f64| -> tlcheck::Result<f64> { Ok(1.0 / (1.0 + g)) };
    let o = minimize_closed(&falling, &grid).unwrap();
    assert_eq!((o.location, o.gamma1_star, o.bounded()), (Location::Unbounded, None, false));
    assert_eq!(o.loss_at_star, 0.0, "the gamma1 -> inf limit, not the grid's end");
    let rising = |g: f64| -> tlcheck::Result<f64> { Ok(if g.is_infinite() { 1.0 } else { g / (1.0 + g) }) };
    let o = minimize_closed(&rising, &grid).unwrap();
    assert_eq!((o.location, o.gamma1_star), (Location::Lazy, Some(0.0)));
    let flat = |_: f64| -> tlcheck::Result<f64> { Ok(0.5) };
    assert_eq!(minimize_closed(&flat, &grid).unwrap().location, Location::Flat);
    // A minimum beyond the grid's top end is found by extending the grid, not reported at the end.
    let far = |g: f64| -> tlcheck::Result<f64> {
        Ok(if g.is_infinite() { 1.0 } else { 1.0 - 4.0 * g * 1e5 / (g + 1e5).powi(2) })
    };
    let o = minimize_closed(&far, &grid).unwrap();
    assert!((o.gamma1_star.unwrap() / 1e5 - 1.0).abs() < 1e-6, "{o:?}");
    // Closed-form transfer losses fall monotonically in gamma1: unbounded for every variant.
    for variant in [Variant::Readout, Variant::Ridge { lambda: 0.1 }, Variant::Ntk] {
        let t = Transfer { nu1: 0.4, sigma_s: 0.2, alpha_s: 0.6, alpha_g: 0.3, nu2: 0.3, sigma: 0.1, variant };
        let o = minimize_closed(&|g| t.loss(g), &grid).unwrap();
        assert_eq!(o.location, Location::Unbounded, "{variant:?}");
        assert_eq!(o.loss_at_star, t.infinite_richness().unwrap());
    }
}

#[test]
fn simulated_optimum_and_bootstrap_on_synthetic_trials() {
    let gammas = LogGrid::new(0.1, 100.0, 10).unwrap().points();
    // Trial t adds the same shift at every gamma1 (common random numbers) plus small own noise.
    let noise = |k: usize, t: usize| (((k * 31 + t * 17) % 13) as f64 - 6.0) * 1e-4;
    let losses: Vec<Vec<f64>> = gammas
        .iter()
        .enumerate()
        .map(|(k, g)| (0..50).map(|t| (g.ln() - 3f64.ln()).powi(2) + (t as f64 - 25.0) * 0.1 + noise(k, t)).collect())
        .collect();
    let s = minimize_simulated(&gammas, &losses, 500, 0.95, 7).unwrap();
    assert_eq!(s.optimum.location, Location::Interior);
    let star = s.optimum.gamma1_star.unwrap();
    assert!((star.ln() - 3f64.ln()).abs() < 0.05, "{star}");
    let (lo, hi) = (s.ci.lo.unwrap(), s.ci.hi.unwrap());
    assert!(lo <= star && star <= hi && hi / lo < 1.5, "{:?}", s.ci);
    assert_eq!(s.ci.fraction_unbounded, 0.0);
    let falling: Vec<Vec<f64>> =
        gammas.iter().map(|g| (0..50).map(|t| 1.0 / (1.0 + g) + t as f64 * 0.01).collect()).collect();
    let s = minimize_simulated(&gammas, &falling, 200, 0.95, 7).unwrap();
    assert_eq!((s.optimum.location, s.ci.hi, s.ci.fraction_unbounded), (Location::Unbounded, None, 1.0));
}

#[test]
fn simulated_sweep_of_readout_transfer_is_unbounded() {
    let settings: Vec<(String, String)> =
        [("d", "100"), ("nu2", "0.5"), ("alpha_s", "0.8"), ("nu1", "inf"), ("variant", "readout")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let gammas = LogGrid::new(0.3, 30.0, 5).unwrap().points();
    let target = TRANSFER_LOSS;
    let losses: Vec<Vec<f64>> =
        gammas.iter().map(|&g| target.sample(&settings, g, 30, 11, None).unwrap().column("loss").unwrap()).collect();
    let s = minimize_simulated(&gammas, &losses, 200, 0.95, 11).unwrap();
    assert_eq!(s.optimum.location, Location::Unbounded, "{:?}", s.mean);
    let gains = target.gains(&settings, 30.0, 30, 11, None).unwrap();
    assert!(gains.iter().sum::<f64>() > 0.0);
    // A missing observable is a clean input error.
    let missing = SimTarget { observable: "lauditi.no_such_observable", ..target };
    let err = missing.sample(&settings, 1.0, 2, 1, None).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("unknown observable"));
}

#[test]
fn zero_contour_roots_of_a_known_boundary() {
    // gain = y - x^2: the zero contour is y = x^2; roots by BrentRoot within 1e-9.
    let xs: Vec<f64> = (0..9).map(|i| i as f64 / 8.0).collect();
    let ys: Vec<f64> = (0..11).map(|i| i as f64 / 10.0).collect();
    let values: Vec<f64> = ys.iter().flat_map(|y| xs.iter().map(move |x| y - x * x)).collect();
    let branches = zero_contour(&xs, &ys, &values, &|ix, iy| {
        let x = xs[ix];
        brent_root(&|y| Ok(y - x * x), ys[iy], ys[iy + 1])
    })
    .unwrap();
    let roots: Vec<(f64, f64)> = branches.concat();
    assert!(roots.len() >= 7, "{roots:?}");
    assert!(roots.iter().all(|(x, y)| (y - x * x).abs() < 1e-9));
    let path = tmp("richness", "contour.svg");
    let fig = Figure {
        title: "synthetic".into(),
        x: Axis::new("x", 0.0, 1.0),
        y: Axis::new("y", 0.0, 1.0),
        heat: Some(HeatMap { xs, ys, values, label: "gain".into(), scale: Scale::Diverging }),
        curves: branches
            .into_iter()
            .map(|b| Curve { label: "zero contour".into(), points: b, dashed: false })
            .collect(),
        points: vec![],
        point_colours: Vec::new(),
    };
    write_svg(&fig, &path).unwrap();
    assert!(std::fs::read_to_string(&path).unwrap().contains("zero contour"));
}

#[test]
fn optimize_richness_json_and_unbounded_optimum() {
    let base = [
        "optimize",
        "richness",
        "--set",
        "nu1=0.4",
        "--set",
        "nu2=0.5",
        "--set",
        "alpha_s=0.8",
        "--set",
        "alpha_g=0.2",
        "--json",
    ];
    let doc = json(&tlcheck(&base));
    assert_eq!(
        (doc["command"].as_str(), doc["settings"]["method"].as_str()),
        (Some("optimize richness"), Some("closed-form"))
    );
    let v = &doc["rows"][0];
    for field in ["at", "gamma1_star", "bounded", "loss_at_star", "loss_lazy", "loss_infinite_richness"] {
        assert!(v.get(field).is_some(), "missing {field}: {v}");
    }
    assert!(v["gamma1_star"] == "inf" && v["bounded"] == false && v["at"]["nu2"] == 0.5);
    assert_eq!(v["loss_at_star"], v["loss_infinite_richness"]);
    let sim = [
        "optimize",
        "richness",
        "--set",
        "alpha_s=0.8",
        "--simulate",
        "--set",
        "d=200",
        "--trials",
        "20",
        "--grid",
        "gamma1=0.3:30:5",
        "--json",
    ];
    let doc = json(&tlcheck(&sim));
    let v = &doc["rows"][0];
    assert_eq!((doc["settings"]["method"].as_str(), doc["settings"]["d"].as_u64()), (Some("simulation"), Some(200)));
    assert!(v["gamma1_star"] == "inf" && v["ci"]["fraction_unbounded"].as_f64().unwrap() > 0.5, "{v}");
    assert_eq!(v["points"].as_array().unwrap().len(), 5);
    let curve = json(&tlcheck(&[
        "optimize",
        "richness",
        "--grid",
        "nu2=0.2:1.6:8",
        "--set",
        "alpha_s=0.5",
        "--json",
        "--svg",
        tmp("richness", "curve.svg").to_str().unwrap(),
    ]));
    assert_eq!(curve["rows"].as_array().unwrap().len(), 8);
    let svg = std::fs::read_to_string(tmp("richness", "curve.svg")).unwrap();
    assert!(svg.contains("log10 gamma1*") && svg.contains("unbounded"));
}

#[test]
fn bad_input_exits_2_with_a_message() {
    // Each case overrides some of the base options (later options replace earlier ones by name).
    let run = |extra: &[&str], mentions: &str| {
        let args: Vec<&str> = ["optimize", "richness"].iter().chain(extra).copied().collect();
        let out = tlcheck(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(mentions) && !stderr.contains("panicked"), "{extra:?}: {stderr}");
        assert!(out.stdout.is_empty());
    };
    run(&["--set", "alpha_s=2"], "alpha_s");
    run(&["--set", "nu2=NaN"], "nu2");
    run(&["--variant", "foo"], "foo");
    run(&["--variant", "early_stop", "--set", "steps=10"], "--simulate");
    run(&["--set", "lambda=0.1"], "--variant ridge");
    run(&["--set", "nu1=1", "--set", "sigma_s=0.5"], "nu1 = 1");
    run(&["--grid", "gamma1=1:0.1:5"], "--grid");
    run(&["--grid", "gamma1=0.1,1,10"], "LO:HI:N");
    run(&["--set", "d=100"], "--simulate");
    run(&["--nu2", "0.5"], "--nu2");
}

#[test]
fn phase_lauditi_writes_a_labelled_svg_and_csv() {
    let (svg, csv) = (tmp("richness", "phase.svg"), tmp("richness", "phase.csv"));
    let out = tlcheck(&[
        "phase",
        "lauditi",
        "--grid",
        "nu2=0.1:1.9:10",
        "--grid",
        "gamma1=0.1:100:8",
        "--set",
        "sigma=0.2",
        "--svg",
        svg.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&svg).unwrap();
    for label in ["nu2 = P2/D", "log10 gamma1", "gain = lazy - transfer loss"] {
        assert!(text.contains(label), "missing {label}");
    }
    // The closed-form gain never changes sign, and the figure says so instead of drawing a contour
    // (in its title, which may wrap between words).
    assert!(text.contains("gain does not change sign"));
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(rows.lines().filter(|l| l.starts_with("closed_form,")).count(), 80);
    // --simulate simulates every grid point: here 2 x 2 (lists), drawn on the closed-form map.
    let small = ["--grid", "nu2=0.1,1.9", "--grid", "gamma1=0.1,100", "--set", "sigma=0.2", "--set", "d=200"];
    let files = ["--svg", svg.to_str().unwrap(), "--csv", csv.to_str().unwrap(), "--simulate", "--trials", "10"];
    let out = tlcheck(&[&["phase", "lauditi"][..], &small, &files].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(&svg).unwrap().contains("simulated gain"));
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(rows.lines().filter(|l| l.starts_with("simulated,")).count(), 4);
    let out =
        tlcheck(&["phase", "lauditi", "--variant", "early_stop", "--set", "steps=5", "--svg", svg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--simulate"));
}

#[test]
fn wrong_variants_of_ridge_and_ntk_are_told_apart() {
    use tlcheck::closed_form::lauditi::{ridge_kappa, ridge_loss};
    // Ridge without its denominator 1 - a^2/(nu2 (a + kappa)^2) misses the lambda -> 0 readout limit.
    let (nu2, rho, c) = (0.5, 0.8, 1.5);
    let k = ridge_kappa(nu2, 1.0, 1e-9);
    let no_den = k * k * (rho * rho / (1.0 + c + k).powi(2) + (1.0 - rho * rho) / (1.0 + k).powi(2));
    let readout = finetune_loss(Variant::Readout, nu2, rho, c, 0.0).unwrap();
    assert!((ridge_loss(nu2, rho, 1.0, c, 1e-9, 0.0).unwrap() - readout).abs() < 1e-6);
    assert!((no_den - readout).abs() > 1e-2);
    // ntk uses chi/(2 + chi), not chi: the two differ by more than any reference tolerance.
    let ntk = finetune_loss(Variant::Ntk, nu2, rho, c, 0.0).unwrap();
    assert!((ntk - readout).abs() > 1e-2);
    assert!((ntk - finetune_loss(Variant::Readout, nu2, rho, c / (2.0 + c), 0.0).unwrap()).abs() < 1e-15);
}

/// Early stopping has no closed form: the whole grid is simulated, with data ratios snapped to whole
/// sample counts (no undefined cells), and negative transfer appears at large gamma1 and nu2.
#[test]
fn simulated_phase_of_early_stopping_has_no_undefined_cells() {
    let svg = tmp("richness", "es.svg");
    let out = tlcheck(&[
        "phase",
        "lauditi",
        "--variant",
        "early_stop",
        "--set",
        "steps=100",
        "--set",
        "nu1=inf",
        "--set",
        "alpha_s=0.6",
        "--simulate",
        "--set",
        "d=40",
        "--trials",
        "4",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text} {}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(" 0 undefined"), "{text}");
}
