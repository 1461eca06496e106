"""The engine parameters of the cache parameter group families the ElastiCache stand-in knows.

Four families: `redis6.x`, `redis7`, `valkey7`, `valkey8`. Each parameter as DescribeEngineDefaultParameters
reports it: name, default value, description, DataType, AllowedValues, whether it can be modified,
MinimumEngineVersion and ChangeType.

Sources (AWS's own publications):

- The ElastiCache user guide, "Engine specific parameters" > "Valkey and Redis OSS parameters"
  (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html, formerly
  red-ug/ParameterGroups.Redis.html): the sections "Valkey 8.2 / 8.1 / 8.0 parameter changes",
  "Valkey 7.2 and Redis OSS 7 parameter changes", "Redis OSS 6.x parameter changes" and the earlier
  versions' tables (5.0.3 back to 2.6.13), which say which parameters each family adds, changes and
  removes, their defaults, permitted values and whether they are modifiable.
- The AWS CLI Command Reference examples (aws-cli's awscli/examples/elasticache/, also in the AWS
  code library page "ElastiCache examples using AWS CLI"): `describe-engine-default-parameters
  --cache-parameter-group-family redis5.0` and `describe-cache-parameters` of a custom redis5.0 group.
  They are the API's own answer, so they give the fields in the API's form: AllowedValues strings
  (`yes,no`, `0-`, `1-`, `-` for any integer, `0,20-`, `-5,-4,-3,-2,-1,1-`), DataType `string` for
  yes/no parameters (the guide says "boolean" for some of them; the API says `string`), the
  descriptions, ChangeType, and that notify-keyspace-events has no ParameterValue and no AllowedValues.
  They also show what "conditionally modifiable" means in the API: activerehashing, cluster-enabled and
  databases are IsModifiable false in the engine defaults but true (Source `user`) in a custom group.
- For the parameters Redis OSS 6 added, whose permitted values the ElastiCache guide does not give, the
  AWS CLI example `aws memorydb describe-parameters` (family memorydb_redis6, the same engine and
  parameter set) gives AllowedValues and descriptions: acllog-max-len `1-10000`, active-expire-effort
  `1-10`, tracking-table-max-keys `1-100000000`, lazyfree-lazy-user-del `yes,no`.

Families inherit, as the guide says: redis6.x is redis5.0's list (the CLI example's 57 parameters) with
6.x's changes; redis7 is redis6.x's with 7's changes; valkey7 is redis7's unchanged ("Valkey 7.2
parameters are the same as Redis OSS 7 parameters"); valkey8 is valkey7's with 8.0's, 8.1's and 8.2's
changes. A parameter carried into a family reports that family's first engine version as its
MinimumEngineVersion (as the redis5.0 example reports 5.0.0 for parameters dating from 2.6.13, and 5.0.3
for rename-commands, added in 5.0.3).

Where the guide and the CLI examples differ, the guide wins (noted at each such parameter). The
node-type specific parameters (maxmemory, the replica output buffer limits) are left out: they are
reported per node type (CacheNodeTypeSpecificParameters) and none of them is modifiable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

__all__ = ["CONDITIONAL", "FAMILIES", "NO", "YES", "ParameterSpec", "allowed_value", "sort_key"]

# Whether a parameter can be modified in a custom group: "yes"; "no"; or "conditional": only while no
# cache cluster uses the group ("Modifiable: Yes if the parameter group is not associated with any
# clusters. Otherwise, no." — the guide, Redis OSS 3.2.4 changes). The engine defaults report
# conditional parameters IsModifiable false; a custom group reports them true while it may change them.
YES, NO, CONDITIONAL = "yes", "no", "conditional"
IMMEDIATE, REBOOT = "immediate", "requires-reboot"


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    default: str | None  # None: AWS reports no ParameterValue (notify-keyspace-events)
    data_type: str  # "string" or "integer", as the API writes it
    allowed: str | None  # AllowedValues exactly as the API writes it; None: not reported
    modifiable: str  # YES, NO or CONDITIONAL
    change_type: str  # IMMEDIATE or REBOOT
    description: str
    minimum_engine_version: str = ""  # "": the family's first version (set when the family is built)

    def check(self, value: str) -> bool:
        """Whether `value` is one this parameter accepts."""
        return allowed_value(self, value)


def P(
    name: str,
    default: str | None,
    data_type: str,
    allowed: str | None,
    modifiable: str,
    change_type: str,
    description: str,
    minimum_engine_version: str = "",
) -> ParameterSpec:
    return ParameterSpec(
        name, default, data_type, allowed, modifiable, change_type, description, minimum_engine_version
    )


YES_NO = "yes,no"
INTEGER = re.compile(r"^-?[0-9]+$")
# notify-keyspace-events: AWS publishes no AllowedValues, but the guide lists the letters and says "Do not
# use any characters other than those listed above; attempts to do so will result in error messages."
KEYSPACE_EVENT_LETTERS = frozenset("KEg$lshzxeA")

# rename-commands: the commands the guide (Redis OSS 5.0.3 changes) allows renaming, as the API lists them.
RENAMEABLE = (
    "APPEND,BITCOUNT,BITFIELD,BITOP,BITPOS,BLPOP,BRPOP,BRPOPLPUSH,BZPOPMIN,BZPOPMAX,CLIENT,COMMAND,DBSIZE,DECR,"
    "DECRBY,DEL,DISCARD,DUMP,ECHO,EVAL,EVALSHA,EXEC,EXISTS,EXPIRE,EXPIREAT,FLUSHALL,FLUSHDB,GEOADD,GEOHASH,"
    "GEOPOS,GEODIST,GEORADIUS,GEORADIUSBYMEMBER,GET,GETBIT,GETRANGE,GETSET,HDEL,HEXISTS,HGET,HGETALL,HINCRBY,"
    "HINCRBYFLOAT,HKEYS,HLEN,HMGET,HMSET,HSET,HSETNX,HSTRLEN,HVALS,INCR,INCRBY,INCRBYFLOAT,INFO,KEYS,LASTSAVE,"
    "LINDEX,LINSERT,LLEN,LPOP,LPUSH,LPUSHX,LRANGE,LREM,LSET,LTRIM,MEMORY,MGET,MONITOR,MOVE,MSET,MSETNX,MULTI,"
    "OBJECT,PERSIST,PEXPIRE,PEXPIREAT,PFADD,PFCOUNT,PFMERGE,PING,PSETEX,PSUBSCRIBE,PUBSUB,PTTL,PUBLISH,"
    "PUNSUBSCRIBE,RANDOMKEY,READONLY,READWRITE,RENAME,RENAMENX,RESTORE,ROLE,RPOP,RPOPLPUSH,RPUSH,RPUSHX,SADD,"
    "SCARD,SCRIPT,SDIFF,SDIFFSTORE,SELECT,SET,SETBIT,SETEX,SETNX,SETRANGE,SINTER,SINTERSTORE,SISMEMBER,SLOWLOG,"
    "SMEMBERS,SMOVE,SORT,SPOP,SRANDMEMBER,SREM,STRLEN,SUBSCRIBE,SUNION,SUNIONSTORE,SWAPDB,TIME,TOUCH,TTL,TYPE,"
    "UNSUBSCRIBE,UNLINK,UNWATCH,WAIT,WATCH,ZADD,ZCARD,ZCOUNT,ZINCRBY,ZINTERSTORE,ZLEXCOUNT,ZPOPMAX,ZPOPMIN,"
    "ZRANGE,ZRANGEBYLEX,ZREVRANGEBYLEX,ZRANGEBYSCORE,ZRANK,ZREM,ZREMRANGEBYLEX,ZREMRANGEBYRANK,ZREMRANGEBYSCORE,"
    "ZREVRANGE,ZREVRANGEBYSCORE,ZREVRANK,ZSCORE,ZUNIONSTORE,SCAN,SSCAN,HSCAN,ZSCAN,XINFO,XADD,XTRIM,XDEL,XRANGE,"
    "XREVRANGE,XLEN,XREAD,XGROUP,XREADGROUP,XACK,XCLAIM,XPENDING,GEORADIUS_RO,GEORADIUSBYMEMBER_RO,LOLWUT,"
    "XSETID,SUBSTR"
)


def _in_ranges(allowed: str, number: int) -> bool:
    """An integer against AllowedValues such as `1-75`, `0-`, `-`, `0,20-`, `5000` or `-5,-4,-3,-2,-1,1-`."""
    for item in allowed.split(","):
        item = item.strip()
        if item == "-":
            return True
        if INTEGER.match(item):
            if number == int(item):
                return True
            continue
        low, separator, high = item[1:].partition("-")  # item[1:]: a leading minus belongs to the bound
        if not separator:
            raise ValueError(f"not an AllowedValues range: {item!r}")
        low = item[0] + low
        if (low == "" or number >= int(low)) and (high == "" or number <= int(high)):
            return True
    return False


def allowed_value(spec: ParameterSpec, value: str) -> bool:
    """Whether `value` satisfies the parameter's DataType and AllowedValues."""
    if spec.name == "notify-keyspace-events":
        return set(value) <= KEYSPACE_EVENT_LETTERS
    if spec.name == "rename-commands":  # "A space-separated list of renamed commands": pairs of old and new name
        words = value.split()
        renamed = words[0::2]
        return len(words) % 2 == 0 and all(word.upper() in RENAMEABLE.split(",") for word in renamed)
    if spec.data_type == "integer":
        if not INTEGER.match(value):
            return False
        return spec.allowed is None or _in_ranges(spec.allowed, int(value))
    if spec.allowed is None:
        return True
    return value in spec.allowed.split(",")


