"""elasticache-operator: RedisCluster custom resources as Amazon ElastiCache replication groups."""

API_GROUP = "redis.elasticache-operator.io"
API_VERSION = "v1alpha1"
PLURAL = "redisclusters"
INSTANCE_LABEL = "elasticache-operator.io/instance"  # which operator installation claims a RedisCluster
# Names an existing replication group for this RedisCluster to take over (or, with ObserveOnly, to watch).
ADOPT_ANNOTATION = f"{API_GROUP}/adopt-replication-group-id"
# How the operator's own Kubernetes requests introduce themselves (kopf's say kopf/<version>).
USER_AGENT = "elasticache-operator"
