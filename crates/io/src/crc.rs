//! CRC-32C (Castagnoli), and the "masked" CRC that TF's record formats (TFRecord, tensor bundles,
//! leveldb tables) store: a CRC of data that itself holds CRCs is weak, so stored CRCs are rotated
//! and offset. Pure functions.

/// The delta TF (after leveldb) adds to a rotated CRC.
const MASK_DELTA: u32 = 0xa282_ead8;

/// CRC-32C of `data`.
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// CRC-32C of `data` continued from the CRC `crc` of what came before it.
pub fn extend(crc: u32, data: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, data)
}

/// The masked form of a CRC, as stored in files.
pub fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// The CRC a masked value was made from.
pub fn unmask(masked: u32) -> u32 {
    masked.wrapping_sub(MASK_DELTA).rotate_left(15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_mask_round_trip() {
        // The standard CRC-32C check value, and leveldb's test vectors.
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(crc32c(&[0u8; 32]), 0x8a91_36aa);
        assert_eq!(crc32c(&[0xffu8; 32]), 0x62a8_ab43);
        assert_eq!(extend(crc32c(b"hello "), b"world"), crc32c(b"hello world"));
        let c = crc32c(b"foo");
        assert_ne!(mask(c), c);
        assert_ne!(mask(mask(c)), mask(c));
        assert_eq!(unmask(mask(c)), c);
        assert_eq!(unmask(unmask(mask(mask(c)))), c);
    }
}