# --- redis5.0: the list the later families carry over ------------------------------------------------
# As `aws elasticache describe-engine-default-parameters --cache-parameter-group-family redis5.0` answers
# (the AWS CLI example), with the guide's corrections where it says otherwise.

REDIS5 = (
    P("activedefrag", "no", "string", YES_NO, YES, IMMEDIATE, "Enabled active memory defragmentation"),
    P(
        "active-defrag-cycle-max",
        "75",
        "integer",
        "1-75",
        YES,
        IMMEDIATE,
        "Maximal effort for defrag in CPU percentage",
    ),
    P("active-defrag-cycle-min", "5", "integer", "1-75", YES, IMMEDIATE, "Minimal effort for defrag in CPU percentage"),
    # The guide (Redis OSS 4.0.10 changes): "Permitted values: 10485760-104857600"; the CLI example shows
    # "1048576-". The guide wins.
    P(
        "active-defrag-ignore-bytes",
        "104857600",
        "integer",
        "10485760-104857600",
        YES,
        IMMEDIATE,
        "Minimum amount of fragmentation waste to start active defrag",
    ),
    P(
        "active-defrag-max-scan-fields",
        "1000",
        "integer",
        "1-1000000",
        YES,
        IMMEDIATE,
        "Maximum number of set/hash/zset/list fields that will be processed from the main dictionary scan",
    ),
    P(
        "active-defrag-threshold-lower",
        "10",
        "integer",
        "1-100",
        YES,
        IMMEDIATE,
        "Minimum percentage of fragmentation to start active defrag",
    ),
    P(
        "active-defrag-threshold-upper",
        "100",
        "integer",
        "1-100",
        YES,
        IMMEDIATE,
        "Maximum percentage of fragmentation at which we use maximum effort",
    ),
    P("activerehashing", "yes", "string", YES_NO, CONDITIONAL, REBOOT, "Apply rehashing or not."),
    P("appendfsync", "everysec", "string", "always,everysec,no", NO, IMMEDIATE, "fsync policy for AOF persistence"),
    P("appendonly", "no", "string", YES_NO, NO, IMMEDIATE, "Enable Redis persistence."),
    P(
        "client-output-buffer-limit-normal-hard-limit",
        "0",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "Normal client output buffer hard limit in bytes.",
    ),
    P(
        "client-output-buffer-limit-normal-soft-limit",
        "0",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "Normal client output buffer soft limit in bytes.",
    ),
    P(
        "client-output-buffer-limit-normal-soft-seconds",
        "0",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "Normal client output buffer soft limit in seconds.",
    ),
    P(
        "client-output-buffer-limit-pubsub-hard-limit",
        "33554432",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "Pubsub client output buffer hard limit in bytes.",
    ),
    P(
        "client-output-buffer-limit-pubsub-soft-limit",
        "8388608",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "Pubsub client output buffer soft limit in bytes.",
    ),
    P(
        "client-output-buffer-limit-pubsub-soft-seconds",
        "60",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "Pubsub client output buffer soft limit in seconds.",
    ),
    P(
        "client-output-buffer-limit-replica-soft-seconds",
        "60",
        "integer",
        "0-",
        NO,
        IMMEDIATE,
        "Replica client output buffer soft limit in seconds.",
    ),
    P(
        "client-query-buffer-limit",
        "1073741824",
        "integer",
        "1048576-1073741824",
        YES,
        IMMEDIATE,
        "Max size of a single client query buffer",
    ),
    P(
        "close-on-replica-write",
        "yes",
        "string",
        YES_NO,
        YES,
        IMMEDIATE,
        "If enabled, clients who attempt to write to a read-only replica will be disconnected. Applicable to"
        " 2.8.23 and higher.",
    ),
    # Cluster mode is chosen by the group: `yes` in the `.cluster.on` defaults. A custom group may set it
    # while no cluster uses it (AWS's own SSM runbooks and Terraform modules call ModifyCacheParameterGroup
    # with cluster-enabled=yes on a new group); on a group in use AWS answers "InvalidParameterValue: The
    # parameter cluster-enabled cannot be modified." (cloudposse/terraform-aws-elasticache-redis#212).
    P("cluster-enabled", "no", "string", YES_NO, CONDITIONAL, REBOOT, "Enable cluster mode"),
    P(
        "cluster-require-full-coverage",
        "no",
        "string",
        YES_NO,
        YES,
        IMMEDIATE,
        "Whether cluster becomes unavailable if one or more slots are not covered",
    ),
    P("databases", "16", "integer", "1-1200000", CONDITIONAL, REBOOT, "Set the number of databases."),
    P(
        "hash-max-ziplist-entries",
        "512",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The maximum number of hash entries in order for the dataset to be compressed.",
    ),
    P(
        "hash-max-ziplist-value",
        "64",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The threshold of biggest hash entries in order for the dataset to be compressed.",
    ),
    P(
        "hll-sparse-max-bytes",
        "3000",
        "integer",
        "1-16000",
        YES,
        IMMEDIATE,
        "HyperLogLog sparse representation bytes limit",
    ),
    P("lazyfree-lazy-eviction", "no", "string", YES_NO, YES, IMMEDIATE, "Perform an asynchronous delete on evictions"),
    P("lazyfree-lazy-expire", "no", "string", YES_NO, YES, IMMEDIATE, "Perform an asynchronous delete on expired keys"),
    P(
        "lazyfree-lazy-server-del",
        "no",
        "string",
        YES_NO,
        YES,
        IMMEDIATE,
        "Perform an asynchronous delete on key updates",
    ),
    # The guide says "Permitted values: any integer"; the API's "0-" (a decay time is not negative) is kept.
    P(
        "lfu-decay-time",
        "1",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The amount of time in minutes to decrement the key counter for LFU eviction policy",
    ),
    P(
        "lfu-log-factor",
        "10",
        "integer",
        "1-",
        YES,
        IMMEDIATE,
        "The log factor for incrementing key counter for LFU eviction policy",
    ),
    P(
        "list-compress-depth",
        "0",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "Number of quicklist ziplist nodes from each side of the list to exclude from compression. The head and"
        " tail of the list are always uncompressed for fast push/pop operations",
    ),
    P(
        "list-max-ziplist-size",
        "-2",
        "integer",
        "-5,-4,-3,-2,-1,1-",
        NO,
        IMMEDIATE,
        "The number of entries allowed per internal list node can be specified as a fixed maximum size or a"
        " maximum number of elements",
    ),
    P("lua-replicate-commands", "yes", "string", YES_NO, YES, IMMEDIATE, "Always enable Lua effect replication or not"),
    P(
        "lua-time-limit",
        "5000",
        "integer",
        "5000",
        NO,
        IMMEDIATE,
        "Max execution time of a Lua script in milliseconds. 0 for unlimited execution without warnings.",
    ),
    P("maxclients", "65000", "integer", "1-65000", NO, REBOOT, "The maximum number of Redis clients."),
    P(
        "maxmemory-policy",
        "volatile-lru",
        "string",
        "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction",
        YES,
        IMMEDIATE,
        "Max memory policy.",
    ),
    P("maxmemory-samples", "3", "integer", "1-", YES, IMMEDIATE, "Max memory samples."),
    P(
        "min-replicas-max-lag",
        "10",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The maximum amount of replica lag in seconds beyond which the master would stop taking writes. A value"
        " of 0 means the master always takes writes.",
    ),
    P(
        "min-replicas-to-write",
        "0",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The minimum number of replicas that must be present with lag no greater than min-replicas-max-lag for"
        " master to take writes. Setting this to 0 means the master always takes writes.",
    ),
    P(
        "notify-keyspace-events",
        None,
        "string",
        None,
        YES,
        IMMEDIATE,
        "The keyspace events for Redis to notify Pub/Sub clients about. By default all notifications are disabled",
    ),
    P(
        "proto-max-bulk-len",
        "536870912",
        "integer",
        "1048576-536870912",
        YES,
        IMMEDIATE,
        "Max size of a single element request",
    ),
    P(
        "rename-commands",
        "",
        "string",
        RENAMEABLE,
        YES,
        IMMEDIATE,
        "Redis commands that can be dynamically renamed by the customer",
        "5.0.3",
    ),
    P(
        "repl-backlog-size",
        "1048576",
        "integer",
        "16384-",
        YES,
        IMMEDIATE,
        "The replication backlog size in bytes for PSYNC. This is the size of the buffer which accumulates slave"
        " data when slave is disconnected for some time, so that when slave reconnects again, only transfer the"
        " portion of data which the slave missed. Minimum value is 16K.",
    ),
    P(
        "repl-backlog-ttl",
        "3600",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The amount of time in seconds after the master no longer have any slaves connected for the master to"
        " free the replication backlog. A value of 0 means to never release the backlog.",
    ),
    P("replica-allow-chaining", "no", "string", YES_NO, NO, IMMEDIATE, "Configures if chaining of replicas is allowed"),
    P(
        "replica-ignore-maxmemory",
        "yes",
        "string",
        YES_NO,
        NO,
        IMMEDIATE,
        "Determines if replica ignores maxmemory setting by not evicting items independent from the master",
    ),
    # The guide (Redis OSS 5.0 renamed parameters, and Valkey 8.0's removed ones) gives "Default: yes";
    # the redis5.0 CLI example shows "no". The guide wins.
    P(
        "replica-lazy-flush",
        "yes",
        "string",
        YES_NO,
        NO,
        IMMEDIATE,
        "Perform an asynchronous flushDB during replica sync",
    ),
    P(
        "reserved-memory-percent",
        "25",
        "integer",
        "0-100",
        YES,
        IMMEDIATE,
        "The percent of memory reserved for non-cache memory usage. You may want to increase this parameter for"
        " nodes with read replicas, AOF enabled, etc, to reduce swap usage.",
    ),
    P(
        "set-max-intset-entries",
        "512",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The limit in the size of the set in order for the dataset to be compressed.",
    ),
    P(
        "slowlog-log-slower-than",
        "10000",
        "integer",
        "-",
        YES,
        IMMEDIATE,
        "The execution time, in microseconds, to exceed in order for the command to get logged. Note that a"
        " negative number disables the slow log, while a value of zero forces the logging of every command.",
    ),
    P(
        "slowlog-max-len",
        "128",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The length of the slow log. There is no limit to this length. Just be aware that it will consume"
        " memory. You can reclaim memory used by the slow log with SLOWLOG RESET.",
    ),
    P(
        "stream-node-max-bytes",
        "4096",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The maximum size of a single node in a stream in bytes",
    ),
    P(
        "stream-node-max-entries",
        "100",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The maximum number of items a single node in a stream can contain",
    ),
    P(
        "tcp-keepalive",
        "300",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "If non-zero, send ACKs every given number of seconds.",
    ),
    # The guide: "0 – never disconnect an idle client; 1-19 – invalid values; >=20 – the number of seconds".
    P(
        "timeout",
        "0",
        "integer",
        "0,20-",
        YES,
        IMMEDIATE,
        "Close connection if client is idle for a given number of seconds, or never if 0.",
    ),
    P(
        "zset-max-ziplist-entries",
        "128",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The maximum number of sorted set entries in order for the dataset to be compressed.",
    ),
    P(
        "zset-max-ziplist-value",
        "64",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The threshold of biggest sorted set entries in order for the dataset to be compressed.",
    ),
)

