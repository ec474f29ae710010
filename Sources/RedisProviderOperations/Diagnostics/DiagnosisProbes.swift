import NIOCore
import NIOPosix
import RESP
import RedisProvider

/// The I/O of a diagnosis, kept thin: each function makes one observation and returns it
/// as data for `DiagnosisRules` to judge.
enum DiagnosisProbes {
    /// The addresses `host` resolves to (itself for an IP literal), and how long it took.
    static func resolve(_ host: String) async -> (addresses: [String], duration: Duration) {
        let start = ContinuousClock.now
        if DiagnosisRules.isIPAddress(host) { return ([host], ContinuousClock.now - start) }
        let found = (try? await NIOThreadPool.run { SeedResolver.addresses(of: host) }) ?? []
        return (found, ContinuousClock.now - start)
    }

    /// Opens and closes a bare TCP connection to `address`; the error, or `nil`.
    static func tcpConnect(_ address: RedisEndpoint, timeout: Duration) async -> (error: RedisError?, duration: Duration) {
        let start = ContinuousClock.now
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeout))
                .connect(host: address.host, port: address.port)
                .valueOrCancellation { $0.close(promise: nil) }
            let duration = ContinuousClock.now - start
            try? await channel.close()
            return (nil, duration)
        } catch {
            let mapped = RedisConnection.mapConnectError(
                error, endpoint: address, configuration: RedisClientConfiguration(connectTimeout: timeout))
            return (mapped, ContinuousClock.now - start)
        }
    }

    /// Connects with the full handshake (TLS, `HELLO`/`AUTH`, `SELECT`).
    static func connect(
        _ endpoint: RedisEndpoint, _ configuration: RedisClientConfiguration
    ) async -> (result: Result<RedisConnection, RedisError>, duration: Duration) {
        let start = ContinuousClock.now
        do {
            let connection = try await RedisConnection.connect(to: endpoint, configuration: configuration)
            return (.success(connection), ContinuousClock.now - start)
        } catch {
            return (.failure(error), ContinuousClock.now - start)
        }
    }

    /// Sends `command`; an error reply becomes a `.server` error.
    static func send(_ command: RESPCommand, on connection: RedisConnection) async -> (result: Result<RESPValue, RedisError>, duration: Duration) {
        let start = ContinuousClock.now
        do {
            let reply = try await connection.send(command)
            let duration = ContinuousClock.now - start
            if case .error(let e) = reply { return (.failure(.server(e, endpoint: connection.endpoint.description)), duration) }
            return (.success(reply), duration)
        } catch {
            return (.failure(error), ContinuousClock.now - start)
        }
    }

    /// The median round trip of `count` `PING`s on a fresh connection to `endpoint`.
    static func roundTrip(_ endpoint: RedisEndpoint, _ configuration: RedisClientConfiguration, count: Int = 3) async -> Result<Duration, RedisError> {
        let (connected, _) = await connect(endpoint, configuration)
        guard case .success(let connection) = connected else {
            if case .failure(let e) = connected { return .failure(e) }
            return .failure(RedisError(.connectionClosed, "no connection"))
        }
        var samples: [Duration] = []
        for _ in 0..<count {
            let (result, duration) = await send(RESPCommand("PING"), on: connection)
            if case .failure(let e) = result {
                await connection.close(graceful: false)
                return .failure(e)
            }
            samples.append(duration)
        }
        await connection.close(graceful: false)
        return .success(samples.sorted()[samples.count / 2])
    }
}
