//! Existence of a pair of opposite signs at equal key.
//!
//! Points are grouped by equal key (relative difference at most 1e-6, so keys may be given to seven
//! digits). The claim is exhibited when one group holds a point with z = mean/se > z_c and one with
//! z < -z_c, z_c = z_{1 - alpha/n} the one-sided Bonferroni critical value over the n points: the
//! probability of exhibiting a pair when no output is of the claimed sign is at most alpha.

use std::collections::BTreeMap;

use crate::stats::Estimate;

/// The z of a point's mean; ±inf (or NaN at 0) when exactly measured.
pub fn z_of(est: Estimate) -> f64 {
    if est.se > 0.0 { est.mean / est.se } else { est.mean.signum() * f64::INFINITY }
}

/// Groups of points of equal key, by first member, each in point order.
pub fn key_groups(keys: &[f64]) -> Vec<Vec<usize>> {
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..keys.len() {
        let g = (0..=i).find(|&j| (keys[j] - keys[i]).abs() <= 1e-6 * keys[i].abs().max(1e-300)).unwrap_or(i);
        groups.entry(g).or_default().push(i);
    }
    groups.into_values().collect()
}

/// The first group (in order) with a significantly positive and a significantly negative point:
/// (most positive, most negative) indices.
pub fn exhibit(zs: &[f64], groups: &[Vec<usize>], z_crit: f64) -> Option<(usize, usize)> {
    groups.iter().find_map(|members| {
        let pos = members.iter().copied().filter(|&i| zs[i] > z_crit).max_by(|&a, &b| zs[a].total_cmp(&zs[b]));
        let neg = members.iter().copied().filter(|&i| zs[i] < -z_crit).min_by(|&a, &b| zs[a].total_cmp(&zs[b]));
        pos.zip(neg)
    })
}

/// Whether every group is shown one-signed: all its points significantly positive, or all
/// significantly negative, each at one-sided level alpha / 2 (`z_half` = z_{1 - alpha/2}). If a group
/// truly holds a positive and a negative point, one of them passes the opposite test with
/// probability at most alpha / 2, so a true claim is refuted with probability at most alpha (an
/// intersection-union test over the groups needs no multiplicity correction).
pub fn one_signed(zs: &[f64], groups: &[Vec<usize>], z_half: f64) -> bool {
    groups.iter().all(|members| members.iter().all(|&i| zs[i] > z_half) || members.iter().all(|&i| zs[i] < -z_half))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_shown_one_signed() {
        let groups = vec![vec![0, 1], vec![2]];
        assert!(one_signed(&[3.0, 4.0, -5.0], &groups, 2.5));
        assert!(!one_signed(&[3.0, 1.0, -5.0], &groups, 2.5));
    }

    #[test]
    fn keys_group_to_seven_digits() {
        assert_eq!(key_groups(&[1.0, 2.0, 1.0000001, 2.1]), vec![vec![0, 2], vec![1], vec![3]]);
    }

    #[test]
    fn a_pair_needs_both_signs_in_one_group() {
        let groups = vec![vec![0, 1], vec![2, 3]];
        assert_eq!(exhibit(&[3.0, 1.0, 4.0, -3.5], &groups, 2.5), Some((2, 3)));
        assert_eq!(exhibit(&[3.0, -1.0, 4.0, 2.0], &groups, 2.5), None);
        assert_eq!(z_of(Estimate { mean: -1.0, se: 0.0, trials: 2 }), f64::NEG_INFINITY);
    }
}
