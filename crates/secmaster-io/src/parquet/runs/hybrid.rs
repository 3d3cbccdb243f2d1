//! The bit-level encodings of data pages: the RLE / bit-packing hybrid (definition levels
//! and dictionary indices) and PLAIN booleans.

/// Bits needed for indices into `entries` values.
pub(super) fn bit_width(entries: u32) -> u8 {
    (u32::BITS - entries.saturating_sub(1).leading_zeros()) as u8
}

/// The RLE / bit-packing hybrid encoding of `width`-bit values given as runs: runs of 8 or
/// more are RLE runs, shorter ones are bit-packed in groups of 8.
pub(super) struct Hybrid {
    width: u8,
    out: Vec<u8>,
    /// The run being put: runs of one value put one after the other make one run.
    run: Option<(u32, u32)>,
    /// Values waiting to be bit-packed: whole groups of 8 but for the last.
    packed: Vec<u32>,
}

impl Hybrid {
    /// Groups of 8 in one bit-packed run at most, as parquet's writer does.
    const MAX_GROUPS: usize = 63;

    pub(super) fn new(width: u8) -> Hybrid {
        Hybrid {
            width,
            out: Vec::new(),
            run: None,
            packed: Vec::new(),
        }
    }

    /// `n` more of `value`.
    pub(super) fn put(&mut self, value: u32, n: u32) {
        match &mut self.run {
            Some((v, count)) if *v == value => *count += n,
            _ => {
                self.end_run();
                self.run = Some((value, n));
            }
        }
    }

    fn end_run(&mut self) {
        let Some((value, mut n)) = self.run.take() else {
            return;
        };
        // Fill the open group of 8 first.
        let open = (8 - self.packed.len() % 8) % 8;
        let k = (open as u32).min(n);
        self.packed.extend(std::iter::repeat_n(value, k as usize));
        n -= k;
        if self.packed.len() >= Self::MAX_GROUPS * 8 && self.packed.len().is_multiple_of(8) {
            self.flush_packed();
        }
        if n >= 8 {
            self.flush_packed();
            varint(&mut self.out, u64::from(n) << 1);
            let bytes = usize::from(self.width).div_ceil(8);
            self.out.extend_from_slice(&value.to_le_bytes()[..bytes]);
        } else {
            self.packed.extend(std::iter::repeat_n(value, n as usize));
        }
    }

    fn flush_packed(&mut self) {
        if self.packed.is_empty() {
            return;
        }
        // The last group is padded with zeros; the reader knows how many values there are.
        self.packed.resize(self.packed.len().div_ceil(8) * 8, 0);
        varint(&mut self.out, ((self.packed.len() / 8) as u64) << 1 | 1);
        let (mut acc, mut bits) = (0u64, 0u32);
        for &v in &self.packed {
            acc |= u64::from(v) << bits;
            bits += u32::from(self.width);
            while bits >= 8 {
                self.out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
        self.packed.clear();
    }

    pub(super) fn finish(mut self) -> Vec<u8> {
        self.end_run();
        self.flush_packed();
        self.out
    }
}

/// Booleans, PLAIN: one bit each, from the lowest bit of each byte up.
#[derive(Default)]
pub(super) struct Bits {
    out: Vec<u8>,
    count: usize,
}

impl Bits {
    pub(super) fn put(&mut self, value: bool, n: u32) {
        for _ in 0..n {
            if self.count.is_multiple_of(8) {
                self.out.push(0);
            }
            if value {
                *self.out.last_mut().expect("pushed above") |= 1 << (self.count % 8);
            }
            self.count += 1;
        }
    }

    pub(super) fn finish(self) -> Vec<u8> {
        self.out
    }
}

/// ULEB-128, the varint of the hybrid encoding's run headers.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
