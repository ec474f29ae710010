import NIOCore
import RESP
import Testing

@testable import RedisProvider

/// The handshake's steps, fed replies made up by the test: no server.
@Suite struct HandshakeStateMachineTests {
    static func names(_ action: HandshakeStateMachine.Action) -> [String] {
        guard case .send(let commands) = action else { return [] }
        return commands.map { c in
            (0..<c.count).compactMap { c.argument(at: $0).map { String(buffer: $0) } }.joined(separator: " ")
        }
    }

    static let ok: RESPValue = .simpleString(ByteBuffer(string: "OK"))

    @Test func resp3WithPasswordNameAndDatabase() {
        var config = RedisClientConfiguration(username: "app", password: "s3cret", database: 2, clientName: "api")
        config.readOnly = true
        var machine = HandshakeStateMachine(configuration: config, endpoint: "127.0.0.1:6379")
        #expect(Self.names(machine.start()) == ["HELLO 3 AUTH app s3cret SETNAME api"])
        let setup = machine.received([.map([])])
        #expect(
            Self.names(setup) == [
                "SELECT 2", "READONLY", "CLIENT SETINFO LIB-NAME redis-provider", "CLIENT SETINFO LIB-VER \(HandshakeStateMachine.libraryVersion)",
            ])
        // Servers before 7.2 refuse SETINFO: that is expected and ignored.
        let unknown = RESPValue.error(RESPError(message: "ERR unknown subcommand 'SETINFO'"))
        guard case .succeed(let version) = machine.received([Self.ok, Self.ok, unknown, unknown]) else {
            Issue.record("the handshake did not finish")
            return
        }
        #expect(version == 3)
    }

    @Test func serverWithoutHelloFallsBackToResp2WithAuth() {
        var machine = HandshakeStateMachine(
            configuration: RedisClientConfiguration(password: "pw", clientName: "api"), endpoint: "127.0.0.1:6379")
        _ = machine.start()
        let auth = machine.received([.error(RESPError(message: "ERR unknown command 'HELLO', with args beginning with: '3'"))])
        #expect(Self.names(auth) == ["AUTH pw"])
        let setup = machine.received([Self.ok])
        #expect(Self.names(setup).first == "CLIENT SETNAME api")
        guard case .succeed(let version) = machine.received([Self.ok, Self.ok, Self.ok]) else {
            Issue.record("the handshake did not finish")
            return
        }
        #expect(version == 2)
    }

    @Test func wrongPasswordSaysWhatToCheckAndHidesThePassword() {
        var machine = HandshakeStateMachine(configuration: RedisClientConfiguration(password: "hunter2"), endpoint: "127.0.0.1:6379")
        _ = machine.start()
        let reply = RESPValue.error(RESPError(message: "WRONGPASS invalid username-password pair or user is disabled."))
        guard case .fail(let error) = machine.received([reply]) else {
            Issue.record("a wrong password did not fail the handshake")
            return
        }
        #expect(error.kind == .authentication)
        #expect(error.message.contains("rejected the user 'default'"))
        #expect(!error.message.contains("hunter2"))
        #expect(error.endpoint == "127.0.0.1:6379")
    }

    @Test func refusedDatabaseIsAConfigurationError() {
        var machine = HandshakeStateMachine(configuration: RedisClientConfiguration(database: 99), endpoint: "127.0.0.1:6379")
        _ = machine.start()
        _ = machine.received([.map([])])
        guard case .fail(let error) = machine.received([.error(RESPError(message: "ERR DB index is out of range")), Self.ok, Self.ok])
        else {
            Issue.record("a refused SELECT did not fail the handshake")
            return
        }
        #expect(error.kind == .invalidConfiguration)
        #expect(error.message.contains("database 99"))
    }
}
