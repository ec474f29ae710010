import RedisProvider

/// What to tell an operator to do, for each kind of trouble the doctor finds. Pure text
/// decisions, unit-tested; no I/O.
public enum DiagnosisHints {
    /// A Kubernetes service named by a host: `redis-cluster.redis.svc.cluster.local` or
    /// `redis-cluster.redis.svc` → (service `redis-cluster`, namespace `redis`); a pod of a
    /// headless service, `redis-0.redis-cluster.redis.svc.cluster.local`, → the service
    /// `redis-cluster`. `nil` for other names.
    public static func kubernetesService(of host: String) -> (service: String, namespace: String)? {
        var labels = host.lowercased().split(separator: ".").map(String.init)
        if labels.last == "" { labels.removeLast() }
        guard let svc = labels.lastIndex(of: "svc"), svc >= 2 else { return nil }
        let tail = labels[(svc + 1)...]
        guard tail.isEmpty || tail.count >= 2 && tail.first == "cluster" else { return nil }
        return (labels[svc - 2], labels[svc - 1])
    }

    /// The commands that show whether a Kubernetes service and its pods exist, or `nil`.
    static func kubernetesChecks(_ host: String) -> String? {
        guard let (service, namespace) = kubernetesService(of: host) else { return nil }
        return "kubectl get svc \(service) -n \(namespace); kubectl get endpoints \(service) -n \(namespace); kubectl get pods -n \(namespace)"
    }

    /// A host name that does not resolve.
    public static func dnsFailure(host: String) -> String {
        if let checks = kubernetesChecks(host) {
            return "Check that the service exists and has endpoints (\(checks)). Names under .cluster.local resolve only inside the Kubernetes cluster: run this from a pod, or use a port-forward and its local address."
        }
        return "Check the spelling of '\(host)' and that this machine's DNS resolves it (getent hosts \(host))."
    }

    /// A TCP connection to `address` (for the URL's host `host`) that failed with `kind`.
    public static func connectFailure(_ kind: RedisError.Kind, address: String, host: String) -> String {
        let pods = kubernetesChecks(host).map { " In Kubernetes: \($0)." } ?? ""
        switch kind {
        case .connectTimeout:
            return "No answer from \(address) within the connect timeout: check that the address is right and that no firewall or network policy drops the traffic.\(pods)"
        case .dnsFailure:
            return dnsFailure(host: host)
        default:
            return "Nothing accepts connections at \(address): check that the server runs and listens on this address and port (the client port, e.g. 6379, not the cluster bus port), and its bind/protected-mode settings.\(pods)"
        }
    }

    /// A node the cluster announces at `announced` (reached at `reachable` after the address
    /// map) that did not answer with `kind`.
    public static func unreachableNode(announced: String, reachable: String, kind: RedisError.Kind?, mapped: Bool) -> String {
        let target = announced == reachable ? announced : "\(reachable) (mapped from \(announced))"
        if mapped {
            return "Check the address map entry for \(announced): nothing answered at \(target). Map it to an address this machine can reach."
        }
        let map = "If the nodes announce addresses that are not reachable from here (NAT, Kubernetes pod or host names, port-forwarding), map each announced address to a reachable one with RedisClusterOptions.addressMap (setting redis.address-map, option --address-map \(announced)=HOST:PORT)"
        if kind == .dnsFailure {
            return "The cluster announces \(announced), which does not resolve here. \(map)."
        }
        return "\(map); otherwise check that the node at \(announced) runs."
    }

    /// The server or cluster refused the credentials.
    public static func authentication(code: String?, user: String?) -> String {
        switch code {
        case "NOAUTH":
            return "The server requires a password: put it in the URL (redis://:PASSWORD@host or redis://USER:PASSWORD@host; the redis-url secret in Kubernetes)."
        case "NOPERM":
            return "The user '\(user ?? "default")' lacks permissions for HELLO/AUTH/CLIENT/PING: check its ACL (ACL GETUSER \(user ?? "default"))."
        default:
            return "The server rejected the user '\(user ?? "default")' or its password: check the credentials in the URL (the redis-url secret in Kubernetes) against the server's requirepass or ACL."
        }
    }

    /// TLS could not be established.
    public static func tlsFailure(caFile: String?) -> String {
        if caFile == nil {
            return "The system trust store does not accept the server's certificate: give the CA that signed it with tls_ca_file=PATH (and tls_server_name=NAME when the certificate names another host), and check that the server speaks TLS on this port."
        }
        return "Check that tls_ca_file holds the CA that signed the server's certificate, that the certificate names this host (or set tls_server_name=NAME), and that the server speaks TLS on this port."
    }

    /// The cluster says `cluster_state:fail`.
    public static let clusterNotReady =
        "The cluster is not ready: wait until every node runs (kubectl get pods -n NAMESPACE), check their logs (kubectl logs POD -n NAMESPACE), and look at CLUSTER NODES for failed nodes or missing slots."

    /// Slots without a serving primary.
    public static let uncoveredSlots =
        "Bring back the primary of those slots, or assign them: redis-cli --cluster fix HOST:PORT (or CLUSTER ADDSLOTSRANGE on a primary)."

    /// A primary serving slots without a replica.
    public static let primaryWithoutReplica =
        "Add a replica (CLUSTER REPLICATE PRIMARY-ID on a new node, or redis-cli --cluster add-node … --cluster-slave): when this primary fails, its slots go down."
}
