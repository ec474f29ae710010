import RESP

/// The commands that open a connection, as a pure machine: `HELLO` (with `AUTH` and
/// `SETNAME`), falling back to RESP2 with `AUTH` on servers without `HELLO`; then `SELECT`,
/// `READONLY` and `CLIENT SETINFO` in one pipeline.
///
/// ``start()`` gives the first commands to send; ``received(_:)`` takes their replies, in
/// order, and gives the next step. The connection state machine runs it while it is
/// handshaking; it is tested without a server.
struct HandshakeStateMachine {
    /// The library name and version sent with `CLIENT SETINFO`.
    static let libraryName = "redis-provider"
    static let libraryVersion = "0.1.0"

    enum Action {
        /// Send these commands and call ``received(_:)`` with all their replies.
        case send([RESPCommand])
        /// The connection is ready, speaking this RESP version.
        case succeed(protocolVersion: Int)
        case fail(RedisError)
    }

    private enum Step {
        case initial
        case hello
        case auth
        /// The set-up pipeline, with where SELECT's and READONLY's replies are in it.
        case setup(select: Int?, readOnly: Int?)
        case done
    }

    let configuration: RedisClientConfiguration
    let endpoint: String
    private var step = Step.initial
    private var version: Int

    init(configuration: RedisClientConfiguration, endpoint: String) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.version = configuration.protocolVersion
    }

    /// The first commands: `HELLO`.
    mutating func start() -> Action {
        precondition(isInitial, "a handshake starts once")
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
        step = .hello
        return .send([hello])
    }

    /// The replies to the commands of the last `.send`, in order.
    mutating func received(_ replies: [RESPValue]) -> Action {
        switch step {
        case .initial, .done:
            preconditionFailure("a handshake reply arrived when none was expected")
        case .hello:
            guard case .error(let error) = replies.first else { return setup(clientNameSent: true) }
            guard isUnknownCommand(error) || error.code == "NOPROTO" else { return fail(authError(error)) }
            // Redis < 6 (or RESP3 refused): RESP2 with AUTH and CLIENT SETNAME.
            version = 2
            if let password = configuration.password {
                step = .auth
                return .send([configuration.username.map { RESPCommand("AUTH", $0, password) } ?? RESPCommand("AUTH", password)])
            }
            return setup(clientNameSent: false)
        case .auth:
            if case .error(let error) = replies.first { return fail(authError(error)) }
            return setup(clientNameSent: false)
        case .setup(let select, let readOnly):
            if let select, case .error(let e) = replies[select] {
                return fail(
                    RedisError(
                        .invalidConfiguration,
                        "The server refused database \(configuration.database) (\(e.message)); pick a database below the server's 'databases' setting (cluster mode has only database 0)",
                        endpoint: endpoint, serverError: e))
            }
            if let readOnly, case .error(let e) = replies[readOnly] {
                return fail(
                    RedisError(
                        .server, "The replica refused READONLY (\(e.message)); is this node in cluster mode?",
                        endpoint: endpoint, serverError: e))
            }
            // CLIENT SETINFO is new in Redis 7.2: older servers' errors are expected and ignored.
            step = .done
            return .succeed(protocolVersion: version)
        }
    }

    private var isInitial: Bool {
        if case .initial = step { return true }
        return false
    }

    private mutating func setup(clientNameSent: Bool) -> Action {
        var commands: [RESPCommand] = []
        if !clientNameSent, let name = configuration.clientName { commands.append(RESPCommand("CLIENT", "SETNAME", name)) }
        var select: Int?
        if configuration.database != 0 {
            select = commands.count
            commands.append(RESPCommand("SELECT", configuration.database))
        }
        var readOnly: Int?
        if configuration.readOnly {
            readOnly = commands.count
            commands.append(RESPCommand("READONLY"))
        }
        commands.append(RESPCommand("CLIENT", "SETINFO", "LIB-NAME", Self.libraryName))
        commands.append(RESPCommand("CLIENT", "SETINFO", "LIB-VER", Self.libraryVersion))
        step = .setup(select: select, readOnly: readOnly)
        return .send(commands)
    }

    private mutating func fail(_ error: RedisError) -> Action {
        step = .done
        return .fail(error)
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
