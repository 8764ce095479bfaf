"""What fresh servers cost: building each minimal image, and the first deploy of the seed's
home server on a fresh host, with packages from Debian's archive and then from the cache.

    sudo .venv/bin/python benchmarks/fresh_servers.py [--images debian-12,debian-13]

- Image builds run into a scratch image store (the shared one is left alone), once straight
  from the archive (no cache) and once through the package cache, which the first build of
  the shared images has filled.
- The first deploy runs `lispdeploy deploy` of specs/home-server.hy (its operating system
  as the tutorial writes it) on a new container host of each image: once with
  LISPDEPLOY_PACKAGE_CACHE=off (every package from the archive), once with the cache (warm
  from the run before). The host is created (and booted) by the deploy, as a user's first
  deploy does; the time is the command's wall clock.

Hosts are ephemeral and destroyed after each measurement, also on failure. Prints a table and
writes it to benchmarks/results/fresh_servers.txt. Timings on a shared 2-core machine are
noisy: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

from lispdeploy.environments.container import ContainerEngine
from lispdeploy.environments.container.images import ImageStore
from lispdeploy.environments.container.package_cache import PackageCache

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "specs", "home-server.hy")
RESULTS = os.path.join(ROOT, "benchmarks", "results", "fresh_servers.txt")
LISPDEPLOY = os.path.join(os.path.dirname(sys.executable), "lispdeploy")


def build_time(image: str, cache) -> float:
    """Seconds to build `image` into a scratch store (through `cache`, or straight)."""
    scratch = tempfile.mkdtemp(prefix="lispdeploy-bench-images-", dir="/var/tmp")
    try:
        began = time.monotonic()
        ImageStore(scratch, cache=cache).build(image)
        return time.monotonic() - began
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def first_deploy(image: str, cached: bool, work: str) -> float:
    """Seconds of `lispdeploy deploy` of the home server onto a new host of `image`."""
    name = f"ldbench-{os.getpid()}-{image}-{'cache' if cached else 'archive'}"
    text = open(SEED).read()
    spec = os.path.join(work, f"{name}.hy")
    with open(spec, "w") as f:
        f.write(text[:text.index("(list (machine")] + f"""(list (machine (operating-system os)
         (environment container-environment-type)
         (configuration (container-configuration (name "{name}") (image "{image}")))))
""")
    env = {**os.environ, "LISPDEPLOY_CONTAINER_OWNER": str(os.getpid()),
           "LISPDEPLOY_CACHE_DIR": os.path.join(work, "spec-cache")}
    if not cached:
        env["LISPDEPLOY_PACKAGE_CACHE"] = "off"
    try:
        began = time.monotonic()
        done = subprocess.run([LISPDEPLOY, "deploy", spec], env=env, capture_output=True,
                              text=True, timeout=1200)
        seconds = time.monotonic() - began
        if done.returncode != 0:
            raise SystemExit(f"deploy to {name} failed:\n{done.stdout}\n{done.stderr}")
        return seconds
    finally:
        ContainerEngine().destroy(name, missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", default="debian-12,debian-13")
    args = parser.parse_args()
    images = args.images.split(",")
    cache = PackageCache()
    engine = ContainerEngine()
    rows = []
    with cache.used(f"bench-{os.getpid()}"), tempfile.TemporaryDirectory() as work:
        for image in images:
            engine.images.get(image)  # the shared image the deploys boot from
            straight = build_time(image, None)
            through = build_time(image, cache)
            network = first_deploy(image, False, work)
            cached = first_deploy(image, True, work)
            rows.append((image, straight, through, network, cached))
    load = os.getloadavg()
    lines = [f"# benchmarks/fresh_servers.py on {platform.node()}, {os.cpu_count()} CPUs, "
             f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
             f"{'image':<10} {'build (archive)':>16} {'build (cache)':>14} "
             f"{'home server (archive)':>22} {'home server (cache)':>20}"]
    for image, straight, through, network, cached in rows:
        lines.append(f"{image:<10} {straight:>14.1f} s {through:>12.1f} s "
                     f"{network:>20.1f} s {cached:>18.1f} s")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
