#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix

/// Turns the seed host names of a cluster URL into every address they resolve to, so that a
/// headless Kubernetes service name yields all its pods. IP literals pass through.
package enum SeedResolver {
    package static func resolve(_ seeds: [RedisEndpoint]) async -> [RedisEndpoint] {
        var result: [RedisEndpoint] = []
        for seed in seeds {
            let host = seed.host
            let found = (try? await NIOThreadPool.run { Self.addresses(of: host) }) ?? []
            if found.isEmpty {
                result.append(seed)  // let connecting report the DNS error with its hint
            } else {
                for a in found where !result.contains(RedisEndpoint(host: a, port: seed.port)) {
                    result.append(RedisEndpoint(host: a, port: seed.port))
                }
            }
        }
        return result
    }

    /// The IPv4 and IPv6 addresses of `host` (blocking getaddrinfo; run off the event loops).
    package static func addresses(of host: String) -> [String] {
        var hints = addrinfo()
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)  // an enum in Glibc
        #else
        hints.ai_socktype = SOCK_STREAM  // a macro elsewhere (Darwin, Musl)
        #endif
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var found: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if let addr = info.pointee.ai_addr,
                getnameinfo(addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0
            {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !found.contains(text) { found.append(text) }
            }
            cursor = info.pointee.ai_next
        }
        return found
    }
}
