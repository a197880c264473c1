"""What the reproduction's documentation says matches the repository: ``make help`` and the
table of config groups in ``docs/configuration.md``."""

import fnmatch
import re
import subprocess

from conftest import REPO

from multigrade.jobs import CONF_DIR


def test_make_help_prints_the_variables_values_not_make_syntax():
    result = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), "help", "OUT=elsewhere/reports"],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "$(" not in result.stdout
    assert "make reproduce" in result.stdout and "OUT=<dir> (elsewhere/reports)" in result.stdout
    assert "BENCH_OUT=<dir> (outputs/bench)" in result.stdout and "RUNS=<dir> (outputs)" in result.stdout


def test_make_reproduce_hands_on_the_selection_and_the_extra_arguments():
    result = subprocess.run(["make", "--no-print-directory", "-n", "-C", str(REPO), "reproduce", "ONLY=p2_sin",
                             "ARGS=--force cuda_graph=false"], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "-m multigrade.reproduce --profile quick --out outputs/reproduce --only p2_sin --force cuda_graph=false" \
        in result.stdout


def configuration_row(group: str) -> list[str]:
    """The options the configuration page's table lists for ``group``."""
    text = (REPO / "docs" / "configuration.md").read_text()
    row = re.search(rf"^\| `{group}` \| ([^|]*) \|", text, flags=re.MULTILINE)
    assert row, f"the configuration page's table has no row for {group}"
    return re.findall(r"`([^`]+)`", row.group(1))


def test_the_configuration_page_lists_every_experiment_and_data_option():
    patterns = configuration_row("experiment")
    unlisted = [p.stem for p in (CONF_DIR / "experiment").glob("*.yaml")
                if not any(fnmatch.fnmatch(p.stem, pattern) for pattern in patterns)]
    assert not unlisted, f"experiments missing from docs/configuration.md: {unlisted}"
    data = {p.stem for p in (CONF_DIR / "data").glob("*.yaml")}
    assert set(configuration_row("data")) == data
