"""The image's promises, checked statically: there is no Docker engine here to build it."""

import importlib.util
import re
import tomllib

from ..support.processes import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def stages():
    """[(FROM line, [instructions])] with ARG defaults substituted."""
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", DOCKERFILE, re.M))
    result = []
    for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), line)
        if line.startswith("FROM "):
            result.append((line, []))
        elif result:
            result[-1][1].append(line)
    return result


def test_base_images_are_pinned():
    for from_line, _ in stages():
        image = from_line.split()[1]
        assert ":" in image and not image.endswith(":latest"), from_line


def test_multi_stage_and_the_final_stage_runs_as_numeric_non_root():
    all_stages = stages()
    assert len(all_stages) >= 2
    _, final = all_stages[-1]
    [user] = [i for i in final if i.startswith("USER ")]
    uid = user.split()[1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0


def test_final_stage_has_no_compilers_or_package_managers_runs():
    _, final = stages()[-1]
    joined = " ".join(final)
    assert not re.search(r"apt-get|apk add|gcc|build-essential|pip install", joined)
    assert any(i.startswith("COPY --from=") for i in final)


def test_entrypoint_runs_an_existing_module():
    _, final = stages()[-1]
    [entrypoint] = [i for i in final if i.startswith("ENTRYPOINT ")]
    argv = eval(entrypoint.removeprefix("ENTRYPOINT "))  # exec form is a JSON/Python list
    assert argv[:2] == ["python", "-m"]
    assert importlib.util.find_spec(f"{argv[2]}.__main__") is not None


def test_writes_only_under_tmp():
    _, final = stages()[-1]
    env = " ".join(i for i in final if i.startswith("ENV "))
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "HOME=/tmp" in env


def test_dependencies_come_from_the_pinned_lock():
    lock = (ROOT / "requirements.lock").read_text().splitlines()
    pins = {
        re.split(r"==", line)[0].lower().replace("_", "-"): line for line in lock if line and not line.startswith("#")
    }
    assert all("==" in line for line in pins.values())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~\[ ]", requirement)[0].lower().replace("_", "-")
        assert name in pins, f"{name} is not pinned in requirements.lock"
    assert "-r requirements.lock" in DOCKERFILE and "--no-deps ." in DOCKERFILE


def test_the_image_carries_no_sandbox():
    """The stand-ins are a distribution of their own (sandbox/), so the operator's wheel cannot hold them."""
    import setuptools

    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert find["where"] == ["operator"]
    packages = setuptools.find_packages(where=str(ROOT / "operator"), include=find["include"])
    assert "elasticache_operator" in packages and not [p for p in packages if "sandbox" in p]
    assert not re.search(r"^COPY\s+.*sandbox", DOCKERFILE, re.M)