# --- Redis OSS 6.x (family redis6.x): "Parameters added in Redis OSS 6.x", "Parameters removed" -------------

REDIS6_ADDED = (
    # "Changes take effect: The existing Redis OSS users associated to the cluster will continue to have
    # existing permissions. Either update the users or reboot the cluster": requires-reboot.
    P(
        "acl-pubsub-default",
        "allchannels",
        "string",
        "resetchannels,allchannels",
        YES,
        REBOOT,
        "Default pubsub channel permissions for ACL users deployed to this cluster.",
        "6.2.0",
    ),
    P(
        "cluster-allow-reads-when-down",
        "no",
        "string",
        YES_NO,
        YES,
        IMMEDIATE,
        "When set to yes, a Redis OSS (cluster mode enabled) replication group continues to process read"
        " commands even when a node is not able to reach a quorum of primaries.",
    ),
    # The guide says "Type: number" for the next two; the API says integer (the MemoryDB example).
    P(
        "tracking-table-max-keys",
        "1000000",
        "integer",
        "1-100000000",
        YES,
        IMMEDIATE,
        "The maximum number of keys allowed for the tracking table for client side caching",
    ),
    P("acllog-max-len", "128", "integer", "1-10000", YES, IMMEDIATE, "The maximum length of the ACL Log"),
    P(
        "active-expire-effort",
        "1",
        "integer",
        "1-10",
        YES,
        IMMEDIATE,
        "The amount of effort that redis uses to expire items in the active expiration job",
    ),
    P(
        "lazyfree-lazy-user-del",
        "no",
        "string",
        YES_NO,
        YES,
        IMMEDIATE,
        "Specifies whether the default behavior of DEL command acts the same as UNLINK",
    ),
)
REDIS6_REMOVED = ("lua-replicate-commands",)

