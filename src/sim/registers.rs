//! Vector-register hygiene after matrix products.
//!
//! faer's AVX-512 matrix-multiplication kernels can return with the upper halves of the vector
//! registers in use ("dirty upper state"). Until a `vzeroupper`, every legacy-SSE instruction that
//! follows pays a merge penalty: scalar f64 arithmetic and libm's exp, acos, ... run tens of times
//! slower (measured on an AVX-512 Xeon: exp 4 ns alone, 150 ns after a product; acos 4 ns -> 150 ns).
//! [`clear_upper`] issues `vzeroupper`; call it after a product that scalar work follows. It changes
//! no value: the upper halves hold nothing live across a call.

/// Clears the upper halves of the vector registers where the CPU has AVX (nothing elsewhere).
#[inline]
pub fn clear_upper() {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: `zero_upper` needs only AVX, detected just above.
        unsafe { zero_upper() }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn zero_upper() {
    std::arch::x86_64::_mm256_zeroupper();
}
