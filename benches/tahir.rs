//! Benchmarks of the Tahir et al. simulators (run: `cargo bench --bench tahir`).
//!
//! `diagram_fast`: the 20 x 20 (theta, gamma) linear-transfer transferability diagram, 20 target data
//! sets per point at d = 200, from the exact fast paths through the parallel executor (acceptance:
//! under 2 minutes on 2 cores). Baseline within the same run: `point_gd` is ONE point of that diagram
//! (20 data sets) by gradient descent on the deep network, `point_fast` the same point from the fast
//! paths; diagram time / point_gd time and point_gd / point_fast are the ratios to report.

use divan::Bencher;
use tlcheck::observable::{Sample, find, simulate};

fn main() {
    divan::main();
}

fn point(gamma: f64, theta: f64, method: &str, seed: u64) -> Sample {
    let obs = find("tahir.transferability").unwrap();
    let given: Vec<(String, String)> = [
        ("procedure", "lt".to_string()),
        ("method", method.to_string()),
        ("d", "200".to_string()),
        ("gamma", format!("{gamma:.1}")),
        ("theta", theta.to_string()),
        ("sigma", "0.2".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    simulate(obs, &obs.resolve(&given).unwrap(), 20, seed, None).unwrap()
}

#[divan::bench(sample_count = 1, sample_size = 1)]
fn diagram_fast() -> f64 {
    let mut total = 0.0;
    for i in 1..=20u64 {
        let theta = std::f64::consts::FRAC_PI_2 * i as f64 / 20.0;
        for k in 1..=20u64 {
            let s = point(0.1 * k as f64, theta, "exact", i * 100 + k);
            total += s.estimate("transfer").unwrap().mean;
        }
    }
    total
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn point_gd(b: Bencher) {
    b.bench(|| point(0.5, std::f64::consts::FRAC_PI_4, "gd", 7));
}

#[divan::bench(sample_count = 20)]
fn point_fast(b: Bencher) {
    b.bench(|| point(0.5, std::f64::consts::FRAC_PI_4, "exact", 7));
}
