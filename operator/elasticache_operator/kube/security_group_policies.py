"""EKS SecurityGroupPolicies (vpcresources.k8s.aws/v1beta1, the VPC resource controller's security
groups for pods): the operator's one per scoped RedisCluster. The CRD is not the operator's: when the
cluster has none, that is said, not failed on."""

from __future__ import annotations

from typing import Any

from kubernetes.client import CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from . import TIMEOUT

GROUP, VERSION, PLURAL = "vpcresources.k8s.aws", "v1beta1", "securitygrouppolicies"


class PoliciesUnavailable(Exception):
    """The SecurityGroupPolicy CRD is not installed (no EKS VPC resource controller)."""


class SecurityGroupPolicies:
    def __init__(self, api: CustomObjectsApi) -> None:
        self.api = api

    def apply(self, namespace: str, body: dict[str, Any], owner: dict[str, Any]) -> str:
        """Create the policy or bring its spec back; 'created', 'updated' or 'unchanged'."""
        name = body["metadata"]["name"]
        meta = owner["metadata"]
        reference = {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": meta["name"],
            "uid": meta["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
        body = {**body, "metadata": {**body["metadata"], "ownerReferences": [reference]}}
        try:
            current: Any = self.api.get_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, name, _request_timeout=TIMEOUT
            )
        except ApiException as e:
            if e.status != 404:
                raise
            try:
                self.api.create_namespaced_custom_object(
                    GROUP, VERSION, namespace, PLURAL, body, _request_timeout=TIMEOUT
                )
            except ApiException as created:
                if created.status == 404:  # no such resource: the CRD is missing
                    raise PoliciesUnavailable from created
                raise
            return "created"
        if current.get("spec") == body["spec"]:
            return "unchanged"
        self.api.patch_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, name, {"spec": body["spec"]}, _request_timeout=TIMEOUT
        )
        return "updated"

    def delete(self, namespace: str, name: str) -> None:
        try:
            self.api.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name, _request_timeout=TIMEOUT)
        except ApiException as e:
            if e.status != 404:
                raise
