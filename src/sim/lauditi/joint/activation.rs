//! Activations phi of the two-layer network and their derivatives.

use crate::error::{Error, Result};

/// The hidden-layer nonlinearity phi.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phi {
    /// phi(h) = h: the linear network of the foundation.
    Identity,
    /// phi(h) = max(h, 0), phi'(h) = 1 for h > 0, else 0.
    Relu,
    /// phi(h) = tanh(h), phi'(h) = 1 - tanh(h)^2.
    Tanh,
}

impl Phi {
    /// Parses `identity`, `relu` or `tanh`.
    pub fn parse(name: &str) -> Result<Phi> {
        match name {
            "identity" => Ok(Phi::Identity),
            "relu" => Ok(Phi::Relu),
            "tanh" => Ok(Phi::Tanh),
            other => Err(Error::input(format!("unknown activation `{other}`; known: identity, relu, tanh"))),
        }
    }

    /// phi(h).
    #[inline]
    pub fn value(self, h: f64) -> f64 {
        match self {
            Phi::Identity => h,
            Phi::Relu => h.max(0.0),
            Phi::Tanh => h.tanh(),
        }
    }

    /// phi'(h).
    #[inline]
    pub fn slope(self, h: f64) -> f64 {
        match self {
            Phi::Identity => 1.0,
            Phi::Relu => {
                if h > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Phi::Tanh => {
                let t = h.tanh();
                1.0 - t * t
            }
        }
    }
}
