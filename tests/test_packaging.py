"""Packaging: pyproject.toml and environment.yml list the same packages; the entry points exist."""

import re
import subprocess
import sys

import tomllib

from minillm.files import ROOT

CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name, where they differ


def requirement(spec: str) -> tuple[str, str]:
    name, version = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec.strip()).groups()
    return name.lower().replace("_", "-"), version.replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]
    return dict(map(requirement, specs))


def conda_requirements() -> dict[str, str]:
    specs, in_dependencies = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_dependencies = True
        elif in_dependencies and re.match(r"^  - [A-Za-z]", line):
            name, version = requirement(line[4:].split("#")[0])
            if name not in ("python", "pip"):
                specs[CONDA_NAMES.get(name, name)] = version
    return specs


def test_environment_yml_matches_pyproject():
    assert conda_requirements() == pyproject_requirements()


def test_environment_installs_the_package_with_its_extras():
    assert "- -e .[course,dev]" in (ROOT / "environment.yml").read_text()


def test_console_script_and_module_entry_point():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["minillm"] == "minillm.cli:main"
    out = subprocess.run([sys.executable, "-m", "minillm", "--help"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("usage: minillm")


def test_ci_and_makefile_run_the_same_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    makefile = (ROOT / "Makefile").read_text()
    # the pipeline's stages first (the notebooks read them), alone with spinning OpenMP threads, then the suite on
    # pytest-xdist workers with minillm.train's sleeping ones
    assert re.search(r"^PIPELINE := OMP_WAIT_POLICY=ACTIVE \$\(BIN\)/minillm pipeline$", makefile, re.MULTILINE)
    assert re.search(r"^test: \$\(INSTALLED\)( browser)?\n\t\$\(PIPELINE\) --preset tiny\n"
                     r"\t\$\(BIN\)/python -m pytest -n \$\(WORKERS\) --dist loadfile$", makefile, re.MULTILINE)
    assert re.search(r"^run: \$\(INSTALLED\)\n\t\$\(PIPELINE\) --preset \$\(PRESET\)$", makefile, re.MULTILINE)
    assert "TORCH ?= torch==2.13.0" in makefile
