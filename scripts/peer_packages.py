"""The Debian packages the peer comparisons need (scripts/bench-*-vs-*.py), installed on demand.

ensure_installed() reads scripts/peer-packages.txt and installs with apt-get whichever of its
packages dpkg does not list as installed (sudo when not root). Never run by scripts/setup or
scripts/test: the library and its tests do not need these packages. Standard library only.
"""

import os
import subprocess
import sys

PACKAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer-packages.txt")


def wanted():
    with open(PACKAGES) as f:
        return [line.split("#")[0].split()[0] for line in f if line.split("#")[0].strip()]


def ensure_installed():
    packages = wanted()
    status = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n"] + packages,
                            capture_output=True, text=True).stdout
    installed = {line.split()[0] for line in status.splitlines() if line.split()[1:2] == ["ii"]}
    missing = [p for p in packages if p not in installed]
    if missing:
        print(f"installing missing Debian packages: {' '.join(missing)}", file=sys.stderr)
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] +
                       missing, check=True, env=env)
