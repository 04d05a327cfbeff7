//! Sorting scores in the total order of `f64::total_cmp`, by radix: a group of a million
//! answers is sorted several times when its statistics are computed (for sums in a fixed order,
//! by question for clustered intervals), and a comparison sort of that many values costs more
//! than everything else in building a report.

/// Sorts `v` as `v.sort_by(f64::total_cmp)` does. Values equal in that order have the same bits,
/// so the result is the same whatever the method.
pub fn sort_f64(v: &mut [f64]) {
    const SMALL: usize = 512;
    if v.len() < SMALL {
        v.sort_unstable_by(f64::total_cmp);
        return;
    }
    let mut keys: Vec<u64> = v.iter().map(|&x| key(x)).collect();
    let mut spare = vec![0u64; keys.len()];
    // The counts of every byte of the keys, all eight in one pass.
    let mut counts = vec![[0usize; 256]; 8];
    for &k in &keys {
        for (d, c) in counts.iter_mut().enumerate() {
            c[((k >> (8 * d)) & 0xFF) as usize] += 1;
        }
    }
    for (d, c) in counts.iter().enumerate() {
        // A byte that is the same in every key leaves the order as it is.
        if c.contains(&keys.len()) {
            continue;
        }
        let mut at = [0usize; 256];
        let mut sum = 0;
        for (a, &n) in at.iter_mut().zip(c.iter()) {
            *a = sum;
            sum += n;
        }
        for &k in &keys {
            let b = ((k >> (8 * d)) & 0xFF) as usize;
            spare[at[b]] = k;
            at[b] += 1;
        }
        std::mem::swap(&mut keys, &mut spare);
    }
    for (x, &k) in v.iter_mut().zip(&keys) {
        *x = value(k);
    }
}

/// A key whose unsigned order is the total order of `f64::total_cmp`: negative values (sign bit
/// set) have all bits flipped, others only the sign bit.
#[inline]
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

/// The value of a [`key`].
#[inline]
fn value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Sorts `(cluster, value)` pairs by cluster, then by value in the order of `f64::total_cmp`:
/// by counting when the clusters are small numbers (question ranks), each cluster's values then
/// sorted on their own.
pub fn sort_by_cluster(pairs: &mut [(u32, f64)]) {
    let n = pairs.len();
    let Some(max) = pairs.iter().map(|p| p.0).max() else {
        return;
    };
    if max as usize > 4 * n + 1024 {
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        return;
    }
    let mut starts = vec![0usize; max as usize + 2];
    for p in pairs.iter() {
        starts[p.0 as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut values = vec![0.0f64; n];
    let mut at = starts.clone();
    for p in pairs.iter() {
        values[at[p.0 as usize]] = p.1;
        at[p.0 as usize] += 1;
    }
    for (c, w) in starts.windows(2).enumerate() {
        let slice = &mut values[w[0]..w[1]];
        sort_f64(slice);
        for (k, &x) in slice.iter().enumerate() {
            pairs[w[0] + k] = (c as u32, x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    fn special() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(f64::NAN),
            Just(-f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(f64::MIN_POSITIVE),
            Just(-f64::MIN_POSITIVE / 2.0),
            (0u32..40).prop_map(|k| f64::from(k) / 40.0),
            any::<f64>(),
        ]
    }

    proptest! {
        #[test]
        fn sorts_as_total_cmp(mut v in prop::collection::vec(special(), 0..3000)) {
            let mut want = v.clone();
            want.sort_by(f64::total_cmp);
            sort_f64(&mut v);
            prop_assert_eq!(bits(&v), bits(&want));
        }

        #[test]
        fn sorts_pairs_by_cluster_then_value(
            mut v in prop::collection::vec((0u32..300, special()), 0..3000)
        ) {
            let mut want = v.clone();
            want.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            sort_by_cluster(&mut v);
            let b = |p: &[(u32, f64)]| p.iter().map(|&(c, x)| (c, x.to_bits())).collect::<Vec<_>>();
            prop_assert_eq!(b(&v), b(&want));
        }
    }

    #[test]
    fn large_cluster_numbers_fall_back_to_comparison() {
        let mut v = vec![
            (u32::MAX, 0.5),
            (7, 1.0),
            (u32::MAX, 0.25),
            (7, -0.0),
            (7, 0.0),
        ];
        sort_by_cluster(&mut v);
        let got: Vec<(u32, u64)> = v.iter().map(|&(c, x)| (c, x.to_bits())).collect();
        let want: Vec<(u32, u64)> = [
            (7, -0.0),
            (7, 0.0),
            (7, 1.0),
            (u32::MAX, 0.25),
            (u32::MAX, 0.5),
        ]
        .iter()
        .map(|&(c, x): &(u32, f64)| (c, x.to_bits()))
        .collect();
        assert_eq!(got, want);
    }
}
