//! Group statistics (SPEC §4): clipped mean, seeded bootstrap standard deviation and 95%
//! percentile interval, as simple-evals' HealthBench computes them.
//!
//! A resample with replacement of n scores is fully described by how often each distinct score
//! is drawn, and those counts follow a multinomial distribution. Rubric scores take few distinct
//! values (ratios of small integer sums), so when a group has many more scores than distinct
//! values the bootstrap draws the counts (one binomial per distinct value) instead of n indices:
//! the same distribution of resample means at a fraction of the cost. Otherwise it resamples
//! indices directly. Values are sorted first, so the result never depends on input order.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use serde::{Deserialize, Serialize};

/// Number of bootstrap resamples (simple-evals uses 1000).
pub const RESAMPLES: usize = 1000;

/// The base seed; each group mixes in its own name so groups are independent but reproducible.
pub const SEED: u64 = 0x6b61_7361_7574_6921;

/// Statistics of one group of answer scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    /// Mean of the answer scores, clipped to [0, 1].
    pub score: f64,
    pub n: usize,
    /// Population standard deviation of the clipped means of the bootstrap resamples.
    pub bootstrap_std: f64,
    /// 2.5th and 97.5th percentiles of the bootstrap means.
    pub ci95: [f64; 2],
}

/// Clips to [0, 1].
pub fn clip01(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

/// A stable 64-bit hash (FNV-1a) of a group's name, for its seed.
pub fn seed_for(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ SEED
}

/// Linear-interpolated percentile of sorted values (numpy's default method).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = (sorted.len() - 1) as f64 * p / 100.0;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// Population standard deviation.
pub fn population_std(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
}

/// Summarises bootstrap means (already clipped) into std and interval.
pub fn summarise(score: f64, n: usize, mut means: Vec<f64>) -> (GroupStats, Vec<f64>) {
    let std = population_std(&means);
    let order = {
        let mut m = means.clone();
        m.sort_by(f64::total_cmp);
        m
    };
    let ci95 = [percentile(&order, 2.5), percentile(&order, 97.5)];
    means.shrink_to_fit();
    (
        GroupStats {
            score,
            n,
            bootstrap_std: std,
            ci95,
        },
        means,
    )
}

/// Computes a group's statistics with `resamples` bootstrap resamples seeded by `seed`.
/// Returns the statistics and the resample means (in resample order, for stratified combinations
/// such as the macro average over languages). `values` is sorted in place.
pub fn bootstrap(
    values: &mut [f64],
    seed: u64,
    resamples: usize,
) -> Option<(GroupStats, Vec<f64>)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let score = clip01(mean);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut distinct: Vec<(f64, u64)> = Vec::new();
    for &v in values.iter() {
        match distinct.last_mut() {
            Some((last, c)) if *last == v => *c += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let mut means = Vec::with_capacity(resamples);
    if distinct.len() * 24 < n {
        for _ in 0..resamples {
            let mut remaining = n as u64;
            let mut weight = n as u64;
            let mut sum = 0.0;
            for (i, &(v, c)) in distinct.iter().enumerate() {
                if remaining == 0 {
                    break;
                }
                let k = if i + 1 == distinct.len() || c >= weight {
                    remaining
                } else {
                    // p < 1 here, and remaining > 0, so the distribution is valid.
                    match Binomial::new(remaining, c as f64 / weight as f64) {
                        Ok(b) => b.sample(&mut rng),
                        Err(_) => remaining,
                    }
                };
                sum += v * k as f64;
                remaining -= k;
                weight -= c;
            }
            means.push(clip01(sum / n as f64));
        }
    } else {
        for _ in 0..resamples {
            let mut sum = 0.0;
            for _ in 0..n {
                sum += values[rng.random_range(0..n)];
            }
            means.push(clip01(sum / n as f64));
        }
    }
    Some(summarise(score, n, means))
}

/// The stratified combination of several groups' bootstraps: resample i of the result is the mean
/// of resample i of each group (each group weighs the same, as the macro average does).
pub fn combine_equal(groups: &[(&GroupStats, &[f64])]) -> Option<GroupStats> {
    if groups.is_empty() {
        return None;
    }
    let k = groups.len() as f64;
    let score = groups.iter().map(|(g, _)| g.score).sum::<f64>() / k;
    let r = groups.iter().map(|(_, m)| m.len()).min().unwrap_or(0);
    let means: Vec<f64> = (0..r)
        .map(|i| groups.iter().map(|(_, m)| m[i]).sum::<f64>() / k)
        .collect();
    let n = groups.len();
    Some(summarise(score, n, means).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy() {
        // numpy.percentile(range(1000), 2.5) == 24.975
        let xs: Vec<f64> = (0..1000).map(|x| x as f64).collect();
        assert!((percentile(&xs, 2.5) - 24.975).abs() < 1e-9);
        assert!((percentile(&xs, 97.5) - 974.025).abs() < 1e-9);
    }

    #[test]
    fn single_value_has_no_spread() {
        let (g, _) = bootstrap(&mut [0.5], 1, 100).unwrap();
        assert_eq!(
            (g.score, g.n, g.bootstrap_std, g.ci95),
            (0.5, 1, 0.0, [0.5, 0.5])
        );
    }

    #[test]
    fn both_methods_agree_with_the_standard_error() {
        // Bernoulli(0.3) scores: the std of the mean is sqrt(p(1-p)/n).
        for n in [200usize, 5000] {
            let mut v: Vec<f64> = (0..n).map(|i| if i % 10 < 3 { 1.0 } else { 0.0 }).collect();
            let (g, _) = bootstrap(&mut v, 7, 2000).unwrap();
            let expected = (0.3f64 * 0.7 / n as f64).sqrt();
            assert!(
                (g.bootstrap_std / expected - 1.0).abs() < 0.1,
                "n={n}: {} vs {expected}",
                g.bootstrap_std
            );
        }
        // Many distinct values take the direct path.
        let mut v: Vec<f64> = (0..300).map(|i| i as f64 / 300.0).collect();
        let sd = population_std(&v) / (300f64).sqrt();
        let (g, _) = bootstrap(&mut v, 3, 2000).unwrap();
        assert!((g.bootstrap_std / sd - 1.0).abs() < 0.1);
    }

    #[test]
    fn clipping_applies_to_means_not_answers() {
        let (g, _) = bootstrap(&mut [1.5, -0.5, 1.5], 1, 50).unwrap();
        assert!((g.score - clip01(2.5 / 3.0)).abs() < 1e-12);
        let (g, _) = bootstrap(&mut [1.5, 1.2], 1, 50).unwrap();
        assert_eq!(g.score, 1.0);
        assert!(g.ci95[1] <= 1.0);
    }
}
