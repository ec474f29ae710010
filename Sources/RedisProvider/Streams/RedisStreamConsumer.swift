/// A worker of a stream's consumer group, as an `AsyncSequence` of entries: a durable work
/// queue that survives crashed workers.
///
/// Iterating creates the group if needed (with the stream), first hands out the entries this
/// consumer was given before and never acknowledged (after a crash or restart under the same
/// name), then blocks for new entries on a dedicated connection, and every `claimInterval`
/// claims entries that other consumers left unacknowledged for `claimIdle` (they stopped).
/// An entry is acknowledged (`XACK`) when the loop asks for the next one, that is once the
/// loop's body for it has returned: the acknowledgement leaves at once, and its reply is
/// collected before the next read (a failed one is sent again), so workers are not held up by
/// a round trip per entry. An entry whose body threw, or after which the loop broke or the task
/// was cancelled, stays pending and is delivered again: each entry is processed at least once,
/// and exactly once unless a worker stops between its body and the acknowledgement.
///
/// ```swift
/// let jobs = RedisStreamConsumer(stream: "jobs", group: "mailers", consumer: "pod-7", on: redis)
/// for try await job in jobs {                 // ends when the task is cancelled
///     try await sendMail(to: job["to"])       // acknowledged once this returns
/// }
/// ```
///
/// Connection loss, failover and a deleted stream or group are ridden out (the group is
/// created again, and the own pending entries re-read, so deliveries whose reply was lost are
/// not lost); the sequence throws only for other errors or after `giveUpAfter` of failures in a
/// row. In a cluster the stream's key decides the node, like any other.
public struct RedisStreamConsumer: AsyncSequence, Sendable {
    public typealias Element = RedisStreamEntry
    public typealias Failure = RedisError

    /// How a consumer reads, claims and acknowledges.
    public struct Options: Sendable, Hashable {
        /// How many entries one read or claim fetches.
        public var batchSize = 32
        /// The longest single blocking read; cancellation ends a read at once anyway.
        public var block: Duration = .seconds(5)
        /// How long another consumer's entry must stay unacknowledged before this one claims
        /// it; `nil` never claims. The time counts from the delivery of the entry's batch, so
        /// make it longer than the slowest batch (`batchSize` entries) takes to process: an
        /// entry still waiting its turn in a slow worker would be claimed and processed twice.
        public var claimIdle: Duration? = .seconds(60)
        /// How often to look for such entries.
        public var claimInterval: Duration = .seconds(10)
        /// Where a group created by this consumer starts: `0` delivers the whole stream, `$`
        /// only entries added afterwards.
        public var groupStart = "0"
        /// Acknowledges a batch's entries together before the next read (one `XACK` per batch
        /// instead of one per entry): fewer commands for the server; a worker that stops
        /// mid-batch has the entries it already processed in that batch delivered again.
        public var acknowledgeInBatches = false
        /// How long failures in a row (a connection lost, a failover) are retried before the
        /// sequence throws.
        public var giveUpAfter: Duration = .seconds(60)

        public init() {}
    }

    /// The stream's key.
    public let stream: String
    /// The consumer group.
    public let group: String
    /// This consumer's name in the group; give each worker a stable one (a pod name) so that
    /// after a restart it first finishes what it held.
    public let consumer: String
    /// How it reads, claims and acknowledges.
    public let options: Options
    let redis: any RedisCommandExecutor

