import RESP

/// The one error type of RedisProvider: what went wrong (`kind`), where (`endpoint`), and a
/// message that says what to check. Messages never contain passwords or command arguments.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The URL or configuration is invalid; the message names the part to fix.
        case invalidConfiguration
        /// A host name did not resolve.
        case dnsFailure
        /// Nothing accepts connections at the address (ECONNREFUSED, host unreachable).
        case connectionRefused
        /// Connecting took longer than the connect timeout.
        case connectTimeout
        /// The reply did not arrive within the command timeout. The command may have run.
        case commandTimeout
        /// The connection closed before the reply arrived. The command may have run.
        case connectionClosed
        /// The server refused the credentials (WRONGPASS, NOAUTH, NOPERM during handshake).
        case authentication
        /// TLS could not be established: certificate, hostname or protocol mismatch.
        case tls
        /// The server sent bytes that are not valid RESP or exceed a decoder limit.
        case protocolViolation
        /// The server replied with an error (its code is in `serverError`).
        case server
        /// Too many commands are waiting on one node; the caller should slow down.
        case tooManyInFlight
        /// The client was shut down.
        case shutdown
        /// The calling task was cancelled while waiting.
        case cancelled
        /// The command cannot run on a shared, multiplexed connection (SUBSCRIBE, MONITOR …).
        case unsupportedCommand
        /// Cluster: more MOVED/ASK redirections than the limit for one command.
        case redirectLimit
        /// Cluster: an atomic multi-key command whose keys live in different hash slots.
        case crossSlot
        /// Cluster: the cluster (or the shard owning the slot) is down or has no primary,
        /// and did not recover within the retry budget.
        case clusterDown
        /// Cluster: a write that is not idempotent may have reached the server before its
        /// connection failed; it was not replayed. Check the data before retrying.
        case outcomeUnknown
        /// A lock (``RedisLock``) stayed taken by another holder for the whole wait.
        case lockNotAcquired
        /// A held lock expired or was taken before its holder finished: another holder may
        /// have run meanwhile.
        case lockLost
    }

    public var kind: Kind
    /// What happened and what to check, in one or two sentences.
    public var message: String
    /// The node this happened at, as `host:port`, when known.
    public var endpoint: String?
    /// The error reply, for `.server` (also kept for handshake failures).
    public var serverError: RESPError?

    /// `true` when the command certainly never reached the server (it was still queued, or no
    /// connection could be made), so replaying it is safe whatever it does.
    public internal(set) var commandWasNotSent = false

    public init(_ kind: Kind, _ message: String, endpoint: String? = nil, serverError: RESPError? = nil) {
        self.kind = kind
        self.message = message
        self.endpoint = endpoint
        self.serverError = serverError
    }

    public var description: String {
        if let endpoint { return "\(message) [\(endpoint)]" }
        return message
    }

    /// `true` when the command may or may not have been executed by the server.
    public var outcomeUnknown: Bool {
        !commandWasNotSent && (kind == .commandTimeout || kind == .connectionClosed || kind == .outcomeUnknown)
    }

    /// `true` when a shared connection refused the command unsent because it was closing as
    /// the command arrived: the command may run at once on another (or a reopened) connection.
    var mayRunOnAnotherConnection: Bool {
        commandWasNotSent && kind != .tooManyInFlight && kind != .cancelled
    }

    func markedNotSent() -> RedisError {
        var e = self
        e.commandWasNotSent = true
        return e
    }

    package static func server(_ error: RESPError, endpoint: String?) -> RedisError {
        RedisError(.server, error.message, endpoint: endpoint, serverError: error)
    }

    /// What a node's client answers once it was shut down.
    static func clientShutDown(endpoint: String) -> RedisError {
        RedisError(.shutdown, "The client was shut down", endpoint: endpoint)
    }
}

extension Task where Failure == any Error {
    /// The task's value, its failure as a `RedisError` (other errors become `fallback`'s kind).
    func redisValue(_ fallback: RedisError.Kind, endpoint: String? = nil) async throws(RedisError) -> Success {
        do {
            return try await value
        } catch let e as RedisError {
            throw e
        } catch {
            throw RedisError(fallback, "\(error)", endpoint: endpoint)
        }
    }
}
