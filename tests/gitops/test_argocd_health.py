"""The Argo CD health check, run as Lua (lupa) against the statuses the operator writes."""

import pathlib

import lupa
import yaml

from ..support.processes import ROOT

HEALTH_LUA = ROOT / "docs" / "argocd" / "health.lua"
KEY = "resource.customizations.health.redis.elasticache-operator.io_RedisCluster"


def argo_health(obj: dict) -> dict:
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    script = lua.eval(f"function(obj)\n{HEALTH_LUA.read_text()}\nend")
    result = script(lua.table_from(obj, recursive=True))
    return dict(result)


def test_health_for_every_phase(phase):
    name, obj, health, _ = phase
    result = argo_health(obj)
    assert result["status"] == health, (name, result)
    assert result["message"]


def test_degraded_says_why():
    from .conftest import PHASES

    result = argo_health(PHASES["invalid spec"][0])
    assert result["message"].startswith("InvalidSpec: ") and "enableSharding" in result["message"]


def test_the_argo_cd_values_snippet_carries_the_same_script():
    values = yaml.safe_load((ROOT / "docs" / "argocd" / "argo-cd-values.yaml").read_text())
    assert values["configs"]["cm"][KEY].strip() == HEALTH_LUA.read_text().strip()


def test_example_application_uses_server_side_apply():
    docs = [d for d in yaml.safe_load_all((ROOT / "docs" / "argocd" / "application.yaml").read_text()) if d]
    assert all("ServerSideApply=true" in d["spec"]["syncPolicy"]["syncOptions"] for d in docs)
    assert pathlib.Path(ROOT / docs[0]["spec"]["source"]["path"]).is_dir()
