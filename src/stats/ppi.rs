//! Scores corrected with human labels (SPEC §4e), and the interval arithmetic that goes with
//! them: prediction-powered inference for a mean with power tuning (PPI++), standard errors
//! clustered by question, Holm's adjustment of p-values, and the minimum detectable difference
//! of a paired comparison.
//!
//! PPI++ (Angelopoulos, Duchi and Zrnic, 2023, arXiv:2311.01453). A judge scores all N answers
//! of a group (f); people score n of them (y), chosen at random. The estimate
//! `θ = λ·mean_N(f) + mean_n(y − λ·f)` is unbiased for the mean human score whatever λ is, since
//! the second term corrects the judge's bias; λ is chosen to make its variance smallest, so a
//! judge that tracks people well lends its N answers' worth of precision, and a judge that does
//! not is given little weight (λ → 0 leaves the mean of the human scores alone).
//!
//! Here the labelled answers are among the N (PPI++'s papers take them apart), so the two means
//! share the labelled answers' judge scores and covary: with r = y − λ·f,
//! `Var θ = λ²·Var(f)/N + Var(r)/n + 2λ·Cov(f, r)/N`, which is smallest at `λ = Cov(y, f)/Var(f)`
//! (clipped to [0, 1], as PPI++ clips it). The 95% interval is the normal one around θ; tests
//! check its coverage on simulated lenient judges.

use serde::{Deserialize, Serialize};

/// The normal quantile for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;
/// The normal quantile for 80% power.
pub const Z80: f64 = 0.841_621_233_572_914_3;
/// Fewer labelled answers than this in a group: no corrected score (its interval would rest on
/// a variance estimated from too few points).
pub const MIN_LABELLED: usize = 20;

