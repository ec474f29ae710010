import NIOCore

/// A task executor that runs jobs on one NIO event loop.
///
/// Tasks that prefer it run on the thread that also reads and writes that loop's
/// connections. With `connectionsPerNode` equal to the group's size, each loop has its own
/// connection to every node (``RedisNodeClient``), so a command and its reply never change
/// threads: thread-per-core without making NIO Swift Concurrency's global executor.
///
/// ```swift
/// let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
/// var configuration = RedisClientConfiguration(url: url)
/// configuration.connectionsPerNode = 2
/// let redis = try RedisProvider(url: url, configuration: configuration, eventLoopGroup: group)
/// let executors = Array(group.makeIterator()).map(EventLoopExecutor.init)
/// await withTaskGroup(of: Void.self) { tasks in
///     for i in 0..<50 {
///         tasks.addTask(executorPreference: executors[i % executors.count]) { _ = try? await redis.get("k\(i)") }
///     }
/// }
/// ```
public final class EventLoopExecutor: TaskExecutor {
    /// The loop the jobs run on.
    public let loop: any EventLoop

    public init(_ loop: any EventLoop) {
        self.loop = loop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
