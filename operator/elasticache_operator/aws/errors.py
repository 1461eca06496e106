"""The one place that decides what an AWS error means: retry soon, retry later, or stop."""

from __future__ import annotations

import enum

from botocore.exceptions import BotoCoreError, ClientError


class Kind(enum.Enum):
    TRANSIENT = "transient"  # throttling, 5xx, a busy group: retry soon (botocore already backed off)
    WAITING = "waiting"  # something outside must change (a subnet group, IAM): retry slowly
    TERMINAL = "terminal"  # the request itself is wrong or over quota: stop until the spec changes


THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
}
TRANSIENT = THROTTLING | {
    "DependencyViolation",  # a security group still held by the nodes of a group being deleted
    "ServiceUnavailable",
    "InternalFailure",
    "InternalError",
    "RequestTimeout",
    "RequestTimeoutException",
    "InvalidReplicationGroupState",
    "InvalidCacheClusterState",
    "InsufficientCacheClusterCapacity",
}
TERMINAL = {
    "InvalidParameterValue",
    "InvalidParameterCombination",
    "InvalidParameter",
    "ValidationError",
    "CacheParameterGroupNotFound",
    "InvalidKMSKeyFault",
}
WAITING = {
    "CacheSubnetGroupNotFoundFault",
    "CacheSecurityGroupNotFound",
    "InvalidVPCNetworkStateFault",
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    # botocore's own, before any request: no usable credentials or region yet (IRSA, Pod Identity)
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "NoRegionError",
}


def classify(code: str, http_status: int | None) -> Kind:
    if code in TRANSIENT:
        return Kind.TRANSIENT
    if code in TERMINAL or "QuotaExceeded" in code or "QuotaFor" in code:
        return Kind.TERMINAL
    if code in WAITING:
        return Kind.WAITING
    if http_status is not None and http_status >= 500:
        return Kind.TRANSIENT
    return Kind.WAITING  # unknown: do not hammer, do not give up


class AWSCallError(Exception):
    def __init__(self, operation: str, code: str, message: str, http_status: int | None = None) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation, self.code, self.message = operation, code, message
        self.kind = classify(code, http_status)

    @property
    def throttled(self) -> bool:
        """AWS asked the operator to slow down: a reason to wait, never a failure to report."""
        return self.code in THROTTLING


def from_boto(operation: str, error: Exception) -> AWSCallError:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return AWSCallError(operation, details.get("Code", "Unknown"), details.get("Message", ""), status)
    if isinstance(error, BotoCoreError):  # credentials, connection errors, timeouts
        code = type(error).__name__
        return AWSCallError(operation, code, str(error), None if code in WAITING else 503)
    raise error