/// A group's score corrected with human labels (report.json `"corrected"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Corrected {
    /// The corrected mean score, clipped to [0, 1] as group scores are.
    pub score: f64,
    /// 95% interval, clipped to [0, 1].
    pub ci95: [f64; 2],
    /// Its standard error (before clipping).
    pub se: f64,
    /// Answers with human labels in the group.
    pub n_labelled: usize,
    /// Answers in the group (all judged).
    pub n: usize,
    /// The power-tuning weight given to the judge, in [0, 1].
    pub lambda: f64,
    /// The judge's mean score minus the people's, on the labelled answers: positive when the
    /// judge is lenient.
    pub judge_bias: f64,
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in xs {
        s += x;
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// Population variance (divisor n).
fn var_pop(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let m = mean(xs.iter().copied());
    xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64
}

/// Population covariance of the pairs' two components.
fn cov_pop(pairs: &[(f64, f64)]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let ma = mean(pairs.iter().map(|p| p.0));
    let mb = mean(pairs.iter().map(|p| p.1));
    pairs.iter().map(|(a, b)| (a - ma) * (b - mb)).sum::<f64>() / pairs.len() as f64
}

/// The power-tuned λ: the covariance of human and judge scores on the labelled answers over the
/// variance of the judge's scores on all N, clipped to [0, 1]. A judge whose scores do not vary
/// carries no information: λ = 0.
pub fn power_tuned_lambda(all_judge: &[f64], labelled: &[(f64, f64)]) -> f64 {
    if labelled.len() < 2 || all_judge.len() < 2 {
        return 0.0;
    }
    let var = var_pop(all_judge);
    let cov = cov_pop(labelled);
    // A NaN variance counts as no variance.
    if var.is_nan() || var <= 0.0 || !cov.is_finite() {
        return 0.0;
    }
    (cov / var).clamp(0.0, 1.0)
}

/// The PPI++ estimate of a group's mean human score, from the judge's scores of all its answers
/// (`all_judge`, N of them) and the (human, judge) score pairs of the labelled ones. `None` with
/// fewer than [`MIN_LABELLED`] labelled answers.
pub fn corrected_mean(all_judge: &[f64], labelled: &[(f64, f64)]) -> Option<Corrected> {
    if labelled.len() < MIN_LABELLED || all_judge.is_empty() {
        return None;
    }
    let lambda = power_tuned_lambda(all_judge, labelled);
    let (n, big_n) = (labelled.len() as f64, all_judge.len() as f64);
    let rectifier: Vec<f64> = labelled.iter().map(|(y, f)| y - lambda * f).collect();
    let theta = lambda * mean(all_judge.iter().copied()) + mean(rectifier.iter().copied());
    let f_and_r: Vec<(f64, f64)> = labelled
        .iter()
        .zip(&rectifier)
        .map(|(p, r)| (p.1, *r))
        .collect();
    // Sample (n − 1) rather than population moments: with a few dozen labels the difference
    // is what keeps the interval's coverage near 95% (checked by simulation below).
    let (bn, bbig) = (n / (n - 1.0), big_n / (big_n - 1.0));
    let var = lambda * lambda * var_pop(all_judge) * bbig / big_n
        + var_pop(&rectifier) * bn / n
        + 2.0 * lambda * cov_pop(&f_and_r) * bn / big_n;
    let se = var.max(0.0).sqrt();
    let judge_bias = mean(labelled.iter().map(|p| p.1)) - mean(labelled.iter().map(|p| p.0));
    Some(Corrected {
        score: theta.clamp(0.0, 1.0),
        ci95: [
            (theta - Z95 * se).clamp(0.0, 1.0),
            (theta + Z95 * se).clamp(0.0, 1.0),
        ],
        se,
        n_labelled: labelled.len(),
        n: all_judge.len(),
        lambda,
        judge_bias,
    })
}

/// The standard error of a mean of scores that come in clusters (several samples of one
/// question are not independent): the sandwich estimate with the small-sample factor G/(G−1),
/// over G clusters. `scores` holds (cluster, score) pairs in any order. With one score per
/// cluster it equals the usual standard error of the mean with divisor n − 1.
pub fn clustered_se<K: std::hash::Hash + Eq>(scores: &[(K, f64)]) -> Option<f64> {
    let mut clusters: std::collections::HashMap<&K, Vec<f64>> = std::collections::HashMap::new();
    for (k, x) in scores {
        clusters.entry(k).or_default().push(*x);
    }
    let mut groups: Vec<Vec<f64>> = clusters.into_values().collect();
    for v in &mut groups {
        v.sort_by(f64::total_cmp);
    }
    let slices: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
    clustered_se_of(&slices)
}

/// [`clustered_se`] from the clusters' values, each cluster's sorted (the order of the clusters
/// does not matter). Every sum runs over sorted values, so the result does not depend on the
/// input order to the last bit.
pub fn clustered_se_of(clusters: &[&[f64]]) -> Option<f64> {
    let n: usize = clusters.iter().map(|c| c.len()).sum();
    if n < 2 || clusters.len() < 2 {
        return None;
    }
    let mut all: Vec<f64> = clusters.iter().flat_map(|c| c.iter().copied()).collect();
    super::sort_f64(&mut all);
    clustered_se_about(clusters, all.iter().sum::<f64>() / n as f64)
}

/// [`clustered_se_of`] with the mean of all the values given (summed in sorted order, as
/// [`clustered_se_of`] sums them).
pub fn clustered_se_about(clusters: &[&[f64]], m: f64) -> Option<f64> {
    let n: usize = clusters.iter().map(|c| c.len()).sum();
    if n < 2 || clusters.len() < 2 {
        return None;
    }
    let g = clusters.len() as f64;
    let mut squares: Vec<f64> = clusters
        .iter()
        .map(|v| {
            let e: f64 = v.iter().map(|x| x - m).sum();
            e * e
        })
        .collect();
    squares.sort_by(f64::total_cmp);
    let s: f64 = squares.iter().sum();
    Some((g / (g - 1.0) * s).sqrt() / n as f64)
}

/// Holm's step-down adjustment of p-values for a family of tests: the i-th smallest p is
/// multiplied by (m − i + 1), made monotone, and capped at 1. `None` entries (tests that could
/// not be run) stay `None` and do not count in m.
pub fn holm(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_some()).collect();
    order.sort_by(|&a, &b| p[a].partial_cmp(&p[b]).unwrap_or(std::cmp::Ordering::Equal));
    let m = order.len() as f64;
    let mut out = vec![None; p.len()];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let adjusted = ((m - rank as f64) * p[i].unwrap_or(1.0)).min(1.0);
        running = running.max(adjusted);
        out[i] = Some(running);
    }
    out
}