# --- Redis OSS 7 (family redis7): added, changed ("activerehashing ... Modifiable: no. In Redis OSS 7, this
# parameter is hidden and enabled by default"), removed (the ziplist encodings, replaced by listpack) ----------

REDIS7_ADDED = (
    P(
        "cluster-allow-pubsubshard-when-down",
        "yes",
        "string",
        YES_NO,
        YES,
        IMMEDIATE,
        "When set to the default of yes, allows nodes to serve pubsub shard traffic while the cluster is in a"
        " down state, as long as it believes it owns the slots.",
    ),
    P(
        "cluster-preferred-endpoint-type",
        "tls-dynamic",
        "string",
        "ip,tls-dynamic",
        YES,
        IMMEDIATE,
        "This value controls what endpoint is returned for MOVED/ASKING requests as well as the endpoint field"
        " for CLUSTER SLOTS and CLUSTER SHARDS.",
    ),
    P(
        "latency-tracking",
        "no",
        "string",
        YES_NO,
        YES,
        IMMEDIATE,
        "When set to yes tracks the per command latencies and enables exporting the percentile distribution via"
        " the INFO latency statistics command, and cumulative latency distributions (histograms) via the LATENCY"
        " command.",
    ),
    P(
        "hash-max-listpack-entries",
        "512",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The maximum number of hash entries in order for the dataset to be compressed.",
    ),
    P(
        "hash-max-listpack-value",
        "64",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The threshold of biggest hash entries in order for the dataset to be compressed.",
    ),
    P(
        "zset-max-listpack-entries",
        "128",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The maximum number of sorted set entries in order for the dataset to be compressed.",
    ),
    P(
        "zset-max-listpack-value",
        "64",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The threshold of biggest sorted set entries in order for the dataset to be compressed.",
    ),
)
REDIS7_CHANGED: Mapping[str, Mapping[str, str | None]] = {"activerehashing": {"modifiable": NO}}
REDIS7_REMOVED = (
    "hash-max-ziplist-entries",
    "hash-max-ziplist-value",
    "zset-max-ziplist-entries",
    "zset-max-ziplist-value",
    "list-max-ziplist-size",
)

