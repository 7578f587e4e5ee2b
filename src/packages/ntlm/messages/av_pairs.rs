//! The AV_PAIR list (MS-NLMP 2.2.2.1), owned and borrowed.

use super::*;

/// A list of AV_PAIRs (2.2.2.1) in wire order, without the MsvAvEOL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvPairs(pub Vec<(u16, Vec<u8>)>);

impl AvPairs {
    /// Decode up to MsvAvEOL; a list that ends without EOL exactly at the
    /// end of `b` is accepted, a pair overrunning `b` is not.
    pub fn decode(b: &[u8]) -> SecResult<Self> {
        Ok(AvPairs(
            AvPairsRef::parse(b)?
                .iter()
                .map(|(id, v)| (id, v.to_vec()))
                .collect(),
        ))
    }

    /// Encode with the terminating MsvAvEOL.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.iter().map(|p| 4 + p.1.len()).sum::<usize>() + 4);
        for (id, v) in &self.0 {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&(v.len() as u16).to_le_bytes());
            out.extend_from_slice(v);
        }
        out.extend_from_slice(&[0, 0, 0, 0]);
        out
    }

    pub fn get(&self, id: u16) -> Option<&[u8]> {
        self.0.iter().find(|p| p.0 == id).map(|p| &p.1[..])
    }

    /// Replace the first pair `id` in place, or append it.
    pub fn set(&mut self, id: u16, value: Vec<u8>) {
        match self.0.iter_mut().find(|p| p.0 == id) {
            Some(p) => p.1 = value,
            None => self.0.push((id, value)),
        }
    }

    /// MsvAvFlags as a u32 (0 when absent or short).
    pub fn av_flags(&self) -> u32 {
        self.get(MSV_AV_FLAGS)
            .and_then(|v| v.get(..4))
            .map(|v| u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
            .unwrap_or(0)
    }
}

/// An AV_PAIR list read in place: the bytes [`AvPairs::decode`] accepts,
/// checked once, up to (without) MsvAvEOL.
#[derive(Debug, Clone, Copy, Default)]
pub struct AvPairsRef<'a>(&'a [u8]);

impl<'a> AvPairsRef<'a> {
    /// Check `b` as [`AvPairs::decode`] does (same errors).
    pub fn parse(b: &'a [u8]) -> SecResult<Self> {
        let mut at = 0usize;
        while at < b.len() {
            let id = le16(b, at)?;
            let len = le16(b, at + 2)? as usize;
            if id == MSV_AV_EOL {
                break;
            }
            b.get(at + 4..at + 4 + len).ok_or(SecStatus::InvalidToken)?;
            at += 4 + len;
        }
        Ok(AvPairsRef(&b[..at]))
    }

    /// The pairs in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &'a [u8])> {
        let b = self.0;
        let mut at = 0usize;
        std::iter::from_fn(move || {
            let id = le16(b, at).ok()?;
            let len = le16(b, at + 2).ok()? as usize;
            let v = b.get(at + 4..at + 4 + len)?;
            at += 4 + len;
            Some((id, v))
        })
    }

    /// The first pair `id`.
    pub fn get(&self, id: u16) -> Option<&'a [u8]> {
        self.iter().find(|p| p.0 == id).map(|p| p.1)
    }

    /// MsvAvFlags as a u32 (0 when absent or short).
    pub fn av_flags(&self) -> u32 {
        self.get(MSV_AV_FLAGS)
            .and_then(|v| v.get(..4))
            .map(|v| u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
            .unwrap_or(0)
    }

    /// Append the list to `out` as [`AvPairs::set`] for each of `sets` (in
    /// order, distinct ids) and then [`AvPairs::encode`] would write it:
    /// the first pair of each id in `sets` takes the new value in place,
    /// the others are appended, then MsvAvEOL.
    pub fn encode_with(&self, sets: &[(u16, &[u8])], out: &mut Vec<u8>) {
        fn put(out: &mut Vec<u8>, id: u16, v: &[u8]) {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&(v.len() as u16).to_le_bytes());
            out.extend_from_slice(v);
        }
        debug_assert!(sets.len() <= 8);
        let mut done = [false; 8];
        for (id, v) in self.iter() {
            match sets.iter().position(|s| s.0 == id) {
                Some(i) if !done[i] => {
                    done[i] = true;
                    put(out, id, sets[i].1);
                }
                _ => put(out, id, v),
            }
        }
        for (i, (id, v)) in sets.iter().enumerate() {
            if !done[i] {
                put(out, *id, v);
            }
        }
        out.extend_from_slice(&[0, 0, 0, 0]);
    }

    /// Bytes [`AvPairsRef::encode_with`] writes at most.
    pub fn encoded_len_with(&self, sets: &[(u16, &[u8])]) -> usize {
        self.0.len() + sets.iter().map(|s| 4 + s.1.len()).sum::<usize>() + 4
    }
}
