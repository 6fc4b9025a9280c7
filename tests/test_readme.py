"""Every command in the README runs as written, and the README stays a first screen.

The README opens with two install commands (run the demo; run the tests), checked here for
their exact text. Every other ``bash`` block runs in a temporary folder holding a copy of
``scenarios/``, with the virtual environment's ``bin`` first on ``PATH``. Blocks that talk to
the service run in the slow lane against a live ``parts-priority serve`` the test starts: the
line that starts the server runs in the background on a free port, and ``localhost:8000``
becomes that port. The order system's tutorial (``docs/tutorials/order-system.md``) runs the
same way, so the full HTTP walkthrough is held to working too. ``curl`` is given
``--fail-with-body``, so a 4xx or 5xx anywhere in a walkthrough fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import pytest

from allocation import Plan
from simulation import Comparison  # noqa: TID251  (the README shows both packages)

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TUTORIAL = ROOT / "docs" / "tutorials" / "order-system.md"
BIN = Path(sys.executable).parent
SERVER_PORT = "localhost:8000"

FIRST = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e . && "
    ".venv/bin/parts-priority simulate scenarios/thailand-floods-2011.yaml"
)
SECOND = (
    'python3 -m venv .venv && .venv/bin/pip install -q -e ".[dev]" && '
    ".venv/bin/python -m pytest -n 2 --dist loadfile"
)


def fenced(path: Path, language: str) -> list[str]:
    """The ``language`` code blocks of a Markdown file, in order."""
    text = path.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def end_group(group: int) -> None:
    """SIGTERM a process group, then SIGKILL whatever is left of it after 15 s."""
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            os.killpg(group, 0)  # raises once the group is gone
            time.sleep(0.1)
        os.killpg(group, signal.SIGKILL)


def needs_server(block: str) -> bool:
    return SERVER_PORT in block or "parts-priority serve" in block


def workspace(tmp_path: Path) -> Path:
    """A folder to run commands in, with the shipped scenarios and the example snapshot."""
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    return tmp_path


def environment() -> dict[str, str]:
    """The caller's environment with the venv first on PATH and no service settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTS_PRIORITY_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "120"
    return env


def test_the_readme_opens_with_the_two_install_commands_as_written() -> None:
    first, second = (block.strip() for block in fenced(README, "bash")[:2])
    assert first == FIRST
    assert second == SECOND
    text = README.read_text(encoding="utf-8")
    assert re.search(r"about \d+ minutes on 2 idle cores", text)


def test_the_readme_fits_in_twelve_kilobytes() -> None:
    assert len(README.read_bytes()) <= 12 * 1024


def test_the_readme_links_only_to_files_of_the_repository() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    assert targets
    local = [t.split("#")[0] for t in targets if "://" not in t]
    assert [t for t in local if not (ROOT / t).exists()] == []
    assert "RULES.md" not in text


def test_the_readme_has_a_quickstart_for_each_kind_of_user() -> None:
    blocks = fenced(README, "bash")[2:]
    assert any("parts-priority simulate" in b for b in blocks if not needs_server(b))
    assert any("curl" in b for b in blocks if needs_server(b))
    assert len(fenced(README, "python")) == 1


def test_the_readme_commands_that_need_no_server_run_as_written(tmp_path: Path) -> None:
    folder = workspace(tmp_path)
    blocks = [b for b in fenced(README, "bash")[2:] if not needs_server(b)]
    assert blocks
    for block in blocks:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            cwd=folder,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"{block}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        assert result.stdout.strip(), block


def test_the_readme_python_quickstart_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace(tmp_path))
    (code,) = fenced(README, "python")
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md (An analyst in Python)", "exec"), namespace)
    assert isinstance(namespace["plan"], Plan)
    both = namespace["both"]
    assert isinstance(both, Comparison)
    assert set(both.differences()["policy"]) == {"fifo"}


def walkthrough(path: Path, port: int) -> str:
    """A bash script: the document's server block and every later block that calls it."""
    blocks = fenced(path, "bash")
    start = next(i for i, b in enumerate(blocks) if "parts-priority serve" in b)
    calls = [b for b in blocks[start + 1 :] if SERVER_PORT in b]
    assert calls, f"{path.name}: no block calls the server after it starts"
    here = f"127.0.0.1:{port}"
    lines = [
        'curl() { command curl --fail-with-body --max-time 120 "$@"; echo; }',
    ]
    for line in blocks[start].splitlines():
        if "parts-priority serve" in line:
            command = line.split("#")[0].strip()
            lines += [
                f"{command} --port {port} > server.log 2>&1 &",
                "for _ in $(seq 600); do",
                f"  command curl -s {here}/health | grep -q '\"loaded\":true' && break",
                "  sleep 0.1",
                "done",
                f"command curl -sf {here}/health > /dev/null",
            ]
        else:
            lines.append(line)
    lines += [block.replace(SERVER_PORT, here) for block in calls]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("document", [README, TUTORIAL], ids=["readme", "tutorial"])
def test_the_http_walkthrough_runs_against_a_live_server(document: Path, tmp_path: Path) -> None:
    folder = workspace(tmp_path)
    script = walkthrough(document, free_port())
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=folder,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=300)
    finally:
        # The server runs on in the script's process group after the script has ended.
        end_group(process.pid)
        process.wait(timeout=30)
    log = folder / "server.log"
    server = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    assert process.returncode == 0, f"{output[-4000:]}\n--- server.log\n{server}"
    assert '"order_id":"O-9001"' in output
    if "/suppliers/scorecard" in script:  # the tutorial: its one failed broker buy
        assert '"supplier_id":"BRK-OPEN","source":"broker","buys":1,"failed":1' in output
    if "-o report.html" in script:
        assert (folder / "report.html").read_text(encoding="utf-8").lstrip().startswith("<")
