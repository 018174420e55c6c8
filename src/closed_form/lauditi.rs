//! Lauditi, Bordelon, Pehlevan (arXiv 2507.04448 v2): pre-trained direction, kernel spike and
//! fine-tuning losses of the two-layer linear muP network, unit-coefficient convention
//! (|b_s| = |b_t| = 1, y = b . x), D -> infinity. Status of each formula is stated on it:
//! "derived" (and "derived here") = worked out for tlcheck, not printed in the paper; each derivation
//! is in docs/derivations.md. The paper's own closed forms for finite source data were not available
//! to us.

use crate::error::{Error, Result};

/// What pre-training learns: q = |beta_hat|^2 and rho = r . b_t with r = beta_hat/|beta_hat|.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Direction {
    pub q: f64,
    pub rho: f64,
}

fn finite(name: &str, x: f64) -> Result<f64> {
    if x.is_nan() { Err(Error::input(format!("{name} is NaN"))) } else { Ok(x) }
}

/// Pre-trained direction for source data ratio `nu1` (f64::INFINITY = population loss), source
/// label noise `sigma_s`, target alignments alpha_s = b_s . b_t and alpha_g = g_hat . b_t (g_hat:
/// unit vector along the part of beta_hat orthogonal to b_s).
///
/// Derived (min-norm interpolation, noiseless): nu1 < 1: q = nu1,
/// rho = sqrt(nu1) alpha_s + sqrt(1 - nu1) alpha_g; nu1 >= 1 or population: q = 1, rho = alpha_s.
/// Derived here (source noise sigma_s): nu1 < 1: q = nu1 + sigma_s^2 nu1/(1 - nu1),
/// rho = (nu1 alpha_s + sqrt(q - nu1^2) alpha_g)/sqrt(q); nu1 > 1: q = 1 + sigma_s^2/(nu1 - 1),
/// rho = (alpha_s + sqrt(q - 1) alpha_g)/sqrt(q); population: noise averages out, q = 1, rho = alpha_s.
/// Refuses alpha_s^2 + alpha_g^2 > 1, nu1 <= 0, sigma_s < 0, NaN, and nu1 = 1 with noise (q diverges).
pub fn pretrained_direction(nu1: f64, sigma_s: f64, alpha_s: f64, alpha_g: f64) -> Result<Direction> {
    let (nu1, sigma_s) = (finite("nu1", nu1)?, finite("sigma_s", sigma_s)?);
    let (alpha_s, alpha_g) = (finite("alpha_s", alpha_s)?, finite("alpha_g", alpha_g)?);
    if nu1 <= 0.0 {
        return Err(Error::input(format!("nu1 = {nu1} must be positive (or inf)")));
    }
    if !(sigma_s >= 0.0 && sigma_s.is_finite()) {
        return Err(Error::input(format!("sigma_s = {sigma_s} must be finite and >= 0")));
    }
    if alpha_s * alpha_s + alpha_g * alpha_g > 1.0 + 1e-12 {
        return Err(Error::input(format!(
            "alpha_s^2 + alpha_g^2 = {} exceeds 1 (alpha_s = {alpha_s}, alpha_g = {alpha_g}): b_t would not be a unit vector",
            alpha_s * alpha_s + alpha_g * alpha_g
        )));
    }
    let s2 = sigma_s * sigma_s;
    if nu1.is_infinite() || (s2 == 0.0 && nu1 >= 1.0) {
        return Ok(Direction { q: 1.0, rho: alpha_s });
    }
    if nu1 == 1.0 {
        return Err(Error::input("nu1 = 1 with source noise: |beta_hat|^2 diverges (interpolation peak)"));
    }
    let (q, rho) = if nu1 < 1.0 {
        let q = nu1 + s2 * nu1 / (1.0 - nu1);
        (q, (nu1 * alpha_s + (q - nu1 * nu1).max(0.0).sqrt() * alpha_g) / q.sqrt())
    } else {
        let q = 1.0 + s2 / (nu1 - 1.0);
        (q, (alpha_s + (q - 1.0).sqrt() * alpha_g) / q.sqrt())
    };
    Ok(Direction { q, rho })
}

