// Replies captured from redis-server 7.0.15 clusters on loopback (6 nodes, 3 primaries with one
// replica each, `redis-cli --cluster create … --cluster-replicas 1`), byte for byte as RESP text.
// Each line holds one aggregate header and what follows it up to the next one.

enum ClusterCaptures {
    /// CLUSTER SHARDS, RESP2, asked of 127.0.0.1:31721: a fresh 3-primary/3-replica cluster whose replicas still report `loading`.
    static let shardsRESP2 = """
        *3\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *14\r\n$2\r\nid\r\n$40\r\nef57e485314ee917813356174fcd2eb62acd2c79\r\n$4\r\nport\r\n:31721\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *14\r\n$2\r\nid\r\n$40\r\n8ba26767bc9603b87a764f152d19d5de42724cea\r\n$4\r\nport\r\n:31726\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *14\r\n$2\r\nid\r\n$40\r\n65da899079e29e92c69ba96c5111d77631ec524e\r\n$4\r\nport\r\n:31722\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *14\r\n$2\r\nid\r\n$40\r\n9b8b21a9df258aa44ec3fa2d88556d973a082e93\r\n$4\r\nport\r\n:31724\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *14\r\n$2\r\nid\r\n$40\r\n0acbd845fc370bec3f19df16ab55dbdf459a8d55\r\n$4\r\nport\r\n:31723\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *14\r\n$2\r\nid\r\n$40\r\n2a8060245721686d7cf715539e9399c3dda251a5\r\n$4\r\nport\r\n:31725\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n
        """

    /// The same CLUSTER SHARDS over RESP3 (HELLO 3): maps instead of flat arrays.
    static let shardsRESP3 = """
        *3\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %7\r\n$2\r\nid\r\n$40\r\nef57e485314ee917813356174fcd2eb62acd2c79\r\n$4\r\nport\r\n:31721\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %7\r\n$2\r\nid\r\n$40\r\n8ba26767bc9603b87a764f152d19d5de42724cea\r\n$4\r\nport\r\n:31726\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %7\r\n$2\r\nid\r\n$40\r\n65da899079e29e92c69ba96c5111d77631ec524e\r\n$4\r\nport\r\n:31722\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %7\r\n$2\r\nid\r\n$40\r\n9b8b21a9df258aa44ec3fa2d88556d973a082e93\r\n$4\r\nport\r\n:31724\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %7\r\n$2\r\nid\r\n$40\r\n0acbd845fc370bec3f19df16ab55dbdf459a8d55\r\n$4\r\nport\r\n:31723\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %7\r\n$2\r\nid\r\n$40\r\n2a8060245721686d7cf715539e9399c3dda251a5\r\n$4\r\nport\r\n:31725\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:14\r\n$6\r\nhealth\r\n$6\r\nonline\r\n
        """

    /// CLUSTER SLOTS, RESP2, same cluster: 4th element of each node is an empty metadata array.
    static let slotsRESP2 = """
        *3\r\n\
        *4\r\n:0\r\n:5460\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31721\r\n$40\r\nef57e485314ee917813356174fcd2eb62acd2c79\r\n\
        *0\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31726\r\n$40\r\n8ba26767bc9603b87a764f152d19d5de42724cea\r\n\
        *0\r\n\
        *4\r\n:5461\r\n:10922\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31722\r\n$40\r\n65da899079e29e92c69ba96c5111d77631ec524e\r\n\
        *0\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31724\r\n$40\r\n9b8b21a9df258aa44ec3fa2d88556d973a082e93\r\n\
        *0\r\n\
        *4\r\n:10923\r\n:16383\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31723\r\n$40\r\n0acbd845fc370bec3f19df16ab55dbdf459a8d55\r\n\
        *0\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31725\r\n$40\r\n2a8060245721686d7cf715539e9399c3dda251a5\r\n\
        *0\r\n
        """

    /// CLUSTER SLOTS, RESP3: the metadata is an empty map (`%0`).
    static let slotsRESP3 = """
        *3\r\n\
        *4\r\n:0\r\n:5460\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31721\r\n$40\r\nef57e485314ee917813356174fcd2eb62acd2c79\r\n\
        %0\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31726\r\n$40\r\n8ba26767bc9603b87a764f152d19d5de42724cea\r\n\
        %0\r\n\
        *4\r\n:5461\r\n:10922\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31722\r\n$40\r\n65da899079e29e92c69ba96c5111d77631ec524e\r\n\
        %0\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31724\r\n$40\r\n9b8b21a9df258aa44ec3fa2d88556d973a082e93\r\n\
        %0\r\n\
        *4\r\n:10923\r\n:16383\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31723\r\n$40\r\n0acbd845fc370bec3f19df16ab55dbdf459a8d55\r\n\
        %0\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31725\r\n$40\r\n2a8060245721686d7cf715539e9399c3dda251a5\r\n\
        %0\r\n
        """

