import RedisProvider
import Synchronization
import Vapor

extension Application {
    /// The application's ``RedisProvider``, set once while configuring:
    ///
    /// ```swift
    /// let settings = try await RedisProviderSettings.load()   // REDIS_URL, /etc/redis-provider …
    /// try app.useRedisProvider(settings: settings)
    /// ```
    ///
    /// It starts with the application (its background work: topology refresh, metrics) and
    /// shuts down with it. Reading it before one was set stops the process with a message
    /// saying so; ``useRedisProvider(settings:verifyAtBoot:)`` in `configure` prevents that,
    /// and the cache and session providers fail the boot instead.
    public var redisProvider: RedisProvider {
        guard let provider = storage[RedisProviderKey.self]?.provider else {
            fatalError("No RedisProvider is configured: call app.useRedisProvider(settings:) in configure")
        }
        return provider
    }

    /// Uses a provider made from `settings` (its URL, mode, TLS and timeouts) as
    /// ``redisProvider``. Throws at once when the settings have no URL, naming the setting and
    /// where `cache-provider` came from.
    ///
    /// With `verifyAtBoot` (the default) the application's boot sends a `PING` and fails with
    /// the provider's error when it fails — a wrong password or an unreachable server stops
    /// the start instead of the first request — naming the setting the URL came from.
    public func useRedisProvider(settings: RedisProviderSettings, verifyAtBoot: Bool = true) throws {
        useRedisProvider(try RedisProvider(settings: settings), verifyAtBoot: verifyAtBoot, settings: settings)
    }

    /// Uses `provider` as ``redisProvider``, started at boot (and, with `verifyAtBoot`,
    /// checked with a `PING`) and shut down with the application.
    public func useRedisProvider(_ provider: RedisProvider, verifyAtBoot: Bool = true) {
        useRedisProvider(provider, verifyAtBoot: verifyAtBoot, settings: nil)
    }

    private func useRedisProvider(_ provider: RedisProvider, verifyAtBoot: Bool, settings: RedisProviderSettings?) {
        precondition(storage[RedisProviderKey.self] == nil, "app.useRedisProvider was called twice")
        let lifecycle = RedisProviderLifecycle(provider: provider, verifyAtBoot: verifyAtBoot, settings: settings)
        storage[RedisProviderKey.self] = lifecycle
        self.lifecycle.use(lifecycle)
    }

    /// Registers a boot check that fails, naming `user`, when no provider was configured.
    func requireRedisProvider(for user: String) {
        lifecycle.use(RedisProviderRequirement(user: user))
    }
}

extension Request {
    /// The application's ``Vapor/Application/redisProvider``.
    public var redisProvider: RedisProvider { application.redisProvider }
}

private struct RedisProviderKey: StorageKey {
    typealias Value = RedisProviderLifecycle
}

/// Starts the provider's background work at boot (after an optional `PING`), and shuts the
/// provider down with the application: replies on their way arrive first.
final class RedisProviderLifecycle: LifecycleHandler {
    let provider: RedisProvider
    private let verifyAtBoot: Bool
    /// Where the provider's URL came from, named when the boot's check fails.
    private let settings: RedisProviderSettings?
    /// The provider's `run()`, from boot to shutdown; Vapor has no service group to hold it.
    private let background = Mutex<Task<Void, Never>?>(nil)

    init(provider: RedisProvider, verifyAtBoot: Bool, settings: RedisProviderSettings?) {
        self.provider = provider
        self.verifyAtBoot = verifyAtBoot
        self.settings = settings
    }

    func willBootAsync(_ application: Application) async throws {
        if verifyAtBoot {
            do {
                try await provider.verifyConnection(settings: settings)
            } catch {
                await provider.shutdown()
                throw error
            }
        }
        let provider = provider
        background.withLock { $0 = Task { try? await provider.run() } }
    }

    func shutdownAsync(_ application: Application) async {
        await provider.shutdown()
        let task = background.withLock { task in defer { task = nil }; return task }
        task?.cancel()
        await task?.value
    }
}

/// Fails the boot, saying what needs it, when no ``RedisProviderLifecycle`` is registered.
struct RedisProviderRequirement: LifecycleHandler {
    let user: String

    func willBootAsync(_ application: Application) async throws {
        guard application.storage[RedisProviderKey.self] != nil else {
            throw RedisError(.invalidConfiguration, "\(user) uses app.redisProvider, but none is configured: call app.useRedisProvider(settings:) in configure")
        }
    }
}