# --- Valkey 8 (family valkey8): 8.0's changed, new and removed parameters; 8.1's and 8.2's new ones ------------

VALKEY8_CHANGED: Mapping[str, Mapping[str, str | None]] = {
    "repl-backlog-size": {"default": "10485760"},
    "maxmemory-samples": {"allowed": "1-64"},  # "Permitted values: 1 to 64"
}
VALKEY8_ADDED = (
    # The guide says "Type: boolean" for a yes/no parameter; the API writes yes/no parameters as string.
    P(
        "extended-redis-compatibility",
        "yes",
        "string",
        YES_NO,
        YES,
        IMMEDIATE,
        "Extended Redis OSS compatibility mode makes Valkey pretend to be Redis OSS 7.2. Enable this only if you"
        " have problems with tools or clients.",
    ),
    # Valkey 8.1. The guide gives no permitted values for the two byte thresholds: non-negative sizes here.
    P(
        "commandlog-request-larger-than",
        "1048576",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The maximum size, in bytes, for requests to be logged by the Valkey Command Log feature.",
        "8.1.0",
    ),
    P(
        "commandlog-large-request-max-len",
        "128",
        "integer",
        "0-1024",
        YES,
        IMMEDIATE,
        "The maximum length of the Valkey Command Log for requests.",
        "8.1.0",
    ),
    P(
        "commandlog-reply-larger-than",
        "1048576",
        "integer",
        "0-",
        YES,
        IMMEDIATE,
        "The maximum size, in bytes, for responses to be logged by the Valkey Command Log feature.",
        "8.1.0",
    ),
    P(
        "commandlog-large-reply-max-len",
        "128",
        "integer",
        "0-1024",
        YES,
        IMMEDIATE,
        "The maximum length of the Valkey Command Log for responses.",
        "8.1.0",
    ),
    # Valkey 8.2.
    P(
        "search-fanout-target-mode",
        "client",
        "string",
        "client,throughput",
        YES,
        IMMEDIATE,
        "Controls how search queries are distributed across nodes in a Valkey cluster: client respects the"
        " client connection type and READONLY status, throughput spreads queries across all nodes.",
        "8.2.0",
    ),
    P(
        "search-default-timeout-ms",
        "50000",
        "integer",
        "1-60000",
        YES,
        IMMEDIATE,
        "The default Valkey search query timeout (in milliseconds).",
        "8.2.0",
    ),
    P(
        "search-enable-partial-results",
        "yes",
        "string",
        YES_NO,
        YES,
        IMMEDIATE,
        "Configures the query failure behavior for Valkey search: when enabled, search queries return partial"
        " results if timeouts occur on one or more shards.",
        "8.2.0",
    ),
)
VALKEY8_REMOVED = (
    "lazyfree-lazy-eviction",
    "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del",
    "lazyfree-lazy-user-del",
    "replica-lazy-flush",
)