    /// A consumer `consumer` of `group` on `stream`, sending its commands through `redis`.
    public init(stream: String, group: String, consumer: String, on redis: any RedisCommandExecutor, options: Options = .init()) {
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.redis = redis
        self.options = options
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: self)
    }

    /// Hands out the entries; acknowledges each one when asked for the next.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: RedisStreamConsumer
        var machine: StreamConsumerStateMachine
        /// Acknowledgements sent without waiting, with their ids.
        var acknowledging: [(ids: [String], reply: Task<Void, any Error>)] = []

        init(consumer: RedisStreamConsumer) {
            self.consumer = consumer
            machine = StreamConsumerStateMachine(options: consumer.options, now: .now)
        }

        public mutating func next(isolation actor: isolated (any Actor)? = #isolation) async throws(RedisError) -> RedisStreamEntry? {
            try await produce()
        }

        /// The next entry; `nil` once the task is cancelled.
        public mutating func next() async throws(RedisError) -> RedisStreamEntry? {
            try await produce()
        }

        nonisolated(nonsending) private mutating func produce() async throws(RedisError) -> RedisStreamEntry? {
            var failingSince: ContinuousClock.Instant?
            var pause = Duration.milliseconds(50)
            while !Task.isCancelled {
                let action = machine.next(now: .now)
                do {
                    if case .deliver(let entry) = action { return entry }
                    try await perform(action)
                    failingSince = nil
                    pause = .milliseconds(50)
                } catch {
                    if error.kind == .cancelled || Task.isCancelled { return nil }
                    let now = ContinuousClock.now
                    let since = failingSince ?? now
                    guard Self.isTransient(error), now - since < consumer.options.giveUpAfter else { throw error }
                    failingSince = since
                    machine.failed(action)
                    do { try await Task.sleep(for: pause * Double.random(in: 0.5...1.0)) } catch { return nil }
                    pause = Swift.min(pause * 2, .seconds(2))
                }
            }
            return nil
        }

        nonisolated(nonsending) private mutating func perform(_ action: StreamConsumerStateMachine.Action) async throws(RedisError) {
            let c = consumer
            switch action {
            case .deliver:
                return
            case .createGroup:
                try await c.redis.xgroupCreate(c.stream, group: c.group, startingAfter: c.options.groupStart)
                machine.groupCreated()
            case .acknowledge(let ids):
                try await c.redis.xack(c.stream, group: c.group, ids: ids)
                machine.acknowledged()
            case .acknowledgeInBackground(let ids):
                // Not a child task: a cancelled worker's last acknowledgements still land.
                acknowledging.append((ids, Task { try await c.redis.xack(c.stream, group: c.group, ids: ids) }))
            case .awaitAcknowledgements:
                var failed: [String] = []
                var firstError: RedisError?
                for (ids, reply) in acknowledging {
                    do {
                        try await reply.value
                    } catch {
                        failed += ids
                        firstError = firstError ?? (error as? RedisError) ?? RedisError(.connectionClosed, "\(error)")
                    }
                }
                acknowledging.removeAll(keepingCapacity: true)
                machine.acknowledgementsSettled(failed: failed)
                if let firstError { throw firstError }
            case .readOwnPending(let after):
                let reads = try await c.redis.xreadgroup(
                    group: c.group, consumer: c.consumer, streams: [(c.stream, after)], count: c.options.batchSize)
                machine.received(reads?.first?.entries ?? [])
            case .claim(let start):
                let claim = try await c.redis.xautoclaim(
                    c.stream, group: c.group, consumer: c.consumer, minIdle: c.options.claimIdle ?? .zero, start: start,
                    count: c.options.batchSize)
                machine.claimed(claim, now: .now)
            case .readNew(let block):
                let reads = try await c.redis.xreadgroup(
                    group: c.group, consumer: c.consumer, streams: [(c.stream, ">")], count: c.options.batchSize,
                    block: .upTo(block))
                machine.received(reads?.first?.entries ?? [])
            }
        }

        /// Errors a consumer waits out: the server unreachable or failing over, the group or
        /// stream gone (created again; `UNBLOCKED` is a blocked read's answer to the stream's
        /// deletion).
        static func isTransient(_ error: RedisError) -> Bool {
            switch error.kind {
            case .connectionRefused, .connectTimeout, .commandTimeout, .connectionClosed, .dnsFailure, .clusterDown,
                .outcomeUnknown, .tooManyInFlight, .redirectLimit:
                return true
            case .server:
                return ["NOGROUP", "UNBLOCKED", "LOADING", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY"].contains(error.serverError?.code ?? "")
            default:
                return false
            }
        }
    }
}
