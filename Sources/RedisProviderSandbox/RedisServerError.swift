/// Why a server process could not be started, formed into a cluster or stopped.
public struct RedisServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
