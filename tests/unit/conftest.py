"""Make ``ansible_collections.mlops.mlflow`` importable for a plain ``pytest tests/unit``.

ansible-test units puts the collection root on sys.path itself; plain pytest from the
repository finds it through ``.collections`` (created by scripts/bootstrap.sh).
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_COLLECTIONS = REPO / ".collections"
if _COLLECTIONS.is_dir() and str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))
