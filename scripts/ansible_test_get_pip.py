"""Bootstrap pip in a new virtual environment without network access to ansible-test's file host.

ansible-test bootstraps pip in the virtual environments it creates by running a get-pip
script that it downloads once and then keeps in ~/.ansible/test/cache/. scripts/test copies
this file there under the name that ansible-test looks for, so the download never happens.
The script installs the pip wheel bundled with the interpreter (ensurepip), then runs
``pip install`` with the arguments ansible-test passed, so the pinned pip version and any
other packages come from the package index configured on this machine.
"""

from __future__ import annotations

import subprocess
import sys

# get-pip.py options that `pip install` does not accept.
GET_PIP_ONLY_OPTIONS = frozenset(("--no-setuptools", "--no-wheel"))


def main() -> int:
    """Install the bundled pip, then the requested packages, and return pip's exit code."""
    pip_arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_OPTIONS]

    # ensurepip runs in its own process because it points PIP_CONFIG_FILE at os.devnull
    # in the process that calls it, which would hide this machine's pip configuration
    # (its package index) from the install below.
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True)
    completed = subprocess.run([sys.executable, "-m", "pip", "install", *pip_arguments], check=False)
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
