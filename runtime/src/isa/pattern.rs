//! Bit patterns written as strings, turned into `(mask, match)` at compile time.
//!
//! A pattern lists the bits from most to least significant: `0` and `1` are
//! fixed bits, `-` is a don't-care operand bit, spaces and `_` are ignored.
//! A pattern has exactly 32 or 16 significant characters; anything else fails
//! the build, so a typo in the table cannot reach run time.

/// A compiled bit pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// Bits that are fixed.
    pub mask: u32,
    /// Values of the fixed bits.
    pub bits: u32,
    /// Instruction length in bytes (2 or 4).
    pub len: u8,
}

impl Pattern {
    /// Parses a pattern string; a malformed string is a compile-time error when used in a `const`.
    pub const fn parse(s: &str) -> Pattern {
        let b = s.as_bytes();
        let mut i = 0;
        let mut mask = 0u32;
        let mut bits = 0u32;
        let mut n = 0;
        while i < b.len() {
            match b[i] {
                b'0' => {
                    mask = (mask << 1) | 1;
                    bits <<= 1;
                    n += 1;
                }
                b'1' => {
                    mask = (mask << 1) | 1;
                    bits = (bits << 1) | 1;
                    n += 1;
                }
                b'-' => {
                    mask <<= 1;
                    bits <<= 1;
                    n += 1;
                }
                b' ' | b'_' => {}
                _ => panic!("bad character in instruction pattern"),
            }
            i += 1;
        }
        let len = match n {
            32 => 4,
            16 => 2,
            _ => panic!("instruction pattern must have 16 or 32 bits"),
        };
        Pattern { mask, bits, len }
    }

    /// Whether `raw` matches.
    #[inline]
    pub const fn matches(&self, raw: u32) -> bool {
        raw & self.mask == self.bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fixed_and_free_bits() {
        let p = Pattern::parse("0000000 ----- ----- 000 ----- 0110011");
        assert_eq!(p.mask, 0xfe00_707f);
        assert_eq!(p.bits, 0x0000_0033);
        assert_eq!(p.len, 4);
        let c = Pattern::parse("000 - ----- ----- 01");
        assert_eq!(c.mask, 0xe003);
        assert_eq!(c.bits, 0x0001);
        assert_eq!(c.len, 2);
    }
}
