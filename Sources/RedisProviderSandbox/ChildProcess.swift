import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid` by this type alone,
/// so its state never depends on a run loop.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    /// Whether it was reaped, and its exit status then.
    private let reaped = Mutex<(exited: Bool, status: Int32?)>((false, nil))

    /// The exit status once the process has exited and was reaped (128 + n for signal n).
    public var exitStatus: Int32? { reaped.withLock { $0.status } }

    /// Starts `path` with `arguments`; stdin reads /dev/null, stdout and stderr go to the
    /// files named (created or truncated), else to /dev/null. `environment` replaces this
    /// process's environment when given.
    ///
    /// No other descriptor of this process reaches the child. SwiftNIO opens its sockets
    /// without close-on-exec, so a child would otherwise hold every connection open at that
    /// moment: closing one here then sends the server nothing (it keeps, say, a subscription
    /// that was ended), and a daemon the child forks would hold the pipe by which whoever ran
    /// this process learns that it exited (Foundation's `Process`), which then waits for ever.
    public init(
        path: String, arguments: [String], environment: [String: String]? = nil,
        standardOutput: String? = nil, standardError: String? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for (fd, file) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            posix_spawn_file_actions_addopen(&actions, fd, file ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
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
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        #if canImport(Darwin)
        flags |= POSIX_SPAWN_CLOEXEC_DEFAULT  // only 0, 1 and 2, opened above, stay open
        #else
        Self.closeDescriptors(from: 3, in: &actions)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { for p in envp ?? [] { free(p) } }
        var pid: pid_t = 0
        let rc = envp.map { posix_spawn(&pid, path, &actions, &attributes, argv, $0) } ?? posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw RedisServerError("cannot start \(path): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    /// `true` until the process has exited (and was reaped).
    public var isRunning: Bool {
        reaped.withLock { r in
            if r.exited { return false }
            var status: Int32 = 0
            let w = waitpid(pid, &status, WNOHANG)
            if w == pid {
                r.status = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            if w == pid || (w == -1 && errno == ECHILD) { r.exited = true }
            return !r.exited
        }
    }

    #if !canImport(Darwin)
    /// Closes descriptors `first` and above in the child: with glibc 2.34's
    /// `posix_spawn_file_actions_addclosefrom_np` (which Swift's Glibc module does not
    /// declare) whatever is open at the moment of the spawn, else those open now.
    private static func closeDescriptors(from first: Int32, in actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np"),
            unsafeBitCast(symbol, to: CloseFrom.self)(&actions, first) == 0
        {
            return
        }
        guard let dir = opendir("/proc/self/fd") else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if let fd = Int32(name), fd >= first, fd != dirfd(dir) { posix_spawn_file_actions_addclose(&actions, fd) }
        }
    }
    #endif

    /// Sends `signal`.
    public func signal(_ signal: Int32) {
        if !reaped.withLock({ $0.exited }) { _ = kill(pid, signal) }
    }

    /// Stops the process: SIGTERM, then SIGKILL when it is still running after `grace`
    /// seconds, then waits (at most 10 s) until it is reaped.
    public func terminate(grace: Double = 5) {
        guard isRunning else { return }
        signal(SIGTERM)
        if !wait(seconds: grace) {
            signal(SIGKILL)
            wait(seconds: 10)
        }
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
