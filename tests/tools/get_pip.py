"""Stand-in for pip's get-pip.py, for machines that cannot reach ansible-test's download.

ansible-test bootstraps pip in the virtual environments it creates by running a cached
get-pip script (``~/.ansible/test/cache/get_pip_<version>.py``) with pip install
arguments. This does the same from the interpreter's own ``ensurepip`` wheel and PyPI.
"""

import subprocess
import sys

IGNORED = {"--no-setuptools", "--no-wheel"}


def main():
    # In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null in its own
    # environment, and the install below needs the user's pip.conf (CA bundle).
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    args = [arg for arg in sys.argv[1:] if arg not in IGNORED]
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    main()
