import Foundation

/// A throwaway CA with a server certificate (for 127.0.0.1 and localhost) and a client
/// certificate, made with the `openssl` command line tool in a temporary folder.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caCertificate: String { directory + "/ca.crt" }
    public var serverCertificate: String { directory + "/server.crt" }
    public var serverKey: String { directory + "/server.key" }
    public var clientCertificate: String { directory + "/client.crt" }
    public var clientKey: String { directory + "/client.key" }

    /// Makes a CA, a server and a client certificate. `name` tells two CAs apart;
    /// `serverNames` are the server certificate's subject alternative names.
    public static func generate(
        name: String = "RedisProvider Test CA", serverNames: [String] = ["IP:127.0.0.1", "IP:::1", "DNS:localhost"]
    ) throws -> TestCertificates {
        let dir = NSTemporaryDirectory() + "redis-provider-certs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let certs = TestCertificates(directory: dir)
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(name)",
                     "-keyout", dir + "/ca.key", "-out", certs.caCertificate])
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "subjectAltName=\(serverNames.joined(separator: ","))\n".write(toFile: dir + "/san.ext", atomically: true, encoding: .utf8)
        for (role, ext) in [("server", true), ("client", false)] {
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(role)",
                         "-keyout", "\(dir)/\(role).key", "-out", "\(dir)/\(role).csr"])
            var args = ["x509", "-req", "-in", "\(dir)/\(role).csr", "-CA", certs.caCertificate, "-CAkey", dir + "/ca.key",
                        "-CAcreateserial", "-days", "2", "-out", "\(dir)/\(role).crt"]
            if ext { args += ["-extfile", dir + "/san.ext"] }
            try openssl(args)
        }
        return certs
    }

    /// Removes the folder.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `openssl` with `args` (absolute paths only). A `ChildProcess`, not Foundation's
    /// `Process`: on Linux, a `Process` that several threads start at once may never learn
    /// that its child exited, and `waitUntilExit` then waits for ever.
    private static func openssl(_ args: [String]) throws {
        let child = try ChildProcess(path: "/usr/bin/openssl", arguments: args)
        guard child.wait(seconds: 60) else {
            child.signal(SIGKILL)
            throw RedisServerError("openssl \(args.first ?? "") did not finish within 60 s")
        }
        guard child.exitStatus == 0 else { throw RedisServerError("openssl \(args.first ?? "") failed") }
    }
}
