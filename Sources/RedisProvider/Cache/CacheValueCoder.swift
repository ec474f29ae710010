import Foundation
import NIOCore

/// Turns cache values into bytes and back. The default is `JSONCacheValueCoder`; plug in
/// another (property lists, a binary format) with the providers' `coder:` parameter.
///
/// Errors thrown here reach the caller as `CacheError` of kind `.encodingFailed` or
/// `.decodingFailed`, with the key and the type named.
public protocol CacheValueCoder: Sendable {
    /// The bytes to store for `value`.
    func encode<T: Encodable>(_ value: T) throws -> ByteBuffer
    /// A value of `type` read from stored bytes.
    func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer) throws -> T
}

/// JSON with Foundation's `JSONEncoder`/`JSONDecoder` (whose settings you may pass in).
///
/// A `String` stored as a plain JSON string (no escapes) is read without `JSONDecoder`, whose
/// fixed cost per call is larger than a cache hit's for small values; the result is the same.
public struct JSONCacheValueCoder: CacheValueCoder {
    private let encoder: JSONEncoder
    private let decoder: JSONDecoder

    /// A coder using these (shared, not to be changed afterwards) encoder and decoder.
    public init(encoder: JSONEncoder = JSONEncoder(), decoder: JSONDecoder = JSONDecoder()) {
        self.encoder = encoder
        self.decoder = decoder
    }

    public func encode<T: Encodable>(_ value: T) throws -> ByteBuffer {
        ByteBuffer(bytes: try encoder.encode(value))
    }

    public func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer) throws -> T {
        if T.self == String.self, let string = Self.plainString(bytes) { return string as! T }
        // Decode straight from the buffer's memory: no copy, even for a 1 MiB value.
        return try bytes.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return try decoder.decode(T.self, from: Data()) }
            let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none)
            return try decoder.decode(T.self, from: data)
        }
    }

    /// `"text"` without escapes or control characters, as valid UTF-8: the string between the
    /// quotes; anything else is left to `JSONDecoder`.
    static func plainString(_ bytes: ByteBuffer) -> String? {
        bytes.withUnsafeReadableBytes { raw -> String? in
            let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
            guard raw.count >= 2, raw[0] == quote, raw[raw.count - 1] == quote else { return nil }
            let body = UnsafeRawBufferPointer(rebasing: raw[1..<(raw.count - 1)])
            for byte in body where byte < 0x20 || byte == quote || byte == backslash { return nil }
            return String(validating: body, as: UTF8.self)
        }
    }
}

extension CacheValueCoder {
    func encodeValue<T: Encodable>(_ value: T, key: String) throws(CacheError) -> ByteBuffer {
        do { return try encode(value) } catch { throw CacheError.encoding(T.self, key: key, error: error) }
    }

    func decodeValue<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer, key: String) throws(CacheError) -> T {
        do { return try decode(type, from: bytes) } catch { throw CacheError.decoding(T.self, key: key, error: error) }
    }
}
