import Hummingbird
import NIOCore
import RedisProvider
import Vapor

// What the documentation's examples use without defining it: an application's own types and
// values, and the provider, cache and settings an earlier example made. The examples are
// compiled, never run, so none of this is ever initialised.

struct Report: Codable, Sendable {}
struct User: Codable, Sendable {}

func buildReport() async throws -> Report { Report() }
func buildNightlyReport() async throws {}
func sendMail(to address: ByteBuffer?) async throws {}
func fetchToken() async throws -> String { "" }

/// An application's database.
struct Database: Sendable {
    func user(_ id: Int) async throws -> User { User() }
}

let redis = try! RedisProvider(url: "redis://127.0.0.1:6379")
let provider = redis
let settings = RedisProviderSettings()
let cache: any CacheProvider = MemoryCacheProvider()
let url = try! RedisURL("redis://127.0.0.1:6379")
let commands = [RESPCommand("GET", "a")]
let user = User()
let id = 42
let db = Database()

// The integrations' examples: a Hummingbird router and a Vapor application, and who logs in.
struct Login: Codable, Sendable {}
var router: Hummingbird.Router<BasicRequestContext> { Router() }
let app: Vapor.Application = { fatalError("never run") }()
