#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks the kernel for a free TCP port on 127.0.0.1 (bind to port 0, read it, close).
/// Another process may take it before it is used; `RedisServer.start` retries on a clash.
public func freeLoopbackPort() -> Int {
    guard let port = freeLoopbackPortIfAny() else { preconditionFailure("cannot bind a socket on 127.0.0.1") }
    return port
}

/// A free TCP port on 127.0.0.1, or `nil` when no socket can be bound there.
public func freeLoopbackPortIfAny() -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
    }
    guard bound == 0 else { return nil }
    let named = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    guard named == 0 else { return nil }
    return Int(UInt16(bigEndian: addr.sin_port))
}
