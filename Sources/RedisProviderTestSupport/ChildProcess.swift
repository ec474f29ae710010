#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid` by this type alone,
/// so its state never depends on a run loop.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private var exited = false

    /// Starts `path` with `arguments`; stdin, stdout and stderr go to /dev/null.
    public init(path: String, arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // Start with no blocked signals and default dispositions: the parent (a test runner,
        // an event loop) may block SIGTERM, and a child inheriting that would ignore `stop()`.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw RedisServerError("cannot start \(path): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    /// `true` until the process has exited (and was reaped).
    public var isRunning: Bool {
        if exited { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid || (r == -1 && errno == ECHILD) { exited = true }
        return !exited
    }

    /// Sends `signal`.
    public func signal(_ signal: Int32) {
        if !exited { _ = kill(pid, signal) }
    }

    /// Waits until the process exits, at most `seconds`; returns whether it did.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        var waited = 0.0
        while isRunning {
            if waited >= seconds { return false }
            usleep(5_000)
            waited += 0.005
        }
        return true
    }
}
