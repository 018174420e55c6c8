//! Reproducible randomness: every trial gets its own generator derived from (seed, stream, index),
//! so results are identical for any thread count and any scheduling order.

use rand::SeedableRng;

/// The generator used for all simulations (xoshiro256++, fast and portable).
pub type Rng = rand::rngs::Xoshiro256PlusPlus;

/// SplitMix64 finaliser: a bijective mixer with good avalanche, used to derive seeds.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Derives a child seed from a parent seed and a list of indices (grid point, size, trial, ...).
pub fn derive(seed: u64, path: &[u64]) -> u64 {
    path.iter().fold(mix(seed), |acc, &i| mix(acc ^ mix(i)))
}

/// Derives a seed from a parent seed and a label (e.g. a claim id), stable across runs.
pub fn derive_label(seed: u64, label: &str) -> u64 {
    // FNV-1a over the bytes, then mixed with the parent.
    let h = label.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    derive(seed, &[h])
}

/// The generator for one trial.
pub fn trial_rng(seed: u64, trial: u64) -> Rng {
    Rng::seed_from_u64(derive(seed, &[trial]))
}
