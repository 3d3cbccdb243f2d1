"""README's "From Python" example prints what README says it prints."""

import re
import subprocess
import sys

from conftest import ROOT


def test_readme_python_example_output():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## From Python") :]
    code, output = re.search(r"```python\n(.*?)```\n\n```\n(.*?)```", section, re.S).groups()
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert run.stdout == output


def test_readme_spark_example_output(spark, monkeypatch, capsys):
    """README's "When one machine is not enough" example, run in this process so that it
    shares the tests' local Spark session (its getOrCreate finds it)."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## When one machine is not enough") :]
    code, output = re.search(r"```python\n(.*?)```\n\n```\n(.*?)```", section, re.S).groups()
    monkeypatch.chdir(ROOT)
    capsys.readouterr()
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == output
