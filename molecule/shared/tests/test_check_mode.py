"""A check-mode run of the site playbook on the converged cluster reports and makes no change."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from cluster_model import inventory_dir, extra_vars_file

CONVERGE_PLAYBOOK = Path(__file__).resolve().parent.parent / "converge.yml"
RECAP_LINE = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


def watched_paths(node) -> list[str]:
    """Return the directories whose files a converge writes on this node."""
    paths = ["/etc"]
    if node.is_carbon:
        paths += [f"{node.carbon_home}/repository/conf", f"{node.carbon_home}/bin"]
    return paths


def checksums(hosts, cluster) -> dict[str, dict[str, str]]:
    """Return {node: {path: sha256}} for every regular file under the watched paths."""
    result = {}
    for node in cluster.nodes.values():
        listing = hosts[node.name].check_output(
            f"find {' '.join(watched_paths(node))} -xdev -type f -print0 | sort -z | xargs -0 sha256sum"
        )
        result[node.name] = {line[66:]: line[:64] for line in listing.splitlines()}
    return result


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def test_check_mode_changes_nothing(cluster, hosts):
    before = checksums(hosts, cluster)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    command = [
        "ansible-playbook",
        "--inventory",
        inventory_dir(),
        "--extra-vars",
        "@" + extra_vars_file(),
        "--check",
        "--diff",
        str(CONVERGE_PLAYBOOK),
    ]
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    output = run.stdout + run.stderr
    after = checksums(hosts, cluster)

    assert run.returncode == 0, f"{' '.join(command)} failed with rc={run.returncode}:\n{output[-6000:]}"
    recap = {match["host"]: match for match in RECAP_LINE.finditer(run.stdout)}
    for node in cluster.nodes.values():
        assert node.name in recap, f"{node.name}: missing from the PLAY RECAP of the check-mode run:\n{run.stdout[-3000:]}"
        assert recap[node.name]["changed"] == "0", (
            f"{node.name}: check mode reported changed={recap[node.name]['changed']}; "
            f"tasks that would change:\n{tasks_reporting_change(run.stdout, node.name)}"
        )
    for node in cluster.nodes.values():
        differing = changed_files(before[node.name], after[node.name])
        assert not differing, f"{node.name}: check mode changed these files: {differing}"
    for name, secret in cluster.secrets().items():
        assert secret not in output, f"the output of the check-mode run contains the value of {name}"


def tasks_reporting_change(output: str, host: str) -> str:
    """Return the task headers followed by a 'changed: [host]' line, to name what would change."""
    lines = []
    task = ""
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line
        elif line.startswith(f"changed: [{host}]"):
            lines.append(f"{task} {line}")
    return "\n".join(lines) or "(none found in the output)"
