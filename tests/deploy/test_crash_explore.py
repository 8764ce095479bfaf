import os, time
from test_crash_safety import prepare, run_points

def test_explore(world):
    kinds = os.environ.get("CRASH_KINDS", "sigkill").split(",")
    wanted = os.environ.get("CRASH_POINTS")
    t = time.monotonic()
    host, points = prepare(world, world.host_name())
    print("prepare", time.monotonic() - t)
    for k, v in points.items():
        print(k, len(v), v)
    for kind in kinds:
        sel = {w: [p for i, p in enumerate(v) if (wanted and any(x in p for x in wanted.split(","))) or (not wanted and i % 5 == 0)] for w, v in points.items()}
        results = []
        t = time.monotonic()
        run_points(host, kind, sel, results)
        print(kind, len(results), "points", time.monotonic() - t)
        for r in results: print(r)
