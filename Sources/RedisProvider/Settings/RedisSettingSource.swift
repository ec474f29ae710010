/// Where one setting's value came from, for `redis-provider config` and error messages.
public enum RedisSettingSource: Sendable, Hashable, CustomStringConvertible {
    /// A command-line option, e.g. `--redis-url`.
    case commandLine(option: String)
    /// An environment variable, e.g. `REDIS_URL`.
    case environment(variable: String)
    /// A file in the mounted configuration folder, e.g. `/etc/redis-provider/redis-url`.
    case file(path: String)
    /// An option in the Redis URL's query, e.g. `timeout`.
    case urlOption(String)
    /// Another swift-configuration provider, by its name and the key it was asked for.
    case provider(name: String, key: String)
    /// Nothing set it: the built-in default.
    case `default`

    public var description: String {
        switch self {
        case .commandLine(let option): return "command line (\(option))"
        case .environment(let variable): return "environment (\(variable))"
        case .file(let path): return "file \(path)"
        case .urlOption(let name): return "URL option \(name)"
        case .provider(let name, let key): return "\(name) (\(key))"
        case .default: return "default"
        }
    }
}