    /// CLUSTER SLOTS right after `--cluster create`: replicas still syncing are left out.
    static let slotsLoadingRESP2 = """
        *3\r\n\
        *3\r\n:0\r\n:5460\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31721\r\n$40\r\nef57e485314ee917813356174fcd2eb62acd2c79\r\n\
        *0\r\n\
        *3\r\n:5461\r\n:10922\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31722\r\n$40\r\n65da899079e29e92c69ba96c5111d77631ec524e\r\n\
        *0\r\n\
        *3\r\n:10923\r\n:16383\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31723\r\n$40\r\n0acbd845fc370bec3f19df16ab55dbdf459a8d55\r\n\
        *0\r\n
        """

    /// CLUSTER SHARDS, RESP2, every node with `cluster-announce-hostname node-<port>.redis.test` and `cluster-preferred-endpoint-type hostname`, asked of 127.0.0.1:31711.
    static let hostnameShardsRESP2 = """
        *3\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *16\r\n$2\r\nid\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n$4\r\nport\r\n:31711\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31711.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31711.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *16\r\n$2\r\nid\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n$4\r\nport\r\n:31715\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31715.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31715.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *16\r\n$2\r\nid\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n$4\r\nport\r\n:31712\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31712.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31712.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *16\r\n$2\r\nid\r\n$40\r\n91c6be82ce010766c74fe7b01751254363349914\r\n$4\r\nport\r\n:31716\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31716.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31716.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *16\r\n$2\r\nid\r\n$40\r\na19f4008ebd255ea0ecf5472cf1efd86b68b39c2\r\n$4\r\nport\r\n:31713\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31713.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31713.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *16\r\n$2\r\nid\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n$4\r\nport\r\n:31714\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31714.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31714.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n
        """

    /// The same over RESP3.
    static let hostnameShardsRESP3 = """
        *3\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %8\r\n$2\r\nid\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n$4\r\nport\r\n:31711\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31711.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31711.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %8\r\n$2\r\nid\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n$4\r\nport\r\n:31715\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31715.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31715.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %8\r\n$2\r\nid\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n$4\r\nport\r\n:31712\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31712.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31712.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %8\r\n$2\r\nid\r\n$40\r\n91c6be82ce010766c74fe7b01751254363349914\r\n$4\r\nport\r\n:31716\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31716.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31716.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %8\r\n$2\r\nid\r\n$40\r\na19f4008ebd255ea0ecf5472cf1efd86b68b39c2\r\n$4\r\nport\r\n:31713\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31713.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31713.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %8\r\n$2\r\nid\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n$4\r\nport\r\n:31714\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31714.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31714.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:28\r\n$6\r\nhealth\r\n$6\r\nonline\r\n
        """

    /// CLUSTER SLOTS, RESP2, hostnames preferred: the endpoint is the hostname, the metadata carries `ip`.
    static let hostnameSlotsRESP2 = """
        *3\r\n\
        *4\r\n:0\r\n:5460\r\n\
        *4\r\n$21\r\nnode-31711.redis.test\r\n:31711\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n$21\r\nnode-31715.redis.test\r\n:31715\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n:5461\r\n:10922\r\n\
        *4\r\n$21\r\nnode-31712.redis.test\r\n:31712\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n$21\r\nnode-31716.redis.test\r\n:31716\r\n$40\r\n91c6be82ce010766c74fe7b01751254363349914\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n:10923\r\n:16383\r\n\
        *4\r\n$21\r\nnode-31713.redis.test\r\n:31713\r\n$40\r\na19f4008ebd255ea0ecf5472cf1efd86b68b39c2\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n$21\r\nnode-31714.redis.test\r\n:31714\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n
        """

    /// The same over RESP3 (metadata as a map).
    static let hostnameSlotsRESP3 = """
        *3\r\n\
        *4\r\n:0\r\n:5460\r\n\
        *4\r\n$21\r\nnode-31711.redis.test\r\n:31711\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n\
        %1\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n$21\r\nnode-31715.redis.test\r\n:31715\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n\
        %1\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n:5461\r\n:10922\r\n\
        *4\r\n$21\r\nnode-31712.redis.test\r\n:31712\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n\
        %1\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n$21\r\nnode-31716.redis.test\r\n:31716\r\n$40\r\n91c6be82ce010766c74fe7b01751254363349914\r\n\
        %1\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n:10923\r\n:16383\r\n\
        *4\r\n$21\r\nnode-31713.redis.test\r\n:31713\r\n$40\r\na19f4008ebd255ea0ecf5472cf1efd86b68b39c2\r\n\
        %1\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n$21\r\nnode-31714.redis.test\r\n:31714\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n\
        %1\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n
        """

