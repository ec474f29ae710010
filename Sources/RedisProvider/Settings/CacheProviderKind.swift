/// Which cache implementation an application uses (the `cache.provider` setting).
public enum CacheProviderKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Redis or Valkey, through `redis.url`.
    case redis
    /// An in-process memory cache: nothing to install, nothing shared between processes.
    case memory

    public var description: String { rawValue }
}