/// Kernel spike after pre-training with richness `gamma1` (derived, Lorentz identity):
/// M = I + chi r r^T with chi = sqrt(1 + gamma1^2 q) - 1, computed as gamma1^2 q/(sqrt(1 + gamma1^2 q) + 1)
/// to keep precision at small gamma1. gamma1 = inf gives chi = inf (for q > 0).
pub fn chi(gamma1: f64, q: f64) -> f64 {
    let s = gamma1 * gamma1 * q;
    if s.is_infinite() { f64::INFINITY } else { s / ((1.0 + s).sqrt() + 1.0) }
}

/// How the target task is fitted on the frozen kernel (gamma2 -> 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Variant {
    /// Readout reset and refit by ridgeless kernel regression with M.
    Readout,
    /// Readout refit by kernel ridge regression with M, ridge `lambda` > 0 (objective
    /// (1/P2) sum (y - f)^2 + lambda |f|_H^2).
    Ridge { lambda: f64 },
    /// Gradient descent on the reset readout for `steps` steps: no closed form known to us.
    EarlyStop { steps: u64 },
    /// Lazy training of all weights from the pre-trained state: ridgeless with kernel M + E[z^2] I.
    Ntk,
}

impl Variant {
    /// Name as used on the command line and by the observables.
    pub fn name(&self) -> &'static str {
        match self {
            Variant::Readout => "readout",
            Variant::Ridge { .. } => "ridge",
            Variant::EarlyStop { .. } => "early_stop",
            Variant::Ntk => "ntk",
        }
    }
}

/// Label-noise variance term of ridgeless regression: sigma^2 nu2/(1 - nu2) (nu2 < 1),
/// sigma^2/(nu2 - 1) (nu2 > 1); independent of the kernel.
fn ridgeless_noise(nu2: f64, sigma: f64) -> f64 {
    let s2 = sigma * sigma;
    if s2 == 0.0 {
        0.0
    } else if nu2 < 1.0 {
        s2 * nu2 / (1.0 - nu2)
    } else {
        s2 / (nu2 - 1.0)
    }
}

/// Ridgeless readout loss on the kernel I + chi r r^T (derived, exact as D -> infinity):
/// nu2 < 1: (1 - nu2)[(1 - rho^2) + rho^2/(1 + chi nu2)^2] + sigma^2 nu2/(1 - nu2);
/// nu2 > 1: sigma^2/(nu2 - 1); nu2 = 1: 0 without noise (the limit from both sides), refused with
/// noise (the interpolation peak diverges). chi = inf gives (1 - nu2)(1 - rho^2) + noise term.
pub fn readout_loss(nu2: f64, rho: f64, chi: f64, sigma: f64) -> Result<f64> {
    if nu2 == 1.0 && sigma != 0.0 {
        return Err(Error::input("nu2 = 1 with target noise: the ridgeless loss diverges (interpolation peak)"));
    }
    if nu2 >= 1.0 {
        return Ok(ridgeless_noise(nu2, sigma));
    }
    let r2 = rho * rho;
    let spike = if chi.is_infinite() { 0.0 } else { r2 / (1.0 + chi * nu2).powi(2) };
    Ok((1.0 - nu2) * ((1.0 - r2) + spike) + ridgeless_noise(nu2, sigma))
}

/// Positive root kappa of nu2 kappa^2 + kappa (nu2 a - nu2 lambda - a) - nu2 lambda a = 0, in the
/// cancellation-free form for either sign of the linear coefficient.
pub fn ridge_kappa(nu2: f64, a: f64, lambda: f64) -> f64 {
    let b = nu2 * a - nu2 * lambda - a;
    let c = nu2 * lambda * a;
    let disc = (b * b + 4.0 * nu2 * c).sqrt();
    if b <= 0.0 { (-b + disc) / (2.0 * nu2) } else { 2.0 * c / (b + disc) }
}

