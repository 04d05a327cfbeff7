//! Intervals for groups in which questions have several samples (SPEC §4e): samples of one
//! question are not independent, so the bootstrap resamples whole questions and the standard
//! error is clustered by question.

use rand::{Rng, RngExt, SeedableRng};
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
    match u32::try_from(g) {
        Ok(range) => {
            let mut words = Words::new();
            let add = |(sum, count): (f64, f64), j: u32| {
                let (s, c) = parts.get(j as usize).copied().unwrap_or_default();
                (sum + s, count + c)
            };
            for _ in 0..resamples {
                let (sum, count) = draw_resample(range, g, &mut words, &mut rng, (0.0, 0.0), add);
                means.push(clip01(sum / count));
            }
        }
        Err(_) => {
            // More clusters than a 32-bit draw can index: one draw at a time.
            for _ in 0..resamples {
                let (mut sum, mut count) = (0.0, 0.0);
                for _ in 0..g {
                    let (s, c) = parts[rng.random_range(0..g)];
                    sum += s;
                    count += c;
                }
                means.push(clip01(sum / count));
            }
        }
    }
    let (mut stats, means) = summarise(score, n, means);
    stats.se_clustered = ppi::clustered_se_about(&groups, mean);
    Some((stats, means))
}

/// The generator's words, taken a block at a time: the same words, in the same order, as one
/// call per word would give (a block is filled with whole words), without the generator's
/// position being stored and reloaded on every draw.
struct Words {
    block: [u32; WORDS],
    /// The next word of `block` to use.
    at: usize,
}

const WORDS: usize = 256;

impl Words {
    fn new() -> Words {
        Words {
            block: [0; WORDS],
            at: WORDS,
        }
    }

    #[inline(never)]
    fn refill(&mut self, rng: &mut ChaCha8Rng) {
        for w in &mut self.block {
            *w = rng.next_u32();
        }
        self.at = 0;
    }
}

/// One resample: `count` clusters drawn with replacement from `range` (as many as there are) and
/// folded into `acc` by `add` in the order drawn. Each draw is the generator's
/// `random_range(0..range)` for a 32-bit range (Canon's method: the high half of a word times
/// the range, corrected by the next word in the rare case that the low half is within the range
/// of overflowing), so the draws, and with them every mean, are the same as drawing one by one
/// with it.
#[inline(always)]
fn draw_resample<A: Copy>(
    range: u32,
    count: usize,
    words: &mut Words,
    rng: &mut ChaCha8Rng,
    mut acc: A,
    add: impl Fn(A, u32) -> A + Copy,
) -> A {
    let mut left = count;
    while left > 0 {
        if words.at == WORDS {
            words.refill(rng);
        }
        let (folded, done, open) = draw_block(range, words, left, acc, add);
        acc = folded;
        left -= done;
        if let Some((hi, lo)) = open {
            // The draw's correction needs the first word of the next block.
            words.refill(rng);
            acc = add(acc, hi + u32::from(overflows(lo, words.block[0], range)));
            words.at = 1;
            left -= 1;
        }
    }
    acc
}

/// Up to `left` draws from the words left in the block, folded into `acc`: the result, how many
/// were folded, and the high and low halves of a draw whose correction needs a word past the
/// block (not folded, nor counted). Kept out of line and free of calls, so that the accumulator
/// stays in registers (every register that holds a float is lost across a call).
#[inline(never)]
fn draw_block<A: Copy>(
    range: u32,
    words: &mut Words,
    left: usize,
    mut acc: A,
    add: impl Fn(A, u32) -> A,
) -> (A, usize, Option<(u32, u32)>) {
    let wide = u64::from(range);
    let near = range.wrapping_neg();
    let end = (words.at + left).min(WORDS);
    let mut at = words.at;
    let mut done = 0;
    let mut open = None;
    while at < end {
        let m = u64::from(words.block[at]) * wide;
        at += 1;
        let (mut hi, lo) = ((m >> 32) as u32, m as u32);
        if lo > near {
            match words.block.get(at) {
                Some(&next) => {
                    hi += u32::from(overflows(lo, next, range));
                    at += 1;
                }
                None => {
                    open = Some((hi, lo));
                    break;
                }
            }
        }
        acc = add(acc, hi);
        done += 1;
    }
    words.at = at;
    (acc, done, open)
}

/// Canon's correction: whether the high half of word `next` times the range overflows `lo`.
#[inline(always)]
fn overflows(lo: u32, next: u32, range: u32) -> bool {
    let next_hi = ((u64::from(next) * u64::from(range)) >> 32) as u32;
    lo.checked_add(next_hi).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` draws from `range`, one by one with the generator, folded as the test folds
    /// them.
    fn one_by_one(rng: &mut ChaCha8Rng, range: u32, count: usize) -> (u64, u64) {
        (0..count).fold((0, 0), |acc, _| {
            fold(acc, rng.random_range(0..range as usize) as u32)
        })
    }

    /// A count and an order-sensitive hash of the clusters drawn.
    fn fold((n, h): (u64, u64), j: u32) -> (u64, u64) {
        (
            n + 1,
            h.wrapping_mul(0x100_0000_01B3)
                .wrapping_add(u64::from(j) + 1),
        )
    }

    #[test]
    fn draws_in_blocks_are_the_generators_draws() {
        // Small ranges, drawn whole; and ranges whose draws often need the correction word, so
        // that it falls at every place of a block, the first word of the next block included.
        for (range, count, resamples) in [
            (1u32, 1, 300),
            (2, 2, 300),
            (7, 7, 300),
            (255, 255, 20),
            (256, 256, 20),
            (257, 257, 20),
            (2000, 2000, 5),
            (u32::MAX / 3 * 2, 1000, 30),
            (u32::MAX - 5, 1000, 30),
            (u32::MAX, 999, 30),
        ] {
            for seed in 0..3 {
                let mut blocks = ChaCha8Rng::seed_from_u64(seed);
                let mut single = ChaCha8Rng::seed_from_u64(seed);
                let mut words = Words::new();
                for _ in 0..resamples {
                    let got = draw_resample(range, count, &mut words, &mut blocks, (0, 0), fold);
                    assert_eq!(got, one_by_one(&mut single, range, count), "range {range}");
                }
                // The two generators are at the same word afterwards.
                assert_eq!(
                    words
                        .block
                        .get(words.at)
                        .copied()
                        .unwrap_or_else(|| blocks.next_u32()),
                    single.next_u32()
                );
            }
        }
    }

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
