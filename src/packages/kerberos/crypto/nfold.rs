//! n-fold (RFC 3961 §5.1): stretch or shrink a constant to `out_len` bytes.
//! The input is repeated up to the least common multiple of both lengths,
//! each repetition rotated right by 13 more bits than the one before, and
//! the `out_len`-byte pieces are added with one's-complement addition.

/// n-fold `input` to `out_len` bytes. Only called with the fixed constants
/// of the key derivation (usage constants, "kerberos", "prf").
pub fn n_fold(input: &[u8], out_len: usize) -> Vec<u8> {
    let mut sum = vec![0u8; out_len];
    if input.is_empty() || out_len == 0 {
        return sum;
    }
    let in_bits = input.len() * 8;
    let total = lcm(input.len(), out_len);
    // Bit `p` (0 = most significant bit of byte 0) of the repeated string.
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