/// Ridge deterministic equivalent for the kernel a I + b r r^T (derived): with kappa from
/// [`ridge_kappa`] and den = 1 - a^2/(nu2 (a + kappa)^2),
/// L = kappa^2 [rho^2/(a + b + kappa)^2 + (1 - rho^2)/(a + kappa)^2]/den + sigma^2 (a^2/(nu2 (a + kappa)^2))/den.
/// b = inf drops the rho^2 term. Needs lambda > 0.
pub fn ridge_loss(nu2: f64, rho: f64, a: f64, b: f64, lambda: f64, sigma: f64) -> Result<f64> {
    if !(lambda > 0.0 && lambda.is_finite()) {
        return Err(Error::input(format!(
            "ridge lambda = {lambda} must be finite and > 0 (use readout for ridgeless)"
        )));
    }
    let k = ridge_kappa(nu2, a, lambda);
    let v = a * a / (nu2 * (a + k).powi(2));
    let den = 1.0 - v;
    if den <= 0.0 {
        return Err(Error::numerical(format!("ridge equivalent: 1 - a^2/(nu2 (a + kappa)^2) = {den} <= 0")));
    }
    let r2 = rho * rho;
    let spike = if b.is_infinite() { 0.0 } else { r2 / (a + b + k).powi(2) };
    Ok(k * k * (spike + (1.0 - r2) / (a + k).powi(2)) / den + sigma * sigma * v / den)
}

/// Target fine-tuning loss of `variant` on the kernel I + chi r r^T with target overlap rho.
/// ntk (derived from the readout formula): ridgeless with kernel M + E[z^2] I, E[z^2] = 1 + chi,
/// i.e. proportional to I + chi/(2 + chi) r r^T, so the readout formula with chi -> chi/(2 + chi)
/// (-> 1 as chi -> inf). early_stop: no closed form known to us (refused; simulate instead).
pub fn finetune_loss(variant: Variant, nu2: f64, rho: f64, chi: f64, sigma: f64) -> Result<f64> {
    for (name, x) in [("nu2", nu2), ("rho", rho), ("chi", chi), ("sigma", sigma)] {
        finite(name, x)?;
    }
    if !(nu2 > 0.0 && nu2.is_finite()) {
        return Err(Error::input(format!("nu2 = {nu2} must be finite and positive")));
    }
    if !(sigma >= 0.0 && sigma.is_finite()) {
        return Err(Error::input(format!("sigma = {sigma} must be finite and >= 0")));
    }
    if chi < 0.0 {
        return Err(Error::input(format!("chi = {chi} must be >= 0")));
    }
    match variant {
        Variant::Readout => readout_loss(nu2, rho, chi, sigma),
        Variant::Ridge { lambda } => ridge_loss(nu2, rho, 1.0, chi, lambda, sigma),
        Variant::Ntk => {
            let eff = if chi.is_infinite() { 1.0 } else { chi / (2.0 + chi) };
            readout_loss(nu2, rho, eff, sigma)
        }
        Variant::EarlyStop { .. } => {
            Err(Error::input("fine-tuning variant early_stop has no closed form known to tlcheck; use --simulate"))
        }
    }
}

/// A complete transfer setting: source (nu1, sigma_s), alignments, target (nu2, sigma), variant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transfer {
    pub nu1: f64,
    pub sigma_s: f64,
    pub alpha_s: f64,
    pub alpha_g: f64,
    pub nu2: f64,
    pub sigma: f64,
    pub variant: Variant,
}

impl Transfer {
    /// The pre-trained direction (q, rho) of this setting.
    pub fn direction(&self) -> Result<Direction> {
        pretrained_direction(self.nu1, self.sigma_s, self.alpha_s, self.alpha_g)
    }

