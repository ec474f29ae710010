import NIOCore
import RESP

/// libFuzzer entry point: the decoder must never crash, hang or allocate without bound, and
/// must give the same values however the input is split.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let limits = RESPDecoderLimits(maxBulkLength: 1 << 20, maxAggregateLength: 1 << 16, maxDepth: 32, maxLineLength: 4096)

    func decode(splitAt split: Int) -> (values: [RESPValue], failed: Bool) {
        var parser = RESPParser(limits: limits)
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        for chunk in [bytes[..<split], bytes[split...]] {
            buffer.writeBytes(chunk)
            do {
                while let v = try parser.next(from: &buffer) { values.append(v) }
            } catch {
                return (values, true)
            }
        }
        return (values, false)
    }

    let whole = decode(splitAt: size)
    let split = decode(splitAt: size / 2)
    // Same values before any error, and the same verdict.
    precondition(whole.failed == split.failed, "a split changed whether the input is valid")
    if !whole.failed { precondition(whole.values == split.values || whole.values.description == split.values.description, "a split changed the values") }

    // Whatever decodes must encode and decode again to the same value.
    for value in whole.values where !value.containsNaN {
        var out = ByteBuffer()
        out.writeRESPValue(value)
        var parser = RESPParser()
        precondition((try? parser.next(from: &out)) == value, "re-encoding changed \(value)")
    }
    return 0
}

extension RESPValue {
    /// NaN is not equal to itself, so round trips of NaN are not compared.
    var containsNaN: Bool {
        switch self {
        case .double(let d): return d.isNaN
        case .array(let a), .set(let a), .push(let a): return a.contains { $0.containsNaN }
        case .map(let m): return m.contains { $0.key.containsNaN || $0.value.containsNaN }
        default: return false
        }
    }
}

// SwiftPM points an executable's `main` at `<Module>_main`; hand control to libFuzzer there.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("RESPFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}
