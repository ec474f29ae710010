import ArgumentParser
import Foundation
import RedisProvider

/// `redis-provider lock NAME -- COMMAND …`: runs a command while holding a `RedisLock`, like
/// `flock` across machines (a cron job that must not run twice at once in a cluster of pods).
struct Lock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command while holding a lock in Redis, so that only one runs at a time across machines.",
        discussion: """
            The lock is the key NAME, taken with SET NX PX and a random token and renewed every
            third of --lease while the command runs. Exit status: the command's own; 1 when the
            lock stayed taken for --timeout, or was lost while the command ran (it expired while
            this process could not renew it, or was deleted): the command is then sent SIGTERM,
            and SIGKILL 5 seconds later, since another holder may already run.

            Examples:
              redis-provider lock lock:nightly-report -- ./build-report.sh
              redis-provider lock lock:migrate --lease 30 --timeout 0 -- ./migrate.sh   # give up at once if taken
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The key that holds the lock.")
    var name: String

    @Option(help: "Seconds the lock lasts without a renewal (renewed every third of it).")
    var lease: Double = 10

    @Option(help: "Seconds to wait for the lock when another holder has it.")
    var timeout: Double = 30

    @Argument(parsing: .postTerminator, help: "The command to run and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("Give the command to run after --, e.g. redis-provider lock \(name) -- ./job.sh") }
        guard lease >= 0.003 else { throw ValidationError("--lease must be at least 0.003 seconds") }
        guard timeout >= 0 else { throw ValidationError("--timeout must not be negative") }
    }

    func run() async throws {
        let settings = try await connection.settings()
        let client = try connection.makeProvider(settings)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = command
        let status: Int32
        do {
            status = try await client.withLock(name, lease: .milliseconds(Int64(lease * 1000)), timeout: .milliseconds(Int64(timeout * 1000))) {
                try await Self.runToCompletion(child)
            }
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        if status != 0 { throw CLIExit(status: status) }
    }

    /// Runs `child` and returns its exit status (128 + the signal when a signal ended it); a
    /// cancelled task sends it SIGTERM, then SIGKILL after 5 seconds.
    static func runToCompletion(_ child: Process) async throws -> Int32 {
        let exited = AsyncStream<Int32>.makeStream()
        child.terminationHandler = { process in
            let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
            exited.continuation.yield(status)
            exited.continuation.finish()
        }
        try child.run()
        let pid = child.processIdentifier
        return await withTaskCancellationHandler {
            for await status in exited.stream { return status }
            return 1
        } onCancel: {
            kill(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) { if child.isRunning { kill(pid, SIGKILL) } }
        }
    }
}
