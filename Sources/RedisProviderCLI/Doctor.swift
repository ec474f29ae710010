import ArgumentParser
import Foundation
import RedisProvider
import RedisProviderOperations

/// `redis-provider doctor`: the troubleshooting list, checked step by step.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a server or cluster step by step and say what to fix.",
        discussion: """
            Walks the troubleshooting list in order: the URL parses; cluster or standalone mode \
            and why; DNS for each host (every address); TCP to each address; TLS (rediss://); \
            AUTH; PING; then for a cluster its state, slot coverage, every announced node with \
            its round trip, roles and replicas, and latency; for a standalone server its role. \
            Each check prints ✓ (ok), ! (warning), ✗ (failed, with a fix) or - (skipped because \
            an earlier one failed). Passwords are never printed.

            --probe is for a Kubernetes readiness or liveness exec probe: only the URL, one \
            connection, PING and (cluster) cluster_state, all within --timeout (default 2 s); \
            nothing on stdout, one line on stderr when unhealthy.

            Exit status: 0 healthy (warnings allowed), 1 a check failed or the time limit \
            passed, 2 a usage error.

            Examples:
              redis-provider doctor
              redis-provider doctor --url 'redis://redis-cluster.redis.svc.cluster.local:6379?cluster=true'
              redis-provider doctor --json | jq '.steps[] | select(.status == "failed")'
              redis-provider doctor --address-map node-0.redis:6379=127.0.0.1:7000,node-1.redis:6379=127.0.0.1:7001
              redis-provider doctor --probe --timeout 2

            In a Deployment:
              readinessProbe:
                exec:
                  command: ["redis-provider", "doctor", "--probe", "--timeout", "2"]
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Flag(name: .long, help: "Quick and quiet check for a Kubernetes exec probe: exit 0 healthy, 1 not.")
    var probe = false

    @Option(name: .long, help: "Seconds the whole check may take (default: 2 with --probe, else 15).")
    var timeout: Double?

    @Option(
        name: .long,
        help: "Rewrite announced cluster addresses, as the redis.address-map setting: ANNOUNCED=REACHABLE pairs of host:port, separated by commas.")
    var addressMap: String?

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout <= 3600) {
            throw ValidationError("--timeout must be a number of seconds from 0 (exclusive) to 3600")
        }
        if let addressMap {
            do { _ = try DoctorOptions.addressMap(parsing: addressMap) } catch { throw ValidationError(error.message) }
        }
    }

    func run() async throws {
        let seconds = timeout ?? (probe ? 2 : 15)
        var options = DoctorOptions(timeout: .milliseconds(Int64(seconds * 1000)), quick: probe)
        if let addressMap { options.addressMap = try DoctorOptions.addressMap(parsing: addressMap) }
        let text = try await connection.configuredURLText()
        let report = await RedisDoctor(options: options).diagnose(url: text)

        if probe {
            if !report.isHealthy { FileHandle.standardError.write(Data((report.summary + "\n").utf8)) }
        } else if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            let color = DiagnosisReport.shouldUseColor(
                isTerminal: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
            FileHandle.standardOutput.write(Data(report.rendered(color: color).utf8))
        }
        if !report.isHealthy { throw CLIExit(status: 1) }
    }
}
