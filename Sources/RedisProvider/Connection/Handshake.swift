import RESP

/// The commands that open a connection: `HELLO` (with `AUTH` and `SETNAME`), falling back to
/// RESP2 with `AUTH` on servers without `HELLO`; then `SELECT` and `CLIENT SETINFO`.
struct Handshake {
    /// The library name and version sent with `CLIENT SETINFO`.
    static let libraryName = "redis-provider"
    static let libraryVersion = "0.1.0"

    let configuration: RedisClientConfiguration
    let endpoint: String

    /// Runs the handshake and returns the RESP version in use.
    func run(on connection: RedisConnection) async throws(RedisError) -> Int {
        var version = configuration.protocolVersion
        var hello = RESPCommand("HELLO", version)
        if let password = configuration.password {
            hello.append("AUTH")
            hello.append(configuration.username ?? "default")
            hello.append(password)
        }
        if let name = configuration.clientName {
            hello.append("SETNAME")
            hello.append(name)
        }
        var setup: [RESPCommand] = []
        let reply = try await connection.send(hello)
        if case .error(let error) = reply {
            if isUnknownCommand(error) || error.code == "NOPROTO" {
                // Redis < 6 (or RESP3 refused): RESP2 with AUTH and CLIENT SETNAME.
                version = 2
                if let password = configuration.password {
                    let auth =
                        configuration.username.map { RESPCommand("AUTH", $0, password) } ?? RESPCommand("AUTH", password)
                    if case .error(let e) = try await connection.send(auth) { throw authError(e) }
                }
                if let name = configuration.clientName { setup.append(RESPCommand("CLIENT", "SETNAME", name)) }
            } else {
                throw authError(error)
            }
        }
        if configuration.database != 0 { setup.append(RESPCommand("SELECT", configuration.database)) }
        let selectIndex = configuration.database != 0 ? setup.count - 1 : nil
        if configuration.readOnly { setup.append(RESPCommand("READONLY")) }
        let readOnlyIndex = configuration.readOnly ? setup.count - 1 : nil
        setup.append(RESPCommand("CLIENT", "SETINFO", "LIB-NAME", Self.libraryName))
        setup.append(RESPCommand("CLIENT", "SETINFO", "LIB-VER", Self.libraryVersion))
        let replies = try await connection.send(pipeline: setup)
        if let selectIndex, case .error(let e) = replies[selectIndex] {
            throw RedisError(
                .invalidConfiguration,
                "The server refused database \(configuration.database) (\(e.message)); pick a database below the server's 'databases' setting (cluster mode has only database 0)",
                endpoint: endpoint, serverError: e)
        }
        if let readOnlyIndex, case .error(let e) = replies[readOnlyIndex] {
            throw RedisError(
                .server, "The replica refused READONLY (\(e.message)); is this node in cluster mode?", endpoint: endpoint,
                serverError: e)
        }
        // CLIENT SETINFO is new in Redis 7.2: older servers' errors are expected and ignored.
        return version
    }

    private func isUnknownCommand(_ error: RESPError) -> Bool {
        error.code == "ERR" && error.message.lowercased().contains("unknown command")
    }

    private func authError(_ error: RESPError) -> RedisError {
        let user = configuration.username ?? "default"
        let hint: String
        switch error.code {
        case "NOAUTH":
            hint = "The server requires a password; put it in the URL as redis://:PASSWORD@host or redis://USER:PASSWORD@host"
        case "WRONGPASS":
            hint = "The server rejected the user '\(user)' or its password; check the credentials in the URL or secret"
        case "NOPERM":
            hint = "The user '\(user)' may not run the connection set-up commands (HELLO, CLIENT); check its ACL"
        default:
            hint = "The connection handshake failed: \(error.message)"
        }
        let kind: RedisError.Kind = ["NOAUTH", "WRONGPASS", "NOPERM"].contains(error.code) ? .authentication : .server
        return RedisError(kind, hint, endpoint: endpoint, serverError: error)
    }
}
