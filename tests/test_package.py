"""The package as users get it: wheel and sdist build, and the wheel works installed elsewhere.

The test runs offline. It builds with ``python -m build --no-isolation`` (hatchling is a
dev dependency, so no build environment is downloaded), creates a fresh virtualenv in a
temporary folder outside the source tree, installs the wheel there with
``pip --python FRESH install --no-deps --no-index`` and makes the runtime dependencies
importable with a ``.pth`` line pointing at this environment's site-packages (they are
already installed here; nothing is fetched). A ``.pth`` path line does not process the
``.pth`` files inside that folder, so this checkout's editable install stays invisible and
``careflow`` can only come from the wheel, which the test checks. That the wheel declares
exactly the project's dependencies is checked from its metadata.
"""

from __future__ import annotations

import email.parser
import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, check=False, timeout=120, env=env
    )
    assert out.returncode == 0, f"{args} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def test_wheel_builds_installs_elsewhere_and_runs(tmp_path: Path) -> None:
    """Wheel and sdist build; the installed wheel runs --version, schema and score."""
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--sdist", "-o", str(dist)],
        cwd=ROOT,
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (wheel,) = dist.glob("careflow-*.whl")
    (sdist,) = dist.glob("careflow-*.tar.gz")

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(zf.read(meta_name).decode("utf-8"))
    for needed in (
        "careflow/py.typed",
        "careflow/schemas/journey.schema.json",
        "careflow/targets/malbilder.yaml",
    ):
        assert needed in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert meta["License-Expression"] == "MIT"
    declared = [
        *project["dependencies"],
        *(
            f"{d}; extra == '{extra}'"
            for extra, ds in project["optional-dependencies"].items()
            for d in ds
        ),
    ]
    requires = meta.get_all("Requires-Dist") or []
    assert sorted(r.lower() for r in requires) == sorted(d.lower() for d in declared)
    assert "dev" not in (meta.get_all("Provides-Extra") or [])
    assert any(url.startswith("Source, https://") for url in meta.get_all("Project-URL") or [])
    with tarfile.open(sdist) as tf:
        members = {m.split("/", 1)[1] for m in tf.getnames() if "/" in m}
    assert {"LICENSE", "README.md", "pyproject.toml", "src/careflow/__init__.py"} <= members

    fresh = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / "bin" / "python"
    _run(
        [
            *(sys.executable, "-m", "pip", "--python", str(python), "install", "-q"),
            *("--no-deps", "--no-index", "--disable-pip-version-check", str(wheel)),
        ],
        cwd=tmp_path,
    )
    fresh_site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=tmp_path,
        ).strip()
    )
    (fresh_site / "careflow_test_deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    where = _run([str(python), "-c", "import careflow; print(careflow.__file__)"], tmp_path, env)
    assert Path(where.strip()).is_relative_to(fresh), "careflow came from the checkout"

    careflow = str(fresh / "bin" / "careflow")
    version = _run([careflow, "--version"], tmp_path, env)
    assert version.split()[-1] == meta["Version"]
    schema = json.loads(_run([careflow, "schema"], tmp_path, env))
    assert schema["$schema"].startswith("https://json-schema.org/")
    scored = json.loads(
        _run(
            [careflow, "score", str(EXAMPLES / "fragmented.yaml"), "--format", "json"],
            tmp_path,
            env,
        )
    )
    assert scored["journey"] == "fragmented"
    assert len(scored["targets"]) == 10
