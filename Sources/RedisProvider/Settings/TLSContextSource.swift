import NIOSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The TLS context of a client, built from its certificate files and built again when they
/// change on disk: Kubernetes rotates a mounted Secret by swapping the files, and the next
/// connection then presents (and trusts) the new certificates without a restart. Live
/// connections keep the session they negotiated.
///
/// Checking costs a `stat` per file and connection opened. Files caught half-written (a
/// rotation in progress) keep the previous context until they load.
final class TLSContextSource: Sendable {
    private let configuration: RedisTLSConfiguration
    private let state: Mutex<(context: NIOSSLContext, fingerprint: [FileFingerprint?])>

    /// What tells a file's version apart: which file it is and when and how it was written.
    struct FileFingerprint: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var modifiedNanoseconds: Int64
    }

    init(_ configuration: RedisTLSConfiguration) throws(RedisError) {
        self.configuration = configuration
        let fingerprint = Self.fingerprint(configuration)
        state = Mutex((try configuration.makeContext(), fingerprint))
    }

    /// The context for a new connection: rebuilt first when a file changed.
    var current: NIOSSLContext {
        let now = Self.fingerprint(configuration)
        let (context, known) = state.withLock { ($0.context, $0.fingerprint) }
        guard now != known, let rebuilt = try? configuration.makeContext() else { return context }
        state.withLock { $0 = (rebuilt, now) }
        return rebuilt
    }

    private static func fingerprint(_ configuration: RedisTLSConfiguration) -> [FileFingerprint?] {
        [configuration.caFile, configuration.certificateFile, configuration.keyFile].map { path in
            guard let path else { return nil }
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            #if canImport(Darwin)
            let (seconds, nanoseconds) = (Int64(info.st_mtimespec.tv_sec), Int64(info.st_mtimespec.tv_nsec))
            #else
            let (seconds, nanoseconds) = (Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec))
            #endif
            return FileFingerprint(
                device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size), modified: seconds,
                modifiedNanoseconds: nanoseconds)
        }
    }
}
