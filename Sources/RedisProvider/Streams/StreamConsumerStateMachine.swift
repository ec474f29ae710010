/// What a ``RedisStreamConsumer`` does next, decided without I/O: create its group, drain the
/// entries it already holds, claim the ones dead consumers left, block for new ones, and
/// acknowledge each entry once its handler has returned — at once but without waiting for the
/// reply (collected before the next read), or together per batch.
struct StreamConsumerStateMachine: Sendable {
    enum Phase: Equatable {
        /// `XGROUP CREATE … MKSTREAM` (an existing group is kept): first, and again after an
        /// error, since the stream may have been deleted or a failover lost the group.
        case createGroup
        /// Re-reading this consumer's own pending entries after `after`: what it was given
        /// before a restart or a lost reply and never acknowledged.
        case ownPending(after: String)
        /// Blocking for entries never delivered to the group (`>`).
        case new
    }

    enum Action {
        case createGroup
        /// `XACK` the ids and wait for the reply.
        case acknowledge([String])
        /// `XACK` the ids without waiting: the reply is collected before the next read.
        case acknowledgeInBackground([String])
        /// Collect the replies of the background acknowledgements before reading on.
        case awaitAcknowledgements
        case readOwnPending(after: String)
        case claim(start: String)
        case readNew(block: Duration)
        case deliver(RedisStreamEntry)
    }

    let options: RedisStreamConsumer.Options
    private(set) var phase = Phase.createGroup
    private var buffer: [RedisStreamEntry] = []
    private var bufferIndex = 0
    /// The entry last delivered: its handler is running until the next call of `next`.
    private var delivered: String?
    private var toAcknowledge: [String] = []
    private var acknowledgementsInFlight = 0
    private var claimCursor = "0-0"
    private var nextClaim: ContinuousClock.Instant?

    init(options: RedisStreamConsumer.Options, now: ContinuousClock.Instant) {
        self.options = options
        // The first claim comes right after the own pending entries: a restarted worker picks
        // up what dead ones left.
        nextClaim = options.claimIdle.map { _ in now }
    }

    /// The next step; called again after the step's outcome was reported.
    mutating func next(now: ContinuousClock.Instant) -> Action {
        if let id = delivered {
            toAcknowledge.append(id)
            delivered = nil
        }
        // Entries still to hand out; each batch's acknowledgements go before the next read.
        while bufferIndex < buffer.count {
            if !options.acknowledgeInBatches, !toAcknowledge.isEmpty {
                defer { toAcknowledge.removeAll(keepingCapacity: true) }
                acknowledgementsInFlight += 1
                return .acknowledgeInBackground(toAcknowledge)
            }
            let entry = buffer[bufferIndex]
            bufferIndex += 1
            guard entry.fields != nil else {
                toAcknowledge.append(entry.id)  // deleted from the stream while pending: nothing to process
                continue
            }
            delivered = entry.id
            return .deliver(entry)
        }
        if acknowledgementsInFlight > 0 { return .awaitAcknowledgements }
        if !toAcknowledge.isEmpty { return .acknowledge(toAcknowledge) }
        switch phase {
        case .createGroup:
            return .createGroup
        case .ownPending(let after):
            return .readOwnPending(after: after)
        case .new:
            if let due = nextClaim {
                if now >= due { return .claim(start: claimCursor) }
                return .readNew(block: max(min(options.block, due - now), .milliseconds(1)))
            }
            return .readNew(block: options.block)
        }
    }

    mutating func groupCreated() {
        phase = .ownPending(after: "0")
    }

    mutating func acknowledged() {
        toAcknowledge.removeAll(keepingCapacity: true)
    }

    /// The background acknowledgements answered; the ids of those that failed are sent again.
    mutating func acknowledgementsSettled(failed ids: [String]) {
        acknowledgementsInFlight = 0
        toAcknowledge.insert(contentsOf: ids, at: 0)
    }

    /// Entries read with `XREADGROUP`: this consumer's own pending ones (none left: on to new
    /// entries) or new ones.
    mutating func received(_ entries: [RedisStreamEntry]) {
        if case .ownPending = phase {
            phase = entries.last.map { .ownPending(after: $0.id) } ?? .new
        }
        buffer = entries
        bufferIndex = 0
    }

    /// Entries claimed from consumers that left them idle; once the scan of the pending list
    /// wrapped round, the next one starts after the claim interval.
    mutating func claimed(_ claim: RedisAutoClaim, now: ContinuousClock.Instant) {
        claimCursor = claim.next
        if claim.next == "0-0" || claim.entries.isEmpty && claim.deleted.isEmpty {
            claimCursor = "0-0"
            nextClaim = now + options.claimInterval
        }
        buffer = claim.entries
        bufferIndex = 0
    }

    /// A step failed and will be retried: acknowledgements are sent again; a failed read
    /// starts over from the group, so entries whose delivery reply was lost come back through
    /// this consumer's pending list.
    mutating func failed(_ action: Action) {
        switch action {
        case .acknowledge, .acknowledgeInBackground, .awaitAcknowledgements, .deliver: return
        case .createGroup, .readOwnPending, .claim, .readNew: phase = .createGroup
        }
    }
}