def _family(
    base: Iterable[ParameterSpec],
    first_version: str,
    added: Iterable[ParameterSpec] = (),
    changed: Mapping[str, Mapping[str, str | None]] | None = None,
    removed: Iterable[str] = (),
) -> dict[str, ParameterSpec]:
    """A family's parameters: the previous family's, carried over (each reports this family's first
    version), less the removed ones, with the changes, plus the added ones (each with the version that
    added it, else the family's first)."""
    gone = set(removed)
    params: dict[str, ParameterSpec] = {}
    for spec in base:
        if spec.name in gone:
            continue
        later = _version(spec.minimum_engine_version) > _version(first_version)
        carried = spec.minimum_engine_version if later else first_version
        params[spec.name] = replace(spec, minimum_engine_version=carried)
    missing = gone - {spec.name for spec in base}
    if missing:
        raise ValueError(f"removing parameters the family does not have: {sorted(missing)}")
    for name, fields in (changed or {}).items():
        params[name] = replace(params[name], **fields)  # type: ignore[arg-type]
    for spec in added:
        if spec.name in params:
            raise ValueError(f"{spec.name} is already in the family")
        params[spec.name] = replace(spec, minimum_engine_version=spec.minimum_engine_version or first_version)
    return params


def _version(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _ordered(params: dict[str, ParameterSpec]) -> dict[str, ParameterSpec]:
    """In the order AWS lists parameters: by name, hyphens ignored (activedefrag, active-defrag-cycle-max,
    ..., activerehashing)."""
    return {name: params[name] for name in sorted(params, key=sort_key)}


def sort_key(name: str) -> str:
    return f"{name.replace('-', '')} {name}"


# redis5.0's list as AWS reports it for 5.0 engines (rename-commands from 5.0.3); the carried-over
# parameters of later families report those families' first versions instead.
_REDIS5 = _family(REDIS5, "5.0.0")
REDIS6X = _ordered(_family(_REDIS5.values(), "6.0.0", REDIS6_ADDED, removed=REDIS6_REMOVED))
REDIS7 = _ordered(_family(REDIS6X.values(), "7.0.0", REDIS7_ADDED, REDIS7_CHANGED, REDIS7_REMOVED))
VALKEY7 = _ordered(_family(REDIS7.values(), "7.2.0"))
VALKEY8 = _ordered(_family(VALKEY7.values(), "8.0.0", VALKEY8_ADDED, VALKEY8_CHANGED, VALKEY8_REMOVED))

FAMILIES: Mapping[str, Mapping[str, ParameterSpec]] = {
    "redis6.x": REDIS6X,
    "redis7": REDIS7,
    "valkey7": VALKEY7,
    "valkey8": VALKEY8,
}
