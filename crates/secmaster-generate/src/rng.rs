//! Random numbers, and the few distributions drawn from them, computed the same way on
//! every platform.
//!
//! The bits come from xoshiro256++ (`rand_xoshiro`), whose stream for a seed is fixed by
//! its published algorithm and is value-stable across the crate's versions. Everything
//! drawn from those bits uses integer arithmetic and the basic IEEE operations
//! (`+ - * /` and exact conversions), which round the same everywhere. `f64::exp`, `ln`,
//! `powf`, `sqrt` and the trigonometric functions call the platform's libm, whose last bits
//! differ between platforms, so nothing here uses them; [`exp`] is written out instead.

use rand_core::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One stream of random numbers.
#[derive(Debug, Clone)]
pub(crate) struct Rng(Xoshiro256PlusPlus);

impl Rng {
    /// Stream `stream` of `seed`: xoshiro256++ seeded from `seed` (through SplitMix64, as
    /// `seed_from_u64` does) and jumped ahead `stream` times 2^128 numbers, so that the
    /// streams of one seed never overlap.
    pub(crate) fn new(seed: u64, stream: u32) -> Rng {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for _ in 0..stream {
            rng.jump();
        }
        Rng(rng)
    }

    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for our `n`).
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..hi`.
    #[inline]
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64) as i64
    }

    /// Uniform in `[0, 1)`, a multiple of 2^-53.
    #[inline]
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// About a standard normal: the sum of twelve uniforms less six (Irwin–Hall), which has
    /// mean 0 and variance 1 and lies in `[-6, 6]`. The uniforms are the 16-bit lanes of
    /// three numbers, summed as integers, so the result is exact.
    pub(crate) fn normal(&mut self) -> f64 {
        let mut sum = 0u64;
        for _ in 0..3 {
            let x = self.next_u64();
            sum += (x & 0xffff) + ((x >> 16) & 0xffff) + ((x >> 32) & 0xffff) + (x >> 48);
        }
        // Each lane stands for the uniform (lane + 1/2) / 2^16.
        (sum as f64 + 6.0) / 65_536.0 - 6.0
    }

    /// A log-normal factor: e^(sigma × [`Rng::normal`]), median 1.
    pub(crate) fn lognormal(&mut self, sigma: f64) -> f64 {
        exp(sigma * self.normal())
    }

    /// The product of two uniforms in `[0, 1)`, as a fraction of 2^52: leans towards 0 with
    /// a long tail (mean 1/4, density −ln x). It stands in for gen_facts.py's
    /// Beta(0.6, 2.2), whose mean and spread are close, with no libm call.
    pub(crate) fn early(&mut self) -> u64 {
        (self.next_u64() >> 38) * (self.next_u64() >> 38)
    }

    #[inline]
    pub(crate) fn pick_str(&mut self, pool: &[&'static str]) -> &'static str {
        pool[self.below(pool.len() as u64) as usize]
    }

    #[inline]
    pub(crate) fn pick<'a, T>(&mut self, pool: &'a [T]) -> &'a T {
        &pool[self.below(pool.len() as u64) as usize]
    }
}

/// e^x for `|x| < 700`, from `+ - * /` alone, so that it rounds the same on every
/// platform; within a few units in the last place of the true value.
pub(crate) fn exp(x: f64) -> f64 {
    // x = k ln 2 + r with |r| <= ln 2 / 2. ln 2 is split in two (Cody and Waite, as in
    // fdlibm): LN2_HI has 32 bits, so k * LN2_HI is exact.
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // 1/n! for n in 0..=13: the series' next term is below 2^-57 for |r| <= ln 2 / 2.
    const TAYLOR: [f64; 14] = [
        1.0,
        1.0,
        0.5,
        0.166_666_666_666_666_66,
        0.041_666_666_666_666_664,
        0.008_333_333_333_333_333,
        0.001_388_888_888_888_889,
        0.000_198_412_698_412_698_4,
        2.480_158_730_158_73e-5,
        2.755_731_922_398_589_3e-6,
        2.755_731_922_398_589e-7,
        2.505_210_838_544_172e-8,
        2.087_675_698_786_81e-9,
        1.605_904_383_682_161_3e-10,
    ];
    let half = if x < 0.0 { -0.5 } else { 0.5 };
    let k = (x * std::f64::consts::LOG2_E + half) as i64; // rounded to nearest
    let r = (x - k as f64 * LN2_HI) - k as f64 * LN2_LO;
    let mut sum = TAYLOR[13];
    for &c in TAYLOR[..13].iter().rev() {
        sum = sum * r + c;
    }
    // 2^k, built from its bits.
    sum * f64::from_bits(((k + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_a_few_ulps_of_libm() {
        let mut x = -40.0;
        while x < 40.0 {
            let (ours, libm) = (exp(x), x.exp());
            assert!(
                ((ours - libm) / libm).abs() < 1e-15,
                "exp({x}) = {ours}, libm says {libm}"
            );
            x += 0.001_953_125 * 7.0;
        }
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn normal_has_mean_0_and_variance_1() {
        let mut rng = Rng::new(1, 0);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|z| (z - mean) * (z - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.01, "{var}");
    }

    #[test]
    fn streams_of_one_seed_differ() {
        let first = |stream| Rng::new(42, stream).next_u64();
        assert_ne!(first(0), first(1));
        assert_ne!(first(1), first(2));
        assert_eq!(first(2), Rng::new(42, 2).next_u64());
    }
}
