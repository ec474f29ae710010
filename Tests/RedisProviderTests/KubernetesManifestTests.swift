import Foundation
import RedisProvider
import Testing
import Yams

/// The manifests in deploy/kubernetes/ provide exactly the keys the configuration reads, and
/// a folder made from them loads into the expected settings.
@Suite struct KubernetesManifestTests {
    typealias Key = RedisProviderSettings.Key

    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/kubernetes")

    static func manifest(_ name: String) throws -> [String: Any] {
        let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any], "\(name) is not one YAML mapping")
    }

    /// The key → value data of a ConfigMap or Secret (`stringData`, or base64 `data`).
    static func data(_ manifest: [String: Any]) throws -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in manifest["stringData"] as? [String: Any] ?? [:] { result[key] = "\(value)" }
        for (key, value) in manifest["data"] as? [String: Any] ?? [:] {
            if (manifest["kind"] as? String) == "Secret" {
                let bytes = try #require(Data(base64Encoded: "\(value)"), "secret key \(key) is not base64")
                result[key] = String(decoding: bytes, as: UTF8.self)
            } else {
                result[key] = "\(value)"
            }
        }
        return result
    }

    static func name(_ manifest: [String: Any]) -> String? {
        (manifest["metadata"] as? [String: Any])?["name"] as? String
    }

    @Test func theConfigMapAndSecretProvideOnlyKeysTheConfigurationReads() throws {
        let configMap = try Self.manifest("configmap.yaml")
        let secret = try Self.manifest("secret.yaml")
        #expect(configMap["kind"] as? String == "ConfigMap")
        #expect(secret["kind"] as? String == "Secret")
        let fileNames = Set(Key.allCases.map(\.fileName))
        let configData = try Self.data(configMap)
        let secretData = try Self.data(secret)
        #expect(configData["cache-provider"] == "redis")
        #expect(secretData["redis-url"] != nil)
        for key in configData.keys.sorted() + secretData.keys.sorted() {
            #expect(fileNames.contains(key), "\(key) is not a key the configuration reads; keys: \(fileNames.sorted())")
        }
        // Secrets belong in the Secret, and the Secret holds nothing else.
        let secretFiles = Set(Key.allCases.filter(\.isSecret).map(\.fileName))
        #expect(Set(configData.keys).isDisjoint(with: secretFiles))
        #expect(Set(secretData.keys) == secretFiles)
        // The placeholder URL parses and names the seed's cluster service.
        let url = try RedisURL(try #require(secretData["redis-url"]))
        #expect(url.endpoints == [RedisEndpoint(host: "redis-cluster.redis.svc.cluster.local", port: 6379)])
        #expect(url.mode.isCluster)
    }

    @Test func theDeploymentMountsBothAsTheConfigurationFolderAndProbesReadiness() throws {
        let deployment = try Self.manifest("deployment.yaml")
        #expect(deployment["kind"] as? String == "Deployment")
        let spec = try #require((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])
        let pod = try #require(spec["spec"] as? [String: Any])
        let containers = try #require(pod["containers"] as? [[String: Any]])
        let container = try #require(containers.first { $0["name"] as? String == "cache-service" })
        #expect(container["image"] as? String == "redis-provider-example:latest")
        let ports = container["ports"] as? [[String: Any]] ?? []
        #expect(ports.contains { $0["containerPort"] as? Int == 8080 })
        // The service listens on loopback unless told otherwise; in a pod it must not.
        let listen = (container["env"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "HOST" }?["value"] as? String
        #expect(listen == "0.0.0.0", "the probes reach the pod's IP, so HOST must be 0.0.0.0")

        // The folder: mounted where the settings look for it.
        let mounts = try #require(container["volumeMounts"] as? [[String: Any]])
        let env = container["env"] as? [[String: Any]] ?? []
        let configuredFolder = env.first { $0["name"] as? String == RedisProviderSettings.directoryEnvironmentVariable }?["value"] as? String
        let folder = configuredFolder ?? RedisProviderSettings.defaultDirectory
        let mount = try #require(mounts.first { $0["mountPath"] as? String == folder }, "nothing mounted at \(folder)")
        // Every environment variable is one the configuration reads (or where the service
        // listens); a secret one comes from the Secret, never written in the manifest.
        // HOST and PORT are the example service's own: where it listens.
        let variables = Set(Key.allCases.map(\.environmentVariable) + [RedisProviderSettings.directoryEnvironmentVariable, "HOST", "PORT"])
        let secretName = Self.name(try Self.manifest("secret.yaml"))
        for variable in env {
            let name = try #require(variable["name"] as? String)
            #expect(variables.contains(name), "\(name) is not read by the configuration")
            if let key = Key.allCases.first(where: { $0.environmentVariable == name }), key.isSecret {
                #expect(variable["value"] == nil, "\(name) must not be written in the manifest")
                let ref = (variable["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: Any]
                #expect(ref?["name"] as? String == secretName)
                #expect(ref?["key"] as? String == key.fileName)
            }
        }

        // The volume projects the ConfigMap and the Secret of the other manifests.
        let volumes = try #require(pod["volumes"] as? [[String: Any]])
        let volume = try #require(volumes.first { $0["name"] as? String == mount["name"] as? String })
        let sources = try #require((volume["projected"] as? [String: Any])?["sources"] as? [[String: Any]])
        let configMapName = sources.compactMap { ($0["configMap"] as? [String: Any])?["name"] as? String }
        let projectedSecretName = sources.compactMap { ($0["secret"] as? [String: Any])?["name"] as? String }
        let expectedConfigMap = try #require(Self.name(try Self.manifest("configmap.yaml")))
        let expectedSecret = try #require(secretName)
        #expect(configMapName == [expectedConfigMap])
        #expect(projectedSecretName == [expectedSecret])

        // Readiness: the doctor's probe; the HTTP /ready endpoint gates start-up.
        let readiness = try #require(container["readinessProbe"] as? [String: Any])
        #expect((readiness["exec"] as? [String: Any])?["command"] as? [String] == ["redis-provider", "doctor", "--probe"])
        let startup = try #require(container["startupProbe"] as? [String: Any])
        #expect((startup["httpGet"] as? [String: Any])?["path"] as? String == "/ready")
        // Liveness must not depend on Redis: an outage should not restart every pod.
        let liveness = container["livenessProbe"] as? [String: Any]
        #expect(liveness?["exec"] == nil)
        #expect((liveness?["httpGet"] as? [String: Any])?["path"] as? String != "/ready")
    }

    @Test func aFolderMadeFromTheManifestsLoadsTheExpectedSettings() async throws {
        let data = try Self.data(try Self.manifest("configmap.yaml")).merging(
            try Self.data(try Self.manifest("secret.yaml")).mapValues { $0 + "\n" }) { $1 }
        try await withConfigFolder([:]) { folder in
            try makeKubernetesVolume(at: folder, data)
            let s = try await RedisProviderSettings.load(arguments: ["cache-service"], environment: [:], directory: folder)
            // Every key of the manifests was read, from its file.
            for name in data.keys {
                let key = try #require(Key.allCases.first { $0.fileName == name })
                #expect(s.source(of: key) == .file(path: folder + "/" + name))
            }
            #expect(s.cacheProvider == .redis)
            #expect(s.url?.endpoints == [RedisEndpoint(host: "redis-cluster.redis.svc.cluster.local", port: 6379)])
            #expect(s.mode?.isCluster == true)
            #expect(s.mode?.reason == "the URL says cluster=true")
            let c = s.clientConfiguration()
            #expect(c.connectTimeout == .seconds(2))
            #expect(c.commandTimeout == .seconds(1))
            #expect(c.connectionsPerNode == 1)
            let o = s.clusterOptions()
            #expect(o.readPolicy == .primary)
            #expect(o.refreshInterval == .seconds(30))
        }
    }
}
