import NIOCore

/// The hash slot of a key: Redis Cluster splits the key space into 16384 slots and every
/// key belongs to exactly one, `CRC16(key) mod 16384`.
///
/// Only part of the key is hashed when it contains a *hash tag*: the bytes between the
/// first `{` and the first `}` after it, provided there is at least one byte between them.
/// Keys sharing a tag share a slot, which is what lets multi-key commands run in a cluster:
/// `{user1000}.following` and `{user1000}.followers` both hash `user1000`.
/// `foo{}{bar}` hashes the whole key (the first tag is empty), `foo{{bar}}zap` hashes
/// `{bar`, and `foo{bar}{zap}` hashes `bar`.
public enum HashSlot {
    /// The number of hash slots in a Redis Cluster.
    public static let count = 16384

    /// The slot of a key given as the readable bytes of a buffer.
    @inlinable
    public static func slot(for key: ByteBuffer) -> Int {
        slot(forBytes: key.readableBytesView)
    }

    /// The slot of a key given as text (hashed as its UTF-8 bytes).
    @inlinable
    public static func slot(for key: String) -> Int {
        var key = key
        return key.withUTF8 { slot(forBytes: $0) }
    }

    /// The slot of a key given as any collection of bytes.
    @inlinable
    public static func slot<Bytes: Collection>(forBytes key: Bytes) -> Int where Bytes.Element == UInt8 {
        if let slot = key.withContiguousStorageIfAvailable({ slot(contiguous: $0) }) {
            return slot
        }
        return Array(key).withUnsafeBufferPointer { slot(contiguous: $0) }
    }

    /// The slot of contiguous key bytes: finds the hash tag, then CRC16 mod 16384.
    @usableFromInline
    static func slot(contiguous key: UnsafeBufferPointer<UInt8>) -> Int {
        var hashed = key[...]
        if let open = key.firstIndex(of: UInt8(ascii: "{")),
            let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
            close > open + 1
        {
            hashed = key[(open + 1)..<close]
        }
        return Int(crc16(hashed) & 0x3FFF)
    }

    /// CRC16-CCITT in the XMODEM variant (polynomial 0x1021, initial value 0), the checksum
    /// the Redis Cluster specification uses for key hashing.
    @usableFromInline
    static func crc16(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> UInt16 {
        var crc: UInt16 = 0
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
            }
        }
        return crc
    }

    /// The 256-entry lookup table of CRC16/XMODEM, computed once.
    static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }
}
