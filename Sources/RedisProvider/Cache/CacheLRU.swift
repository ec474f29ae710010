import NIOCore

/// The memory cache's storage: least-recently-used eviction with a time to live, limited in
/// entries and in bytes. Pure and single-threaded: time comes in as `now`, so tests step a
/// clock by hand; `MemoryCacheProvider` puts it behind a lock.
///
/// Entries form a doubly linked list threaded through an array (newest first), with a
/// dictionary from key to slot, so lookups, inserts, moves to the front and evictions are
/// O(1). An entry's cost is its key's UTF-8 bytes plus its value's bytes.
///
/// Expired entries are never returned: a lookup drops the entry it finds expired, each insert
/// looks at a couple of slots in turn and drops those that have expired (so expired entries
/// that are never read again are reclaimed too), and eviction takes the least recently used.
struct CacheLRU {
    typealias Instant = ContinuousClock.Instant

    private struct Node {
        var key: String
        var value: ByteBuffer
        var expiresAt: Instant?
        var cost: Int
        var newer: Int
        var older: Int
    }

    /// At most this many entries.
    let maxEntries: Int
    /// At most this many bytes of keys and values.
    let maxBytes: Int

    private var nodes: [Node?] = []
    private var freeSlots: [Int] = []
    private var index: [String: Int] = [:]
    private var newest = -1
    private var oldest = -1
    private var sweepCursor = 0
    /// Slots inspected for expired entries per insert.
    private let sweepPerInsert: Int

    /// The bytes of keys and values held (expired entries not yet dropped included).
    private(set) var totalBytes = 0

    /// `sweepPerInsert`: slots looked at for expired entries per insert (0 turns the sweep off).
    init(maxEntries: Int, maxBytes: Int, sweepPerInsert: Int = 2) {
        self.maxEntries = max(0, maxEntries)
        self.maxBytes = max(0, maxBytes)
        self.sweepPerInsert = sweepPerInsert
    }

    /// Entries held (expired entries not yet dropped included).
    var count: Int { index.count }

    /// The value for `key` unless missing or expired at `now`; marks it most recently used.
    mutating func value(for key: String, now: Instant) -> ByteBuffer? {
        guard let slot = index[key] else { return nil }
        if let expiresAt = nodes[slot]!.expiresAt, expiresAt <= now {
            remove(slot: slot)
            return nil
        }
        moveToNewest(slot)
        return nodes[slot]!.value
    }

    /// Stores `value` for `key` as the most recently used entry, evicting the least recently
    /// used ones until both limits hold; returns how many entries were evicted. A value that
    /// alone exceeds `maxBytes` is not stored (and the key's old value is removed).
    @discardableResult
    mutating func insert(_ value: ByteBuffer, for key: String, expiresAt: Instant?, now: Instant) -> Int {
        if let slot = index[key] { remove(slot: slot) }
        let cost = key.utf8.count + value.readableBytes
        guard cost <= maxBytes, maxEntries > 0 else { return 0 }
        sweep(now: now)
        var evicted = 0
        while count >= maxEntries || totalBytes + cost > maxBytes, oldest >= 0 {
            remove(slot: oldest)
            evicted += 1
        }
        let node = Node(key: key, value: value, expiresAt: expiresAt, cost: cost, newer: -1, older: newest)
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            nodes[slot] = node
        } else {
            slot = nodes.count
            nodes.append(node)
        }
        if newest >= 0 { nodes[newest]!.newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
        index[key] = slot
        totalBytes += cost
        return evicted
    }

    /// Removes `key`; `true` when it was held and not expired at `now`.
    @discardableResult
    mutating func removeValue(for key: String, now: Instant) -> Bool {
        guard let slot = index[key] else { return false }
        let live = nodes[slot]!.expiresAt.map { $0 > now } ?? true
        remove(slot: slot)
        return live
    }

    /// Removes every key starting with `prefix`; returns how many were live at `now`.
    @discardableResult
    mutating func removeAll(withPrefix prefix: String, now: Instant) -> Int {
        var removed = 0
        for (key, slot) in index where key.hasPrefix(prefix) {
            if nodes[slot]!.expiresAt.map({ $0 > now }) ?? true { removed += 1 }
            remove(slot: slot)
        }
        return removed
    }

    /// Drops every entry expired at `now`; returns how many.
    @discardableResult
    mutating func removeExpired(now: Instant) -> Int {
        var removed = 0
        for slot in nodes.indices {
            if let expiresAt = nodes[slot]?.expiresAt, expiresAt <= now {
                remove(slot: slot)
                removed += 1
            }
        }
        return removed
    }

    /// The keys held, most recently used first.
    var keysByRecency: [String] {
        var keys: [String] = []
        var slot = newest
        while slot >= 0 {
            keys.append(nodes[slot]!.key)
            slot = nodes[slot]!.older
        }
        return keys
    }

    /// Looks at the next few slots and drops what has expired.
    private mutating func sweep(now: Instant) {
        guard !nodes.isEmpty, sweepPerInsert > 0 else { return }
        for _ in 0..<sweepPerInsert {
            if sweepCursor >= nodes.count { sweepCursor = 0 }
            if let expiresAt = nodes[sweepCursor]?.expiresAt, expiresAt <= now { remove(slot: sweepCursor) }
            sweepCursor += 1
        }
    }

    private mutating func moveToNewest(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        nodes[slot]!.older = newest
        nodes[slot]!.newer = -1
        if newest >= 0 { nodes[newest]!.newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let newer = nodes[slot]!.newer
        let older = nodes[slot]!.older
        if newer >= 0 { nodes[newer]!.older = older } else { newest = older }
        if older >= 0 { nodes[older]!.newer = newer } else { oldest = newer }
    }

    private mutating func remove(slot: Int) {
        unlink(slot)
        let node = nodes[slot]!
        index.removeValue(forKey: node.key)
        totalBytes -= node.cost
        nodes[slot] = nil
        freeSlots.append(slot)
    }
}
