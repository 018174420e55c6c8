//! Tahir et al. (arXiv 2410.08194 v2): asymptotic risks and transferability of deep linear networks
//! (n = gamma d target samples, d -> infinity, unit teachers at angle theta, label noise sigma).
//! Every formula here is printed in the paper; the theorem files `tahir2025.*` check them.

use std::f64::consts::FRAC_PI_3;

/// Transfer procedure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Procedure {
    /// Linear transfer: last layer refit (ridge lambda) on frozen pre-trained features.
    LinearTransfer,
    /// Fine-tuning all layers from the pre-trained network.
    FineTuning,
}

impl Procedure {
    /// The observable's name of the procedure (`lt`, `ft`).
    pub fn name(self) -> &'static str {
        match self {
            Procedure::LinearTransfer => "lt",
            Procedure::FineTuning => "ft",
        }
    }
}

/// Asymptotic scratch risk (printed, eq. 8):
/// R_sc = (1 - gamma) + sigma^2 gamma/(1 - gamma) for gamma < 1 (min-norm interpolator),
/// R_sc = sigma^2/(gamma - 1) for gamma > 1 (least squares); at gamma = 1 it is 0 without noise
/// and infinite with noise (interpolation peak).
pub fn scratch_risk(gamma: f64, sigma: f64) -> f64 {
    let s2 = sigma * sigma;
    if gamma < 1.0 {
        (1.0 - gamma) + s2 * gamma / (1.0 - gamma)
    } else if gamma > 1.0 {
        s2 / (gamma - 1.0)
    } else if s2 == 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// Asymptotic risk of linear transfer with ridge lambda on the head (printed, n -> infinity):
/// R_lt = 1 - (1 + 2 lambda) cos^2 theta/(1 + lambda)^2; at lambda = 0 it is sin^2 theta.
pub fn linear_transfer_risk(theta: f64, lambda: f64) -> f64 {
    let c2 = theta.cos().powi(2);
    1.0 - (1.0 + 2.0 * lambda) * c2 / (1.0 + lambda).powi(2)
}

/// Transferability T = scratch risk - transfer risk (T > 0: transfer helps), printed:
/// linear transfer T_lt = R_sc(gamma, sigma) - R_lt(theta, lambda) (`lambda` is ignored by
/// fine-tuning); fine-tuning T_ft = (1 - gamma)(2 cos theta - 1) for gamma <= 1, independent of
/// sigma (eq. 15), and 0 for gamma > 1.
pub fn transferability(procedure: Procedure, theta: f64, gamma: f64, sigma: f64, lambda: f64) -> f64 {
    match procedure {
        Procedure::LinearTransfer => scratch_risk(gamma, sigma) - linear_transfer_risk(theta, lambda),
        Procedure::FineTuning => {
            if gamma <= 1.0 {
                (1.0 - gamma) * (2.0 * theta.cos() - 1.0)
            } else {
                0.0
            }
        }
    }
}

/// The printed gamma < 1 phase boundary of linear transfer at lambda = 0, (gamma_+, gamma_-) in the
/// printed order: gamma_+- = (1/2)[b +- sqrt(b^2 - 4 cos^2 theta)] with b = 1 + cos^2 theta - sigma^2,
/// the roots of gamma^2 - b gamma + cos^2 theta = 0, i.e. of (1 - gamma) T_lt = 0. NaN where b^2 <
/// 4 cos^2 theta (no real boundary); at sigma = 0 they are 1 and cos^2 theta.
pub fn lt_boundary(theta: f64, sigma: f64) -> (f64, f64) {
    let c2 = theta.cos().powi(2);
    let b = 1.0 + c2 - sigma * sigma;
    let root = |sign: f64| 0.5 * (b + sign * (b * b - 4.0 * c2).sqrt());
    (root(1.0), root(-1.0))
}

/// The printed gamma > 1 phase boundary of linear transfer at lambda = 0: T_lt < 0 iff
/// gamma > 1 + sigma^2/sin^2 theta (where sigma^2/(gamma - 1) = sin^2 theta).
pub fn lt_noise_boundary(theta: f64, sigma: f64) -> f64 {
    1.0 + sigma * sigma / theta.sin().powi(2)
}

/// The printed break-even angle of fine-tuning, theta = pi/3 (2 cos theta = 1) for every gamma < 1.
pub const FT_BREAK_EVEN: f64 = FRAC_PI_3;

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::FRAC_PI_2;

    #[test]
    fn scratch_risk_by_hand() {
        assert_eq!(scratch_risk(0.5, 0.0), 0.5);
        // (1 - 0.5) + 1 * 0.5/0.5 = 1.5; 0.25/(2 - 1) = 0.25.
        assert!((scratch_risk(0.5, 1.0) - 1.5).abs() < 1e-15);
        assert!((scratch_risk(2.0, 0.5) - 0.25).abs() < 1e-15);
        assert_eq!(scratch_risk(1.0, 0.0), 0.0);
        assert_eq!(scratch_risk(1.0, 0.1), f64::INFINITY);
    }

    #[test]
    fn linear_transfer_risk_special_cases() {
        // lambda = 0: sin^2 theta; aligned teachers transfer perfectly, orthogonal ones not at all.
        for theta in [0.0, 0.3, 1.0, FRAC_PI_2] {
            assert!((linear_transfer_risk(theta, 0.0) - theta.sin().powi(2)).abs() < 1e-15);
        }
        // lambda = 1, theta = 0: 1 - 3/4.
        assert!((linear_transfer_risk(0.0, 1.0) - 0.25).abs() < 1e-15);
    }

    #[test]
    fn transferability_by_hand() {
        // gamma = 0.5, sigma = 0, theta = 0: T_lt = 0.5 - 0.
        assert!((transferability(Procedure::LinearTransfer, 0.0, 0.5, 0.0, 0.0) - 0.5).abs() < 1e-15);
        // T_ft = (1 - 0.25)(2 - 1) at theta = 0, zero at the break-even angle and above gamma = 1.
        assert!((transferability(Procedure::FineTuning, 0.0, 0.25, 3.0, 0.0) - 0.75).abs() < 1e-15);
        assert!(transferability(Procedure::FineTuning, FT_BREAK_EVEN, 0.4, 0.0, 0.0).abs() < 1e-15);
        assert_eq!(transferability(Procedure::FineTuning, 0.1, 1.5, 0.0, 0.0), 0.0);
    }

    #[test]
    fn printed_boundaries_are_zeros_of_the_transferability() {
        for (theta, sigma) in [(0.3, 0.0), (0.7, 0.2), (1.2, 0.1), (0.5, 0.4)] {
            let (plus, minus) = lt_boundary(theta, sigma);
            for g in [plus, minus] {
                if g.is_finite() && g < 1.0 {
                    let t = transferability(Procedure::LinearTransfer, theta, g, sigma, 0.0);
                    assert!(t.abs() < 1e-12, "theta {theta}, sigma {sigma}, gamma {g}: T = {t}");
                }
            }
            if sigma > 0.0 {
                let g = lt_noise_boundary(theta, sigma);
                assert!(transferability(Procedure::LinearTransfer, theta, g, sigma, 0.0).abs() < 1e-12);
            }
        }
        // sigma = 0: the boundaries are 1 and cos^2 theta.
        let (plus, minus) = lt_boundary(0.6, 0.0);
        assert!((plus - 1.0).abs() < 1e-15 && (minus - 0.6f64.cos().powi(2)).abs() < 1e-15);
    }
}
