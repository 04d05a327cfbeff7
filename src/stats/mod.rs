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
use rand_distr::{Binomial, Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

pub mod agreement;
mod cluster;
pub mod compare;
pub mod jury;
pub mod ppi;
mod sort;
mod tokens;

pub use sort::{sort_by_cluster, sort_f64};

pub use cluster::bootstrap_clustered;
pub use tokens::{TokenCount, Tokens};

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
    /// Share of the group's answers written in the asked language (SPEC §4c); absent when no
    /// answer's language is known (recorded verdicts, runs from before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_fidelity: Option<f64>,
    /// The standard error of `score` clustered by question (SPEC §4e), present when some
    /// question has several samples in the group; the bootstrap then resamples questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se_clustered: Option<f64>,
    /// The score corrected with human labels (SPEC §4e), when the group has enough of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected: Option<ppi::Corrected>,
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
        m.sort_unstable_by(f64::total_cmp);
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
            language_fidelity: None,
            se_clustered: None,
            corrected: None,
        },
        means,
    )
}

/// xoshiro256++ (Blackman and Vigna): the generator for direct resampling, where a draw must
/// cost about a nanosecond. Seeded from the group's ChaCha stream, so results stay reproducible.
/// Indices come from 32-bit halves by multiply-shift; the bias, at most n / 2^32, is far below
/// anything a bootstrap can show (groups here have at most a few thousand scores).
struct Xoshiro256pp([u64; 4]);

