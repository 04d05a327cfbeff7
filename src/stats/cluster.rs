//! Intervals for groups in which questions have several samples (SPEC §4e): samples of one
//! question are not independent, so the bootstrap resamples whole questions and the standard
//! error is clustered by question.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{clip01, ppi, summarise, GroupStats};

/// The statistics of a group whose scores come in clusters: `values[i]` belongs to cluster
/// `clusters[i]` (a question). The score is the plain mean of all values, exactly as
/// [`bootstrap`](super::bootstrap) gives it; each resample draws as many clusters as there are,
/// with replacement, and takes the mean of all their values. `se_clustered` is set.
pub fn bootstrap_clustered(
    values: &[f64],
    clusters: &[u32],
    seed: u64,
    resamples: usize,
) -> Option<(GroupStats, Vec<f64>)> {
    if values.is_empty() || values.len() != clusters.len() {
        return None;
    }
    let n = values.len();
    let mut sorted = values.to_vec();
    super::sort_f64(&mut sorted);
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let score = clip01(mean);
    // The values grouped by cluster, sorted within each, in cluster order, so nothing depends on
    // the input order; then (sum, count) per cluster.
    let mut pairs: Vec<(u32, f64)> = clusters
        .iter()
        .copied()
        .zip(values.iter().copied())
        .collect();
    super::sort_by_cluster(&mut pairs);
    let mut grouped = Vec::with_capacity(n);
    let mut starts = Vec::new();
    for (k, &(c, v)) in pairs.iter().enumerate() {
        if k == 0 || c != pairs[k - 1].0 {
            starts.push(k);
        }
        grouped.push(v);
    }
    starts.push(n);
    let groups: Vec<&[f64]> = starts.windows(2).map(|w| &grouped[w[0]..w[1]]).collect();
    let parts: Vec<(f64, f64)> = groups
        .iter()
        .map(|c| (c.iter().sum(), c.len() as f64))
        .collect();
    let g = parts.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means = Vec::with_capacity(resamples);
    // The clusters are drawn a block at a time and summed afterwards, in the order drawn: the
    // sums then stay in registers instead of being kept in memory across the generator's refills
    // (the additions, and so every mean, are the same as drawing and adding one by one).
    const BLOCK: usize = 256;
    let mut drawn = [0usize; BLOCK];
    for _ in 0..resamples {
        let (mut sum, mut count) = (0.0, 0.0);
        let mut left = g;
        while left > 0 {
            let k = left.min(BLOCK);
            for d in &mut drawn[..k] {
                *d = rng.random_range(0..g);
            }
            (sum, count) = add_drawn(&parts, &drawn[..k], sum, count);
            left -= k;
        }
        means.push(clip01(sum / count));
    }
    let (mut stats, means) = summarise(score, n, means);
    stats.se_clustered = ppi::clustered_se_about(&groups, mean);
    Some((stats, means))
}

/// `sum` and `count` plus the parts drawn, in the order drawn. Kept out of line so that the
/// running sums stay in registers (inlined, they were kept in memory, a store and a load on
/// every addition).
#[inline(never)]
fn add_drawn(parts: &[(f64, f64)], drawn: &[usize], mut sum: f64, mut count: f64) -> (f64, f64) {
    for &j in drawn {
        let (s, c) = parts[j];
        sum += s;
        count += c;
    }
    (sum, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_cluster_matches_plain_standard_error() {
        // Scores 0, 0.5, 1, 1 in four questions: mean 0.625, sample variance
        // ((0.625)² + (0.125)² + 2·(0.375)²)/3 = 0.6875/3, so SE = √(0.6875/3)/2.
        let v = [0.0, 0.5, 1.0, 1.0];
        let (s, _) = bootstrap_clustered(&v, &[0, 1, 2, 3], 7, 200).unwrap();
        assert_eq!(s.score, 0.625);
        let se = (0.6875f64 / 3.0).sqrt() / 2.0;
        assert!((s.se_clustered.unwrap() - se).abs() < 1e-12);
    }

    #[test]
    fn identical_samples_do_not_shrink_the_interval() {
        // Ten questions, each answered the same way five times: the data hold the information
        // of ten answers, not fifty, and the clustered SE says so.
        let per_q = [0.0, 1.0, 0.5, 1.0, 0.0, 0.25, 1.0, 0.75, 0.0, 1.0];
        let mut v = Vec::new();
        let mut c = Vec::new();
        for (q, &x) in per_q.iter().enumerate() {
            for _ in 0..5 {
                v.push(x);
                c.push(q as u32);
            }
        }
        let (s, _) = bootstrap_clustered(&v, &c, 11, 2000).unwrap();
        let g = per_q.len() as f64;
        let m = per_q.iter().sum::<f64>() / g;
        // Sandwich: (G/(G−1)) Σ_g (Σ_i (x − m))² / n², with each cluster sum 5(x_g − m).
        let n = v.len() as f64;
        let sandwich = g / (g - 1.0) * per_q.iter().map(|x| (5.0 * (x - m)).powi(2)).sum::<f64>();
        let expected = sandwich.sqrt() / n;
        assert!((s.se_clustered.unwrap() - expected).abs() < 1e-12);
        // The naive SE over 50 answers would be about √5 times smaller; the clustered bootstrap
        // std must be near the clustered SE, not the naive one.
        let naive = {
            let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
            (var / n).sqrt()
        };
        assert!(
            s.bootstrap_std > 1.8 * naive,
            "{} vs {}",
            s.bootstrap_std,
            naive
        );
        assert!((s.bootstrap_std - expected).abs() < 0.2 * expected);
    }

    #[test]
    fn order_does_not_matter() {
        let v = [0.1, 0.9, 0.4, 0.4, 1.0, 0.0];
        let c = [1, 2, 1, 3, 2, 3];
        let a = bootstrap_clustered(&v, &c, 5, 100).unwrap();
        let (v2, c2): (Vec<f64>, Vec<u32>) =
            v.iter().zip(c.iter()).rev().map(|(a, b)| (*a, *b)).unzip();
        let b = bootstrap_clustered(&v2, &c2, 5, 100).unwrap();
        assert_eq!(a.0, b.0);
    }
}
