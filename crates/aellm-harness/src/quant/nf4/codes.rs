//! The 16 NF4 levels and the 4-bit code packing.

/// The 16 levels of 4-bit NormalFloat (QLoRA, Dettmers et al. 2023, §3), in code order.
///
/// These are bitsandbytes' exact values (`create_normal_map(offset = 0.9677083)`): quantiles of
/// N(0, 1) normalised to `[-1, 1]`, 8 on the positive side and 7 on the negative side so that 0 is
/// represented exactly; hence asymmetric. Code `7` is 0.
pub const NF4_CODES: [f32; 16] = [
    -1.0,
    -0.696_192_8,
    -0.525_073_05,
    -0.394_917_5,
    -0.284_441_38,
    -0.184_773_43,
    -0.091_050_036,
    0.0,
    0.079_580_3,
    0.160_930_2,
    0.246_112_3,
    0.337_915_24,
    0.440_709_83,
    0.562_617,
    0.722_956_84,
    1.0,
];

/// The code whose level is exactly 0: what padding and all-zero blocks hold.
pub(super) const ZERO_CODE: u8 = 7;

/// The code of the level nearest to `v` (a weight divided by its block's absmax, so in `[-1, 1]`).
pub(super) fn nearest(v: f32) -> u8 {
    // Counting the midpoints below v gives the nearest level: levels are sorted.
    let mut code = 0u8;
    for pair in NF4_CODES.windows(2) {
        if v > 0.5 * (pair[0] + pair[1]) {
            code += 1;
        }
    }
    code
}

/// Packs 4-bit codes two per byte, the first in the high nibble (bitsandbytes' order). An odd
/// count leaves the last low nibble as [`ZERO_CODE`].
pub(super) fn pack(codes: &[u8]) -> Vec<u8> {
    codes
        .chunks(2)
        .map(|c| (c[0] << 4) | c.get(1).copied().unwrap_or(ZERO_CODE))
        .collect()
}

/// The high then low nibble of byte `b`.
pub(super) fn unpack(b: u8) -> [u8; 2] {
    [b >> 4, b & 0x0f]
}
