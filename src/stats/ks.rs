//! The two-sample Kolmogorov-Smirnov test.

/// Two-sample Kolmogorov-Smirnov test: the statistic D and its asymptotic p-value.
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut x = a.to_vec();
    let mut y = b.to_vec();
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let (n, m) = (x.len() as f64, y.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0_f64);
    while i < x.len() && j < y.len() {
        let v = x[i].min(y[j]);
        while i < x.len() && x[i] <= v {
            i += 1;
        }
        while j < y.len() && y[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let en = (n * m / (n + m)).sqrt();
    let lambda = (en + 0.12 + 0.11 / en) * d;
    // Kolmogorov survival function Q(lambda) = 2 sum (-1)^(k-1) exp(-2 k^2 lambda^2).
    let p = if lambda < 1e-3 {
        1.0
    } else {
        (1..=100)
            .map(|k| {
                let k = k as f64;
                2.0 * (-1.0_f64).powf(k - 1.0) * (-2.0 * k * k * lambda * lambda).exp()
            })
            .sum::<f64>()
            .clamp(0.0, 1.0)
    };
    (d, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_separates_shifted_samples() {
        let a: Vec<f64> = (0..500).map(|i| i as f64 / 500.0).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 0.2).collect();
        let c: Vec<f64> = a.iter().map(|x| x + 0.001).collect();
        assert!(ks_two_sample(&a, &b).1 < 1e-6);
        assert!(ks_two_sample(&a, &c).1 > 0.5);
    }
}
