//! n-fold (RFC 3961 §5.1): stretch or shrink a constant to `out_len` bytes.
//! The input is repeated up to the least common multiple of both lengths,
//! each repetition rotated right by 13 more bits than the one before, and
//! the `out_len`-byte pieces are added with one's-complement addition.

/// n-fold `input` to `out_len` bytes. Only called with the fixed constants
/// of the key derivation (usage constants, "kerberos", "prf"), but on every
/// key derivation (a handshake derives a few dozen keys), so it works a
/// byte at a time: each repetition is the input rotated right by a whole
/// number of bytes and a bit shift.
pub fn n_fold(input: &[u8], out_len: usize) -> Vec<u8> {
    let mut sum = vec![0u8; out_len];
    if input.is_empty() || out_len == 0 {
        return sum;
    }
    let n = input.len();
    let total = lcm(n, out_len);
    let mut stream = vec![0u8; total];
    for (copy, rotated) in stream.chunks_mut(n).enumerate() {
        rotate_right(input, (13 * copy) % (n * 8), rotated);
    }
    for piece in stream.chunks(out_len) {
        ones_complement_add(&mut sum, piece);
    }
    sum
}

/// `out` = `input` (a big-endian bit string) rotated right by `bits`:
/// output bit p is input bit (p - bits) mod the length.
fn rotate_right(input: &[u8], bits: usize, out: &mut [u8]) {
    let n = input.len();
    let (bytes, shift) = (bits / 8, (bits % 8) as u32);
    for (j, o) in out.iter_mut().enumerate() {
        let hi = input[(j + n - bytes % n) % n];
        let lo = input[(j + 2 * n - bytes % n - 1) % n];
        *o = if shift == 0 {
            hi
        } else {
            (hi >> shift) | (lo << (8 - shift))
        };
    }
}

/// `acc += x` as big-endian numbers, the carry out of the top added back in.
fn ones_complement_add(acc: &mut [u8], x: &[u8]) {
    let mut carry = 0u16;
    for (a, b) in acc.iter_mut().zip(x).rev() {
        let s = u16::from(*a) + u16::from(*b) + carry;
        *a = s as u8;
        carry = s >> 8;
    }
    while carry != 0 {
        for a in acc.iter_mut().rev() {
            let s = u16::from(*a) + carry;
            *a = s as u8;
            carry = s >> 8;
            if carry == 0 {
                break;
            }
        }
    }
}

fn lcm(a: usize, b: usize) -> usize {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    a / x * b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3961 §5.1 read literally, one bit at a time: the oracle for the
    /// byte-wise [`n_fold`].
    fn n_fold_bitwise(input: &[u8], out_len: usize) -> Vec<u8> {
        let mut sum = vec![0u8; out_len];
        let in_bits = input.len() * 8;
        let total = lcm(input.len(), out_len);
        let bit = |p: usize| {
            let copy = p / in_bits;
            let shift = (13 * copy) % in_bits;
            let src = (p % in_bits + in_bits - shift) % in_bits;
            (input[src / 8] >> (7 - src % 8)) & 1
        };
        let mut piece = vec![0u8; out_len];
        for start in (0..total).step_by(out_len) {
            for (i, byte) in piece.iter_mut().enumerate() {
                let first = (start + i) * 8;
                *byte = (0..8).fold(0u8, |acc, k| (acc << 1) | bit(first + k));
            }
            ones_complement_add(&mut sum, &piece);
        }
        sum
    }

    #[test]
    fn byte_wise_equals_bit_wise() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for in_len in 1..=24 {
            let input: Vec<u8> = (0..in_len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            for out_len in [1, 5, 7, 8, 16, 21, 24, 32, 48] {
                assert_eq!(
                    n_fold(&input, out_len),
                    n_fold_bitwise(&input, out_len),
                    "in {in_len} out {out_len}"
                );
            }
        }
    }
}
