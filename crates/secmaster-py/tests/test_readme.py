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