impl Xoshiro256pp {
    fn from_rng(rng: &mut ChaCha8Rng) -> Self {
        let mut s = [0u64; 4];
        for x in s.iter_mut() {
            *x = rng.random::<u64>();
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Xoshiro256pp(s)
    }

    #[inline]
    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let result = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

/// Below this many answers a group is resampled directly: a resample costs n draws (a few ns
/// each), against 16 binomials (about half a microsecond each) for strata, which break even
/// near this size.
const DIRECT_MAX: usize = 2000;
/// Most distinct scores for which counting each one is cheaper than strata (one binomial each).
const DISTINCT_MAX: usize = 32;
/// Strata for large groups with many distinct scores.
const STRATA: usize = 16;

/// How a group's resamples are drawn; every method draws from the same bootstrap distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// n uniform draws with replacement.
    Direct,
    /// Multinomial counts of each distinct score (exact; cheap when scores repeat).
    Distinct,
    /// Multinomial counts of equal-size strata of the sorted scores, and each stratum's sum of
    /// its drawn scores from the normal law with that stratum's exact mean and variance. The
    /// strata are runs of the sorted scores, so the within-stratum part is a tiny share of the
    /// variance, and each stratum receives about n/16 draws (over 125): the normal approximation
    /// of that small part is far inside the bootstrap's own Monte Carlo noise.
    Strata,
}

/// Picks the cheapest method for a group: a binomial costs about as much as 40 direct draws, and
/// strata take 16 of them per resample.
pub fn method_for(n: usize, distinct: usize) -> Method {
    if distinct <= DISTINCT_MAX && distinct * 40 < n {
        Method::Distinct
    } else if n <= DIRECT_MAX {
        Method::Direct
    } else {
        Method::Strata
    }
}

/// Variance from which a binomial is drawn from its normal limit: its skewness is then at most
/// 0.02, far below what 1000 resamples can see, and the draw costs a few nanoseconds instead of
/// the half microsecond of an exact one.
const NORMAL_BINOMIAL_VARIANCE: f64 = 2500.0;

/// A Binomial(n, p) draw (0 < p < 1).
fn binomial(rng: &mut ChaCha8Rng, n: u64, p: f64) -> u64 {
    let mean = n as f64 * p;
    let var = mean * (1.0 - p);
    if var >= NORMAL_BINOMIAL_VARIANCE {
        let z: f64 = StandardNormal.sample(rng);
        return (mean + z * var.sqrt()).round().clamp(0.0, n as f64) as u64;
    }
    match Binomial::new(n, p) {
        Ok(b) => b.sample(rng),
        Err(_) => (mean.round() as u64).min(n),
    }
}

/// Draws multinomial counts over `weights` (summing to `n`), calling `f(i, count)` for each.
fn multinomial(
    rng: &mut ChaCha8Rng,
    n: u64,
    weights: impl ExactSizeIterator<Item = u64>,
    mut f: impl FnMut(usize, u64),
) {
    let len = weights.len();
    let mut remaining = n;
    let mut weight = n;
    for (i, c) in weights.enumerate() {
        if remaining == 0 {
            break;
        }
        let k = if i + 1 == len || c >= weight {
            remaining
        } else {
            binomial(rng, remaining, c as f64 / weight as f64)
        };
        f(i, k);
        remaining -= k;
        weight -= c;
    }
}

/// Computes a group's statistics with `resamples` bootstrap resamples seeded by `seed`.
/// Returns the statistics and the resample means (in resample order, for stratified combinations
/// such as the macro average over languages). `values` is sorted in place, so the result never
/// depends on the input order.
pub fn bootstrap(
    values: &mut [f64],
    seed: u64,
    resamples: usize,
) -> Option<(GroupStats, Vec<f64>)> {
    if values.is_empty() {
        return None;
    }
    sort_f64(values);
    let mut distinct: Vec<(f64, u64)> = Vec::new();
    for &v in values.iter() {
        match distinct.last_mut() {
            Some((last, c)) if *last == v => *c += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let method = method_for(values.len(), distinct.len());
    bootstrap_with(values, &distinct, seed, resamples, method)
}

/// The bootstrap with a chosen method (`values` sorted, `distinct` its runs).
pub fn bootstrap_with(
    values: &[f64],
    distinct: &[(f64, u64)],
    seed: u64,
    resamples: usize,
    method: Method,
) -> Option<(GroupStats, Vec<f64>)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let nf = n as f64;
    // Summing the sorted values makes the mean independent of input order, to the last bit.
    let score = clip01(values.iter().sum::<f64>() / nf);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means = Vec::with_capacity(resamples);
    match method {
        Method::Direct => {
            let mut fast = Xoshiro256pp::from_rng(&mut rng);
            let n32 = n as u64;
            for _ in 0..resamples {
                // Two indices per 64-bit word, by multiply-shift, and four running sums: a single
                // sum makes every draw wait for the previous addition.
                let mut part = [0.0f64; 4];
                for _ in 0..n / 4 {
                    let (a, b) = (fast.next(), fast.next());
                    part[0] += values[(((a & 0xffff_ffff) * n32) >> 32) as usize];
                    part[1] += values[(((a >> 32) * n32) >> 32) as usize];
                    part[2] += values[(((b & 0xffff_ffff) * n32) >> 32) as usize];
                    part[3] += values[(((b >> 32) * n32) >> 32) as usize];
                }
                for _ in 0..n % 4 {
                    part[0] += values[(((fast.next() >> 32) * n32) >> 32) as usize];
                }
                means.push(clip01(((part[0] + part[1]) + (part[2] + part[3])) / nf));
            }
        }
        Method::Distinct => {
            for _ in 0..resamples {
                let mut sum = 0.0;
                multinomial(&mut rng, n as u64, distinct.iter().map(|d| d.1), |i, k| {
                    sum += distinct[i].0 * k as f64
                });
                means.push(clip01(sum / nf));
            }
        }
        Method::Strata => {
            let strata: Vec<(u64, f64, f64)> = values
                .chunks(n.div_ceil(STRATA))
                .map(|c| {
                    let m = c.iter().sum::<f64>() / c.len() as f64;
                    let var = c.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / c.len() as f64;
                    (c.len() as u64, m, var)
                })
                .collect();
            for _ in 0..resamples {
                let mut sum = 0.0;
                let mut var = 0.0;
                multinomial(&mut rng, n as u64, strata.iter().map(|s| s.0), |i, k| {
                    sum += strata[i].1 * k as f64;
                    var += strata[i].2 * k as f64;
                });
                let z: f64 = StandardNormal.sample(&mut rng);
                means.push(clip01((sum + z * var.sqrt()) / nf));
            }
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

    /// All three methods draw from the same distribution: their standard deviations agree with
    /// each other (and with the standard error) within Monte Carlo noise.
    #[test]
    fn methods_agree() {
        // Scores with many distinct values and some skew, as rubric scores have.
        let mut v: Vec<f64> = (0..20_000u64)
            .map(|i| ((i * 2_654_435_761) % 1009) as f64 / 1009.0)
            .map(|x| x * x - 0.1)
            .collect();
        v.sort_unstable_by(f64::total_cmp);
        let mut distinct: Vec<(f64, u64)> = Vec::new();
        for &x in &v {
            match distinct.last_mut() {
                Some((l, c)) if *l == x => *c += 1,
                _ => distinct.push((x, 1)),
            }
        }
        let se = population_std(&v) / (v.len() as f64).sqrt();
        let mut stds = Vec::new();
        for m in [Method::Direct, Method::Distinct, Method::Strata] {
            let (g, means) = bootstrap_with(&v, &distinct, 11, 3000, m).unwrap();
            assert!(
                (g.bootstrap_std / se - 1.0).abs() < 0.06,
                "{m:?}: {} vs {se}",
                g.bootstrap_std
            );
            let centre = means.iter().sum::<f64>() / means.len() as f64;
            assert!(
                (centre - g.score).abs() < 0.2 * se,
                "{m:?} is centred on the mean"
            );
            stds.push(g.bootstrap_std);
        }
        assert_eq!(method_for(1_000_000, 500_000), Method::Strata);
        assert_eq!(method_for(1_000_000, 1_000), Method::Strata);
        assert_eq!(method_for(1_000_000, 12), Method::Distinct);
        assert_eq!(method_for(300, 290), Method::Direct);
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