/// The smallest true mean of paired differences that a two-sided test at α = 0.05 would detect
/// with 80% power, from the differences' sample standard deviation: (z₀.₉₇₅ + z₀.₈)·s/√n.
/// `None` for fewer than two pairs.
pub fn mde80(diffs: &[f64]) -> Option<f64> {
    let n = diffs.len();
    if n < 2 {
        return None;
    }
    let m = mean(diffs.iter().copied());
    let s2 = diffs.iter().map(|d| (d - m) * (d - m)).sum::<f64>() / (n as f64 - 1.0);
    Some((Z95 + Z80) * s2.sqrt() / (n as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn lambda_and_estimate_by_hand() {
        // Worked by hand. Labelled pairs (y, f): (1, 1), (0, 1), (1, 0.5), (0, 0); all eight
        // judge scores: the four labelled ones' f plus 1, 0.5, 0.5, 1.
        //   mean y = 0.5, mean f_lab = 0.625
        //   cov_pop(y, f) = [(0.5)(0.375) + (-0.5)(0.375) + (0.5)(-0.125) + (-0.5)(-0.625)] / 4
        //                 = (0.1875 - 0.1875 - 0.0625 + 0.3125) / 4 = 0.0625
        //   all f: 1, 1, .5, 0, 1, .5, .5, 1: mean 5.5/8 = 0.6875; mean of squares
        //   (4·1 + 3·.25)/8 = 4.75/8 = 0.59375; var_pop = 0.59375 − 0.47265625 = 0.12109375
        //   λ = 0.0625 / 0.12109375 = 0.516129…
        let labelled = [(1.0, 1.0), (0.0, 1.0), (1.0, 0.5), (0.0, 0.0)];
        let all = [1.0, 1.0, 0.5, 0.0, 1.0, 0.5, 0.5, 1.0];
        let lam = power_tuned_lambda(&all, &labelled);
        assert!(close(lam, 0.0625 / 0.12109375), "{lam}");
        // Twenty labelled pairs (five copies): the same covariance, so the same λ, and
        //   θ = λ·0.6875 + (0.5 − λ·0.625) = 0.5 + 0.0625·λ
        //   r = y − λf on the four pairs: 1 − λ, −λ, 1 − λ/2, 0
        let many: Vec<(f64, f64)> = labelled.iter().cycle().take(20).copied().collect();
        let c = corrected_mean(&all, &many).unwrap();
        assert!(close(c.lambda, lam));
        assert!(close(c.score, 0.5 + 0.0625 * lam), "{}", c.score);
        let r = [1.0 - lam, -lam, 1.0 - lam / 2.0, 0.0];
        let rm = r.iter().sum::<f64>() / 4.0;
        let var_r = r.iter().map(|x| (x - rm) * (x - rm)).sum::<f64>() / 4.0;
        let fs = [1.0, 1.0, 0.5, 0.0];
        let cov_fr = fs
            .iter()
            .zip(&r)
            .map(|(f, x)| (f - 0.625) * (x - rm))
            .sum::<f64>()
            / 4.0;
        // Sample moments: population ones times 8/7 (all eight) and 20/19 (the labelled twenty;
        // five copies of the four pairs have the four pairs' population moments).
        let var = lam * lam * 0.12109375 * (8.0 / 7.0) / 8.0
            + var_r * (20.0 / 19.0) / 20.0
            + 2.0 * lam * cov_fr * (20.0 / 19.0) / 8.0;
        assert!(close(c.se, var.sqrt()), "{} vs {}", c.se, var.sqrt());
        assert!(close(c.judge_bias, 0.125));
        assert_eq!((c.n_labelled, c.n), (20, 8));
        assert!(corrected_mean(&all, &labelled).is_none(), "too few labels");
    }

    #[test]
    fn a_constant_judge_gets_no_weight() {
        let labelled: Vec<(f64, f64)> = (0..30).map(|i| ((i % 2) as f64, 0.7)).collect();
        let c = corrected_mean(&[0.7; 100], &labelled).unwrap();
        assert_eq!(c.lambda, 0.0);
        assert!(close(c.score, 0.5));
        // The interval is then the classical one: 0.5 ± z·s/√30, s² the sample variance.
        assert!(close(c.se, (0.25f64 * 30.0 / 29.0 / 30.0).sqrt()));
    }

    /// A judge that is lenient (adds a bias) and noisy. Over many simulated groups the corrected
    /// interval covers the true mean about 95% of the time, and the corrected score is closer to
    /// the truth than the judge's raw mean.
    #[test]
    fn coverage_and_bias_on_simulated_groups() {
        // Like any normal-theory interval on a few dozen 0/1 scores, it runs a little short
        // with few labels (about 93% at 60 here) and reaches 95% as labels grow.
        coverage_and_bias(400, 60, 0.92);
        coverage_and_bias(1000, 200, 0.935);
    }

    fn coverage_and_bias(big_n: usize, n: usize, at_least: f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (reps, truth_p) = (2000, 0.55);
        let (mut covered, mut raw_err, mut corr_err) = (0, 0.0, 0.0);
        for _ in 0..reps {
            // True scores: 0/1 with mean truth_p; the judge says 1 for every true 1 and for 30%
            // of the true 0s (lenient).
            let truth: Vec<f64> = (0..big_n)
                .map(|_| {
                    if rng.random::<f64>() < truth_p {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            let judge: Vec<f64> = truth
                .iter()
                .map(|&t| {
                    if t == 1.0 || rng.random::<f64>() < 0.3 {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            let labelled: Vec<(f64, f64)> = (0..n).map(|i| (truth[i], judge[i])).collect();
            let c = corrected_mean(&judge, &labelled).unwrap();
            // The estimand is the group's true mean score.
            let target = truth_p;
            if c.ci95[0] <= target && target <= c.ci95[1] {
                covered += 1;
            }
            let raw = judge.iter().sum::<f64>() / big_n as f64;
            raw_err += (raw - target).abs();
            corr_err += (c.score - target).abs();
        }
        let coverage = covered as f64 / reps as f64;
        eprintln!("n = {n}: coverage {coverage}");
        assert!(
            (at_least..=0.965).contains(&coverage),
            "n = {n}: coverage {coverage}"
        );
        assert!(
            corr_err < raw_err / 2.0,
            "corrected {corr_err} raw {raw_err}"
        );
    }

    #[test]
    fn clustered_standard_error() {
        // One score per cluster: the usual standard error s/√n with divisor n − 1.
        let xs = [0.2, 0.4, 0.9, 1.0];
        let m = 0.625;
        let s2: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 3.0;
        let singles: Vec<(usize, f64)> = xs.iter().copied().enumerate().collect();
        assert!(close(clustered_se(&singles).unwrap(), (s2 / 4.0).sqrt()));
        // Two questions, each answered twice identically: the same as two independent scores,
        // not four. Cluster sums of residuals: 2·(0.2 − 0.6) and 2·(1.0 − 0.6) → squares 0.64
        // each; G/(G−1) = 2; se = sqrt(2·1.28)/4 = 0.4.
        let pairs = [(1, 0.2), (1, 0.2), (2, 1.0), (2, 1.0)];
        assert!(close(clustered_se(&pairs).unwrap(), 0.4));
        assert!(clustered_se(&[(1, 0.5)]).is_none());
        assert!(clustered_se(&[(1, 0.5), (1, 0.7)]).is_none(), "one cluster");
    }

    #[test]
    fn holm_by_hand() {
        // p = 0.01, 0.04, 0.03, 0.20 (m = 4): sorted 0.01, 0.03, 0.04, 0.20 → ×4, ×3, ×2, ×1 =
        // 0.04, 0.09, 0.08, 0.20 → monotone 0.04, 0.09, 0.09, 0.20.
        let out = holm(&[Some(0.01), Some(0.04), Some(0.03), None, Some(0.2)]);
        let want = [Some(0.04), Some(0.09), Some(0.09), None, Some(0.2)];
        for (o, w) in out.iter().zip(want) {
            match (o, w) {
                (Some(a), Some(b)) => assert!(close(*a, b), "{out:?}"),
                (None, None) => {}
                _ => panic!("{out:?}"),
            }
        }
        assert_eq!(holm(&[Some(0.6), Some(0.7)]), vec![Some(1.0), Some(1.0)]);
    }

    #[test]
    fn minimum_detectable_difference() {
        // d = 1, 2, 3, 4: mean 2.5, sample variance 5/3, n = 4.
        let want = (Z95 + Z80) * (5.0f64 / 3.0).sqrt() / 2.0;
        assert!(close(mde80(&[1.0, 2.0, 3.0, 4.0]).unwrap(), want));
        assert!(mde80(&[1.0]).is_none());
        // 2.80 standard errors, the textbook figure.
        assert!((Z95 + Z80 - 2.8016).abs() < 1e-4);
    }
}