    /// CLUSTER SHARDS, RESP3, hostnames preferred but node 31716 announces none: its endpoint is `?`.
    static let questionMarkShardsRESP3 = """
        *3\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %8\r\n$2\r\nid\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n$4\r\nport\r\n:31711\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31711.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31711.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %8\r\n$2\r\nid\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n$4\r\nport\r\n:31715\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31715.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31715.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %8\r\n$2\r\nid\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n$4\r\nport\r\n:31712\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31712.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31712.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %7\r\n$2\r\nid\r\n$40\r\n91c6be82ce010766c74fe7b01751254363349914\r\n$4\r\nport\r\n:31716\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %8\r\n$2\r\nid\r\n$40\r\na19f4008ebd255ea0ecf5472cf1efd86b68b39c2\r\n$4\r\nport\r\n:31713\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31713.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31713.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %8\r\n$2\r\nid\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n$4\r\nport\r\n:31714\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$21\r\nnode-31714.redis.test\r\n$8\r\nhostname\r\n$21\r\nnode-31714.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n
        """

    /// CLUSTER SLOTS, RESP2, the same cluster: 31716's endpoint is `?`, its metadata has the `ip`.
    static let questionMarkSlotsRESP2 = """
        *3\r\n\
        *4\r\n:0\r\n:5460\r\n\
        *4\r\n$21\r\nnode-31711.redis.test\r\n:31711\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n$21\r\nnode-31715.redis.test\r\n:31715\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n:5461\r\n:10922\r\n\
        *4\r\n$21\r\nnode-31712.redis.test\r\n:31712\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n$1\r\n?\r\n:31716\r\n$40\r\n91c6be82ce010766c74fe7b01751254363349914\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n:10923\r\n:16383\r\n\
        *4\r\n$21\r\nnode-31713.redis.test\r\n:31713\r\n$40\r\na19f4008ebd255ea0ecf5472cf1efd86b68b39c2\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n$21\r\nnode-31714.redis.test\r\n:31714\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n\
        *2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n
        """

    /// CLUSTER SHARDS, RESP2, 127.0.0.1:31711 with `cluster-preferred-endpoint-type unknown-endpoint`: every endpoint is NULL.
    static let unknownEndpointShardsRESP2 = """
        *3\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *16\r\n$2\r\nid\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n$4\r\nport\r\n:31711\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\
        \r\n$8\r\nhostname\r\n$21\r\nnode-31711.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *16\r\n$2\r\nid\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n$4\r\nport\r\n:31715\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\
        \r\n$8\r\nhostname\r\n$21\r\nnode-31715.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *16\r\n$2\r\nid\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n$4\r\nport\r\n:31712\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\
        \r\n$8\r\nhostname\r\n$21\r\nnode-31712.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *14\r\n$2\r\nid\r\n$40\r\n91c6be82ce010766c74fe7b01751254363349914\r\n$4\r\nport\r\n:31716\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\
        \r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *16\r\n$2\r\nid\r\n$40\r\na19f4008ebd255ea0ecf5472cf1efd86b68b39c2\r\n$4\r\nport\r\n:31713\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\
        \r\n$8\r\nhostname\r\n$21\r\nnode-31713.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *16\r\n$2\r\nid\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n$4\r\nport\r\n:31714\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\
        \r\n$8\r\nhostname\r\n$21\r\nnode-31714.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:42\r\n$6\r\nhealth\r\n$6\r\nonline\r\n
        """

    /// CLUSTER SLOTS, RESP3, unknown-endpoint: NULL endpoints, metadata with `ip` and `hostname`.
    static let unknownEndpointSlotsRESP3 = """
        *3\r\n\
        *4\r\n:0\r\n:5460\r\n\
        *4\r\n_\r\n:31711\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n\
        %2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31711.redis.test\r\n\
        *4\r\n_\r\n:31715\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n\
        %2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31715.redis.test\r\n\
        *4\r\n:5461\r\n:10922\r\n\
        *4\r\n_\r\n:31712\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n\
        %2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31712.redis.test\r\n\
        *4\r\n_\r\n:31716\r\n$40\r\n91c6be82ce010766c74fe7b01751254363349914\r\n\
        %1\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n\
        *4\r\n:10923\r\n:16383\r\n\
        *4\r\n_\r\n:31713\r\n$40\r\na19f4008ebd255ea0ecf5472cf1efd86b68b39c2\r\n\
        %2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31713.redis.test\r\n\
        *4\r\n_\r\n:31714\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n\
        %2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31714.redis.test\r\n
        """

