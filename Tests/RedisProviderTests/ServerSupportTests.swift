import Foundation
import RESP
import RedisProvider
import RedisProviderTestSupport
import Testing

/// Proves the single-server test support starts the server it says it started.
@Suite struct ServerSupportTests {
    /// Tests start many servers at once, each on a port that was free a moment earlier: one
    /// that loses its port to another must fail, not hand its test the other's server.
    @Test func aServerThatCannotBindItsPortIsNotTakenForTheOneThere() async throws {
        let first = try await RedisServer.start()
        defer { first.stop() }
        for _ in 0..<3 {
            let error = await #expect(throws: RedisServerError.self) {
                let second = try await RedisServer.start(port: first.port, timeout: .seconds(10))
                second.stop()
            }
            #expect(error?.description.contains("Address already in use") == true)
        }
        #expect(ServerIdentity.processID(inInfo: "# Server\r\nredis_version:7.0.15\r\nprocess_id:4242\r\ntcp_port:6379\r\n") == 4242)
        #expect(ServerIdentity.processID(inInfo: "# Server\r\nredis_version:7.0.15\r\n") == nil)
    }

    /// SwiftNIO opens sockets without close-on-exec: a server started while a connection is
    /// open must not hold that connection, or closing it tells the server nothing.
    @Test func aStartedProcessHoldsNoneOfThisProcesssConnections() async throws {
        try await withServer { server in
            let connection = try await RedisConnection.connect(to: server.endpoint, configuration: .init())
            #expect(try await connection.send(RESPCommand("CLIENT", "SETNAME", "watched")).string == "OK")
            let child = try ChildProcess(path: "/bin/sleep", arguments: ["30"])
            defer { child.terminate(grace: 0) }
            await connection.close(graceful: false)
            let observer = try await RedisConnection.connect(to: server.endpoint, configuration: .init())
            defer { Task { await observer.close() } }
            let gone = try await eventually(.seconds(5)) {
                !(try await observer.send(RESPCommand("CLIENT", "LIST")).string ?? "").contains("name=watched ")
            }
            #expect(gone, "the server still has the closed connection: the child holds its socket")
        }
    }
}
