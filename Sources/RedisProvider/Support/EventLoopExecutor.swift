import NIOCore
import Synchronization

/// A task executor that runs jobs on one NIO event loop.
///
/// Tasks that prefer it run on the thread that also reads and writes that loop's
/// connections. With `connectionsPerNode` equal to the group's size, each loop has its own
/// connection to every node (``RedisNodeClient``), so a command and its reply never change
/// threads: thread-per-core without making NIO Swift Concurrency's global executor.
///
/// ```swift
/// import NIOPosix
///
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
    private let queue = Mutex(JobQueue())

    /// Jobs waiting for the loop. One `execute` runs every job enqueued before it starts,
    /// so a burst of resumed tasks costs one loop task, not one closure per job.
    private struct JobQueue {
        var jobs: [UnownedJob] = []
        var runScheduled = false
        /// The array a finished run hands back, kept for its capacity.
        var spare: [UnownedJob] = []
    }

    public init(_ loop: any EventLoop) {
        self.loop = loop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let schedule = queue.withLock { q in
            q.jobs.append(job)
            if q.runScheduled { return false }
            q.runScheduled = true
            return true
        }
        if schedule { loop.execute { self.runJobs() } }
    }

    private func runJobs() {
        var batch = queue.withLock { q in
            q.runScheduled = false
            var batch = q.spare
            swap(&batch, &q.jobs)
            q.spare = []
            return batch
        }
        let executor = asUnownedTaskExecutor()
        for job in batch { job.runSynchronously(on: executor) }
        batch.removeAll(keepingCapacity: true)
        queue.withLock { q in
            if q.spare.capacity < batch.capacity { q.spare = batch }
        }
    }
}
