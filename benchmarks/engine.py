"""Issue 2's engine benchmark in one run: the lexicon layer against its peers, then the whole engine.

    python benchmarks/engine.py            # the recorded sizes: 20 MB, 50,000 terms, 2,000 texts
    python benchmarks/engine.py --quick    # 4 MB, 10,000 terms, 500 texts
    python benchmarks/engine.py --write    # also rewrite benchmarks/results/engine_*.md

Each part is its own script (``engine_lexicon.py``, ``engine_latency.py``) so it can be run and
read alone; this runner only fixes the sizes the issue names and runs them back to back.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller inputs for a smoke run")
    parser.add_argument("--write", action="store_true", help="rewrite benchmarks/results/")
    args = parser.parse_args()
    write = ["--write"] if args.write else []
    lexicon = (
        ["--mb", "4", "--terms", "10000"] if args.quick else ["--mb", "20", "--terms", "50000"]
    )
    latency = ["--texts", "500", "--batch-texts", "4000"] if args.quick else ["--texts", "2000"]
    for script, extra in (("engine_lexicon.py", lexicon), ("engine_latency.py", latency)):
        print(f"== {script} {' '.join(extra + write)}", flush=True)
        code = subprocess.call([sys.executable, str(HERE / script), *extra, *write])
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