    /// Transfer loss after pre-training with richness gamma1 >= 0 (gamma1 = inf: the rich limit).
    pub fn loss(&self, gamma1: f64) -> Result<f64> {
        if gamma1.is_nan() || gamma1 < 0.0 {
            return Err(Error::input(format!("gamma1 = {gamma1} must be >= 0")));
        }
        let dir = self.direction()?;
        finetune_loss(self.variant, self.nu2, dir.rho, chi(gamma1, dir.q), self.sigma)
    }

    /// Lazy baseline (gamma1 = 0, chi = 0): the isotropic kernel, independent of the source.
    pub fn lazy(&self) -> Result<f64> {
        self.loss(0.0)
    }

    /// Limit gamma1 -> infinity (chi -> infinity).
    pub fn infinite_richness(&self) -> Result<f64> {
        self.loss(f64::INFINITY)
    }

    /// Transfer gain lazy - loss at gamma1 (positive = pre-training helps).
    pub fn gain(&self, gamma1: f64) -> Result<f64> {
        Ok(self.lazy()? - self.loss(gamma1)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn chi_matches_reference_values() {
        for (g, want) in [(0.5, 0.118034), (1.0, 0.414214), (2.0, 1.236068), (4.0, 3.123106), (10.0, 9.049876)] {
            assert_abs_diff_eq!(chi(g, 1.0), want, epsilon = 1e-6);
        }
        assert_eq!(chi(f64::INFINITY, 0.3), f64::INFINITY);
        assert_abs_diff_eq!(chi(1e-9, 1.0), 5e-19, epsilon = 1e-30);
    }

    #[test]
    fn readout_matches_claim_2_reference_values() {
        for (alpha, g1, g4) in [(0.5, 0.460786, 0.394050), (0.8, 0.399613, 0.228769), (1.0, 0.343146, 0.076201)] {
            for (g, want) in [(1.0, g1), (4.0, g4)] {
                let got = finetune_loss(Variant::Readout, 0.5, alpha, chi(g, 1.0), 0.0).unwrap();
                assert_abs_diff_eq!(got, want, epsilon = 1e-6);
            }
        }
    }

    #[test]
    fn direction_formulas() {
        let d = pretrained_direction(0.3, 0.0, 0.6, 0.2).unwrap();
        assert_abs_diff_eq!(d.q, 0.3, epsilon = 1e-15);
        assert_abs_diff_eq!(d.rho, 0.3f64.sqrt() * 0.6 + 0.7f64.sqrt() * 0.2, epsilon = 1e-15);
        assert_eq!(pretrained_direction(f64::INFINITY, 1.0, 0.6, 0.2).unwrap(), Direction { q: 1.0, rho: 0.6 });
        assert_eq!(pretrained_direction(2.0, 0.0, 0.6, 0.2).unwrap(), Direction { q: 1.0, rho: 0.6 });
        // Noise only adds to the component orthogonal to b_s: q rho^2 <= q, and sigma_s -> 0 is continuous.
        let n = pretrained_direction(0.3, 1e-7, 0.6, 0.2).unwrap();
        assert_abs_diff_eq!(n.rho, d.rho, epsilon = 1e-9);
        let m = pretrained_direction(3.0, 1e-7, 0.6, 0.2).unwrap();
        assert_abs_diff_eq!(m.rho, 0.6, epsilon = 1e-6);
        assert!(pretrained_direction(0.3, 0.0, 0.9, 0.5).is_err());
        assert!(pretrained_direction(1.0, 0.1, 0.5, 0.0).is_err());
        assert!(pretrained_direction(f64::NAN, 0.0, 0.5, 0.0).is_err());
        assert!(pretrained_direction(0.5, 0.0, f64::NAN, 0.0).is_err());
    }

    #[test]
    fn ridge_tends_to_readout_as_lambda_vanishes() {
        for &(nu2, rho, chi, sigma) in &[(0.5, 0.7, 1.3, 0.0), (0.2, 0.3, 5.0, 0.4), (0.9, 1.0, 0.1, 0.2)] {
            let ridgeless = readout_loss(nu2, rho, chi, sigma).unwrap();
            let ridge = ridge_loss(nu2, rho, 1.0, chi, 1e-9, sigma).unwrap();
            assert_abs_diff_eq!(ridge, ridgeless, epsilon = 1e-6);
        }
    }

    /// Marchenko-Pastur Stieltjes transform at z = -lambda for ratio g = D/P, unit variance.
    fn mp_stieltjes(g: f64, lambda: f64) -> f64 {
        let b = 1.0 - g + lambda;
        (-b + (b * b + 4.0 * g * lambda).sqrt()) / (2.0 * g * lambda)
    }

    /// With b = 0 the ridge equivalent is the isotropic ridge learning curve of Hastie, Montanari,
    /// Rosset, Tibshirani (2022, Thm 5): bias lambda^2 m'(-lambda), variance
    /// sigma^2 g (m(-lambda) - lambda m'(-lambda)), m the Marchenko-Pastur Stieltjes transform.
    #[test]
    fn ridge_without_spike_is_the_isotropic_ridge_curve() {
        for &(nu2, lambda, sigma) in &[(0.5, 0.1, 0.0), (2.0, 0.3, 0.5), (1.0, 0.05, 0.3), (0.3, 2.0, 1.0)] {
            let g = 1.0 / nu2;
            let h = 1e-5 * lambda;
            let dm = -(mp_stieltjes(g, lambda + h) - mp_stieltjes(g, lambda - h)) / (2.0 * h);
            let m = mp_stieltjes(g, lambda);
            let want = lambda * lambda * dm + sigma * sigma * g * (m - lambda * dm);
            let got = ridge_loss(nu2, 0.4, 1.0, 0.0, lambda, sigma).unwrap();
            assert_abs_diff_eq!(got, want, epsilon = 1e-7);
        }
    }

    #[test]
    fn limits_and_lazy_baseline() {
        let t = Transfer {
            nu1: 0.4,
            sigma_s: 0.0,
            alpha_s: 0.7,
            alpha_g: 0.1,
            nu2: 0.5,
            sigma: 0.2,
            variant: Variant::Readout,
        };
        let rho = t.direction().unwrap().rho;
        let noise = 0.04 * 0.5 / 0.5;
        assert_abs_diff_eq!(t.lazy().unwrap(), 0.5 + noise, epsilon = 1e-15);
        assert_abs_diff_eq!(t.infinite_richness().unwrap(), 0.5 * (1.0 - rho * rho) + noise, epsilon = 1e-15);
        assert_abs_diff_eq!(t.loss(1e6).unwrap(), t.infinite_richness().unwrap(), epsilon = 1e-9);
        let ntk = Transfer { variant: Variant::Ntk, ..t };
        assert_abs_diff_eq!(
            ntk.infinite_richness().unwrap(),
            readout_loss(0.5, rho, 1.0, 0.2).unwrap(),
            epsilon = 1e-15
        );
        assert_abs_diff_eq!(ntk.loss(1e9).unwrap(), ntk.infinite_richness().unwrap(), epsilon = 1e-9);
        let ridge = Transfer { variant: Variant::Ridge { lambda: 0.1 }, ..t };
        assert_abs_diff_eq!(ridge.loss(1e7).unwrap(), ridge.infinite_richness().unwrap(), epsilon = 1e-9);
        assert!(ridge.lazy().unwrap() > ridge.infinite_richness().unwrap());
        let early = Transfer { variant: Variant::EarlyStop { steps: 10 }, ..t };
        assert!(early.loss(1.0).unwrap_err().to_string().contains("--simulate"));
        let peak = Transfer { nu2: 1.0, ..t };
        assert!(peak.loss(1.0).is_err());
        assert_eq!(Transfer { nu2: 1.0, sigma: 0.0, ..t }.loss(1.0).unwrap(), 0.0);
        assert!(t.loss(f64::NAN).is_err());
    }
}