    /// CLUSTER SHARDS, RESP2, after killing replica 31716 and primary 31713 (31714 took over): failed nodes report `fail`; the old primary is a shard without slots.
    static let failedOverShardsRESP2 = """
        *4\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *16\r\n$2\r\nid\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n$4\r\nport\r\n:31711\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31711.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:84\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *16\r\n$2\r\nid\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n$4\r\nport\r\n:31715\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31715.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:84\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n\
        *2\r\n\
        *16\r\n$2\r\nid\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n$4\r\nport\r\n:31712\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31712.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:56\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        *16\r\n$2\r\nid\r\n$40\r\n91c6be82ce010766c74fe7b01751254363349914\r\n$4\r\nport\r\n:31716\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31716.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:56\r\n$6\r\nhealth\r\n$4\r\nfail\r\n\
        *4\r\n$5\r\nslots\r\n\
        *0\r\n$5\r\nnodes\r\n\
        *1\r\n\
        *16\r\n$2\r\nid\r\n$40\r\na19f4008ebd255ea0ecf5472cf1efd86b68b39c2\r\n$4\r\nport\r\n:31713\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31713.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:70\r\n$6\r\nhealth\r\n$4\r\nfail\r\n\
        *4\r\n$5\r\nslots\r\n\
        *2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n\
        *1\r\n\
        *16\r\n$2\r\nid\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n$4\r\nport\r\n:31714\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31714.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:70\r\n$6\r\nhealth\r\n$6\r\nonline\r\n
        """

    /// CLUSTER SHARDS, RESP3, after also killing 31714: slots 10923-16383 have only a failed primary (cluster_state:fail).
    static let clusterDownShardsRESP3 = """
        *4\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %8\r\n$2\r\nid\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n$4\r\nport\r\n:31711\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31711.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:98\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %8\r\n$2\r\nid\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n$4\r\nport\r\n:31715\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31715.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:98\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n\
        *2\r\n\
        %8\r\n$2\r\nid\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n$4\r\nport\r\n:31712\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31712.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:56\r\n$6\r\nhealth\r\n$6\r\nonline\r\n\
        %8\r\n$2\r\nid\r\n$40\r\n91c6be82ce010766c74fe7b01751254363349914\r\n$4\r\nport\r\n:31716\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31716.redis.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:56\r\n$6\r\nhealth\r\n$4\r\nfail\r\n\
        %2\r\n$5\r\nslots\r\n\
        *0\r\n$5\r\nnodes\r\n\
        *1\r\n\
        %8\r\n$2\r\nid\r\n$40\r\na19f4008ebd255ea0ecf5472cf1efd86b68b39c2\r\n$4\r\nport\r\n:31713\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31713.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:70\r\n$6\r\nhealth\r\n$4\r\nfail\r\n\
        %2\r\n$5\r\nslots\r\n\
        *2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n\
        *1\r\n\
        %8\r\n$2\r\nid\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n$4\r\nport\r\n:31714\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$21\r\nnode-31714.redis.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:70\r\n$6\r\nhealth\r\n$4\r\nfail\r\n
        """

    /// CLUSTER SLOTS, RESP2, the same moment: the failed primary is still listed.
    static let clusterDownSlotsRESP2 = """
        *3\r\n\
        *4\r\n:0\r\n:5460\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31711\r\n$40\r\n9cd1673b22a5ad4ff1b4263709088724d06f1d34\r\n\
        *2\r\n$8\r\nhostname\r\n$21\r\nnode-31711.redis.test\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31715\r\n$40\r\na177f63493e3e53c85525dfda7950c43eb53e639\r\n\
        *2\r\n$8\r\nhostname\r\n$21\r\nnode-31715.redis.test\r\n\
        *3\r\n:5461\r\n:10922\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31712\r\n$40\r\n1f8eaa6875cd9b4a5b49bd5bff736edd02d08adc\r\n\
        *2\r\n$8\r\nhostname\r\n$21\r\nnode-31712.redis.test\r\n\
        *3\r\n:10923\r\n:16383\r\n\
        *4\r\n$9\r\n127.0.0.1\r\n:31714\r\n$40\r\ne362f04403cb32b00db8db92d565388fa1efac75\r\n\
        *2\r\n$8\r\nhostname\r\n$21\r\nnode-31714.redis.test\r\n
        """
}
